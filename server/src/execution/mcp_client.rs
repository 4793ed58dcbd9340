//! A small MCP client (streamable HTTP) for remote MCP servers: `initialize`, `tools/list` (all
//! pages) and `tools/call`, one JSON-RPC request per POST, the answer read as a JSON body or as
//! the SSE events of the call's stream.
//!
//! Written here rather than on the `rmcp` SDK's client: every byte to a remote server must go out
//! through [`Egress`] (its URL and DNS checks live in `OutboundRequest::send`, not in a plain
//! `reqwest::Client` rmcp could be handed), and every answer must be read with a byte bound —
//! rmcp's reqwest transport reads JSON answers and SSE streams without one, so plugging our client
//! in would still mean writing its POST / SSE plumbing. What we need is three requests.
//!
//! Every read from the network is bounded: the answer's bytes (`max_answer_bytes`), an error
//! body, the session id, quoted remote messages, `tools/list` pages and tools; the whole request
//! has a deadline.

use std::time::Duration;

use serde_json::{json, Value};

use agentkit_core::model::ToolErrorInfo;
use agentkit_core::{Error, ErrorKind, Result};

use crate::egress::Egress;

/// The protocol revision asked for in `initialize`.
pub const REQUESTED_VERSION: &str = "2025-11-25";

/// Revisions a streamable-HTTP server may answer with (2024-11-05 is the legacy SSE transport's).
const ACCEPTED_VERSIONS: &[&str] = &["2025-11-25", "2025-06-18", "2025-03-26"];

/// Revisions a legacy HTTP+SSE server may answer with.
const LEGACY_ACCEPTED_VERSIONS: &[&str] = &["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];

/// Most bytes of a non-2xx answer read (to quote the server's reason).
const ERROR_BODY_MAX_BYTES: usize = 16 * 1024;

/// Most characters of a remote text (error message, reason) quoted in our messages.
const QUOTED_MAX_CHARS: usize = 1000;

/// Longest `Mcp-Session-Id` accepted (the spec allows visible ASCII only).
const SESSION_ID_MAX_LEN: usize = 256;

/// Longest `nextCursor` sent back.
const CURSOR_MAX_LEN: usize = 4096;

/// Where and as whom a session talks to a remote MCP server.
pub struct McpEndpoint<'a> {
    pub egress: &'a Egress,
    pub url: &'a str,
    /// The header carrying the account's credential, when the server takes one.
    pub credential: Option<&'a (String, String)>,
    /// Each request's whole deadline (connecting to the end of its answer).
    pub timeout: Duration,
    /// Most bytes of one answer read (a JSON body, or an SSE stream up to our response).
    pub max_answer_bytes: usize,
    /// Names the server in messages (the connection).
    pub name: &'a str,
    /// The legacy HTTP+SSE transport (2024-11-05): `url` is the event stream, whose `endpoint`
    /// event names where messages are POSTed; answers come on the stream.
    pub legacy_sse: bool,
}

/// The open event stream of a legacy HTTP+SSE session and where its messages go.
struct LegacyStream {
    events: EventStream,
    post_url: String,
}

/// An initialized session with a remote MCP server.
pub struct McpSession<'a> {
    endpoint: McpEndpoint<'a>,
    session_id: Option<String>,
    protocol_version: String,
    next_id: u64,
    /// The server sent `notifications/tools/list_changed` on one of this session's answers.
    pub tools_changed: bool,
    /// Set on a legacy HTTP+SSE session.
    legacy: Option<LegacyStream>,
    /// The server said in `initialize` that it sends `notifications/tools/list_changed`.
    pub server_lists_changes: bool,
}

/// How waiting on a session's standalone stream ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamEnd {
    /// The server said its tool list changed.
    ToolsChanged,
    /// The stream closed or ran past its lifetime: open a new one.
    Closed,
    /// The server offers no standalone stream (405).
    Unsupported,
}

/// Bounds of one `tools/list` walk.
pub struct ListBounds {
    pub max_pages: usize,
    pub max_tools: usize,
}

