-- Connectors installed through `POST /api/v1/connectors:import` (`"install": true`): the
-- connector file's JSON, loaded after the built-in and directory connectors on every replica.
CREATE TABLE installed_connectors (
    slug       TEXT PRIMARY KEY,
    connector  TEXT NOT NULL,
    created_at TEXT NOT NULL
);
