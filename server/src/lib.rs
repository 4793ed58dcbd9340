//! The AgentKit gateway: a self-hostable server speaking the AgentKit REST API.
//!
//! Layout, one folder per concern: [`config`] (file format) → [`startup`] → [`state`] +
//! [`router`]; entry points — the REST handlers in [`api`], the MCP transport in [`mcp`], the
//! refresher — call the use cases in [`domain`]; those use [`catalog`] (connector files, custom
//! providers, input validation, templates), [`execution`] (HTTP and SQL runners, limits),
//! [`credentials`] (OAuth client, refresh bookkeeping, service accounts, vault, signed tokens) and
//! [`store`] (SQLite, one file per table group). Every provider-bound connection goes through
//! [`egress`]; every permission is in [`permissions`].
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
pub mod egress;
pub mod execution;
pub mod html;
pub mod input_text;
pub mod leased_work;
pub mod listener;
pub mod mcp;
pub mod permissions;
pub mod private_files;
pub mod router;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod throttle;
pub mod webhooks;

pub use config::Config;
pub use startup::{start, RunningServer};
