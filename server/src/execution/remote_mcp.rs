//! Runs a tool discovered on a remote MCP server: `tools/call` as the connected account (its
//! credential injected, through the egress policy, on a session kept per server and credential),
//! the answer mapped to our result — `structuredContent` as the data when the tool gives one, else
//! its `content` and text; `isError` is a tool error carrying the remote message, never a 500.

use std::collections::HashMap;
use std::time::Instant;

use serde_json::{json, Map, Value};

use agentkit_core::model::ToolErrorInfo;
use agentkit_core::{Error, ErrorKind, Result};

use crate::catalog::connectors::{CatalogTool, McpTransport, RemoteToolRef};
use crate::catalog::remote_tools::DiscoveredTools;
use crate::execution::mcp_client::{quoted, session_ended, McpEndpoint, McpSession};

/// How much of one remote answer a call reads, as a multiple of the tool's output cap (as for
/// HTTP tools: the answer is shaped and capped afterwards).
const ANSWER_BUDGET_FACTOR: usize = 8;

/// One call of a remote MCP tool: which tool, where, as whom.
pub struct RemoteCall<'a> {
    pub tool: &'a CatalogTool,
    pub remote: &'a RemoteToolRef,
    /// The connection's MCP endpoint.
    pub url: &'a str,
    /// The connected account the call runs as (sessions are never shared between accounts).
    pub account_id: &'a str,
    pub credential: Option<&'a (String, String)>,
    pub egress: &'a crate::egress::Egress,
    /// Told when the server says its tool list changed.
    pub discovered: &'a DiscoveredTools,
    /// Sessions kept from earlier calls.
    pub sessions: &'a RemoteSessions,
}

/// Runs the call with validated `input`: on the session this account last used with the server
/// (with this credential) when there is one (one round trip), else on a new one, kept for the next call. A session the
/// server ended (404) is replaced once: the request did not run.
pub async fn run_tool(call: &RemoteCall<'_>, input: &Map<String, Value>) -> Result<Value> {
    let key = SessionKey::of(call.account_id, call.url, call.credential);
    if let Some((session_id, protocol_version)) = call.sessions.get(&key) {
        let mut session = McpSession::resume(endpoint(call), session_id, protocol_version);
        let answer = session.call_tool(&call.remote.name, input).await;
        match answer {
            Err(e) if session_ended(&e) => call.sessions.forget(&key),
            answer => return finish(call, &session, answer),
        }
    }
    let mut session = McpSession::open(endpoint(call)).await?;
    let answer = session.call_tool(&call.remote.name, input).await;
    if let Some(resumable) = session.resumable() {
        call.sessions.keep(key, resumable);
    }
    finish(call, &session, answer)
}

fn endpoint<'a>(call: &RemoteCall<'a>) -> McpEndpoint<'a> {
    let limits = &call.tool.connector.limits;
    let max_output = limits.max_output_bytes.unwrap_or(crate::execution::limits::DEFAULT_MAX_OUTPUT_BYTES);
    McpEndpoint {
        egress: call.egress,
        url: call.url,
        credential: call.credential,
        timeout: limits.upstream_timeout(),
        max_answer_bytes: max_output.saturating_mul(ANSWER_BUDGET_FACTOR),
        name: &call.remote.connection,
        legacy_sse: call.tool.connector.mcp.as_ref().is_some_and(|m| m.transport == McpTransport::Sse),
    }
}

/// Notes a tool-list change the session saw, then maps the answer.
fn finish(call: &RemoteCall<'_>, session: &McpSession<'_>, answer: Result<Value>) -> Result<Value> {
    if session.tools_changed {
        call.discovered.request_refresh(&call.remote.connection);
    }
    answer_of(&call.tool.def.name, answer?)
}

