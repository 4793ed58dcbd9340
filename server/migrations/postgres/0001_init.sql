-- Connected accounts: one row per (connection, identifier, organization, user).
CREATE TABLE connected_accounts (
    id                 TEXT PRIMARY KEY,
    connection_name    TEXT NOT NULL,
    connector          TEXT NOT NULL,
    identifier         TEXT NOT NULL,
    organization_id    TEXT NOT NULL DEFAULT '',
    user_id            TEXT NOT NULL DEFAULT '',
    status             TEXT NOT NULL,
    authorization_type TEXT NOT NULL,
    credentials        TEXT,
    api_config         TEXT,
    token_expires_at   TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    last_used_at       TEXT,
    UNIQUE (connection_name, identifier, organization_id, user_id)
);
CREATE INDEX connected_accounts_identifier ON connected_accounts (identifier);

-- One row per tool execution: who ran what, how it ended, how long it took. Never a credential.
CREATE TABLE executions (
    id                   TEXT PRIMARY KEY,
    api_client_id        TEXT NOT NULL,
    tool_name            TEXT NOT NULL,
    connection_name      TEXT NOT NULL,
    connected_account_id TEXT NOT NULL,
    identifier           TEXT NOT NULL,
    status               TEXT NOT NULL,
    upstream_status      BIGINT,
    error_code           TEXT,
    latency_ms           BIGINT NOT NULL,
    created_at           TEXT NOT NULL
);
CREATE INDEX executions_account ON executions (connected_account_id, created_at);
