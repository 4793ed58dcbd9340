//! Running tools: the HTTP runner, the SQL runner, the remote MCP runner (and its client), and
//! the limits they obey (output cap, rate limits, retries).

pub mod http;
pub mod limits;
pub mod mcp_client;
pub mod remote_mcp;
pub mod snowflake;
pub mod sql;
