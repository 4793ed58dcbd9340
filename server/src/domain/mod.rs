//! The use cases every entry point shares (REST handlers, the MCP transport, the refresher):
//! entry points extract their input, call these, and map the outcome to their protocol.

pub mod accounts;
pub mod api_clients;
pub mod authorization;
pub mod connections;
pub mod connectors;
pub mod credentials;
pub mod execution;
pub mod links;
pub mod magic_links;
pub mod mcp;
pub mod mcp_admin;
pub mod mcp_oauth_guards;
pub mod paging;
pub mod push_signature;
pub mod remote_mcp;
pub mod trigger_ingress;
pub mod trigger_poller;
pub mod triggers;
pub mod vault_keys;
pub mod webhooks;
