-- Pushed triggers: a connection's ingress endpoint (the URL its provider posts events to, named
-- by `id`) with the provider's signing secret, sealed by the vault. Setting a new secret keeps
-- the previous one valid until it is confirmed or `previous_expires_at` passes.
CREATE TABLE trigger_ingress_endpoints (
    id                       TEXT PRIMARY KEY,
    connection_name          TEXT NOT NULL UNIQUE,
    signing_secret           TEXT,
    previous_signing_secret  TEXT,
    previous_expires_at      TEXT,
    rotation_id              BIGINT NOT NULL DEFAULT 0,
    created_at               TEXT NOT NULL
);
-- The provider deliveries an ingress endpoint took, by the provider's delivery id: a replayed
-- or redelivered push is not queued twice. Swept after a week.
CREATE TABLE trigger_ingress_receipts (
    ingress_id   TEXT NOT NULL,
    delivery_id  TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    events       BIGINT NOT NULL,
    PRIMARY KEY (ingress_id, delivery_id)
);
CREATE INDEX trigger_ingress_receipts_received ON trigger_ingress_receipts (received_at);
-- Every try to deliver a webhook event, as it ended: the per-endpoint attempt history.
CREATE TABLE webhook_delivery_attempts (
    id               TEXT PRIMARY KEY,
    delivery_id      TEXT NOT NULL,
    endpoint_id      TEXT NOT NULL,
    event_id         TEXT NOT NULL,
    status           TEXT NOT NULL,
    response_status  BIGINT,
    response         TEXT NOT NULL DEFAULT '',
    attempted_at     TEXT NOT NULL
);
CREATE INDEX webhook_delivery_attempts_endpoint ON webhook_delivery_attempts (endpoint_id, attempted_at);
