//! API clients and their permissions, on a gateway started from a config file: only clients
//! allowed to read credentials get them; everything else still works for the others.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use agentkit_core::dispatch::{dispatch, Operation};
use agentkit_core::{Actions, ClientOptions, ErrorKind, ScalekitClient};
use serde_json::json;

const CONFIG: &str = r#"
[server]
listen = "127.0.0.1:0"

[egress]
# test fixtures listen on loopback
allow = ["127.0.0.1"]
[[api_clients]]
client_id = "skc_admin"
client_secret = "admin-secret"

[[api_clients]]
client_id = "skc_agent"
client_secret_sha256 = "SHA"
read_credentials = false

[[connections]]
name = "gmail"
connector = "gmail"
base_url = "http://127.0.0.1:9"
"#;

#[tokio::test]
async fn only_permitted_clients_read_credentials() {
    let data_dir = std::env::temp_dir().join(format!("agentkit-perm-{}", uuid::Uuid::new_v4().simple()));
    let text = CONFIG.replace("SHA", &agentkit_server::config::sha256_hex("agent-secret"));
    let mut config = agentkit_server::Config::parse(&text, "test.toml").unwrap();
    config.server.data_dir = data_dir.clone();
    let server = agentkit_server::start(config).await.unwrap();
    let client = |id: &str, secret: &str| {
        Actions::new(ScalekitClient::new(&server.public_url, id, secret, ClientOptions::default()).unwrap())
    };
    let (admin, agent) = (client("skc_admin", "admin-secret"), client("skc_agent", "agent-secret"));

    dispatch(
        &agent,
        Operation::CreateConnectedAccount,
        json!({"connection_name": "gmail", "identifier": "u1",
        "authorization_details": {"oauth_token": {"access_token": "ya29.secret"}}}),
    )
    .await
    .unwrap();
    let denied =
        dispatch(&agent, Operation::GetConnectedAccount, json!({"connection_name": "gmail", "identifier": "u1"}))
            .await
            .unwrap_err();
    assert_eq!(denied.kind(), ErrorKind::Forbidden);
    assert!(denied.message().contains("get_connected_account_details"));
    let details = dispatch(
        &agent,
        Operation::GetConnectedAccountDetails,
        json!({"connection_name": "gmail", "identifier": "u1"}),
    )
    .await
    .unwrap();
    assert!(details["connected_account"].get("authorization_details").is_none());
    let full =
        dispatch(&admin, Operation::GetConnectedAccount, json!({"connection_name": "gmail", "identifier": "u1"}))
            .await
            .unwrap();
    assert_eq!(full["connected_account"]["authorization_details"]["oauth_token"]["access_token"], "ya29.secret");

    let wrong = client("skc_agent", "admin-secret");
    let err = dispatch(&wrong, Operation::ListConnectedAccounts, json!({})).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    server.task.abort();
    let _ = std::fs::remove_dir_all(data_dir);
}
