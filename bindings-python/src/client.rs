//! `NativeClient`: one core [`Actions`] per Python `ScalekitClient.actions`.

use std::sync::Arc;
use std::time::Duration;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use agentkit_core::dispatch::{dispatch, proxy_request, Operation};
use agentkit_core::upload::{upload_resumable, Progress, UploadData};
use agentkit_core::{Actions, ClientOptions, ModifierKind, ScalekitClient};

use crate::json::{from_py, JsonOut};
use crate::runtime::{awaitable, block_on};

#[pyclass(frozen, module = "scalekit._native")]
pub struct NativeClient {
    actions: Actions,
}

fn seconds(name: &str, v: f64) -> PyResult<Duration> {
    if !v.is_finite() || v <= 0.0 {
        return Err(PyValueError::new_err(format!("{name} must be a positive number of seconds")));
    }
    Ok(Duration::from_secs_f64(v))
}

/// Status, headers and body of a proxied call.
type RawTuple = (u16, Vec<(String, String)>, Py<PyBytes>);

struct RawOut(agentkit_core::client::RawResponse);

impl<'py> IntoPyObject<'py> for RawOut {
    type Target = pyo3::types::PyTuple;
    type Output = Bound<'py, Self::Target>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Self::Output> {
        let raw = self.0;
        let tuple: RawTuple = (raw.status, raw.headers, PyBytes::new(py, &raw.body).unbind());
        tuple.into_pyobject(py)
    }
}

/// The upload's parameters, what it sends, and its progress callback (a Python callable called
/// with the GIL; what it raises stops the upload).
fn upload_arguments(
    py: Python<'_>,
    params: &Bound<'_, PyAny>,
    data: Option<Vec<u8>>,
    file_path: Option<std::path::PathBuf>,
    on_progress: Option<Py<PyAny>>,
) -> PyResult<(serde_json::Value, UploadData, Option<Progress>)> {
    let data = match (data, file_path) {
        (Some(bytes), None) => UploadData::Bytes(bytes),
        (None, Some(path)) => UploadData::File(path),
        _ => {
            let e = agentkit_core::Error::invalid_field("data", "give the bytes to upload or a file_path, one of them");
            return Err(crate::error::to_py_err(py, e));
        }
    };
    let progress = match on_progress {
        None => None,
        Some(func) if func.bind(py).is_callable() => {
            let progress: Progress = Arc::new(move |sent, total| {
                Python::attach(|py| func.call1(py, (sent, total)).map(|_| ())).map_err(|e| {
                    agentkit_core::Error::new(agentkit_core::ErrorKind::Hook, format!("on_progress failed: {e}"))
                })
            });
            Some(progress)
        }
        Some(_) => return Err(PyValueError::new_err("on_progress must be callable")),
    };
    Ok((from_py(params)?, data, progress))
}

#[pymethods]
impl NativeClient {
    #[new]
    #[pyo3(signature = (env_url, client_id, client_secret, timeout_s = 20.0, tool_timeout_s = 60.0, sdk_version = None))]
    fn new(
        py: Python<'_>,
        env_url: &str,
        client_id: &str,
        client_secret: &str,
        timeout_s: f64,
        tool_timeout_s: f64,
        sdk_version: Option<String>,
    ) -> PyResult<Self> {
        let mut options = ClientOptions {
            timeout: seconds("call_timeout_s", timeout_s)?,
            tool_timeout: seconds("tool_call_timeout_s", tool_timeout_s)?,
            ..ClientOptions::default()
        };
        if let Some(v) = sdk_version {
            options.sdk_version = v;
        }
        let client = ScalekitClient::new(env_url, client_id, client_secret, options)
            .map_err(|e| crate::error::to_py_err(py, e))?;
        Ok(NativeClient { actions: Actions::new(client) })
    }

    /// Fetches an access token now (the documented constructor fails fast on bad credentials).
    fn authenticate(&self, py: Python<'_>) -> PyResult<()> {
        let client = self.actions.client().clone();
        block_on(py, async move { client.authenticate().await })
    }

