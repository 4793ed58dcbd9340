//! Core errors → the pure-Python exception classes of `scalekit.common.exceptions`.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use agentkit_core::{Error, ErrorKind};

// The class is chosen by `Error::sdk_class_name`, shared with the Node SDK.

pub fn to_py_err(py: Python<'_>, err: Error) -> PyErr {
    match build(py, err) {
        Ok(e) => e,
        Err(e) => e,
    }
}

fn build(py: Python<'_>, err: Error) -> PyResult<PyErr> {
    let module = py.import("scalekit.common.exceptions")?;
    let cls = module.getattr(err.sdk_class_name())?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("http_status", err.status())?;
    kwargs.set_item("error_code", err.error_code())?;
    kwargs.set_item("kind", err.kind().name())?;
    kwargs.set_item("field", err.field())?;
    kwargs.set_item("request_id", err.request_id())?;
    kwargs.set_item("grpc_code", err.grpc_code())?;
    kwargs.set_item("err_details", crate::json::to_py(py, &err.details_json())?)?;
    if let Some(tool) = err.tool_error() {
        kwargs.set_item("tool_error_code", &tool.tool_error_code)?;
        kwargs.set_item("tool_error_message", &tool.tool_error_message)?;
        kwargs.set_item("execution_id", &tool.execution_id)?;
    }
    let message = err.message().to_string();
    let is_hook = err.kind() == ErrorKind::Hook;
    let source = err.into_source();
    // A modifier's own exception propagates unchanged, as the documented API promises.
    let cause = match source.map(|s| s.downcast::<PyErr>()) {
        Some(Ok(py_err)) if is_hook => return Ok(*py_err),
        Some(Ok(py_err)) => Some(*py_err),
        _ => None,
    };
    let exc = cls.call((message,), Some(&kwargs))?;
    let py_err = PyErr::from_value(exc);
    if let Some(cause) = cause {
        py_err.set_cause(py, Some(cause));
    }
    Ok(py_err)
}

/// `ScalekitServerException.promote`: the exception for a failed HTTP answer, classified by core
/// exactly as the SDK's own calls are.
#[pyfunction]
pub fn error_from_response(py: Python<'_>, status: u16, body: &[u8]) -> Py<pyo3::exceptions::PyBaseException> {
    to_py_err(py, Error::from_response(status, body, None)).into_value(py)
}
