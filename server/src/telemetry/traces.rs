//! OpenTelemetry traces over OTLP, configured by the standard variables and off when none is
//! set: `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`),
//! `OTEL_EXPORTER_OTLP_PROTOCOL` (`http/protobuf`, the default, or `grpc`),
//! `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_SERVICE_NAME`. The gateway's `tracing` spans (request,
//! MCP request, tool execution, provider call, token refresh) become OTLP spans; a caller's W3C
//! `traceparent` is continued, and providers get one when their connection opts in
//! (`propagate_trace_context`).

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The target of the spans that exist for trace export only (tool execution, provider call, MCP
/// request, refresh): the log filter turns them off when no exporter is configured, so they
/// cost nothing then.
pub const SPAN_TARGET: &str = "agentkit::otel";

static EXPORTING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether spans are exported (the OpenTelemetry layer of [`layer`] is installed).
pub fn exporting() -> bool {
    EXPORTING.load(std::sync::atomic::Ordering::Relaxed)
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// The exporter the environment asks for: `None` when no endpoint is set, or the SDK is disabled.
pub fn provider_from_env() -> Option<SdkTracerProvider> {
    if env("OTEL_SDK_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        return None;
    }
    env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").or_else(|| env("OTEL_EXPORTER_OTLP_ENDPOINT"))?;
    let protocol = env("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL").or_else(|| env("OTEL_EXPORTER_OTLP_PROTOCOL"));
    let exporter = match protocol.as_deref() {
        Some("grpc") => opentelemetry_otlp::SpanExporter::builder().with_tonic().build(),
        _ => opentelemetry_otlp::SpanExporter::builder().with_http().build(),
    };
    let exporter = match exporter {
        Ok(exporter) => exporter,
        Err(e) => {
            eprintln!("agentkit: OTLP trace export is off: {e}");
            return None;
        }
    };
    let service_name = env("OTEL_SERVICE_NAME").unwrap_or_else(|| "agentkit".to_string());
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name(service_name)
        .with_attribute(opentelemetry::KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
        .build();
    Some(SdkTracerProvider::builder().with_resource(resource).with_batch_exporter(exporter).build())
}

/// The `tracing` layer that turns spans into OTLP spans of `provider`.
pub fn layer<S>(provider: &SdkTracerProvider) -> impl tracing_subscriber::Layer<S>
where
    S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
{
    EXPORTING.store(true, std::sync::atomic::Ordering::Relaxed);
    tracing_opentelemetry::layer().with_tracer(provider.tracer("agentkit"))
}

/// Continues the W3C trace context of `traceparent` (and `tracestate`) on `span`, when valid.
pub fn continue_trace(span: &tracing::Span, traceparent: Option<&str>, tracestate: Option<&str>) {
    let Some(traceparent) = traceparent else { return };
    let mut carrier = std::collections::HashMap::new();
    carrier.insert("traceparent".to_string(), traceparent.to_string());
    if let Some(state) = tracestate {
        carrier.insert("tracestate".to_string(), state.to_string());
    }
    let context = TraceContextPropagator::new().extract(&carrier);
    let _ = span.set_parent(context);
}

/// The W3C trace context of `span`, as `traceparent` (and `tracestate`) headers to send on.
pub fn trace_headers(span: &tracing::Span) -> Vec<(String, String)> {
    let mut carrier = std::collections::HashMap::new();
    TraceContextPropagator::new().inject_context(&span.context(), &mut carrier);
    carrier.into_iter().filter(|(_, value)| !value.is_empty()).collect()
}
