-- Lists and retention at scale: the account list filters by connection or provider and pages by
-- id; execution records are read newest first (optionally per identifier) and pruned by age.
CREATE INDEX connected_accounts_connection ON connected_accounts (connection_name, id);
CREATE INDEX connected_accounts_connector ON connected_accounts (connector, id);
CREATE INDEX executions_created ON executions (created_at);
CREATE INDEX executions_identifier ON executions (identifier, created_at);