    fn authenticate_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let client = self.actions.client().clone();
        awaitable(py, async move { client.authenticate().await })
    }

    /// Runs an operation (`"execute_tool"`, `"list_scoped_tools"`, ...) and returns its JSON answer.
    fn call(&self, py: Python<'_>, op: &str, params: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let op: Operation = op.parse().map_err(|e| crate::error::to_py_err(py, e))?;
        let params = from_py(params)?;
        let actions = self.actions.clone();
        let value = block_on(py, async move { dispatch(&actions, op, params).await })?;
        Ok(crate::json::to_py(py, &value)?.unbind())
    }

    fn call_async<'py>(&self, py: Python<'py>, op: &str, params: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let op: Operation = op.parse().map_err(|e| crate::error::to_py_err(py, e))?;
        let params = from_py(params)?;
        let actions = self.actions.clone();
        awaitable(py, async move { dispatch(&actions, op, params).await.map(JsonOut) })
    }

    /// The proxied request: returns `(status, headers, body)`.
    #[pyo3(signature = (params, raw_body = None))]
    fn request<'py>(
        &self,
        py: Python<'py>,
        params: &Bound<'py, PyAny>,
        raw_body: Option<Vec<u8>>,
    ) -> PyResult<Bound<'py, pyo3::types::PyTuple>> {
        let params = from_py(params)?;
        let actions = self.actions.clone();
        let raw = block_on(py, async move { proxy_request(&actions, params, raw_body).await })?;
        RawOut(raw).into_pyobject(py)
    }

    #[pyo3(signature = (params, raw_body = None))]
    fn request_async<'py>(
        &self,
        py: Python<'py>,
        params: &Bound<'py, PyAny>,
        raw_body: Option<Vec<u8>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let params = from_py(params)?;
        let actions = self.actions.clone();
        awaitable(py, async move { proxy_request(&actions, params, raw_body).await.map(RawOut) })
    }

    /// `upload_resumable`: `data` (bytes) or `file_path`, and an optional `on_progress(sent, total)`;
    /// returns `(status, headers, body)` of the provider's last answer.
    #[pyo3(signature = (params, data = None, file_path = None, on_progress = None))]
    fn upload_resumable<'py>(
        &self,
        py: Python<'py>,
        params: &Bound<'py, PyAny>,
        data: Option<Vec<u8>>,
        file_path: Option<std::path::PathBuf>,
        on_progress: Option<Py<PyAny>>,
    ) -> PyResult<Bound<'py, pyo3::types::PyTuple>> {
        let (params, data, progress) = upload_arguments(py, params, data, file_path, on_progress)?;
        let actions = self.actions.clone();
        let raw = block_on(py, async move { upload_resumable(&actions, params, data, progress).await })?;
        RawOut(raw).into_pyobject(py)
    }

    #[pyo3(signature = (params, data = None, file_path = None, on_progress = None))]
    fn upload_resumable_async<'py>(
        &self,
        py: Python<'py>,
        params: &Bound<'py, PyAny>,
        data: Option<Vec<u8>>,
        file_path: Option<std::path::PathBuf>,
        on_progress: Option<Py<PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (params, data, progress) = upload_arguments(py, params, data, file_path, on_progress)?;
        let actions = self.actions.clone();
        awaitable(py, async move { upload_resumable(&actions, params, data, progress).await.map(RawOut) })
    }

    /// Registers a modifier (`kind` is `"pre"` or `"post"`), chained in registration order.
    fn add_modifier(&self, py: Python<'_>, kind: &str, tool_names: Vec<String>, func: Py<PyAny>) -> PyResult<()> {
        let kind: ModifierKind = kind.parse().map_err(|e| crate::error::to_py_err(py, e))?;
        if !func.bind(py).is_callable() {
            return Err(PyValueError::new_err("modifier must be callable"));
        }
        self.actions.modifiers().add(kind, tool_names, Arc::new(crate::modifiers::PyModifier { func }));
        Ok(())
    }
}