/// Which calls may share a session: one account (a server may keep per-session state, even
/// without credentials), one server URL and one credential (a digest of it: the cache never holds
/// the secret), so a changed key never rides on a session opened with the old one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionKey {
    account_id: String,
    url: String,
    credential_digest: [u8; 32],
}

impl SessionKey {
    fn of(account_id: &str, url: &str, credential: Option<&(String, String)>) -> SessionKey {
        use sha2::Digest;
        let mut digest = sha2::Sha256::new();
        if let Some((name, value)) = credential {
            digest.update(name.to_ascii_lowercase().as_bytes());
            digest.update([0]);
            digest.update(value.as_bytes());
        }
        SessionKey {
            account_id: account_id.to_string(),
            url: url.to_string(),
            credential_digest: digest.finalize().into(),
        }
    }
}

/// Sessions kept for reuse.
const MAX_KEPT_SESSIONS: usize = 1024;

/// How long an unused session is kept (servers expire idle sessions; a stale one costs a retry).
const SESSION_IDLE: std::time::Duration = std::time::Duration::from_secs(300);

/// Open sessions with remote MCP servers, by account, server and credential: at most
/// [`MAX_KEPT_SESSIONS`], each dropped after [`SESSION_IDLE`] unused (the least recently used
/// first when full).
#[derive(Debug, Default)]
pub struct RemoteSessions {
    kept: std::sync::Mutex<HashMap<SessionKey, KeptSession>>,
}

#[derive(Debug)]
struct KeptSession {
    session_id: String,
    protocol_version: String,
    used: Instant,
}

impl RemoteSessions {
    fn get(&self, key: &SessionKey) -> Option<(String, String)> {
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        let entry = kept.get_mut(key).filter(|k| k.used.elapsed() < SESSION_IDLE)?;
        entry.used = Instant::now();
        Some((entry.session_id.clone(), entry.protocol_version.clone()))
    }

    fn keep(&self, key: SessionKey, (session_id, protocol_version): (String, String)) {
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        kept.retain(|_, k| k.used.elapsed() < SESSION_IDLE);
        if kept.len() >= MAX_KEPT_SESSIONS {
            if let Some(oldest) = kept.iter().min_by_key(|(_, k)| k.used).map(|(key, _)| key.clone()) {
                kept.remove(&oldest);
            }
        }
        kept.insert(key, KeptSession { session_id, protocol_version, used: Instant::now() });
    }

    fn forget(&self, key: &SessionKey) {
        self.kept.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
    }
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
    fn kept_sessions_are_per_account_and_credential_and_bounded() {
        let sessions = RemoteSessions::default();
        let alice = ("Authorization".to_string(), "Bearer a".to_string());
        let key = SessionKey::of("ca_1", "https://mcp.example.com/mcp", Some(&alice));
        sessions.keep(key.clone(), ("s1".into(), "2025-11-25".into()));
        assert_eq!(sessions.get(&key), Some(("s1".into(), "2025-11-25".into())));
        let rotated = ("Authorization".to_string(), "Bearer b".to_string());
        assert_eq!(sessions.get(&SessionKey::of("ca_1", "https://mcp.example.com/mcp", Some(&rotated))), None);
        assert_eq!(sessions.get(&SessionKey::of("ca_2", "https://mcp.example.com/mcp", Some(&alice))), None);
        assert_eq!(sessions.get(&SessionKey::of("ca_1", "https://mcp.example.com/mcp", None)), None);
        for n in 0..MAX_KEPT_SESSIONS + 10 {
            sessions.keep(SessionKey::of(&format!("ca_x{n}"), "u", None), (format!("s{n}"), "v".into()));
        }
        assert_eq!(sessions.kept.lock().unwrap().len(), MAX_KEPT_SESSIONS);
        sessions.forget(&SessionKey::of(&format!("ca_x{}", MAX_KEPT_SESSIONS + 9), "u", None));
        assert_eq!(sessions.kept.lock().unwrap().len(), MAX_KEPT_SESSIONS - 1);
    }

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
