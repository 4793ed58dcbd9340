-- One row per opened authorization link: the OAuth round trip and, with user verification, the
-- tokens held back until the right user confirms. Secrets (PKCE verifier, pending tokens) are sealed.
CREATE TABLE auth_requests (
    id                  TEXT PRIMARY KEY,
    account_id          TEXT NOT NULL,
    identifier          TEXT NOT NULL,
    link_nonce          TEXT NOT NULL UNIQUE,
    pkce_verifier       TEXT NOT NULL,
    app_state           TEXT NOT NULL DEFAULT '',
    user_verify_url     TEXT NOT NULL DEFAULT '',
    status              TEXT NOT NULL,
    pending_credentials TEXT,
    pending_expires_at  TEXT,
    created_at          TEXT NOT NULL,
    expires_at          TEXT NOT NULL
);
