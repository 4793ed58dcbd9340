-- Streamable HTTP MCP sessions live in the database, so any replica continues (or ends) a session
-- another replica opened. Legacy SSE sessions stay with the process that holds their stream.
CREATE TABLE mcp_sessions (
    id         TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen  TEXT NOT NULL
);
CREATE INDEX mcp_sessions_owner ON mcp_sessions (owner, last_seen);