impl<'a> McpSession<'a> {
    /// `initialize` then `notifications/initialized`; the server's protocol revision must be one
    /// we speak.
    pub async fn open(endpoint: McpEndpoint<'a>) -> Result<McpSession<'a>> {
        let mut session = McpSession {
            endpoint,
            session_id: None,
            protocol_version: REQUESTED_VERSION.to_string(),
            next_id: 0,
            tools_changed: false,
            legacy: None,
            server_lists_changes: false,
        };
        if session.endpoint.legacy_sse {
            session.legacy = Some(session.connect_legacy().await?);
        }
        let params = json!({
            "protocolVersion": REQUESTED_VERSION,
            "capabilities": {},
            "clientInfo": {"name": "agentkit-gateway", "version": env!("CARGO_PKG_VERSION")},
        });
        let result = session.request("initialize", params).await?;
        let version = result.get("protocolVersion").and_then(Value::as_str).unwrap_or_default();
        let accepted = if session.legacy.is_some() { LEGACY_ACCEPTED_VERSIONS } else { ACCEPTED_VERSIONS };
        if !accepted.contains(&version) {
            return Err(session.failure(
                "initialize",
                format!("the server speaks protocol {:?}, not one of {}", quoted(version), accepted.join(", ")),
            ));
        }
        session.protocol_version = version.to_string();
        session.server_lists_changes = result.pointer("/capabilities/tools/listChanged") == Some(&Value::Bool(true));
        session.notify("notifications/initialized").await?;
        Ok(session)
    }

    /// A session `open` made earlier (its id and protocol revision), to send more requests on.
    pub fn resume(endpoint: McpEndpoint<'a>, session_id: String, protocol_version: String) -> McpSession<'a> {
        McpSession {
            endpoint,
            session_id: Some(session_id),
            protocol_version,
            next_id: 0,
            tools_changed: false,
            legacy: None,
            server_lists_changes: false,
        }
    }

    /// The server's id for this session and the protocol revision (to resume it), when it gave one.
    pub fn resumable(&self) -> Option<(String, String)> {
        Some((self.session_id.clone()?, self.protocol_version.clone()))
    }

    /// Every tool the server lists, following `nextCursor` within `bounds`.
    pub async fn list_tools(&mut self, bounds: &ListBounds) -> Result<Vec<Value>> {
        let mut tools: Vec<Value> = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..bounds.max_pages {
            let params = match &cursor {
                Some(cursor) => json!({"cursor": cursor}),
                None => json!({}),
            };
            let result = self.request("tools/list", params).await?;
            let Some(listed) = result.get("tools").and_then(Value::as_array) else {
                return Err(self.failure("tools/list", "the answer has no `tools` array"));
            };
            if tools.len().saturating_add(listed.len()) > bounds.max_tools {
                return Err(self.failure(
                    "tools/list",
                    format!("the server lists more than {} tools, the most the gateway takes", bounds.max_tools),
                ));
            }
            tools.extend(listed.iter().cloned());
            match result.get("nextCursor").and_then(Value::as_str).filter(|c| !c.is_empty()) {
                Some(next) if next.len() > CURSOR_MAX_LEN => {
                    return Err(self.failure("tools/list", format!("nextCursor is longer than {CURSOR_MAX_LEN} bytes")))
                }
                Some(next) => cursor = Some(next.to_string()),
                None => return Ok(tools),
            }
        }
        Err(self.failure(
            "tools/list",
            format!("the tool list has more than {} pages, the most the gateway reads", bounds.max_pages),
        ))
    }

    /// Waits on the session's standalone stream (a GET: where servers send notifications that
    /// answer no request) until the server says its tool list changed, the stream ends, or
    /// `lifetime` passes; the stream is read within the answer budget.
    pub async fn wait_for_tools_change(&mut self, lifetime: Duration) -> Result<StreamEnd> {
        let step = "listen";
        let e = &self.endpoint;
        let mut request = e
            .egress
            .get(e.url)
            .timeout(lifetime)
            .header("accept", "text/event-stream")
            .header("mcp-protocol-version", self.protocol_version.as_str());
        if let Some(id) = &self.session_id {
            request = request.header("mcp-session-id", id.as_str());
        }
        if let Some((name, value)) = e.credential {
            request = request.header(name.as_str(), value.as_str());
        }
        let response = request.send().await.map_err(|err| self.step_error(step, err))?;
        let status = response.status().as_u16();
        if status == 405 {
            return Ok(StreamEnd::Unsupported);
        }
        if !(200..300).contains(&status) {
            let body = crate::egress::read_bounded(response, ERROR_BODY_MAX_BYTES).await.unwrap_or_default();
            return Err(self.http_failure(step, status, &body));
        }
        let mut events = EventStream::new(response, e.max_answer_bytes);
        loop {
            let event = match events.next().await {
                Ok(Some(event)) => event,
                Ok(None) => return Ok(StreamEnd::Closed),
                // The lifetime ran out: an ordinary end. A stream past its byte budget is an error
                // (the listener backs off instead of reopening at once).
                Err(err) if err.kind() == ErrorKind::Timeout => return Ok(StreamEnd::Closed),
                Err(err) => return Err(self.step_error(step, err)),
            };
            let method = serde_json::from_str::<Value>(&event.data)
                .ok()
                .and_then(|m| m.get("method").and_then(Value::as_str).map(String::from));
            if method.as_deref() == Some("notifications/tools/list_changed") {
                return Ok(StreamEnd::ToolsChanged);
            }
        }
    }

    /// `tools/call`: the server's `CallToolResult` as it answered it.
    pub async fn call_tool(&mut self, name: &str, arguments: &serde_json::Map<String, Value>) -> Result<Value> {
        self.request("tools/call", json!({"name": name, "arguments": arguments})).await
    }

    /// Ends the session on the server (a DELETE, in the background; failures do not matter: the
    /// server expires idle sessions anyway).
    pub fn close(self) {
        let Some(session_id) = self.session_id else { return };
        let e = &self.endpoint;
        let mut request = e
            .egress
            .request(reqwest::Method::DELETE, e.url)
            .timeout(Duration::from_secs(5))
            .header("mcp-session-id", session_id)
            .header("mcp-protocol-version", self.protocol_version.as_str());
        if let Some((name, value)) = e.credential {
            request = request.header(name.as_str(), value.as_str());
        }
        tokio::spawn(async move {
            let _ = request.send().await;
        });
    }

    /// One JSON-RPC request; its `result`, or an error naming the step.
    async fn request(&mut self, method: &str, params: Value) -> Result<Value> {
        self.next_id = self.next_id.saturating_add(1);
        let id = self.next_id;
        let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        if self.legacy.is_some() {
            // The POST is only accepted (202); the answer comes on the session's event stream.
            drop(self.post(method, &body).await?);
            let message = self.read_legacy(method, id).await?;
            return self.result_of(method, message);
        }
        let response = self.post(method, &body).await?;
        if method == "initialize" {
            self.session_id = self.session_id_of(&response)?;
        }
        let is_stream = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("text/event-stream"));
        let message = if is_stream {
            self.read_stream(method, response, id).await?
        } else {
            let bytes = crate::egress::read_bounded(response, self.endpoint.max_answer_bytes)
                .await
                .map_err(|e| self.step_error(method, e))?;
            let body: Value = serde_json::from_slice(&bytes)
                .map_err(|e| self.failure(method, format!("the answer is not JSON ({e})")))?;
            match body {
                // A batch answer: ours is the element with our id.
                Value::Array(messages) => messages.into_iter().find(|m| is_response_to(m, id)).unwrap_or(Value::Null),
                single => single,
            }
        };
        self.result_of(method, message)
    }

    /// A notification (no answer expected beyond 202).
    async fn notify(&mut self, method: &str) -> Result<()> {
        self.post(method, &json!({"jsonrpc": "2.0", "method": method})).await.map(drop)
    }

    async fn post(&self, step: &str, body: &Value) -> Result<reqwest::Response> {
        let e = &self.endpoint;
        let url = self.legacy.as_ref().map_or(e.url, |legacy| legacy.post_url.as_str());
        let mut request =
            e.egress.post(url).timeout(e.timeout).header("accept", "application/json, text/event-stream").json(body);
        if step != "initialize" && self.legacy.is_none() {
            request = request.header("mcp-protocol-version", self.protocol_version.as_str());
        }
        if let Some(id) = &self.session_id {
            request = request.header("mcp-session-id", id.as_str());
        }
        if let Some((name, value)) = e.credential {
            request = request.header(name.as_str(), value.as_str());
        }
        let response = request.send().await.map_err(|err| self.step_error(step, err))?;
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(response);
        }
        let body = crate::egress::read_bounded(response, ERROR_BODY_MAX_BYTES).await.unwrap_or_default();
        Err(self.http_failure(step, status, &body))
    }

