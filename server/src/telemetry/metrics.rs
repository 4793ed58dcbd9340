//! Prometheus metrics: recorded through the `metrics` facade, rendered in the Prometheus text
//! format by `metrics-exporter-prometheus`, served at `/metrics` on a listener of their own
//! (`[metrics] listen`; never the public port unless configured so). Names follow the
//! OpenTelemetry semantic conventions where they exist (HTTP server and client durations, MCP
//! operations, GenAI tool names), with the `agentkit_` prefix for the gateway's own.
//!
//! Every recording function lives here, so each metric is named and labelled in one place.
//! Without a listener no recorder is installed and recording costs nothing.

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use serde::Deserialize;

/// `[metrics]` in the config file.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    /// Where `/metrics` is served, e.g. "127.0.0.1:9464"; off when absent.
    pub listen: Option<std::net::SocketAddr>,
}

const HTTP_SERVER_DURATION: &str = "http_server_request_duration_seconds";
const HTTP_CLIENT_DURATION: &str = "http_client_request_duration_seconds";
const TOOL_EXECUTION_DURATION: &str = "agentkit_tool_execution_duration_seconds";
const TOKEN_REFRESHES: &str = "agentkit_token_refreshes_total";
const CONNECTED_ACCOUNTS: &str = "agentkit_connected_accounts";
const MCP_OPERATION_DURATION: &str = "mcp_server_operation_duration_seconds";
const MCP_SESSIONS: &str = "agentkit_mcp_sessions_total";
const RATE_LIMIT_REFUSALS: &str = "agentkit_rate_limit_refusals_total";
const EGRESS_REFUSALS: &str = "agentkit_egress_refusals_total";
const AUDIT_WRITE_FAILURES: &str = "agentkit_audit_write_failures_total";
const BUILD_INFO: &str = "agentkit_build_info";
const TRIGGER_POLLS: &str = "agentkit_trigger_polls_total";
const TRIGGER_EVENTS: &str = "agentkit_trigger_events_total";
const TRIGGER_POLL_DURATION: &str = "agentkit_trigger_poll_duration_seconds";
const TRIGGER_PUSHES: &str = "agentkit_trigger_pushes_total";
const TRIGGER_POLL_LAG: &str = "agentkit_trigger_poll_lag_seconds";
const WEBHOOK_DELIVERIES: &str = "agentkit_webhook_deliveries_total";

/// Latency buckets, in seconds: 1 ms to 30 s (the longest a provider call may take).
const DURATION_BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

static RECORDER: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide recorder (once; later calls return the same handle).
pub fn install() -> Option<&'static PrometheusHandle> {
    RECORDER
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("duration_seconds".into()), DURATION_BUCKETS)
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            keep_histograms_drained(handle.clone());
            describe();
            metrics::gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
            Some(handle)
        })
        .as_ref()
}

