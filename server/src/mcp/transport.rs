//! The MCP servers: per-user instance URLs (`/mcp/v1/{key}`, the key is the secret) and config
//! URLs (`/mcp/v1/configs/{id}` with a config session token as bearer).
//!
//! Transports on the same URL:
//! * Streamable HTTP (protocol 2025-03-26, 2025-06-18, 2025-11-25): `POST` JSON-RPC, answered as
//!   JSON or, for clients that only accept `text/event-stream`, as one SSE event; sessions by
//!   `Mcp-Session-Id`; `DELETE` ends a session; `GET` with a session id gets 405 (no server stream).
//! * Legacy HTTP+SSE (2024-11-05): `GET` without a session id (or `…/sse`) opens the event stream,
//!   whose first event `endpoint` names `…/messages?sessionId=`; answers travel on the stream.
//!
//! * Protocol 2026-07-28 (`modern.rs`): self-contained POSTs, no session.
//!
//! `tools/list` is the config's tools; `tools/call` runs the tool as the URL's user. A connection
//! the user has not authorized yields a tool error carrying an authorization link.

use std::convert::Infallible;
use tracing::Instrument;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use axum::Json;
use serde_json::{json, Value};

use super::tools::{call_tool, exposed_tools, rpc_error, rpc_result, tool_descriptor, Target, PROTOCOL_VERSIONS};
use crate::credentials::tokens::now_unix;
use crate::credentials::tokens::SessionClaims;
use crate::mcp::sessions::{
    EndWithStream, QueueFull, SessionStream, Sessions, MAX_BATCH, SESSIONS_PER_URL, SESSION_IDLE_TTL,
};
use crate::state::{AppState, SharedState};

const SESSION_HEADER: &str = "mcp-session-id";
const VERSION_HEADER: &str = "mcp-protocol-version";
/// The revision of the HTTP+SSE transport (clients of it send no version header).
const LEGACY_SSE_VERSION: &str = "2024-11-05";
/// What a Streamable HTTP request without the version header is taken to speak (the spec's rule).
const LEGACY_DEFAULT_VERSION: &str = "2025-03-26";

pub(super) fn http_error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32000, "message": message}}))).into_response()
}

/// Browsers must not reach a user's MCP server from other sites (DNS rebinding): an `Origin`, when
/// sent, must be local or the gateway's own.
fn origin_allowed(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else { return true };
    let Ok(url) = url::Url::parse(origin) else { return false };
    let host = url.host_str().unwrap_or_default();
    let own = url::Url::parse(&state.public_url).ok().and_then(|u| u.host_str().map(String::from)).unwrap_or_default();
    matches!(host, "localhost" | "127.0.0.1" | "[::1]" | "::1") || host == own
}

async fn instance_target(state: &AppState, key: &str) -> Result<Target, Response> {
    let not_found = || http_error(StatusCode::NOT_FOUND, "unknown or revoked MCP server URL");
    let instance = state.store.mcp_instance_by_key(key).await.map_err(|_| not_found())?.ok_or_else(not_found)?;
    let config = state.store.mcp_config(&instance.config_id).await.map_err(|_| not_found())?.ok_or_else(not_found)?;
    crate::telemetry::record_actor(&format!("mcp:{}", instance.user_identifier));
    Ok(Target { config, user: instance.user_identifier, read_only: false, owner: instance.id })
}

/// The bearer token of a request to an MCP URL (empty when there is none).
fn bearer(headers: &HeaderMap) -> &str {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
}

/// The user and read-only flag of a live session token minted for `scope` (a config id or a
/// connection's scope); `None` for anything else.
fn session_user(state: &AppState, token: &str, scope: &str) -> Option<(String, bool)> {
    let claims: SessionClaims = state.signer.verify(token).ok()?;
    (claims.exp >= now_unix() && claims.cfg == scope)
        .then(|| (claims.sub, claims.lvl == crate::credentials::tokens::AccessLevel::ReadOnly))
}

