-- The audit trail: security-relevant events, appended and never changed (only the retention
-- sweep deletes, oldest first). `id` is aud_<16 hex digits of microseconds since the epoch><8
-- random hex digits>, so ordering by id is ordering by time.
CREATE TABLE audit_events (
    id TEXT PRIMARY KEY,
    occurred_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    outcome TEXT NOT NULL,
    request_id TEXT,
    details TEXT NOT NULL
);
CREATE INDEX audit_events_action ON audit_events (action, id);
CREATE INDEX audit_events_actor ON audit_events (actor, id);
