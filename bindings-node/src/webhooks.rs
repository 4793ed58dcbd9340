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
    let headers: Vec<(String, String)> = headers
        .into_iter()
        .filter_map(|pair| match pair.as_slice() {
            [k, v] => Some((k.clone(), v.clone())),
            _ => None,
        })
        .collect();
    agentkit_core::webhooks::verify_now(&secret, &headers, &payload).map_err(to_napi)
}
