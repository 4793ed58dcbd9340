-- The W3C trace context a tool call arrived with (an HTTP `traceparent` header on execute_tool,
-- or `_meta.traceparent` on MCP tools/call), so an execution record joins the caller's trace.
ALTER TABLE executions ADD COLUMN traceparent TEXT;
