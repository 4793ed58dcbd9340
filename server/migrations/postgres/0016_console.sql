-- Console operators (`agentkit admin add-user`): a role and an argon2id password hash (PHC string).
CREATE TABLE operators (
    name          TEXT PRIMARY KEY,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
-- Signed-in console sessions: only a SHA-256 of the cookie's value is kept; the CSRF token is
-- the session's own; a session ends at `expires_at` or when signed out.
CREATE TABLE console_sessions (
    id_sha256  TEXT PRIMARY KEY,
    operator   TEXT NOT NULL REFERENCES operators(name) ON DELETE CASCADE,
    csrf       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX console_sessions_operator ON console_sessions (operator);
-- One-time sign-in links (`agentkit dev` prints one as AGENTKIT_CONSOLE_URL): only a SHA-256
-- of the link's token is kept, and the first use deletes it.
CREATE TABLE console_tickets (
    token_sha256 TEXT PRIMARY KEY,
    operator     TEXT NOT NULL REFERENCES operators(name) ON DELETE CASCADE,
    expires_at   TEXT NOT NULL
);
