//! API-key, bearer and basic credentials: each is injected exactly as the connector declares
//! (header name and prefix), and nothing else of the account leaks upstream.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use agentkit_core::dispatch::{dispatch, Operation};
use agentkit_core::{Actions, ClientOptions, ScalekitClient};
use base64::Engine;
use serde_json::{json, Value};

#[tokio::test]
async fn static_credentials_are_injected_as_declared() {
    let (sandbox, _task) = agentkit_sandbox::start("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let data_dir = std::env::temp_dir().join(format!("agentkit-static-{}", uuid::Uuid::new_v4().simple()));
    let connectors = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/connectors");
    let text = format!(
        r#"
[server]
listen = "127.0.0.1:0"
data_dir = "{}"
connectors_dir = "{}"
[egress]
# test fixtures listen on loopback
allow = ["127.0.0.1"]
[[api_clients]]
client_id = "c"
client_secret = "s"
[[connections]]
name = "keyed"
connector = "echo_apikey"
base_url = "http://{sandbox}"
[[connections]]
name = "bearer"
connector = "echo_bearer"
base_url = "http://{sandbox}"
[[connections]]
name = "querykey"
connector = "echo_querykey"
base_url = "http://{sandbox}"
"#,
        data_dir.display(),
        connectors.display()
    );
    let server = agentkit_server::start(agentkit_server::Config::parse(&text, "test.toml").unwrap()).await.unwrap();
    let actions = Actions::new(ScalekitClient::new(&server.public_url, "c", "s", ClientOptions::default()).unwrap());
    let create = |connection: &str, user: &str, details: Value| {
        dispatch(
            &actions,
            Operation::CreateConnectedAccount,
            json!({"connection_name": connection, "identifier": user, "authorization_details": {"static_auth": details}}),
        )
    };
    let run = |tool: &str, user: &str| {
        dispatch(&actions, Operation::ExecuteTool, json!({"tool_name": tool, "identifier": user, "tool_input": {}}))
    };

    let account = create("keyed", "u1", json!({"api_key": "key-123"})).await.unwrap();
    assert_eq!(account["connected_account"]["authorization_type"], "API_KEY");
    let echoed = run("echo_apikey_request", "u1").await.unwrap();
    assert_eq!(echoed["data"]["headers"]["x-api-key"], "key-123");
    assert!(echoed["data"]["headers"].get("authorization").is_none(), "only the declared header");

    create("bearer", "u2", json!({"token": "tok-456"})).await.unwrap();
    let echoed = run("echo_bearer_request", "u2").await.unwrap();
    assert_eq!(echoed["data"]["headers"]["authorization"], "Bearer tok-456");

    create("bearer", "u3", json!({"username": "ann", "password": "p@ss"})).await.unwrap();
    let echoed = run("echo_bearer_request", "u3").await.unwrap();
    let expected = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("ann:p@ss"));
    assert_eq!(echoed["data"]["headers"]["authorization"], expected);
    let headers = echoed["data"]["headers"].to_string();
    assert!(!headers.contains("connection_name") && !headers.contains("x-sdk-version"), "{headers}");

    // A key the connector puts in the query: there, next to the tool's own parameters, and in no
    // header; through the proxy too, where the caller's own `api_key` is dropped.
    create("querykey", "u5", json!({"api_key": "key-789"})).await.unwrap();
    let echoed = dispatch(
        &actions,
        Operation::ExecuteTool,
        json!({"tool_name": "echo_querykey_request", "identifier": "u5", "tool_input": {"q": "rain"}}),
    )
    .await
    .unwrap();
    assert_eq!(echoed["data"]["query"], "q=rain&api_key=key-789", "{echoed}");
    assert!(!echoed["data"]["headers"].to_string().contains("key-789"), "{echoed}");
    let token: Value = reqwest::Client::new()
        .post(format!("{}/oauth/token", server.public_url))
        .form(&[("grant_type", "client_credentials"), ("client_id", "c"), ("client_secret", "s")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let proxied: Value = reqwest::Client::new()
        .get(format!("{}/proxy/sandbox/echo?api_key=callers-own&x=1", server.public_url))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .header("connection_name", "querykey")
        .header("identifier", "u5")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(proxied["query"], "x=1&api_key=key-789", "{proxied}");

    let missing = create("keyed", "u4", json!({"unrelated": "x"})).await.unwrap();
    assert_eq!(missing["connected_account"]["status"], "ACTIVE");
    let err = run("echo_apikey_request", "u4").await.unwrap_err();
    assert!(err.message().contains("credentials"), "{}", err.message());
    server.task.abort();
    let _ = std::fs::remove_dir_all(data_dir);
}
