//! `ANY /proxy/{path}`: the provider's API with the user's credentials injected; the upstream
//! status, headers and body are relayed unchanged.

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use futures::StreamExt;
use tracing::Instrument;

use agentkit_core::model::AccountSelector;
use agentkit_core::{Error, ErrorKind};

use super::openapi_schemas::{
    BadGateway, BadRequest, Conflict, Forbidden, GatewayTimeout, NotFound, Unauthorized, Unavailable,
};
use super::{ApiResult, Caller};
use crate::domain::accounts::{require_active, resolve_account_for_call};
use crate::state::SharedState;
use crate::store::AccountRecord;

/// Request headers relayed to the provider: content negotiation, conditional requests and
/// provider API versions. Everything else (cookies, forwarding headers, our own headers,
/// hop-by-hop headers) stays here.
const FORWARDED_REQUEST_HEADERS: &[&str] = &[
    "accept",
    "accept-language",
    "content-type",
    "content-language",
    "content-range",
    "if-match",
    "if-none-match",
    "if-modified-since",
    "if-unmodified-since",
    "range",
    "prefer",
    "idempotency-key",
    "user-agent",
];

/// Response headers relayed back to the caller: the answer's description, caching, paging and
/// rate-limit information. Never cookies, upgrades, trailers or hop-by-hop headers.
const RELAYED_RESPONSE_HEADERS: &[&str] = &[
    "content-type",
    "content-language",
    "content-disposition",
    "cache-control",
    "etag",
    "last-modified",
    "expires",
    "location",
    "link",
    "retry-after",
    "range",
    "date",
    "vary",
];

fn forwards_request_header(name: &str) -> bool {
    FORWARDED_REQUEST_HEADERS.contains(&name)
        || name.ends_with("-version")
        || (name.starts_with("x-")
            && !name.starts_with("x-forwarded-")
            && !matches!(name, "x-real-ip" | "x-sdk-version" | "x-api-version" | "x-request-id")
            && !name.starts_with("x-aws-"))
}

fn relays_response_header(name: &str) -> bool {
    RELAYED_RESPONSE_HEADERS.contains(&name)
        || name.starts_with("ratelimit")
        || (name.starts_with("x-") && name != agentkit_core::client::GATEWAY_AUTH_ERROR_HEADER)
}

fn header_text(headers: &HeaderMap, name: &str) -> String {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").trim().to_string()
}

