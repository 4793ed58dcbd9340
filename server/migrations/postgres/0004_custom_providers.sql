-- Custom providers: connectors created at runtime through /api/v1/custom-providers. The provider
-- object (no secrets: OAuth client credentials belong to connections) is kept as JSON.
CREATE TABLE custom_providers (
    identifier  TEXT PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    provider    TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
