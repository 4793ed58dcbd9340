//! A webhook endpoint of the config file (`[[webhooks.endpoints]]`, its own `whsec_` secret and
//! event filter) gets its events signed with that secret, and only the events it asked for.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::sync::{Arc, Mutex};

use agentkit_core::dispatch::{dispatch, Operation};
use agentkit_core::{Actions, ClientOptions, ScalekitClient};
use axum::http::HeaderMap;
use serde_json::{json, Value};

type Received = Arc<Mutex<Vec<(Vec<(String, String)>, Vec<u8>)>>>;

#[tokio::test]
async fn config_file_endpoints_get_their_events_signed_with_their_secret() {
    let received: Received = Arc::default();
    let sink = received.clone();
    let receiver = axum::Router::new().route(
        "/hooks",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let sink = sink.clone();
            async move {
                let headers = headers
                    .iter()
                    .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or_default().to_string()))
                    .collect();
                sink.lock().unwrap().push((headers, body.to_vec()));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let receiver_addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, receiver).await.unwrap() });

    let secret = agentkit_core::webhooks::new_secret();
    let data_dir = std::env::temp_dir().join(format!("agentkit-webhook-config-{}", uuid::Uuid::new_v4().simple()));
    let text = format!(
        r#"
[server]
listen = "127.0.0.1:0"
data_dir = "{}"
[[api_clients]]
client_id = "c"
client_secret = "s"
[[connections]]
name = "gmail"
connector = "gmail"
client_id = "x"
client_secret = "y"
[webhooks]
allow_loopback = true
[[webhooks.endpoints]]
url = "http://{receiver_addr}/hooks"
events = ["connected_account.deleted"]
secret = "{secret}"
"#,
        data_dir.display()
    );
    let server = agentkit_server::start(agentkit_server::Config::parse(&text, "test.toml").unwrap()).await.unwrap();
    let actions = Actions::new(ScalekitClient::new(&server.public_url, "c", "s", ClientOptions::default()).unwrap());
    let account = json!({"connection_name": "gmail", "identifier": "u", "authorization_details": {"oauth_token": {"access_token": "a", "refresh_token": "r"}}});
    dispatch(&actions, Operation::CreateConnectedAccount, account).await.unwrap();
    dispatch(&actions, Operation::DeleteConnectedAccount, json!({"connection_name": "gmail", "identifier": "u"}))
        .await
        .unwrap();
    for _ in 0..200 {
        if !received.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let received = received.lock().unwrap().clone();
    assert_eq!(received.len(), 1, "only the event the endpoint asked for");
    let (headers, body) = &received[0];
    agentkit_core::webhooks::verify_now(&secret, headers, body).expect("signed with the config's secret");
    let event: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(event["type"], "connected_account.deleted");
    assert_eq!(event["data"]["identifier"], "u");
    server.task.abort();
    let _ = std::fs::remove_dir_all(data_dir);
}
