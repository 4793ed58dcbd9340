//! AgentKit core: the one implementation behind the gateway and both SDKs.
//!
//! * [`model`] — the REST wire types, shared with the server so a renamed field breaks the build.
//! * [`wire`] — the protobuf descriptor set of the messages the SDKs expose, from `core/proto`.
//! * [`ScalekitClient`] — authenticated, retrying HTTP client for the AgentKit API.
//! * [`Actions`] — the documented `actions` surface: connected accounts, tools, proxy and modifiers.
//! * [`Error`] — one error type with a stable [`ErrorKind`].

#![warn(missing_docs)]

pub mod actions;
pub mod client;
pub mod dispatch;
pub mod error;
pub mod mcp;
// Its structs and fields are those of the documented API (docs/openapi.json, core/proto): docs would restate names.
#[allow(missing_docs)]
pub mod model;
pub mod modifiers;
pub mod providers;
pub mod runtime;
pub mod schema_formats;
pub mod transport;
pub mod triggers;
pub mod upload;
pub mod webhooks;
pub mod wire;

pub use actions::Actions;
pub use client::{ClientOptions, ScalekitClient};
pub use error::{Error, ErrorKind, Result};
pub use modifiers::{ModifierKind, Modifiers, ToolModifier};
