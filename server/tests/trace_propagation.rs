//! Trace context to providers: a connection that opts in (`propagate_trace_context`) sends the
//! `traceparent` of its provider-call span. Its own test binary: it installs a `tracing`
//! subscriber with the OpenTelemetry layer, which must not race other tests' callsites.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use agentkit_core::dispatch::{dispatch, Operation};
use agentkit_core::{Actions, ClientOptions, ScalekitClient};
use serde_json::{json, Value};

/// A connection that opts in (`propagate_trace_context`) sends the provider the `traceparent` of
/// its provider-call span — same trace as the caller's, the span's own id as parent; one that
/// does not sends none.
#[tokio::test]
async fn trace_context_reaches_providers_only_when_the_connection_opts_in() {
    use tracing_subscriber::layer::SubscriberExt;
    // The gateway's own OpenTelemetry layer (nothing exported): what it runs with under OTLP.
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
    let subscriber = tracing_subscriber::registry().with(agentkit_server::telemetry::traces::layer(&provider));
    let _default = tracing::subscriber::set_default(subscriber);

    let (sandbox, _task) = agentkit_sandbox::start("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let data_dir = std::env::temp_dir().join(format!("agentkit-traceprop-{}", uuid::Uuid::new_v4().simple()));
    let connectors = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/connectors");
    let text = format!(
        r#"
[server]
listen = "127.0.0.1:0"
data_dir = "{}"
connectors_dir = "{}"
[egress]
allow = ["127.0.0.1"]
[[api_clients]]
client_id = "c"
client_secret = "s"
[[connections]]
name = "traced"
connector = "echo_bearer"
base_url = "http://{sandbox}"
propagate_trace_context = true
[[connections]]
name = "untraced"
connector = "echo_apikey"
base_url = "http://{sandbox}"
"#,
        data_dir.display(),
        connectors.display()
    );
    let server = agentkit_server::start(agentkit_server::Config::parse(&text, "test.toml").unwrap()).await.unwrap();
    let actions = Actions::new(ScalekitClient::new(&server.public_url, "c", "s", ClientOptions::default()).unwrap());
    for (connection, details) in [("traced", json!({"token": "t"})), ("untraced", json!({"api_key": "k"}))] {
        let body = json!({"connection_name": connection, "identifier": "u", "authorization_details": {"static_auth": details}});
        dispatch(&actions, Operation::CreateConnectedAccount, body).await.unwrap();
    }
    let token = reqwest::Client::new()
        .post(format!("{}/oauth/token", server.public_url))
        .form(&[("grant_type", "client_credentials"), ("client_id", "c"), ("client_secret", "s")])
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let run = |tool: &'static str| {
        let (url, token) = (format!("{}/api/v1/execute_tool", server.public_url), token.clone());
        async move {
            reqwest::Client::new()
                .post(url)
                .bearer_auth(token)
                .header("traceparent", caller)
                .json(&json!({"tool_name": tool, "connector": if tool.contains("bearer") { "traced" } else { "untraced" }, "identifier": "u", "params": {}}))
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let traced = run("echo_bearer_request").await;
    let sent = traced["data"]["headers"]["traceparent"].as_str().unwrap_or_default().to_string();
    let parts: Vec<&str> = sent.split('-').collect();
    assert_eq!(parts.len(), 4, "the provider got a traceparent: {traced}");
    assert_eq!(parts[1], "4bf92f3577b34da6a3ce929d0e0e4736", "the caller's trace");
    assert_ne!(parts[2], "00f067aa0ba902b7", "the provider call's own span is the parent");
    let untraced = run("echo_apikey_request").await;
    assert!(untraced["data"]["headers"].get("traceparent").is_none(), "no opt-in, no trace context: {untraced}");
    assert!(
        untraced["data"]["headers"].get("x-request-id").is_none(),
        "the gateway's request id stays with the gateway"
    );
    server.task.abort();
    let _ = std::fs::remove_dir_all(data_dir);
}
