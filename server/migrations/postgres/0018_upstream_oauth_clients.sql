-- What the gateway learned and registered to sign users in to a remote MCP server that asks for
-- OAuth, per connection: the server's authorization server endpoints (RFC 9728 / RFC 8414) and
-- the client registered there (RFC 7591), its secret sealed (bound to the connection's name).
-- Valid while `resource` (the server's URL) and `redirect_uri` are the connection's current ones.
CREATE TABLE upstream_oauth_clients (
    connection_name TEXT PRIMARY KEY,
    resource        TEXT NOT NULL,
    redirect_uri    TEXT NOT NULL,
    settings        TEXT NOT NULL,
    client_secret   TEXT,
    created_at      TEXT NOT NULL
);
