//! The middleware every request passes: it gets its id (see [`crate::telemetry::requests`]),
//! a span continuing the caller's trace, the `x-request-id` answer header, HTTP metrics, the
//! audit events noted while it ran, and one log line when it ends — method, route template
//! (never the raw path, which holds ids and keys), status, latency, API client and request id.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use crate::state::SharedState;
use crate::telemetry::requests::{RequestContext, REQUEST_ID_HEADER};

/// Probes are logged at debug: a load balancer polls them every few seconds.
fn is_probe(route: &str) -> bool {
    matches!(route, "/healthz" | "/readyz")
}

pub async fn observe(State(state): State<SharedState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let context = RequestContext::new(request.headers());
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    // An OTLP server span named "{method} {route}" (OpenTelemetry's HTTP conventions), continuing
    // the caller's trace when it sent a W3C `traceparent`.
    // The span every log line of the request carries; its OpenTelemetry attributes are filled
    // only when spans are exported (formatting them for nothing costs every request).
    let span = tracing::info_span!(
        "request",
        request_id = %context.id(),
        otel.name = tracing::field::Empty,
        otel.kind = tracing::field::Empty,
        http.request.method = tracing::field::Empty,
        http.route = tracing::field::Empty,
        http.response.status_code = tracing::field::Empty,
    );
    let exporting = crate::telemetry::traces::exporting();
    if exporting {
        span.record("otel.name", format!("{method} {route}"));
        span.record("otel.kind", "server");
        span.record("http.request.method", method.as_str());
        span.record("http.route", route.as_str());
        let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok());
        crate::telemetry::traces::continue_trace(&span, header("traceparent"), header("tracestate"));
    }
    let mut response = context.scope(next.run(request).instrument(span.clone())).await;
    // Audit events noted by code without the store (egress refusals) are written now, as the
    // request's own: same actor, same request id.
    let notes = context.take_audit_notes();
    if !notes.is_empty() {
        context.scope(crate::audit::write_notes(&state.store, notes)).await;
    }
    if let Ok(value) = HeaderValue::from_str(context.id()) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    let status = response.status().as_u16();
    if exporting {
        span.record("http.response.status_code", i64::from(status));
    }
    let elapsed = started.elapsed();
    crate::telemetry::metrics::http_request(method.as_str(), &route, status, elapsed);
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    let (client_id, request_id) = (context.client_id(), context.id());
    let quiet = status < 400 && state.config.logging.quiet_routes.contains(&route);
    if is_probe(&route) || quiet {
        tracing::debug!(target: "agentkit::request", %method, %route, status, latency_ms, client_id, request_id, "request");
    } else {
        tracing::info!(target: "agentkit::request", %method, %route, status, latency_ms, client_id, request_id, "request");
    }
    response
}
