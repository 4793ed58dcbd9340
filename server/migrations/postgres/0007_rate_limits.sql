-- Per-account rate-limit buckets shared by every replica: one row per (connector, account) holds
-- the bucket as a "theoretical arrival time" (GCRA, seconds since the epoch), so taking a slot is
-- one atomic INSERT … ON CONFLICT DO UPDATE.
CREATE TABLE rate_limits (
    connector  TEXT NOT NULL,
    account_id TEXT NOT NULL,
    tat        DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (connector, account_id)
);