async fn config_target(state: &AppState, id: &str, headers: &HeaderMap) -> Result<Target, Response> {
    let token = bearer(headers);
    let unauthorized = || {
        let mut response =
            http_error(StatusCode::UNAUTHORIZED, "a valid config session token or OAuth access token is required");
        // With OAuth for MCP clients on, the 401 says where to sign in (RFC 9728).
        if let Some(challenge) = super::oauth::challenge(state, id, !token.is_empty()) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, challenge);
        }
        response
    };
    let (user, read_only) = if let Some(claims) = super::oauth::verify_access_token(state, token, id).await {
        (claims.sub, false)
    } else {
        session_user(state, token, id).ok_or_else(unauthorized)?
    };
    let config = state
        .store
        .mcp_config(id)
        .await
        .ok()
        .flatten()
        .ok_or_else(|| http_error(StatusCode::NOT_FOUND, "unknown MCP config"))?;
    crate::telemetry::record_actor(&format!("mcp:{user}"));
    Ok(Target { owner: config.id.clone(), config, user, read_only })
}

/// A connection's own MCP server: every tool of the connection, as the session token's user.
async fn connection_target(state: &AppState, name: &str, headers: &HeaderMap) -> Result<Target, Response> {
    let scope = crate::domain::mcp::connection_scope(name);
    let (user, read_only) = session_user(state, bearer(headers), &scope)
        .ok_or_else(|| http_error(StatusCode::UNAUTHORIZED, "a valid connection session token is required"))?;
    let connection = state
        .registry()
        .connections
        .get(name)
        .cloned()
        .ok_or_else(|| http_error(StatusCode::NOT_FOUND, "unknown connection"))?;
    let mapping = agentkit_core::model::McpConfigConnectionToolMapping {
        connection_name: connection.name.clone(),
        ..Default::default()
    };
    let config = crate::store::mcp::ConfigRecord {
        id: scope.clone(),
        name: connection.name.clone(),
        description: String::new(),
        mappings: vec![mapping],
    };
    crate::telemetry::record_actor(&format!("mcp:{user}"));
    Ok(Target { owner: scope, config, user, read_only })
}

/// Handles one JSON-RPC message; `None` for notifications and client responses.
async fn handle(state: &AppState, target: &Target, msg: &Value, version: &str) -> Option<Value> {
    let started = std::time::Instant::now();
    let method = msg.get("method").and_then(Value::as_str).unwrap_or_default();
    let version = match method {
        "initialize" => negotiated_version(msg),
        _ => version,
    };
    let answer = answer(state, target, msg).instrument(mcp_span(msg, method, version)).await;
    crate::telemetry::metrics::mcp_request(method_label(method), version_label(version), started.elapsed());
    answer
}

/// MCP methods counted under their own name in metrics; anything else a client sends is `other`
/// (a label per arbitrary string would let clients grow the metrics without bound).
const COUNTED_METHODS: &[&str] = &[
    "initialize",
    "ping",
    "server/discover",
    "tools/list",
    "tools/call",
    "notifications/initialized",
    "notifications/cancelled",
];

fn method_label(method: &str) -> &'static str {
    COUNTED_METHODS.iter().find(|m| **m == method).copied().unwrap_or("other")
}

fn version_label(version: &str) -> &'static str {
    super::modern::all_versions().find(|v| *v == version).unwrap_or("other")
}

/// A span per MCP request, named by its method (MCP's OpenTelemetry conventions), continuing
/// the trace of a W3C `traceparent` in `_meta`.
fn mcp_span(msg: &Value, method: &str, version: &str) -> tracing::Span {
    let span = tracing::info_span!(
        target: crate::telemetry::traces::SPAN_TARGET,
        "mcp",
        otel.name = method_label(method),
        otel.kind = "server",
        mcp.method.name = method_label(method),
        mcp.protocol.version = version_label(version),
    );
    let traceparent = msg.pointer("/params/_meta/traceparent").and_then(Value::as_str);
    let tracestate = msg.pointer("/params/_meta/tracestate").and_then(Value::as_str);
    crate::telemetry::traces::continue_trace(&span, traceparent, tracestate);
    span
}

/// The revision an `initialize` settles on: the client's when we speak it, else our newest.
fn negotiated_version(msg: &Value) -> &'static str {
    let requested = msg.pointer("/params/protocolVersion").and_then(Value::as_str).unwrap_or_default();
    PROTOCOL_VERSIONS.iter().find(|v| **v == requested).copied().unwrap_or(PROTOCOL_VERSIONS[0])
}

