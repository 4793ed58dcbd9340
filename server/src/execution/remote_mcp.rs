//! Runs a tool discovered on a remote MCP server: `tools/call` on a fresh session as the
//! connected account (its credential injected, through the egress policy), the answer mapped to
//! our result — `structuredContent` as the data when the tool gives one, else its `content` and
//! text; `isError` is a tool error carrying the remote message, never a 500.

use serde_json::{json, Map, Value};

use agentkit_core::model::ToolErrorInfo;
use agentkit_core::{Error, ErrorKind, Result};

use crate::catalog::connectors::{CatalogTool, RemoteToolRef};
use crate::catalog::remote_tools::DiscoveredTools;
use crate::execution::mcp_client::{quoted, McpEndpoint, McpSession};

/// How much of one remote answer a call reads, as a multiple of the tool's output cap (as for
/// HTTP tools: the answer is shaped and capped afterwards).
const ANSWER_BUDGET_FACTOR: usize = 8;

/// One call of a remote MCP tool: which tool, where, as whom.
pub struct RemoteCall<'a> {
    pub tool: &'a CatalogTool,
    pub remote: &'a RemoteToolRef,
    /// The connection's MCP endpoint.
    pub url: &'a str,
    pub credential: Option<&'a (String, String)>,
    pub egress: &'a crate::egress::Egress,
    /// Told when the server says its tool list changed.
    pub discovered: &'a DiscoveredTools,
}

/// Runs the call with validated `input`.
pub async fn run_tool(call: &RemoteCall<'_>, input: &Map<String, Value>) -> Result<Value> {
    let limits = &call.tool.connector.limits;
    let max_output = limits.max_output_bytes.unwrap_or(crate::execution::limits::DEFAULT_MAX_OUTPUT_BYTES);
    let endpoint = McpEndpoint {
        egress: call.egress,
        url: call.url,
        credential: call.credential,
        timeout: limits.upstream_timeout(),
        max_answer_bytes: max_output.saturating_mul(ANSWER_BUDGET_FACTOR),
        name: &call.remote.connection,
    };
    let mut session = McpSession::open(endpoint).await?;
    let answer = session.call_tool(&call.remote.name, input).await;
    if session.tools_changed {
        call.discovered.request_refresh(&call.remote.connection);
    }
    session.close();
    answer_of(&call.tool.def.name, answer?)
}

/// A `CallToolResult` as our tool answer (see the module comment).
fn answer_of(tool_name: &str, result: Value) -> Result<Value> {
    let content = result.get("content").cloned().unwrap_or_else(|| json!([]));
    let text: Vec<&str> = content
        .as_array()
        .into_iter()
        .flatten()
        .filter(|part| part.get("type").and_then(Value::as_str) == Some("text"))
        .filter_map(|part| part.get("text").and_then(Value::as_str))
        .collect();
    let text = text.join("\n");
    if result.get("isError").and_then(Value::as_bool).unwrap_or(false) {
        let message = if text.is_empty() { "the tool reported an error".to_string() } else { quoted(&text) };
        return Err(Error::new(
            ErrorKind::ToolExecution,
            format!("{tool_name} failed: the remote MCP tool reported: {message}"),
        )
        .with_status(400)
        .with_tool_error(ToolErrorInfo {
            execution_id: String::new(),
            tool_error_message: message,
            tool_error_code: "MCP_TOOL_ERROR".into(),
        }));
    }
    if let Some(structured @ Value::Object(_)) = result.get("structuredContent") {
        return Ok(structured.clone());
    }
    Ok(json!({"content": content, "text": text}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structured_content_is_the_data_and_is_error_a_tool_error() {
        let structured =
            json!({"content": [{"type": "text", "text": "{\"sum\": 3}"}], "structuredContent": {"sum": 3}});
        assert_eq!(answer_of("t", structured).unwrap(), json!({"sum": 3}));
        let plain = json!({"content": [{"type": "text", "text": "a"}, {"type": "image", "data": "x"}, {"type": "text", "text": "b"}]});
        assert_eq!(answer_of("t", plain).unwrap()["text"], "a\nb");
        let failed = answer_of("t", json!({"isError": true, "content": [{"type": "text", "text": "no such page"}]}));
        let e = failed.unwrap_err();
        assert_eq!((e.kind(), e.status()), (ErrorKind::ToolExecution, 400));
        assert_eq!(e.tool_error().unwrap().tool_error_message, "no such page");
    }
}
