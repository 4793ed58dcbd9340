//! Every request gets an id — the caller's `x-request-id` when it is a sane one, else a new
//! one — that comes back in the answer's `x-request-id` header and error body, sits on the
//! request's span (so every log line of the request carries it) and on execution records.
//! When the request ends, one log line says what it was: method, route template (never the
//! raw path, which holds ids and keys), status, latency, API client and request id.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

pub use agentkit_core::client::REQUEST_ID_HEADER;

/// The request being served, for code that runs inside it.
struct RequestContext {
    id: Arc<str>,
    client_id: OnceLock<String>,
}

tokio::task_local! {
    static CURRENT: Arc<RequestContext>;
}

/// The id of the request this code runs for (`None` outside a request, e.g. background work).
pub fn current_request_id() -> Option<String> {
    CURRENT.try_with(|r| r.id.to_string()).ok()
}

/// Notes which API client (or MCP user) the request authenticated as, for its log line.
pub fn record_client_id(client_id: &str) {
    let _ = CURRENT.try_with(|r| r.client_id.set(client_id.to_string()));
}

/// A caller's id is kept when it is 1–128 characters of letters, digits and `-_.:/+=@`: enough
/// for UUIDs, ULIDs and trace-style ids, nothing that could forge a log line or bloat a record.
fn acceptable(value: &HeaderValue) -> Option<Arc<str>> {
    let text = value.to_str().ok()?.trim();
    let sane =
        (1..=128).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:/+=@".contains(&b));
    sane.then(|| Arc::from(text))
}

fn new_request_id() -> Arc<str> {
    let bytes: [u8; 12] = rand::random();
    Arc::from(format!("req_{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()))
}

/// Probes are logged at debug: a load balancer polls them every few seconds.
fn is_probe(route: &str) -> bool {
    matches!(route, "/healthz" | "/readyz")
}

/// The middleware: id, span, answer header, log line.
pub async fn observe(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request.headers().get(REQUEST_ID_HEADER).and_then(acceptable).unwrap_or_else(new_request_id);
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    // An OTLP server span named "{method} {route}" (OpenTelemetry's HTTP conventions), continuing
    // the caller's trace when it sent a W3C `traceparent`.
    let span = tracing::info_span!(
        "request",
        otel.name = %format!("{method} {route}"),
        otel.kind = "server",
        http.request.method = %method,
        http.route = %route,
        http.response.status_code = tracing::field::Empty,
        request_id = %id,
    );
    {
        let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok());
        super::traces::continue_trace(&span, header("traceparent"), header("tracestate"));
    }
    let context = Arc::new(RequestContext { id: id.clone(), client_id: OnceLock::new() });
    let mut response = CURRENT.scope(context.clone(), next.run(request).instrument(span.clone())).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    let status = response.status().as_u16();
    span.record("http.response.status_code", i64::from(status));
    let elapsed = started.elapsed();
    super::metrics::http_request(method.as_str(), &route, status, elapsed);
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    let client_id = context.client_id.get().map(String::as_str).unwrap_or("-");
    if is_probe(&route) {
        tracing::debug!(target: "agentkit::request", %method, %route, status, latency_ms, client_id, request_id = %id, "request");
    } else {
        tracing::info!(target: "agentkit::request", %method, %route, status, latency_ms, client_id, request_id = %id, "request");
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_sane_caller_ids_and_replaces_the_rest() {
        for good in ["req_0123abcd", "3f2c9a1e-7d4b-4c1a-9e0f-1a2b3c4d5e6f", "01J9Z8:abc/def+g=@x"] {
            assert_eq!(acceptable(&HeaderValue::from_static(good)).as_deref(), Some(good));
        }
        let long = "a".repeat(129);
        for bad in ["", "has space", "quote\"s", "tab\there", long.as_str(), "{json}"] {
            let value = HeaderValue::from_str(bad).unwrap_or(HeaderValue::from_static(""));
            assert_eq!(acceptable(&value), None, "{bad:?}");
        }
        let minted = new_request_id();
        assert!(minted.starts_with("req_") && minted.len() == 28);
        assert!(acceptable(&HeaderValue::from_str(&minted).unwrap_or(HeaderValue::from_static(""))).is_some());
    }
}
