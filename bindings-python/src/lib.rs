//! `scalekit._native`: the PyO3 module under the Python SDK. It only converts values and errors;
//! every operation is `agentkit_core::dispatch`.

mod client;
mod error;
mod json;
mod modifiers;
mod runtime;
mod schema_formats;
mod webhooks;

use pyo3::prelude::*;

/// Stops the shared runtime; registered with `atexit` by the Python package.
#[pyfunction]
fn shutdown(py: Python<'_>) {
    py.detach(agentkit_core::runtime::shutdown);
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<client::NativeClient>()?;
    m.add_function(wrap_pyfunction!(shutdown, m)?)?;
    m.add_function(wrap_pyfunction!(schema_formats::format_tools, m)?)?;
    m.add_function(wrap_pyfunction!(webhooks::verify_webhook_payload, m)?)?;
    m.add_function(wrap_pyfunction!(webhooks::verify_trigger_event, m)?)?;
    m.add_function(wrap_pyfunction!(error::error_from_response, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    // The contract with the façade: operation names it may call and exception classes core names.
    m.add("OPERATIONS", agentkit_core::dispatch::Operation::names().collect::<Vec<_>>())?;
    m.add("ERROR_CLASSES", agentkit_core::Error::SDK_CLASS_NAMES.to_vec())?;
    // The wire model's descriptor set: `scalekit.v1.*` builds its message classes from it.
    m.add("WIRE_DESCRIPTOR_SET", pyo3::types::PyBytes::new(m.py(), agentkit_core::wire::DESCRIPTOR_SET))?;
    Ok(())
}
