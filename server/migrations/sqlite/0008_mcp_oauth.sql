-- The authorization server for MCP clients (claude.ai, ChatGPT, Cursor, VS Code connectors):
-- clients registered dynamically (RFC 7591), and authorization codes, each usable once.
CREATE TABLE mcp_oauth_clients (
    client_id  TEXT PRIMARY KEY,
    metadata   TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE mcp_oauth_codes (
    code_hash       TEXT PRIMARY KEY,
    client_id       TEXT NOT NULL,
    redirect_uri    TEXT NOT NULL,
    code_challenge  TEXT NOT NULL,
    resource        TEXT NOT NULL,
    config_id       TEXT NOT NULL,
    user_identifier TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    used            INTEGER NOT NULL DEFAULT 0
);
-- One row per consent: the tokens issued from it (access and rotating refresh tokens) live and
-- die together; revoking any of them, or replaying a used refresh token, revokes the grant.
CREATE TABLE mcp_oauth_grants (
    grant_id        TEXT PRIMARY KEY,
    client_id       TEXT NOT NULL,
    config_id       TEXT NOT NULL,
    resource        TEXT NOT NULL,
    user_identifier TEXT NOT NULL,
    revoked         INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL
);
CREATE TABLE mcp_oauth_refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    grant_id   TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX mcp_oauth_refresh_tokens_grant ON mcp_oauth_refresh_tokens (grant_id);