    /// The server's session id, when it gave one: visible ASCII, bounded.
    fn session_id_of(&self, response: &reqwest::Response) -> Result<Option<String>> {
        let Some(value) = response.headers().get("mcp-session-id") else { return Ok(None) };
        let text = value.to_str().unwrap_or_default();
        let visible = !text.is_empty() && text.bytes().all(|b| (0x21..=0x7e).contains(&b));
        if !visible || text.len() > SESSION_ID_MAX_LEN {
            return Err(self.failure(
                "initialize",
                format!("Mcp-Session-Id must be 1 to {SESSION_ID_MAX_LEN} visible ASCII characters"),
            ));
        }
        Ok(Some(text.to_string()))
    }

    /// Reads an SSE answer until the response to `id` (notifications before it are noted; a
    /// `tools/list_changed` marks the session), within the answer budget.
    async fn read_stream(&mut self, step: &str, response: reqwest::Response, id: u64) -> Result<Value> {
        let mut events = EventStream::new(response, self.endpoint.max_answer_bytes);
        self.read_until_response(step, &mut events, id).await
    }

    /// Reads the legacy session's stream until the response to `id`.
    async fn read_legacy(&mut self, step: &str, id: u64) -> Result<Value> {
        let Some(mut legacy) = self.legacy.take() else {
            return Err(self.failure(step, "the session has no event stream"));
        };
        let message = self.read_until_response(step, &mut legacy.events, id).await;
        self.legacy = Some(legacy);
        message
    }

