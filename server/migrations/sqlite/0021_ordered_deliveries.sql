-- Deliveries that must reach their endpoint in order (a trigger subscription's events share an
-- `ordering_key`: the subscription and the endpoint): the worker takes one at a time, in
-- `sequence` order, and a later one waits while an earlier one is still pending. Other events
-- have no key and go out as they come.
ALTER TABLE webhook_deliveries ADD COLUMN ordering_key TEXT;
ALTER TABLE webhook_deliveries ADD COLUMN sequence BIGINT NOT NULL DEFAULT 0;
CREATE INDEX webhook_deliveries_ordering ON webhook_deliveries (ordering_key, sequence);