/// The answer to one message.
async fn answer(state: &AppState, target: &Target, msg: &Value) -> Option<Value> {
    let id = msg.get("id")?.clone();
    let method = msg.get("method").and_then(Value::as_str)?;
    let params = msg.get("params").cloned().unwrap_or(Value::Null);
    Some(match method {
        "initialize" => {
            let version = negotiated_version(msg);
            rpc_result(
                &id,
                json!({
                    "protocolVersion": version,
                    "capabilities": {"tools": {"listChanged": false}},
                    "serverInfo": {"name": "agentkit", "title": "AgentKit", "version": env!("CARGO_PKG_VERSION")},
                    "instructions": format!("Tools of MCP config {:?}, acting for user {:?}.", target.config.name, target.user),
                }),
            )
        }
        "ping" => rpc_result(&id, json!({})),
        "tools/list" => {
            let tools: Vec<Value> = exposed_tools(state, target).iter().map(|(t, _)| tool_descriptor(t)).collect();
            rpc_result(&id, json!({"tools": tools}))
        }
        "tools/call" => match call_tool(state, target, &params).await {
            Ok(outcome) => rpc_result(&id, outcome.into_tool_result()),
            Err((code, message)) => rpc_error(&id, code, message),
        },
        other => rpc_error(&id, -32601, format!("Method not found: {other}")),
    })
}

/// A JSON-RPC "invalid request" naming where a message holds a NUL character (see `input_text`).
fn refuse_nul(body: &[u8], parsed: &Value) -> Option<Response> {
    if !crate::input_text::json_has_nul(body) {
        return None;
    }
    let path = crate::input_text::nul_path(parsed)?;
    let id = parsed.get("id").cloned().unwrap_or(Value::Null);
    let message = crate::input_text::nul_refused(&path).message().to_string();
    let error = json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32600, "message": message}});
    Some((StatusCode::BAD_REQUEST, Json(error)).into_response())
}

fn is_initialize(msg: &Value) -> bool {
    msg.get("method").and_then(Value::as_str) == Some("initialize")
}

/// Streamable HTTP `POST`.
async fn post(state: &AppState, target: Target, headers: &HeaderMap, body: &[u8]) -> Response {
    if !origin_allowed(state, headers) {
        return http_error(StatusCode::FORBIDDEN, "origin not allowed");
    }
    let Ok(parsed) = serde_json::from_slice::<Value>(body) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": "Parse error"}})),
        )
            .into_response();
    };
    if let Some(refused) = refuse_nul(body, &parsed) {
        return refused;
    }
    if parsed.is_object() && super::modern::is_modern(&parsed, headers) {
        // 2026-07-28: one request, no session.
        let started = std::time::Instant::now();
        let method = parsed.get("method").and_then(Value::as_str).unwrap_or_default();
        let version = parsed
            .pointer("/params/_meta/io.modelcontextprotocol~1protocolVersion")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let (status, answer) = super::modern::handle(state, &target, headers, &parsed)
            .instrument(mcp_span(&parsed, method, version))
            .await;
        crate::telemetry::metrics::mcp_request(method_label(method), version_label(version), started.elapsed());
        return match answer {
            None => status.into_response(),
            Some(answer) => (status, answer_body(headers, answer)).into_response(),
        };
    }
    let (messages, batch) = match parsed {
        Value::Array(items) => (items, true),
        single => (vec![single], false),
    };
    if messages.len() > MAX_BATCH {
        return http_error(
            StatusCode::BAD_REQUEST,
            &format!("a batch of {} messages is over the limit of {MAX_BATCH}", messages.len()),
        );
    }
    let initializing = messages.iter().any(is_initialize);
    if initializing && messages.len() > 1 {
        return http_error(StatusCode::BAD_REQUEST, "initialize must be sent alone, not inside a batch");
    }
    let session = headers.get(SESSION_HEADER).and_then(|v| v.to_str().ok()).map(String::from);
    if !initializing {
        match &session {
            None => return http_error(StatusCode::BAD_REQUEST, "Mcp-Session-Id header is required after initialize"),
            Some(id) => match state.store.mcp_session_alive(id, &target.session_owner(), SESSION_IDLE_TTL).await {
                Ok(true) => {}
                Ok(false) => return http_error(StatusCode::NOT_FOUND, "unknown or ended session: initialize again"),
                Err(_) => return http_error(StatusCode::SERVICE_UNAVAILABLE, "sessions are unavailable; retry"),
            },
        }
        if let Some(v) = headers.get(VERSION_HEADER).and_then(|v| v.to_str().ok()) {
            if !PROTOCOL_VERSIONS.contains(&v) {
                return http_error(StatusCode::BAD_REQUEST, &format!("unsupported MCP-Protocol-Version {v}"));
            }
        }
    }
    let version = headers.get(VERSION_HEADER).and_then(|v| v.to_str().ok()).unwrap_or(LEGACY_DEFAULT_VERSION);
    let mut answers = Vec::new();
    for msg in &messages {
        if let Some(answer) = handle(state, &target, msg, version).await {
            answers.push(answer);
        }
    }
    if answers.is_empty() {
        return StatusCode::ACCEPTED.into_response();
    }
    let payload = if batch { Value::Array(answers) } else { answers.remove(0) };
    let mut response = answer_body(headers, payload);
    if initializing {
        match state.store.open_mcp_session(&target.session_owner(), SESSIONS_PER_URL).await {
            Ok(id) => {
                crate::telemetry::metrics::mcp_session_opened(messages.first().map_or("", negotiated_version));
                if let Ok(v) = HeaderValue::from_str(&id) {
                    response.headers_mut().insert(SESSION_HEADER, v);
                }
            }
            Err(_) => return http_error(StatusCode::SERVICE_UNAVAILABLE, "cannot open a session; retry"),
        }
    }
    response
}

