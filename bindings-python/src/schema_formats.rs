//! `format_tools`: tool definitions in a model vendor's format (conversion in core).

use pyo3::prelude::*;

use agentkit_core::schema_formats::{format_tools as convert, ToolFormat};

use crate::json::{from_py, to_py};

/// Converts tool definitions (`{name, description, input_schema}`) into `format`.
#[pyfunction]
pub fn format_tools(py: Python<'_>, definitions: &Bound<'_, PyAny>, format: &str) -> PyResult<Py<PyAny>> {
    let format: ToolFormat = format.parse().map_err(|e| crate::error::to_py_err(py, e))?;
    let definitions = match from_py(definitions)? {
        serde_json::Value::Array(items) => items,
        other => vec![other],
    };
    let converted = convert(&definitions, format).map_err(|e| crate::error::to_py_err(py, e))?;
    Ok(to_py(py, &serde_json::Value::Array(converted))?.unbind())
}
