//! The napi-rs addon under the Node SDK (`@scalekit-sdk/node`). It only converts values and
//! errors; every operation is `agentkit_core::dispatch`. The JS façade in `lib/` adds the
//! documented classes, camelCase method names and real error classes.

mod client;
mod error;
mod modifiers;
mod schema_formats;

pub use client::NativeClient;
