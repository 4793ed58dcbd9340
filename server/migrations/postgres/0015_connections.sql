-- Connections created through the API (`/api/v1/connections`), next to the config file's.
-- `settings` holds the `[[connections]]` keys except the secret; `client_secret` is sealed by the
-- vault (bound to the connection's name) and never returned.
CREATE TABLE connections (
    name          TEXT PRIMARY KEY,
    settings      TEXT NOT NULL,
    client_secret TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
