//! MCP servers on per-user URLs: the Streamable HTTP / legacy SSE transport and its sessions.

pub mod modern;
pub mod oauth;
pub mod sessions;
pub mod tools;
pub mod transport;