#[utoipa::path(
    method(get, post, put, patch, delete),
    path = "/proxy/{path}",
    tag = "Proxy",
    summary = "GET through the proxy",
    description = "Sends the request to the provider with the account's credential and relays status, allow-listed headers and body. The gateway's own errors: 400 (a missing header), 403 (scope, `proxy_enabled = false`, egress), 404 (no connection or account), 409 (several accounts), 502 (answer too large), 503/504 (provider unreachable or late).",
    params(
        ("path" = String, Path, description = "The provider API path, under the connection's base URL."),
        ("connection_name" = String, Header, description = "Connection name."),
        ("identifier" = String, Header, description = "The user's identifier."),
        ("organization_id" = Option<String>, Header),
        ("user_id" = Option<String>, Header),
    ),
    responses(
        (status = 200, description = "The provider's answer, relayed.", body = Object),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 502, response = BadGateway),
        (status = 503, response = Unavailable),
        (status = 504, response = GatewayTimeout),
        (status = "default", description = "Any other status: the provider's answer, relayed."),
    ),
)]
pub async fn forward(
    State(state): State<SharedState>,
    _caller: Caller,
    method: Method,
    Path(path): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let connection_name = header_text(&headers, "connection_name");
    let identifier = header_text(&headers, "identifier");
    if connection_name.is_empty() {
        return Err(Error::invalid_field("connection_name", "the connection_name header is required").into());
    }
    if identifier.is_empty() {
        return Err(Error::invalid_field("identifier", "the identifier header is required").into());
    }
    let mut selector = AccountSelector::by_name(&connection_name, &identifier);
    selector.organization_id = header_text(&headers, "organization_id");
    selector.user_id = header_text(&headers, "user_id");
    // Not ACTIVE: the same error as everywhere, with a fresh link to authorize the account.
    let account = require_active(&state, resolve_account_for_call(&state, &selector).await?)?;
    let connection = state.connection(&account.connection_name)?;
    let connector = state.registry().connector_of(&connection)?;
    // A remote MCP server is reached through its tools: raw requests under its MCP endpoint with
    // a user's credential are not what its connection was made for.
    if connector.mcp.is_some() {
        return Err(Error::new(
            ErrorKind::Forbidden,
            format!("connection {:?} is a remote MCP server: run its tools with execute_tool", connection.name),
        )
        .into());
    }
    if !connector.proxy_enabled {
        return Err(Error::new(
            ErrorKind::Forbidden,
            format!("the proxy is disabled for connection {:?} (proxy_enabled = false)", connection.name),
        )
        .into());
    }
    let base = state.account_base_url(
        &connection,
        crate::credentials::key_pair::account_settings(account.api_config.as_ref(), account.credentials.as_ref())
            .as_ref(),
    )?;
    let mut url = agentkit_core::model::proxy_path::join_under_base(
        &base,
        &agentkit_core::model::proxy_path::encode_decoded_path(&path)?,
    )?;
    if let Some(q) = query.filter(|q| !q.is_empty()) {
        if q.contains('#') {
            return Err(Error::invalid_field("path", "the proxied query may not carry a fragment").into());
        }
        url.push('?');
        url.push_str(&q);
    }
    // A key carried in the query (`auth.query_param`) is the stored one only: the caller's copy
    // of that parameter is dropped, so the provider never reads a second value.
    if !connector.auth.query_param.is_empty() {
        url = without_query_param(&url, &connector.auth.query_param)?;
    }
    let upstream_method = reqwest::Method::from_bytes(method.as_str().as_bytes())
        .map_err(|_| Error::invalid_field("method", "unsupported method"))?;
    let send = |account: &AccountRecord| {
        let credential = crate::execution::http::credential_header(
            &connector.auth,
            account.credentials.as_ref(),
            false,
            &state.key_pairs,
        );
        let extras = crate::execution::http::credential_extra_headers(&connector.auth, account.credentials.as_ref());
        let mut req = state.egress.request(upstream_method.clone(), &url).timeout(std::time::Duration::from_secs(60));
        // The caller's own copy of the credential header (`X-API-Key: …`) never travels next to
        // the stored one: the provider could read either.
        let credential_name = credential.as_ref().ok().map(|(name, _)| name.clone());
        for (name, value) in headers.iter() {
            let is_credential = credential_name
                .iter()
                .chain(extras.iter().map(|(n, _)| n))
                .any(|c| c.eq_ignore_ascii_case(name.as_str()));
            if forwards_request_header(name.as_str()) && !is_credential {
                req = req.header(name.as_str(), value.as_bytes());
            }
        }
        for (name, value) in &extras {
            req = req.header(name.as_str(), value.as_str());
        }
        if !body.is_empty() {
            req = req.body(body.clone()); // Bytes: shared, not copied
        }
        let connector_slug = connector.slug.clone();
        let span = tracing::info_span!(
        target: crate::telemetry::traces::SPAN_TARGET,
            "provider_call",
            otel.name = %upstream_method,
            otel.kind = "client",
            http.request.method = %upstream_method,
            agentkit.connector = %connector.slug,
            http.response.status_code = tracing::field::Empty,
        );
        if connection.propagate_trace_context {
            for (name, value) in crate::telemetry::traces::trace_headers(&span) {
                req = req.header(name, value);
            }
        }
        if let Ok(credential) = &credential {
            req = crate::execution::http::with_credential(req, &connector.auth, credential);
        }
        async move {
            credential?;
            let sent_at = std::time::Instant::now();
            let sent = req.send().instrument(span.clone()).await;
            let status = sent.as_ref().ok().map(|r| r.status().as_u16());
            if let Some(status) = status {
                span.record("http.response.status_code", i64::from(status));
            }
            crate::telemetry::metrics::upstream_call(&connector_slug, status, sent_at.elapsed());
            sent
        }
    };
    let account_id = account.id.clone();
    let rejected = |sent: &agentkit_core::Result<reqwest::Response>| {
        sent.as_ref().is_ok_and(|answer| answer.status() == reqwest::StatusCode::UNAUTHORIZED)
    };
    let upstream = crate::domain::credentials::call_with_fresh_token(&state, account, send, rejected).await??;
    state.store.touch_account(&account_id);
    let status = StatusCode::from_u16(upstream.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let max_bytes = state.config.server.proxy_max_answer_bytes;
    if upstream.content_length().is_some_and(|len| len > max_bytes) {
        return Err(Error::new(
            ErrorKind::Server,
            format!("the provider's answer is larger than the proxy relays ({max_bytes} bytes)"),
        )
        .with_status(502)
        .with_error_code("UPSTREAM_ANSWER_TOO_LARGE")
        .into());
    }
    let mut builder = Response::builder().status(status);
    for (name, value) in upstream.headers() {
        if relays_response_header(name.as_str()) {
            builder = builder.header(name.as_str(), value.as_bytes());
        }
    }
    // Streamed, never buffered whole; an answer that runs past the cap is cut off (the caller sees
    // a broken body rather than the gateway holding it).
    let mut relayed: u64 = 0;
    let stream = upstream.bytes_stream().map(move |chunk| {
        let chunk = chunk.map_err(|e| std::io::Error::other(e.without_url().to_string()))?;
        relayed = relayed.saturating_add(chunk.len() as u64);
        if relayed > max_bytes {
            return Err(std::io::Error::other(format!("provider answer over {max_bytes} bytes")));
        }
        Ok(chunk)
    });
    builder.body(Body::from_stream(stream)).map_err(|e| Error::new(ErrorKind::Server, e.to_string()).into())
}

/// `url` without any query parameter named `name` (the rest re-encoded as a form would be).
fn without_query_param(url: &str, name: &str) -> agentkit_core::Result<String> {
    let mut parsed = url::Url::parse(url).map_err(|e| Error::invalid_field("path", format!("not a valid URL: {e}")))?;
    let kept: Vec<(String, String)> = parsed.query_pairs().into_owned().filter(|(k, _)| k != name).collect();
    if kept.is_empty() {
        parsed.set_query(None);
    } else {
        parsed.query_pairs_mut().clear().extend_pairs(kept);
    }
    Ok(parsed.into())
}
