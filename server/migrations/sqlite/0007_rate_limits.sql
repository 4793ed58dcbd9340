-- Per-account rate-limit buckets shared by every replica (PostgreSQL). One SQLite process keeps
-- its buckets in memory and never writes here; the table exists so both engines describe the
-- same schema.
CREATE TABLE rate_limits (
    connector  TEXT NOT NULL,
    account_id TEXT NOT NULL,
    tat        REAL NOT NULL,
    PRIMARY KEY (connector, account_id)
);
