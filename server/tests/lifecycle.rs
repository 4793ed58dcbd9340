//! A gateway's life as a load balancer sees it: `/readyz` says when it can serve, and a stop
//! (SIGTERM) finishes the requests in flight, ends legacy SSE streams with a last event, and
//! takes no new connection.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::time::Duration;

use agentkit_core::dispatch::{dispatch, Operation};
use futures::StreamExt;
use serde_json::{json, Value};

mod common;
use common::Gateway;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_and_a_graceful_stop() {
    let mut gateway = Gateway::start();
    let base = gateway.env["SCALEKIT_ENV_URL"].clone();
    let ready = reqwest::get(format!("{base}/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "ready", "{body}");
    assert_eq!(body["checks"]["database"], "ok");

    let actions = gateway.actions();
    gateway.active_account("drainer").await;
    dispatch(
        &actions,
        Operation::McpCreateConfig,
        json!({"name": "drain-cfg", "connection_tool_mappings": [{"connection_name": "gmail", "tools": ["gmail_list_labels"]}]}),
    )
    .await
    .unwrap();
    let instance = dispatch(
        &actions,
        Operation::McpEnsureInstance,
        json!({"config_name": "drain-cfg", "user_identifier": "drainer"}),
    )
    .await
    .unwrap();
    let mcp_url = instance["instance"]["url"].as_str().unwrap().to_string();

    // A legacy SSE stream is open, and a proxied call is in flight (the provider answers in 1.5 s).
    let sse = reqwest::Client::new().get(&mcp_url).header("accept", "text/event-stream").send().await.unwrap();
    assert_eq!(sse.status(), 200);
    let mut events = sse.bytes_stream();
    let first = String::from_utf8_lossy(&events.next().await.unwrap().unwrap()).to_string();
    assert!(first.contains("endpoint"), "{first}");
    let api_token = gateway.api_token().await;
    let slow = tokio::spawn(
        reqwest::Client::new()
            .get(format!("{base}/proxy/gmail/v1/users/me/labels"))
            .bearer_auth(&api_token)
            .header("connection_name", "gmail")
            .header("identifier", "drainer")
            .header("x-sandbox-delay-ms", "1500")
            .send(),
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    gateway.terminate();

    // The SSE stream gets its last event and ends.
    let mut rest = String::new();
    while let Ok(Some(chunk)) = tokio::time::timeout(Duration::from_secs(5), events.next()).await {
        rest.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
    }
    assert!(rest.contains("shutting down"), "a last event on the stream: {rest:?}");

    // The call in flight finishes.
    let answer = slow.await.unwrap().unwrap();
    assert_eq!(answer.status(), 200);
    assert!(answer.text().await.unwrap().contains("labels"));

    // And the process exits, having taken no new connection.
    assert!(gateway.wait_exit().success());
    assert!(reqwest::get(format!("{base}/healthz")).await.is_err());
}
