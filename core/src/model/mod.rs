//! REST wire model of the AgentKit API (`reference/agentkit-openapi.yaml`).
//!
//! Output uses the proto (snake_case) names; input also accepts lowerCamel through serde aliases.
//! Enums travel as their names, timestamps as RFC 3339 and free-form structs as JSON objects.

pub mod auth;
pub mod casing;
pub mod connected_accounts;
pub mod errors;
pub mod mcp;
pub mod providers;
pub mod proxy_path;
pub mod query;
pub mod tools;
pub mod triggers;

pub use auth::*;
pub use connected_accounts::*;
pub use errors::*;
pub use mcp::*;
pub use providers::*;
pub use tools::*;
pub use triggers::*;
