//! `verify_webhook_payload`: Standard Webhooks signature checks (logic in core).

use pyo3::prelude::*;

/// Checks a delivery (`headers` as name → value pairs); raises `WebhookVerificationError` when
/// it does not verify.
#[pyfunction]
pub fn verify_webhook_payload(
    py: Python<'_>,
    secret: &str,
    headers: Vec<(String, String)>,
    payload: &[u8],
) -> PyResult<()> {
    agentkit_core::webhooks::verify_now(secret, &headers, payload).map_err(|e| crate::error::to_py_err(py, e))
}
