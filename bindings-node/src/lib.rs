//! The napi-rs addon under the Node SDK (`@scalekit-sdk/node`). It only converts values and
//! errors; every operation is `agentkit_core::dispatch`. The JS façade in `lib/` adds the
//! documented classes, camelCase method names and real error classes.

mod client;
mod error;
mod modifiers;
mod schema_formats;
mod webhooks;

pub use client::NativeClient;

/// The operation names the façade may call (`agentkit_core::dispatch`'s one table).
#[napi_derive::napi]
pub fn operations() -> Vec<String> {
    agentkit_core::dispatch::Operation::names().map(String::from).collect()
}

/// The exception class for a relayed (proxy) answer of HTTP `status`, by core's rule.
#[napi_derive::napi]
pub fn class_for_status(status: u16) -> String {
    agentkit_core::Error::sdk_class_for_status(status).to_string()
}

/// Every exception class core can name; the façade defines each one.
#[napi_derive::napi]
pub fn error_classes() -> Vec<String> {
    agentkit_core::Error::SDK_CLASS_NAMES.iter().map(|s| s.to_string()).collect()
}

/// `ScalekitServerException.promote`: the encoded error for a failed HTTP answer, classified by
/// core as the SDK's own calls are (the façade turns it into its class).
#[napi_derive::napi]
pub fn error_from_response(status: u16, body: napi::bindgen_prelude::Buffer) -> String {
    error::to_napi(agentkit_core::Error::from_response(status, &body, None)).reason
}

/// The wire model's descriptor set (`agentkit_core::wire`): `lib/wire.js` builds the
/// `scalekit.v1.*` schemas from it.
#[napi_derive::napi]
pub fn wire_descriptor_set() -> napi::bindgen_prelude::Buffer {
    agentkit_core::wire::DESCRIPTOR_SET.to_vec().into()
}
