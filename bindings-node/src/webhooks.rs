//! `verifyWebhookPayload`: Standard Webhooks signature checks (logic in core).

use napi_derive::napi;

use crate::error::to_napi;

/// Checks a delivery (`headers` as name → value pairs); fails with `WebhookVerificationError`.
#[napi]
#[cfg_attr(test, allow(dead_code))]
pub fn verify_webhook_payload(
    secret: String,
    headers: Vec<Vec<String>>,
    payload: napi::bindgen_prelude::Buffer,
) -> napi::Result<()> {
    agentkit_core::webhooks::verify_now(&secret, &pairs(headers), &payload).map_err(to_napi)
}

/// Checks a trigger event like a webhook delivery and returns its parsed JSON object.
#[napi]
#[cfg_attr(test, allow(dead_code))]
pub fn verify_trigger_event(
    secret: String,
    headers: Vec<Vec<String>>,
    payload: napi::bindgen_prelude::Buffer,
) -> napi::Result<serde_json::Value> {
    agentkit_core::webhooks::verify_event(&secret, &pairs(headers), &payload).map_err(to_napi)
}

fn pairs(headers: Vec<Vec<String>>) -> Vec<(String, String)> {
    headers
        .into_iter()
        .filter_map(|pair| match pair.as_slice() {
            [k, v] => Some((k.clone(), v.clone())),
            _ => None,
        })
        .collect()
}
