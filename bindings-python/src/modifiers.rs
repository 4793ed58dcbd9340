//! Python callables as core [`ToolModifier`]s. They run on a blocking thread that takes the GIL,
//! never on a tokio worker. An async modifier's coroutine runs on the event loop of the call that
//! triggered it (an `*_async` call: its loop is free while it awaits us), so it can use that
//! loop's locks, clients and context; only sync calls, which have no loop, get a fresh one.

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
        // Set by `awaitable` for the duration of an `*_async` call.
        let caller = <crate::runtime::CoreRuntime as pyo3_async_runtimes::generic::ContextExt>::get_task_locals();
        let outcome = tokio::task::spawn_blocking(move || {
            Python::attach(|py| -> PyResult<Value> {
                let arg = crate::json::to_py(py, &data)?;
                let mut out = func.call1(py, (arg,))?.into_bound(py);
                if py.import("inspect")?.call_method1("iscoroutine", (&out,))?.is_truthy()? {
                    let asyncio = py.import("asyncio")?;
                    out = match &caller {
                        Some(locals) => asyncio
                            .call_method1("run_coroutine_threadsafe", (out, locals.event_loop(py)))?
                            .call_method0("result")?,
                        None => asyncio.call_method1("run", (out,))?,
                    };
                }
                crate::json::from_py(&out)
            })
        })
        .await
        .map_err(|e| Error::new(ErrorKind::Hook, format!("modifier for {tool} panicked: {e}")))?;
        outcome.map_err(|e| Error::new(ErrorKind::Hook, format!("modifier for {tool} failed: {e}")).with_source(e))
    }
}