/// An answer as JSON, or as one SSE event for clients that accept only `text/event-stream`.
fn answer_body(headers: &HeaderMap, payload: Value) -> Response {
    let sse_only = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/event-stream") && !a.contains("application/json"));
    if sse_only {
        let event = Event::default().event("message").data(payload.to_string());
        Sse::new(futures::stream::once(async move { Ok::<_, Infallible>(event) })).into_response()
    } else {
        Json(payload).into_response()
    }
}

/// `GET`: with a session id, the optional server stream, which we do not offer (405); without,
/// the legacy HTTP+SSE transport.
fn get(state: &AppState, sessions: &Sessions, target: Target, headers: &HeaderMap, messages_path: String) -> Response {
    if !origin_allowed(state, headers) {
        return http_error(StatusCode::FORBIDDEN, "origin not allowed");
    }
    if headers.contains_key(SESSION_HEADER) {
        return (StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, "POST, DELETE")]).into_response();
    }
    let (queue, rx) = SessionStream::new();
    let owner = target.session_owner();
    let session = sessions.open(&owner, Some(queue));
    crate::telemetry::metrics::mcp_session_opened(LEGACY_SSE_VERSION);
    let endpoint = Event::default().event("endpoint").data(format!("{messages_path}?sessionId={session}"));
    let guard = EndWithStream { sessions: sessions.clone(), id: session, owner };
    let answers = futures::stream::unfold((rx, guard), |(mut rx, guard)| async move {
        let msg = rx.recv().await?;
        Some((Ok::<_, Infallible>(Event::default().event("message").data(msg)), (rx, guard)))
    });
    let stream =
        futures::StreamExt::chain(futures::stream::once(async move { Ok::<_, Infallible>(endpoint) }), answers);
    Sse::new(stream).keep_alive(KeepAlive::default()).into_response()
}

/// Legacy transport: a client message; the answer goes out on the session's event stream.
async fn legacy_message(
    state: &AppState,
    sessions: &Sessions,
    target: Target,
    query: Option<String>,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    if !origin_allowed(state, headers) {
        return http_error(StatusCode::FORBIDDEN, "origin not allowed");
    }
    let session = agentkit_core::model::query::QueryMap::parse(query.as_deref()).get("session_id").unwrap_or_default();
    let owner = target.session_owner();
    let Some(stream) = sessions.stream(&session, &owner) else {
        // Legacy SSE streams live in the replica that opened them (docs/gateway.md).
        return http_error(
            StatusCode::NOT_FOUND,
            "unknown sessionId: the session ended, or its event stream is held by another gateway replica \
             (legacy SSE needs requests routed to the replica that opened the stream)",
        );
    };
    let Ok(msg) = serde_json::from_slice::<Value>(body) else {
        return http_error(StatusCode::BAD_REQUEST, "Parse error");
    };
    if let Some(refused) = refuse_nul(body, &msg) {
        return refused;
    }
    // Room for the answer is taken before the message runs: a client that stops reading its
    // stream gets 429s, not a queue that grows with every POST (and no tool runs unanswered).
    let slot = match stream.reserve() {
        Ok(slot) => slot,
        Err(QueueFull::Closed) => {
            sessions.close(&session, &owner);
            return http_error(StatusCode::NOT_FOUND, "the event stream of this session is closed");
        }
        Err(QueueFull::Full) => {
            let mut response = http_error(
                StatusCode::TOO_MANY_REQUESTS,
                "this session's event stream is not being read: its queue of answers is full",
            );
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            return response;
        }
    };
    if let Some(answer) = handle(state, &target, &msg, LEGACY_SSE_VERSION).await {
        slot.send(answer.to_string());
    }
    (StatusCode::ACCEPTED, "Accepted").into_response()
}

