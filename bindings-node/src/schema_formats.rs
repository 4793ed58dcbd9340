//! `formatTools`: tool definitions in a model vendor's format (conversion in core).

use napi_derive::napi;
use serde_json::Value;

use agentkit_core::schema_formats::{format_tools as convert, ToolFormat};

use crate::error::to_napi;

/// Converts tool definitions (`{name, description, input_schema}`) into `format`: `anthropic`,
/// `openai`, `openai_responses`, `openai_strict`, `gemini` or `json_schema`.
#[napi]
#[cfg_attr(test, allow(dead_code))]
pub fn format_tools(definitions: Vec<Value>, format: String) -> napi::Result<Vec<Value>> {
    let format: ToolFormat = format.parse().map_err(to_napi)?;
    convert(&definitions, format).map_err(to_napi)
}
