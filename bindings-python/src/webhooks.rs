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

/// Checks a trigger event like a webhook delivery and returns its parsed JSON object; raises
/// `WebhookVerificationError` otherwise.
#[pyfunction]
pub fn verify_trigger_event<'py>(
    py: Python<'py>,
    secret: &str,
    headers: Vec<(String, String)>,
    payload: &[u8],
) -> PyResult<Bound<'py, PyAny>> {
    let event =
        agentkit_core::webhooks::verify_event(secret, &headers, payload).map_err(|e| crate::error::to_py_err(py, e))?;
    crate::json::to_py(py, &event)
}
