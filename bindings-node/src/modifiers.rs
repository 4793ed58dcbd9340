//! JS functions as core [`ToolModifier`]s. The façade wraps every user modifier so it returns a
//! Promise (sync and async functions alike); the threadsafe function is weak, so a registered
//! modifier never keeps the process alive.

use async_trait::async_trait;
use napi::bindgen_prelude::Promise;
use napi::threadsafe_function::ThreadsafeFunction;
use serde_json::Value;

use agentkit_core::{Error, ErrorKind, ToolModifier};

pub type ModifierFn = ThreadsafeFunction<Value, Promise<Value>, Value, napi::Status, false, true>;

pub struct JsModifier {
    pub func: ModifierFn,
}

#[async_trait]
impl ToolModifier for JsModifier {
    async fn apply(&self, tool_name: &str, data: Value) -> agentkit_core::Result<Value> {
        let failed =
            |e: napi::Error| Error::new(ErrorKind::Hook, format!("modifier for {tool_name} failed: {}", e.reason));
        let promise = self.func.call_async_catch(data).await.map_err(failed)?;
        promise.await.map_err(failed)
    }
}