/// How often histogram samples are folded into their buckets when nobody scrapes `/metrics`.
const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// The recorder buffers every histogram sample until upkeep folds it into the buckets, which
/// `render` does: without a scraper (`agentkit dev`, or no Prometheus yet) the buffers grew by
/// every request's samples, without bound. A thread of its own runs upkeep every few seconds,
/// whatever runtime is up.
fn keep_histograms_drained(handle: PrometheusHandle) {
    let spawned = std::thread::Builder::new().name("metrics-upkeep".into()).spawn(move || loop {
        std::thread::sleep(UPKEEP_EVERY);
        handle.run_upkeep();
    });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "no metrics upkeep thread: histogram samples are folded only when scraped");
    }
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_histogram!(
        HTTP_SERVER_DURATION,
        Unit::Seconds,
        "Duration of HTTP requests the gateway served, by route template and status code."
    );
    describe_histogram!(
        HTTP_CLIENT_DURATION,
        Unit::Seconds,
        "Duration of calls to providers, by connector and status class."
    );
    describe_histogram!(
        TOOL_EXECUTION_DURATION,
        Unit::Seconds,
        "Duration of tool executions, by tool, connector and outcome."
    );
    describe_counter!(TOKEN_REFRESHES, "Access-token refreshes at providers, by connector and outcome.");
    describe_counter!(TRIGGER_POLLS, "Trigger polls, by trigger and outcome (ok, failed).");
    describe_counter!(TRIGGER_EVENTS, "Trigger events queued for delivery, by trigger.");
    describe_histogram!(
        TRIGGER_POLL_LAG,
        Unit::Seconds,
        "How late a trigger poll started after its subscription was due, by trigger."
    );
    describe_counter!(
        WEBHOOK_DELIVERIES,
        "Tries to deliver events to webhook endpoints, by event kind (trigger, account) and outcome (delivered, retrying, gave_up)."
    );
    describe_counter!(
        TRIGGER_PUSHES,
        "Provider pushes to trigger ingress URLs, by connection and outcome (accepted, unsigned, forged, replayed, duplicate)."
    );
    describe_histogram!(TRIGGER_POLL_DURATION, Unit::Seconds, "How long one trigger poll took, by trigger.");
    describe_gauge!(CONNECTED_ACCOUNTS, "Connected accounts by status (counted when scraped).");
    describe_histogram!(
        MCP_OPERATION_DURATION,
        Unit::Seconds,
        "Duration of MCP requests, by method and protocol version."
    );
    describe_counter!(MCP_SESSIONS, "MCP sessions opened (initialize), by protocol version.");
    describe_counter!(RATE_LIMIT_REFUSALS, "Provider calls refused by a connector's rate limit.");
    describe_counter!(EGRESS_REFUSALS, "Outbound connections refused by the egress policy, by reason.");
    describe_counter!(AUDIT_WRITE_FAILURES, "Audit events that could not be written (the request went on).");
    describe_gauge!(BUILD_INFO, "The gateway's version (always 1).");
}

/// The method as a label value: the standard methods, and `_OTHER` for any other token (as
/// OpenTelemetry's HTTP conventions say), so a client cannot mint new series by inventing methods.
pub fn method_label(method: &str) -> &'static str {
    const KNOWN: [&str; 9] = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"];
    KNOWN.into_iter().find(|known| *known == method).unwrap_or("_OTHER")
}

/// One HTTP request the gateway answered.
pub fn http_request(method: &str, route: &str, status: u16, elapsed: Duration) {
    metrics::histogram!(HTTP_SERVER_DURATION,
        "http_request_method" => method_label(method),
        "http_route" => route.to_string(),
        "http_response_status_code" => status.to_string())
    .record(elapsed.as_secs_f64());
}

/// "2xx" … "5xx", or "error" when no answer came.
fn status_class(status: Option<u16>) -> &'static str {
    match status {
        Some(100..=199) => "1xx",
        Some(200..=299) => "2xx",
        Some(300..=399) => "3xx",
        Some(400..=499) => "4xx",
        Some(500..=599) => "5xx",
        _ => "error",
    }
}

/// One request to a provider (every try of a retried call counts).
pub fn upstream_call(connector: &str, status: Option<u16>, elapsed: Duration) {
    metrics::histogram!(HTTP_CLIENT_DURATION,
        "agentkit_connector" => connector.to_string(),
        "http_response_status_class" => status_class(status))
    .record(elapsed.as_secs_f64());
}

/// One tool execution, whatever its outcome (`SUCCESS`, `FAILED`, …, as on its record).
pub fn tool_execution(tool: &str, connector: &str, outcome: &str, elapsed: Duration) {
    metrics::histogram!(TOOL_EXECUTION_DURATION,
        "gen_ai_tool_name" => tool.to_string(),
        "agentkit_connector" => connector.to_string(),
        "outcome" => outcome.to_string())
    .record(elapsed.as_secs_f64());
}