    async fn read_until_response(&mut self, step: &str, events: &mut EventStream, id: u64) -> Result<Value> {
        loop {
            let Some(event) = events.next().await.map_err(|e| self.step_error(step, e))? else {
                return Err(self.failure(step, "the answer stream ended without a response"));
            };
            let Ok(message) = serde_json::from_str::<Value>(&event.data) else {
                tracing::debug!(server = %self.endpoint.name, "remote MCP event that is not JSON ignored");
                continue;
            };
            if message.get("method").and_then(Value::as_str) == Some("notifications/tools/list_changed") {
                self.tools_changed = true;
            } else if is_response_to(&message, id) {
                return Ok(message);
            }
        }
    }

    /// Opens a legacy session's event stream (a GET) and reads its `endpoint` event: where this
    /// session's messages go, on the stream's own origin (the credential goes nowhere else).
    async fn connect_legacy(&self) -> Result<LegacyStream> {
        let step = "connect";
        let e = &self.endpoint;
        let mut request = e.egress.get(e.url).timeout(e.timeout).header("accept", "text/event-stream");
        if let Some((name, value)) = e.credential {
            request = request.header(name.as_str(), value.as_str());
        }
        let response = request.send().await.map_err(|err| self.step_error(step, err))?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            let body = crate::egress::read_bounded(response, ERROR_BODY_MAX_BYTES).await.unwrap_or_default();
            return Err(self.http_failure(step, status, &body));
        }
        let mut events = EventStream::new(response, e.max_answer_bytes);
        let endpoint = loop {
            match events.next().await.map_err(|err| self.step_error(step, err))? {
                Some(event) if event.event == "endpoint" => break event.data,
                Some(_) => continue,
                None => return Err(self.failure(step, "the event stream ended before its `endpoint` event")),
            }
        };
        let base = url::Url::parse(e.url).map_err(|_| self.failure(step, "the server URL is not absolute"))?;
        let post_url = base
            .join(endpoint.trim())
            .ok()
            .filter(|joined| joined.origin() == base.origin())
            .ok_or_else(|| self.failure(step, "the `endpoint` event names no URL on the stream's own origin"))?;
        Ok(LegacyStream { events, post_url: post_url.to_string() })
    }

    fn result_of(&self, step: &str, message: Value) -> Result<Value> {
        if let Some(error) = message.get("error") {
            let code = error.get("code").and_then(Value::as_i64).unwrap_or_default();
            let text = error.get("message").and_then(Value::as_str).unwrap_or_default();
            return Err(self
                .failure(step, format!("the server answered error {code}: {}", quoted(text)))
                .with_tool_error(ToolErrorInfo {
                    execution_id: String::new(),
                    tool_error_message: quoted(text),
                    tool_error_code: code.to_string(),
                }));
        }
        match message {
            Value::Object(mut fields) => match fields.remove("result") {
                Some(result @ Value::Object(_)) => Ok(result),
                _ => Err(self.failure(step, "the answer has no result object")),
            },
            _ => Err(self.failure(step, "the answer holds no response to the request")),
        }
    }

    fn prefix(&self, step: &str) -> String {
        format!("remote MCP server {:?}: {step}", self.endpoint.name)
    }

    /// A protocol failure of the server (it answered, but not as MCP says): a 502 tool error.
    fn failure(&self, step: &str, why: impl Into<String>) -> Error {
        let why = why.into();
        Error::new(ErrorKind::ToolExecution, format!("{}: {why}", self.prefix(step))).with_status(502).with_tool_error(
            ToolErrorInfo { execution_id: String::new(), tool_error_message: why, tool_error_code: "502".into() },
        )
    }

    /// A transport error (refused by egress, unreachable, timed out, too large) naming the step,
    /// its kind, status and code kept.
    fn step_error(&self, step: &str, e: Error) -> Error {
        Error::new(e.kind(), format!("{}: {}", self.prefix(step), e.message()))
            .with_status(e.status())
            .with_error_code(e.error_code().to_string())
    }

    /// A non-2xx answer: 401/403 stay (the account's credential was refused), the rest is a 502.
    fn http_failure(&self, step: &str, status: u16, body: &[u8]) -> Error {
        let reason = serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|b| {
                let found = b.pointer("/error/message").or_else(|| b.get("error")).or_else(|| b.get("message"))?;
                Some(found.as_str().map(String::from).unwrap_or_else(|| found.to_string()))
            })
            .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
        let reason = quoted(reason.trim());
        let hint = match status {
            401 | 403 => " (the connected account's credential was refused: update it)",
            404 if self.session_id.is_some() => " (the session ended on the server)",
            _ => "",
        };
        let relayed = if matches!(status, 401 | 403) { status } else { 502 };
        let code =
            if status == 404 && self.session_id.is_some() { SESSION_ENDED.to_string() } else { status.to_string() };
        Error::new(
            ErrorKind::ToolExecution,
            format!("{}: the server answered HTTP {status}{hint}: {reason}", self.prefix(step)),
        )
        .with_status(relayed)
        .with_tool_error(ToolErrorInfo {
            execution_id: String::new(),
            tool_error_message: reason,
            tool_error_code: code,
        })
    }
}

