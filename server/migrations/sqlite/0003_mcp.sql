-- MCP configs (which tools of which connections an MCP server exposes) and per-user instances.
CREATE TABLE mcp_configs (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    mappings    TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- An instance's URL carries a secret key: stored sealed (to show it again) and hashed (to find it).
CREATE TABLE mcp_instances (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    user_identifier TEXT NOT NULL,
    config_id       TEXT NOT NULL REFERENCES mcp_configs (id) ON DELETE CASCADE,
    url_key_sealed  TEXT NOT NULL,
    url_key_sha256  TEXT NOT NULL UNIQUE,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    last_used_at    TEXT,
    UNIQUE (config_id, user_identifier)
);
