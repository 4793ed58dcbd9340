//! The AgentKit gateway: a self-hostable server speaking the AgentKit REST API.
//!
//! Layers, top to bottom (ARCHITECTURE.md draws them; `make lint-fast` checks every import):
//! the composition root ([`startup`], [`router`], `dev`, the binary) wires everything; the entry
//! points — REST handlers in [`api`], the MCP transport in [`mcp`], the [`console`] — call the use
//! cases in [`domain`] (with [`state`], the context they take); those use [`catalog`] (connector
//! files, custom providers, input validation, templates), [`credentials`] (OAuth client, refresh,
//! service accounts, signed tokens), [`execution`] (HTTP, SQL and remote MCP runners, limits),
//! [`webhooks`] and [`audit`]; below them the [`store`] (SQLite or PostgreSQL, one file per table
//! group, with the vault that seals what it stores); at the bottom the primitives: [`config`],
//! [`egress`] (every provider-bound connection), [`permissions`] (the only permission table),
//! [`telemetry`] and the small helpers.
//! The sandbox upstream (the offline Gmail stand-in of `agentkit dev`) is its own crate,
//! `agentkit-sandbox`, behind the default `sandbox` feature; `dev` wires it up. `serve` never
//! reaches it but through a connection's base-URL override, like any provider.

pub mod api;
pub mod audit;
pub mod catalog;
pub mod config;
pub mod console;
pub mod credentials;
#[cfg(feature = "sandbox")]
pub mod dev;
pub mod domain;
pub(crate) mod egress;
pub mod execution;
pub(crate) mod html;
pub(crate) mod input_text;
pub(crate) mod leased_work;
pub(crate) mod listener;
pub(crate) mod mcp;
pub mod permissions;
pub mod private_files;
pub(crate) mod router;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
pub(crate) mod throttle;
pub(crate) mod webhooks;

pub use config::Config;
pub use startup::{start, RunningServer};
