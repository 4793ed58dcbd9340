-- The scopes an authorization link asked for when it named its own (JSON: {"scopes": [...],
-- "optional_scopes": [...]}); NULL when it asked for the connection's. The callback refuses an
-- authorization that comes back without one of the required `scopes`.
ALTER TABLE auth_requests ADD COLUMN scope_selection TEXT;
