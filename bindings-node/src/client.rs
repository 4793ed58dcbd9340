//! `NativeClient`: one core [`Actions`] per JS `ScalekitClient`.

use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::Buffer;
use napi_derive::napi;
use serde_json::Value;

use agentkit_core::dispatch::{camel_case_keys, dispatch, proxy_request, Operation};
use agentkit_core::upload::{upload_resumable, Progress, UploadData};
use agentkit_core::{Actions, ClientOptions, Error, ErrorKind, ModifierKind, ScalekitClient};

use crate::error::to_napi;
use crate::modifiers::{JsModifier, ModifierFn};

/// A JS progress callback, called with `{sent, total}` and returning a Promise (the façade wraps
/// the user's function); weak, like modifiers.
pub type ProgressFn = napi::threadsafe_function::ThreadsafeFunction<
    Value,
    napi::bindgen_prelude::Promise<Value>,
    Value,
    napi::Status,
    false,
    true,
>;

fn millis(name: &str, v: Option<f64>, default: Duration) -> napi::Result<Duration> {
    match v {
        None => Ok(default),
        Some(ms) if ms.is_finite() && ms > 0.0 => Ok(Duration::from_millis(ms as u64)),
        Some(_) => {
            Err(to_napi(Error::invalid_field(name, format!("{name} must be a positive number of milliseconds"))))
        }
    }
}

/// A proxied answer: status, headers as `[name, value]` pairs, raw body.
#[napi(object)]
pub struct RawResponse {
    pub status: u32,
    pub headers: Vec<Vec<String>>,
    pub body: Buffer,
}

#[napi]
pub struct NativeClient {
    actions: Actions,
}

#[napi]
impl NativeClient {
    /// Validates settings; no network I/O.
    #[napi(constructor)]
    pub fn new(
        env_url: String,
        client_id: String,
        client_secret: String,
        timeout_ms: Option<f64>,
        tool_timeout_ms: Option<f64>,
        sdk_version: Option<String>,
    ) -> napi::Result<Self> {
        let defaults = ClientOptions::default();
        let mut options = ClientOptions {
            timeout: millis("timeoutMs", timeout_ms, defaults.timeout)?,
            tool_timeout: millis("toolTimeoutMs", tool_timeout_ms, defaults.tool_timeout)?,
            ..defaults
        };
        if let Some(v) = sdk_version {
            options.sdk_version = v;
        }
        let client = ScalekitClient::new(&env_url, &client_id, &client_secret, options).map_err(to_napi)?;
        Ok(NativeClient { actions: Actions::new(client) })
    }

    /// Fetches an access token now.
    #[napi]
    pub async fn authenticate(&self) -> napi::Result<()> {
        self.actions.client().authenticate().await.map_err(to_napi)
    }

    /// Runs an operation; the answer has lowerCamel keys (free-form JSON inside is untouched).
    #[napi]
    pub async fn call(&self, op: String, params: Value) -> napi::Result<Value> {
        let op: Operation = op.parse().map_err(to_napi)?;
        let value = dispatch(&self.actions, op, params).await.map_err(to_napi)?;
        Ok(camel_case_keys(value))
    }

    /// The proxied request.
    #[napi]
    pub async fn request(&self, params: Value, raw_body: Option<Buffer>) -> napi::Result<RawResponse> {
        let raw = proxy_request(&self.actions, params, raw_body.map(|b| b.to_vec())).await.map_err(to_napi)?;
        Ok(RawResponse {
            status: raw.status as u32,
            headers: raw.headers.into_iter().map(|(k, v)| vec![k, v]).collect(),
            body: raw.body.into(),
        })
    }

    /// `uploadResumable`: `data` or `filePath`, and an optional `onProgress({sent, total})`; resolves
    /// to the provider's last answer.
    #[napi]
    pub async fn upload_resumable(
        &self,
        params: Value,
        data: Option<Buffer>,
        file_path: Option<String>,
        on_progress: Option<ProgressFn>,
    ) -> napi::Result<RawResponse> {
        let data = match (data, file_path) {
            (Some(bytes), None) => UploadData::Bytes(bytes.to_vec()),
            (None, Some(path)) => UploadData::File(path.into()),
            _ => {
                return Err(to_napi(Error::invalid_field("data", "give the data to upload or a filePath, one of them")))
            }
        };
        let progress = on_progress.map(|func| -> Progress {
            Arc::new(move |sent, total| {
                // The callback runs on the JS thread; its exception stops the upload.
                let report =
                    async { func.call_async_catch(serde_json::json!({"sent": sent, "total": total})).await?.await };
                tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(report))
                    .map(|_| ())
                    .map_err(|e| Error::new(ErrorKind::Hook, format!("onProgress failed: {}", e.reason)))
            })
        });
        let raw = upload_resumable(&self.actions, params, data, progress).await.map_err(to_napi)?;
        Ok(RawResponse {
            status: raw.status as u32,
            headers: raw.headers.into_iter().map(|(k, v)| vec![k, v]).collect(),
            body: raw.body.into(),
        })
    }

    /// Registers a modifier (`kind` is `"pre"` or `"post"`); `func` must return a Promise.
    #[napi]
    pub fn add_modifier(&self, kind: String, tool_names: Vec<String>, func: ModifierFn) -> napi::Result<()> {
        let kind: ModifierKind = kind.parse().map_err(to_napi)?;
        self.actions.modifiers().add(kind, tool_names, Arc::new(JsModifier { func }));
        Ok(())
    }
}
