//! Python callables as core [`ToolModifier`]s. They run on a blocking thread that takes the GIL,
//! never on a tokio worker; a coroutine result is run to completion with `asyncio.run`.

use async_trait::async_trait;
use pyo3::prelude::*;
use serde_json::Value;

use agentkit_core::{Error, ErrorKind, ToolModifier};

pub struct PyModifier {
    pub func: Py<PyAny>,
}

#[async_trait]
impl ToolModifier for PyModifier {
    async fn apply(&self, tool_name: &str, data: Value) -> agentkit_core::Result<Value> {
        let func = Python::attach(|py| self.func.clone_ref(py));
        let tool = tool_name.to_string();
        let outcome = tokio::task::spawn_blocking(move || {
            Python::attach(|py| -> PyResult<Value> {
                let arg = crate::json::to_py(py, &data)?;
                let mut out = func.call1(py, (arg,))?.into_bound(py);
                if py.import("inspect")?.call_method1("iscoroutine", (&out,))?.is_truthy()? {
                    out = py.import("asyncio")?.call_method1("run", (out,))?;
                }
                crate::json::from_py(&out)
            })
        })
        .await
        .map_err(|e| Error::new(ErrorKind::Hook, format!("modifier for {tool} panicked: {e}")))?;
        outcome.map_err(|e| Error::new(ErrorKind::Hook, format!("modifier for {tool} failed: {e}")).with_source(e))
    }
}
