-- A client without admin reads only its own execution records, newest first.
CREATE INDEX executions_client ON executions (api_client_id, created_at);
