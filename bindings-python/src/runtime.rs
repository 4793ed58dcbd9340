//! The pyo3-async-runtimes adapter over core's one runtime, so awaitables and blocking calls share
//! the runtime that `shutdown()` stops at interpreter exit (pyo3-async-runtimes' own global
//! runtime can never be stopped, which crashes some exits).

use std::cell::OnceCell;
use std::future::Future;
use std::pin::Pin;

use pyo3::prelude::*;
use pyo3_async_runtimes::generic::{self, ContextExt, Runtime};
use pyo3_async_runtimes::TaskLocals;

use agentkit_core::{Error, ErrorKind};

pub struct CoreRuntime;

pub struct JoinError(tokio::task::JoinError);

impl generic::JoinError for JoinError {
    fn is_panic(&self) -> bool {
        self.0.is_panic()
    }
    fn into_panic(self) -> Box<dyn std::any::Any + Send + 'static> {
        self.0.into_panic()
    }
}

tokio::task_local! {
    static TASK_LOCALS: OnceCell<TaskLocals>;
}

type JoinFuture = Pin<Box<dyn Future<Output = Result<(), JoinError>> + Send>>;

/// After interpreter shutdown began there is no runtime; spawned work is dropped, never run.
fn finished() -> JoinFuture {
    Box::pin(async { Ok(()) })
}

impl Runtime for CoreRuntime {
    type JoinError = JoinError;
    type JoinHandle = JoinFuture;

    fn spawn<F>(fut: F) -> Self::JoinHandle
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let Some(rt) = agentkit_core::runtime::handle() else {
            return finished();
        };
        let task = rt.spawn(fut);
        Box::pin(async move { task.await.map_err(JoinError) })
    }

    fn spawn_blocking<F>(f: F) -> Self::JoinHandle
    where
        F: FnOnce() + Send + 'static,
    {
        let Some(rt) = agentkit_core::runtime::handle() else {
            return finished();
        };
        let task = rt.spawn_blocking(f);
        Box::pin(async move { task.await.map_err(JoinError) })
    }
}

impl ContextExt for CoreRuntime {
    fn scope<F, R>(locals: TaskLocals, fut: F) -> Pin<Box<dyn Future<Output = R> + Send>>
    where
        F: Future<Output = R> + Send + 'static,
    {
        let cell = OnceCell::new();
        let _ = cell.set(locals);
        Box::pin(TASK_LOCALS.scope(cell, fut))
    }

    fn get_task_locals() -> Option<TaskLocals> {
        TASK_LOCALS.try_with(|c| c.get().cloned()).unwrap_or_default()
    }
}

fn exiting() -> Error {
    Error::new(ErrorKind::Unavailable, "the AgentKit runtime has stopped: the interpreter is exiting")
}

/// Runs `fut` to completion with the GIL released (the documented sync API).
///
/// A call still waiting when the interpreter exits (a daemon thread) is never handed back to
/// Python: re-taking the GIL during finalization would kill the thread mid-Rust-frame and abort
/// the process, so the thread parks until the process ends.
pub fn block_on<T, F>(py: Python<'_>, fut: F) -> PyResult<T>
where
    T: Send,
    F: Future<Output = Result<T, Error>> + Send,
{
    let rt = agentkit_core::runtime::handle().ok_or_else(|| crate::error::to_py_err(py, exiting()))?;
    py.detach(|| {
        // Futures polled after the runtime stopped may panic; only then is the panic swallowed.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rt.block_on(fut)));
        if agentkit_core::runtime::is_shut_down() {
            loop {
                std::thread::park();
            }
        }
        outcome.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
    .map_err(|e| crate::error::to_py_err(py, e))
}

/// Wraps `fut` as an awaitable for the running asyncio loop (the `_async` twins).
pub fn awaitable<'py, T, F>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    T: for<'a> IntoPyObject<'a> + Send + 'static,
    F: Future<Output = Result<T, Error>> + Send + 'static,
{
    generic::future_into_py::<CoreRuntime, _, T>(py, async move {
        fut.await.map_err(|e| Python::attach(|py| crate::error::to_py_err(py, e)))
    })
}
