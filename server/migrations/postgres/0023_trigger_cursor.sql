-- An incremental poll's cursor (a provider's sync token), committed with the watermark and the
-- events of the poll that got it.
ALTER TABLE trigger_subscriptions ADD COLUMN sync_cursor TEXT;
