//! The AgentKit gateway: a self-hostable server speaking the AgentKit REST API.
//!
//! Layout: [`config`] (file format) → [`startup`] → [`state`] + [`router`] → the REST handlers in
//! [`api`], backed by [`store`] (SQLite), [`connectors`] (declarative catalog), [`executor`]
//! (runs a tool against the provider), [`tokens`] (API-client bearer tokens, signed links) and
//! [`vault`] (every credential sealed at rest); every provider-bound connection goes through
//! [`egress`].
//! The sandbox upstream (the offline Gmail stand-in of `agentkit dev`) is its own crate,
//! `agentkit-sandbox`, behind the default `sandbox` feature; [`dev`] wires it up. `serve` never
//! reaches it but through a connection's base-URL override, like any provider.

pub mod api;
pub mod config;
pub mod connectors;
pub mod custom_providers;
#[cfg(feature = "sandbox")]
pub mod dev;
pub mod domain;
pub mod egress;
pub mod executor;
pub mod limits;
pub mod listener;
pub mod mcp_server;
pub mod mcp_sessions;
pub mod mcp_store;
pub mod oauth;
pub mod permissions;
pub mod refresh;
pub mod router;
pub mod schema;
pub mod service_account;
pub mod sql;
pub mod startup;
pub mod state;
pub mod store;
pub mod templates;
pub mod tokens;
pub mod vault;

pub use config::Config;
pub use startup::{start, RunningServer};
