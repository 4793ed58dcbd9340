-- The id of the request that ran a tool call (`x-request-id`, given by the caller or minted by
-- the gateway), so an execution record can be found from a client's error or a log line.
ALTER TABLE executions ADD COLUMN request_id TEXT;
