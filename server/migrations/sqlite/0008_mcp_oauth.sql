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
