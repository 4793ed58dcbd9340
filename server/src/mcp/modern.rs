//! MCP protocol 2026-07-28 on the same URLs as the older revisions: no `initialize` and no
//! session — every request is one POST that carries its protocol version and the client's
//! capabilities in `params._meta`, and repeats its method (and tool name) in `Mcp-Method` /
//! `Mcp-Name` headers. Every result says its `resultType`; lists say how long and for whom they
//! may be cached. A tool whose connection the user has not authorized answers `input_required`
//! with a URL-mode elicitation carrying the authorization link, when the client can show one.

use axum::http::{HeaderMap, StatusCode};
use serde_json::{json, Map, Value};

use super::tools::{
    call_tool, exposed_tools, rpc_error, rpc_result, tool_descriptor, CallOutcome, Target, PROTOCOL_VERSIONS,
};
use crate::state::AppState;

/// The revisions served without a handshake.
pub const MODERN_VERSIONS: &[&str] = &["2026-07-28"];

const PROTOCOL_VERSION_KEY: &str = "io.modelcontextprotocol/protocolVersion";
const CLIENT_CAPABILITIES_KEY: &str = "io.modelcontextprotocol/clientCapabilities";
const SERVER_INFO_KEY: &str = "io.modelcontextprotocol/serverInfo";
const VERSION_HEADER: &str = "mcp-protocol-version";
const METHOD_HEADER: &str = "mcp-method";
const NAME_HEADER: &str = "mcp-name";

const INVALID_PARAMS: i64 = -32602;
const METHOD_NOT_FOUND: i64 = -32601;
const HEADER_MISMATCH: i64 = -32020;
const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;

/// How long a client may reuse `server/discover` and `tools/list` answers. A config's tools can
/// change; a minute bounds how long a client keeps the old list (there is no change stream).
const LIST_TTL_MS: u64 = 60_000;

/// Every revision these URLs speak, newest first.
fn supported_versions() -> Vec<&'static str> {
    all_versions().collect()
}

/// Every revision these URLs speak, newest first, without allocating (metrics labels).
pub fn all_versions() -> impl Iterator<Item = &'static str> {
    MODERN_VERSIONS.iter().chain(PROTOCOL_VERSIONS).copied()
}

/// A POST in the 2026-07-28 style: its `_meta` names a protocol version, or it asks
/// `server/discover` (which older revisions do not have), or its version header is a modern one.
pub fn is_modern(message: &Value, headers: &HeaderMap) -> bool {
    let meta_version = message.pointer("/params/_meta").and_then(|m| m.get(PROTOCOL_VERSION_KEY)).is_some();
    let header_version = header(headers, VERSION_HEADER).is_some_and(|v| MODERN_VERSIONS.contains(&v));
    meta_version || header_version || message.get("method").and_then(Value::as_str) == Some("server/discover")
}

