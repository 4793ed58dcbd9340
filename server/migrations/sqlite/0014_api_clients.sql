-- API clients created through the API (`/api/v1/api_clients`), next to the config file's.
-- Only a SHA-256 of the secret is kept: the secret is shown once, when created or rotated.
CREATE TABLE api_clients (
    client_id     TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    secret_sha256 TEXT NOT NULL,
    scopes        TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    rotated_at    TEXT
);