/// One trigger poll: whether it worked, the events it queued, how long it took.
pub fn trigger_poll(trigger: &str, ok: bool, events: usize, elapsed: Duration) {
    let outcome = if ok { "ok" } else { "failed" };
    metrics::counter!(TRIGGER_POLLS, "agentkit_trigger" => trigger.to_string(), "outcome" => outcome).increment(1);
    metrics::counter!(TRIGGER_EVENTS, "agentkit_trigger" => trigger.to_string()).increment(events as u64);
    metrics::histogram!(TRIGGER_POLL_DURATION, "agentkit_trigger" => trigger.to_string()).record(elapsed.as_secs_f64());
}

/// How late a poll started after its subscription was due.
pub fn trigger_poll_lag(trigger: &str, late: Duration) {
    metrics::histogram!(TRIGGER_POLL_LAG, "agentkit_trigger" => trigger.to_string()).record(late.as_secs_f64());
}

/// One try to deliver an event to a webhook endpoint. `trigger` is a trigger event's (else an
/// account event's); `outcome` is `delivered`, `retrying` or `gave_up`.
pub fn webhook_delivery(trigger: bool, outcome: &'static str) {
    let kind = if trigger { "trigger" } else { "account" };
    metrics::counter!(WEBHOOK_DELIVERIES, "event_kind" => kind, "outcome" => outcome).increment(1);
}

/// One push to a connection's trigger ingress URL, and what came of it.
pub fn trigger_push(connection: &str, outcome: &'static str) {
    metrics::counter!(TRIGGER_PUSHES, "agentkit_connection" => connection.to_string(), "outcome" => outcome)
        .increment(1);
}

/// One refresh (or service-account mint) at a provider: `succeeded`, `rejected` or `failed`.
pub fn token_refresh(connector: &str, outcome: &'static str) {
    metrics::counter!(TOKEN_REFRESHES, "agentkit_connector" => connector.to_string(), "outcome" => outcome)
        .increment(1);
}

/// One MCP request (JSON-RPC call) answered.
/// Both labels come from short fixed lists (see `mcp::transport`), never from what a client sent.
pub fn mcp_request(method: &'static str, protocol_version: &'static str, elapsed: Duration) {
    metrics::histogram!(MCP_OPERATION_DURATION,
        "mcp_method_name" => method,
        "mcp_protocol_version" => protocol_version)
    .record(elapsed.as_secs_f64());
}

/// One MCP session opened (`initialize` on Streamable HTTP, or a legacy SSE stream).
pub fn mcp_session_opened(protocol_version: &'static str) {
    metrics::counter!(MCP_SESSIONS, "mcp_protocol_version" => protocol_version).increment(1);
}

/// One provider call refused by the connector's rate limit.
pub fn rate_limit_refusal(connector: &str) {
    metrics::counter!(RATE_LIMIT_REFUSALS, "agentkit_connector" => connector.to_string()).increment(1);
}

/// One outbound connection refused by the egress policy.
/// An audit event was lost: the trail has a gap an operator must see.
pub fn audit_write_failure() {
    metrics::counter!(AUDIT_WRITE_FAILURES).increment(1);
}

pub fn egress_refusal(reason: &'static str) {
    metrics::counter!(EGRESS_REFUSALS, "reason" => reason).increment(1);
}

/// The text of `/metrics`, with the accounts gauge set from `accounts_by_status` (`None` when
/// the accounts could not be counted: the gauge keeps its last value).
pub fn render(accounts_by_status: Option<Vec<(String, i64)>>) -> Option<String> {
    let handle = install()?;
    if let Some(counts) = accounts_by_status {
        for status in agentkit_core::model::ConnectorStatus::ALL.iter().skip(1).map(|s| s.as_str()) {
            let n = counts.iter().find(|(s, _)| s == status).map_or(0, |(_, n)| *n);
            metrics::gauge!(CONNECTED_ACCOUNTS, "status" => status).set(n as f64);
        }
    }
    handle.run_upkeep();
    Some(handle.render())
}
