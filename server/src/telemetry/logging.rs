//! Log output: text for people, JSON lines for log pipelines (`[logging] format`, or
//! `AGENTKIT_LOG_FORMAT`), level filter from `AGENTKIT_LOG`. Lines go to stderr through a writer
//! thread, so a call never waits on a `write` to a slow pipe or file (lines are queued, never
//! dropped); colours only on a terminal.

use serde::Deserialize;

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// `[logging]` in the config file.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct LoggingConfig {
    /// `AGENTKIT_LOG_FORMAT` sets it too (the config's environment layer).
    pub format: LogFormat,
    /// Which lines are written: a level, or `tracing` filter directives per module
    /// (`info,agentkit::request=warn`); `AGENTKIT_LOG` sets it too.
    pub level: String,
    /// Routes (as the router names them, `/api/v1/execute_tool`) whose successful requests are
    /// logged at debug rather than info: the hot paths' access lines, where they cost the most.
    pub quiet_routes: Vec<String>,
}

/// What must live as long as the process: the log writer (dropping it flushes the queue) and the
/// trace exporter (shut down on drop, which sends the spans still batched).
pub struct LogGuards {
    _writer: tracing_appender::non_blocking::WorkerGuard,
    traces: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl Drop for LogGuards {
    fn drop(&mut self) {
        if let Some(provider) = self.traces.take() {
            let _ = provider.shutdown();
        }
    }
}

/// Installs the global subscriber: the log output, and OTLP trace export when the environment
/// asks for it (see [`super::traces`]).
pub fn init(settings: &LoggingConfig) -> LogGuards {
    use std::io::IsTerminal;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let (writer, guard) =
        tracing_appender::non_blocking::NonBlockingBuilder::default().lossy(false).finish(std::io::stderr());
    let traces = super::traces::provider_from_env();
    let mut filter = tracing_subscriber::EnvFilter::try_new(&settings.level).unwrap_or_else(|e| {
        eprintln!("warning: [logging] level {:?} is not a filter ({e}); logging at info", settings.level);
        "info".into()
    });
    if traces.is_none() {
        // Export-only spans are off without an exporter (see `traces::SPAN_TARGET`).
        if let Ok(off) = format!("{}=off", super::traces::SPAN_TARGET).parse() {
            filter = filter.add_directive(off);
        }
    }
    let output = match settings.format {
        LogFormat::Text => {
            tracing_subscriber::fmt::layer().with_writer(writer).with_ansi(std::io::stderr().is_terminal()).boxed()
        }
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(writer)
            .boxed(),
    };
    let otlp = traces.as_ref().map(super::traces::layer);
    tracing_subscriber::registry().with(filter).with(output).with(otlp).init();
    LogGuards { _writer: guard, traces }
}

use tracing_subscriber::Layer as _;
