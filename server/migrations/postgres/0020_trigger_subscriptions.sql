-- Trigger subscriptions: a connected account watched for one trigger of its connection. The
-- poller leases a due row (`lease_until`), asks the provider, and commits the new watermark (the
-- ids it has seen) with the events it queued, in one transaction: a crash before the commit
-- polls again, never skips. A subscription goes with its account.
CREATE TABLE trigger_subscriptions (
    id                      TEXT PRIMARY KEY,
    account_id              TEXT NOT NULL REFERENCES connected_accounts (id) ON DELETE CASCADE,
    connection_name         TEXT NOT NULL,
    trigger_name            TEXT NOT NULL,
    status                  TEXT NOT NULL,
    requested_interval_secs BIGINT NOT NULL,
    effective_interval_secs BIGINT NOT NULL,
    config                  TEXT NOT NULL,
    created_at              TEXT NOT NULL,
    next_poll_at            TEXT NOT NULL,
    lease_until             TEXT,
    watermark               TEXT,
    watermark_updated_at    TEXT,
    last_run_at             TEXT,
    last_error              TEXT NOT NULL DEFAULT '',
    last_error_code         TEXT,
    consecutive_failures    BIGINT NOT NULL DEFAULT 0,
    backoff_until           TEXT,
    UNIQUE (account_id, trigger_name)
);
CREATE INDEX trigger_subscriptions_due ON trigger_subscriptions (next_poll_at);
CREATE INDEX trigger_subscriptions_connection ON trigger_subscriptions (connection_name, trigger_name, id);