/// The HTTP status of a JSON-RPC error code on the 2026-07-28 transport.
fn http_status(code: i64) -> StatusCode {
    match code {
        -32700 | -32600 | INVALID_PARAMS | HEADER_MISMATCH | -32021 | UNSUPPORTED_PROTOCOL_VERSION => {
            StatusCode::BAD_REQUEST
        }
        METHOD_NOT_FOUND => StatusCode::NOT_FOUND,
        _ => StatusCode::OK,
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// A header value as sent: verbatim, or `=?base64?…?=` for values that are not plain ASCII.
fn decode_header_value(value: &str) -> Option<String> {
    use base64::Engine;
    match value.strip_prefix("=?base64?").and_then(|v| v.strip_suffix("?=")) {
        None => Some(value.to_string()),
        Some(payload) => base64::engine::general_purpose::STANDARD
            .decode(payload)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok()),
    }
}

/// A request's envelope, checked: `Err` is the JSON-RPC error to answer with.
struct Envelope {
    client_capabilities: Value,
}

fn check_envelope(message: &Value, headers: &HeaderMap) -> Result<Envelope, (i64, String, Option<Value>)> {
    let meta = message.pointer("/params/_meta").and_then(Value::as_object).ok_or_else(|| {
        (
            INVALID_PARAMS,
            format!("params._meta must be an object carrying {PROTOCOL_VERSION_KEY:?} and {CLIENT_CAPABILITIES_KEY:?}"),
            None,
        )
    })?;
    let missing: Vec<&str> =
        [PROTOCOL_VERSION_KEY, CLIENT_CAPABILITIES_KEY].into_iter().filter(|k| !meta.contains_key(*k)).collect();
    if !missing.is_empty() {
        return Err((INVALID_PARAMS, format!("params._meta is missing {}", missing.join(", ")), None));
    }
    for name in [VERSION_HEADER, METHOD_HEADER, NAME_HEADER] {
        if headers.get_all(name).iter().count() > 1 {
            return Err((HEADER_MISMATCH, format!("the {name} header appears more than once"), None));
        }
    }
    let version = &meta[PROTOCOL_VERSION_KEY];
    if header(headers, VERSION_HEADER) != version.as_str() || version.as_str().is_none() {
        return Err((
            HEADER_MISMATCH,
            "the MCP-Protocol-Version header does not match params._meta's protocol version".into(),
            None,
        ));
    }
    let method = message.get("method").and_then(Value::as_str);
    if header(headers, METHOD_HEADER) != method {
        return Err((HEADER_MISMATCH, "the Mcp-Method header does not match the request's method".into(), None));
    }
    if method == Some("tools/call") {
        if let Some(name) = message.pointer("/params/name").and_then(Value::as_str) {
            if header(headers, NAME_HEADER).and_then(decode_header_value).as_deref() != Some(name) {
                return Err((HEADER_MISMATCH, "the Mcp-Name header does not match the tool's name".into(), None));
            }
        }
    }
    let version = version.as_str().unwrap_or_default();
    if !MODERN_VERSIONS.contains(&version) {
        return Err((
            UNSUPPORTED_PROTOCOL_VERSION,
            "Unsupported protocol version".into(),
            Some(json!({"supported": supported_versions(), "requested": version})),
        ));
    }
    Ok(Envelope { client_capabilities: meta[CLIENT_CAPABILITIES_KEY].clone() })
}

/// A complete result: `resultType` and the server's identity stamped on.
fn complete(mut result: Value) -> Value {
    if let Some(object) = result.as_object_mut() {
        object.insert("resultType".into(), json!("complete"));
        let meta = object.entry("_meta").or_insert_with(|| Value::Object(Map::new()));
        if let Some(meta) = meta.as_object_mut() {
            meta.insert(SERVER_INFO_KEY.into(), server_info());
        }
    }
    result
}

fn server_info() -> Value {
    json!({"name": "agentkit", "title": "AgentKit", "version": env!("CARGO_PKG_VERSION")})
}

/// An input schema declared as JSON Schema 2020-12 (what 2026-07-28 clients expect).
fn schema_2020_12(mut descriptor: Value) -> Value {
    if let Some(schema) = descriptor.get_mut("inputSchema").and_then(Value::as_object_mut) {
        schema.entry("$schema").or_insert_with(|| json!("https://json-schema.org/draft/2020-12/schema"));
    }
    descriptor
}

/// The client can show the user a URL (URL-mode elicitation).
fn can_open_urls(envelope: &Envelope) -> bool {
    envelope.client_capabilities.pointer("/elicitation/url").is_some()
}

/// Answers one 2026-07-28 message: the HTTP status and the JSON-RPC answer (`None` for a
/// notification, acknowledged with 202).
pub async fn handle(
    state: &AppState,
    target: &Target,
    headers: &HeaderMap,
    message: &Value,
) -> (StatusCode, Option<Value>) {
    let Some(id) = message.get("id").cloned() else {
        return (StatusCode::ACCEPTED, None);
    };
    let error = |code: i64, text: String, data: Option<Value>| {
        let mut answer = rpc_error(&id, code, text);
        if let Some(data) = data {
            answer["error"]["data"] = data;
        }
        (http_status(code), Some(answer))
    };
    let envelope = match check_envelope(message, headers) {
        Ok(envelope) => envelope,
        Err((code, text, data)) => return error(code, text, data),
    };
    let params = message.get("params").cloned().unwrap_or(Value::Null);
    if let Some(traceparent) = params.pointer("/_meta/traceparent").and_then(Value::as_str) {
        tracing::info!(traceparent, owner = %target.owner, "MCP request continues a trace");
    }
    let method = message.get("method").and_then(Value::as_str).unwrap_or_default();
    let result = match method {
        "server/discover" => {
            json!({
                "supportedVersions": supported_versions(),
                "capabilities": {"tools": {"listChanged": false}},
                "instructions": format!("Tools of MCP config {:?}, acting for user {:?}.", target.config.name, target.user),
                "cacheScope": "private",
                "ttlMs": LIST_TTL_MS,
            })
        }
        "tools/list" => {
            let mut tools: Vec<Value> =
                exposed_tools(state, target).iter().map(|(t, _)| schema_2020_12(tool_descriptor(t))).collect();
            tools.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
            json!({"tools": tools, "cacheScope": "private", "ttlMs": LIST_TTL_MS})
        }
        "tools/call" => match call_tool(state, target, &params).await {
            Ok(CallOutcome::NeedsAuthorization { connection, status, link }) if can_open_urls(&envelope) => {
                let message = format!(
                    "Connect your {connection} account (status {status}) to use this tool: open the link, \
                     authorize, then the call continues."
                );
                let mut answer = json!({
                    "resultType": "input_required",
                    "inputRequests": {
                        "authorize": {"method": "elicitation/create",
                                      "params": {"mode": "url", "message": message, "url": link}}
                    },
                });
                answer["_meta"] = json!({SERVER_INFO_KEY: server_info()});
                return (StatusCode::OK, Some(rpc_result(&id, answer)));
            }
            Ok(outcome) => outcome.into_tool_result(),
            Err((code, text)) => return error(code, text, None),
        },
        // `ping`, `initialize`, `logging/setLevel` and resource subscriptions are gone from
        // 2026-07-28: like any method this server lacks, 404 with -32601.
        other => return error(METHOD_NOT_FOUND, format!("Method not found: {other}"), None),
    };
    (StatusCode::OK, Some(rpc_result(&id, complete(result))))
}