/// The `tool_error_code` of a 404 on a request that carried a session id: the server ended the
/// session, and did not run the request (it may be sent again on a new session).
const SESSION_ENDED: &str = "MCP_SESSION_ENDED";

/// Whether `e` says the server no longer knows the session the request was sent on.
pub fn session_ended(e: &Error) -> bool {
    e.tool_error().is_some_and(|t| t.tool_error_code == SESSION_ENDED)
}

/// Whether `message` is the JSON-RPC response to request `id`.
fn is_response_to(message: &Value, id: u64) -> bool {
    message.get("id").and_then(Value::as_u64) == Some(id)
        && (message.get("result").is_some() || message.get("error").is_some())
}

/// A remote text cut to [`QUOTED_MAX_CHARS`] characters.
pub fn quoted(text: &str) -> String {
    match text.char_indices().nth(QUOTED_MAX_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

/// One server-sent event: its type (`message` when not named) and its data lines joined by `\n`.
struct SseEvent {
    event: String,
    data: String,
}

/// Server-sent events split from a byte stream (`id`, `retry` and comments ignored; lines end
/// with LF or CRLF).
#[derive(Default)]
struct SseEvents {
    line: Vec<u8>,
    event: String,
    data: Option<String>,
}

impl SseEvents {
    /// The events completed by `chunk`.
    fn push(&mut self, chunk: &[u8]) -> Vec<SseEvent> {
        let mut done = Vec::new();
        for &byte in chunk {
            if byte != b'\n' {
                self.line.push(byte);
                continue;
            }
            let line = std::mem::take(&mut self.line);
            let line = String::from_utf8_lossy(line.strip_suffix(b"\r").unwrap_or(&line)).into_owned();
            if line.is_empty() {
                let event = std::mem::take(&mut self.event);
                if let Some(data) = self.data.take() {
                    done.push(SseEvent { event: if event.is_empty() { "message".into() } else { event }, data });
                }
            } else if let Some(value) = line.strip_prefix("data:") {
                let value = value.strip_prefix(' ').unwrap_or(value);
                match &mut self.data {
                    Some(data) => {
                        data.push('\n');
                        data.push_str(value);
                    }
                    None => self.data = Some(value.to_string()),
                }
            } else if let Some(value) = line.strip_prefix("event:") {
                self.event = value.trim().to_string();
            }
        }
        done
    }
}

/// The events of an SSE answer, read chunk by chunk up to `max_bytes` in all.
struct EventStream {
    response: reqwest::Response,
    parser: SseEvents,
    ready: std::collections::VecDeque<SseEvent>,
    read: usize,
    max_bytes: usize,
}

impl EventStream {
    fn new(response: reqwest::Response, max_bytes: usize) -> EventStream {
        EventStream { response, parser: SseEvents::default(), ready: Default::default(), read: 0, max_bytes }
    }

    /// The next event, `None` at the end of the stream; an error when reading fails or the
    /// stream grows past its budget.
    async fn next(&mut self) -> Result<Option<SseEvent>> {
        loop {
            if let Some(event) = self.ready.pop_front() {
                return Ok(Some(event));
            }
            let chunk = self.response.chunk().await.map_err(|e| {
                let kind = if e.is_timeout() { ErrorKind::Timeout } else { ErrorKind::Unavailable };
                Error::new(kind, format!("reading the answer: {}", e.without_url()))
            })?;
            let Some(chunk) = chunk else { return Ok(None) };
            self.read = self.read.saturating_add(chunk.len());
            if self.read > self.max_bytes {
                return Err(Error::new(
                    ErrorKind::Server,
                    format!("the answer is larger than the gateway reads ({} bytes)", self.max_bytes),
                )
                .with_status(502)
                .with_error_code("UPSTREAM_ANSWER_TOO_LARGE"));
            }
            self.ready.extend(self.parser.push(&chunk));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_events_join_data_lines_across_chunks() {
        let mut events = SseEvents::default();
        assert!(events.push(b"event: endpoint\r\ndata: {\"a\":").is_empty());
        let done = events.push(b"\r\ndata: 1}\r\n\r\n: comment\n\ndata:x\n\n");
        let done: Vec<(&str, &str)> = done.iter().map(|e| (e.event.as_str(), e.data.as_str())).collect();
        assert_eq!(done, [("endpoint", "{\"a\":\n1}"), ("message", "x")]);
    }

    #[test]
    fn quoted_cuts_long_remote_text_on_a_character() {
        assert_eq!(quoted("short"), "short");
        let long = "é".repeat(QUOTED_MAX_CHARS + 5);
        assert_eq!(quoted(&long).chars().count(), QUOTED_MAX_CHARS + 1);
    }
}