/// Ends a Streamable HTTP session (in the database: whichever replica opened it).
async fn delete(state: &AppState, target: &Target, headers: &HeaderMap) -> Response {
    let Some(id) = headers.get(SESSION_HEADER).and_then(|v| v.to_str().ok()) else {
        return http_error(StatusCode::BAD_REQUEST, "Mcp-Session-Id header is required");
    };
    match state.store.end_mcp_session(id, &target.session_owner()).await {
        Ok(true) => StatusCode::OK.into_response(),
        Ok(false) => http_error(StatusCode::NOT_FOUND, "unknown session"),
        Err(_) => http_error(StatusCode::SERVICE_UNAVAILABLE, "sessions are unavailable; retry"),
    }
}

// ----- routes: instance URLs ----------------------------------------------------------------

pub async fn instance_post(
    State(state): State<SharedState>,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match instance_target(&state, &key).await {
        Ok(target) => post(&state, target, &headers, &body).await,
        Err(r) => r,
    }
}

pub async fn instance_get(
    State(state): State<SharedState>,
    Extension(sessions): Extension<Sessions>,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> Response {
    match instance_target(&state, &key).await {
        Ok(target) => get(&state, &sessions, target, &headers, format!("/mcp/v1/{key}/messages")),
        Err(r) => r,
    }
}

pub async fn instance_messages(
    State(state): State<SharedState>,
    Extension(sessions): Extension<Sessions>,
    Path(key): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match instance_target(&state, &key).await {
        Ok(target) => legacy_message(&state, &sessions, target, q, &headers, &body).await,
        Err(r) => r,
    }
}

pub async fn instance_delete(
    State(state): State<SharedState>,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> Response {
    match instance_target(&state, &key).await {
        Ok(target) => delete(&state, &target, &headers).await,
        Err(r) => r,
    }
}

// ----- routes: config URLs (session-token bearer) ---------------------------------------------

pub async fn config_post(
    State(state): State<SharedState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match config_target(&state, &id, &headers).await {
        Ok(target) => post(&state, target, &headers, &body).await,
        Err(r) => r,
    }
}

pub async fn config_get(
    State(state): State<SharedState>,
    Extension(sessions): Extension<Sessions>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    match config_target(&state, &id, &headers).await {
        Ok(target) => get(&state, &sessions, target, &headers, format!("/mcp/v1/configs/{id}/messages")),
        Err(r) => r,
    }
}

// ----- routes: a connection's own MCP server (connection session-token bearer) -----------------

pub async fn connection_post(
    State(state): State<SharedState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match connection_target(&state, &name, &headers).await {
        Ok(target) => post(&state, target, &headers, &body).await,
        Err(r) => r,
    }
}

pub async fn connection_get(
    State(state): State<SharedState>,
    Extension(sessions): Extension<Sessions>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    match connection_target(&state, &name, &headers).await {
        Ok(target) => get(&state, &sessions, target, &headers, format!("/mcp/v3/connections/{name}/messages")),
        Err(r) => r,
    }
}

pub async fn connection_messages(
    State(state): State<SharedState>,
    Extension(sessions): Extension<Sessions>,
    Path(name): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match connection_target(&state, &name, &headers).await {
        Ok(target) => legacy_message(&state, &sessions, target, q, &headers, &body).await,
        Err(r) => r,
    }
}

pub async fn connection_delete(
    State(state): State<SharedState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    match connection_target(&state, &name, &headers).await {
        Ok(target) => delete(&state, &target, &headers).await,
        Err(r) => r,
    }
}

pub async fn config_messages(
    State(state): State<SharedState>,
    Extension(sessions): Extension<Sessions>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match config_target(&state, &id, &headers).await {
        Ok(target) => legacy_message(&state, &sessions, target, q, &headers, &body).await,
        Err(r) => r,
    }
}

pub async fn config_delete(State(state): State<SharedState>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    match config_target(&state, &id, &headers).await {
        Ok(target) => delete(&state, &target, &headers).await,
        Err(r) => r,
    }
}
