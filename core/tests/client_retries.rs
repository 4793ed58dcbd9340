//! The client's retry and re-authentication rules, against a small scripted HTTP server: which
//! calls are retried on 429/502/503/504, that `Retry-After` is honoured, that `execute_tool` is
//! never re-sent once it may have reached the server, and that a 401 triggers exactly one re-auth.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use axum::{Json, Router};
use serde_json::json;

use agentkit_core::model::{ExecuteToolRequest, ListToolsRequest};
use agentkit_core::triggers::{ConfirmRotationParams, SigningSecretParams};
use agentkit_core::{Actions, ClientOptions, ErrorKind, ScalekitClient};

/// Answers queued per path; once a queue is empty the path answers 200.
#[derive(Default)]
struct Script {
    answers: Mutex<Vec<(u16, Option<&'static str>)>>,
    hits: AtomicUsize,
    token_requests: AtomicUsize,
    /// The `x-request-id` of every API request, in order.
    request_ids: Mutex<Vec<String>>,
}

async fn token(State(s): State<Arc<Script>>) -> Json<serde_json::Value> {
    let n = s.token_requests.fetch_add(1, Ordering::SeqCst);
    Json(json!({"access_token": format!("token-{n}"), "token_type": "Bearer", "expires_in": 3600}))
}

async fn api(State(s): State<Arc<Script>>, headers: HeaderMap) -> Response {
    s.hits.fetch_add(1, Ordering::SeqCst);
    let id = headers.get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    s.request_ids.lock().unwrap().push(id);
    let next = {
        let mut q = s.answers.lock().unwrap();
        if q.is_empty() {
            None
        } else {
            Some(q.remove(0))
        }
    };
    match next {
        Some((401, Some("tool"))) => {
            let body = json!({"code": 16, "message": "provider rejected the credential",
                "details": [{"@type": "type.googleapis.com/scalekit.v1.errdetails.ErrorInfo", "error_code": "TOOL_ERROR"}]});
            (StatusCode::UNAUTHORIZED, Json(body)).into_response()
        }
        Some((401, _)) => {
            (StatusCode::UNAUTHORIZED, Json(json!({"code": 16, "message": "token expired", "details": []})))
                .into_response()
        }
        Some((status, retry_after)) => {
            let mut resp =
                (StatusCode::from_u16(status).unwrap(), Json(json!({"code": 14, "message": "busy", "details": []})))
                    .into_response();
            if let Some(v) = retry_after {
                resp.headers_mut().insert("retry-after", v.parse().unwrap());
            }
            resp
        }
        None => {
            let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            Json(json!({"tools": [], "tool_names": [], "total_size": 0, "data": {"auth": auth}, "execution_id": "x"}))
                .into_response()
        }
    }
}

async fn serve(answers: Vec<(u16, Option<&'static str>)>) -> (Actions, Arc<Script>) {
    let script = Arc::new(Script { answers: Mutex::new(answers), ..Default::default() });
    let app =
        Router::new().route("/oauth/token", post(token)).route("/api/v1/{*rest}", any(api)).with_state(script.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let options = ClientOptions { backoff_base: Duration::from_millis(20), ..ClientOptions::default() };
    let client = ScalekitClient::new(&format!("http://{addr}"), "id", "secret", options).unwrap();
    (Actions::new(client), script)
}

#[tokio::test]
async fn idempotent_calls_retry_retryable_statuses() {
    let (actions, script) = serve(vec![(503, None), (502, None)]).await;
    actions.list_tools(ListToolsRequest::default()).await.expect("third attempt succeeds");
    assert_eq!(script.hits.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn retries_stop_after_the_budget() {
    let (actions, script) = serve(vec![(503, None); 5]).await;
    let err = actions.list_tools(ListToolsRequest::default()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert_eq!(script.hits.load(Ordering::SeqCst), 3, "1 attempt + 2 retries");
    // One id for the logical call, kept across its retries, and on the error it ends with.
    let ids = script.request_ids.lock().unwrap().clone();
    assert!(ids[0].starts_with("req_") && ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert_eq!(err.request_id(), Some(ids[0].as_str()));
    actions.list_tools(ListToolsRequest::default()).await.unwrap();
    let next = script.request_ids.lock().unwrap().last().cloned().unwrap();
    assert_ne!(next, ids[0], "the next call has its own id");
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let (actions, _script) = serve(vec![(429, Some("1"))]).await;
    let started = Instant::now();
    actions.list_tools(ListToolsRequest::default()).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(950), "waited {:?}", started.elapsed());
}

#[tokio::test]
async fn execute_tool_is_never_resent_after_reaching_the_server() {
    let (actions, script) = serve(vec![(503, None), (503, None)]).await;
    let req = ExecuteToolRequest { tool_name: "t".into(), identifier: "u".into(), ..Default::default() };
    let err = actions.execute_tool(req).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert_eq!(script.hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn signing_secret_changes_are_never_resent_after_reaching_the_server() {
    // A second PUT would start another rotation, a second confirm could confirm a newer one.
    let (actions, script) = serve(vec![(503, None), (503, None)]).await;
    let p = SigningSecretParams { connection_id: "github".into(), signing_secret: "s3cret-value".into() };
    assert_eq!(actions.set_trigger_signing_secret(p).await.unwrap_err().kind(), ErrorKind::Unavailable);
    assert_eq!(script.hits.load(Ordering::SeqCst), 1);

    let (actions, script) = serve(vec![(503, None), (503, None)]).await;
    let p = ConfirmRotationParams { connection_id: "github".into(), signing_secret_rotation_id: Some(2) };
    assert_eq!(actions.confirm_trigger_signing_secret_rotation(p).await.unwrap_err().kind(), ErrorKind::Unavailable);
    assert_eq!(script.hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_401_re_authenticates_once() {
    let (actions, script) = serve(vec![(401, None)]).await;
    let req = ExecuteToolRequest { tool_name: "t".into(), identifier: "u".into(), ..Default::default() };
    let resp = actions.execute_tool(req).await.unwrap();
    assert_eq!(resp.data["auth"], "Bearer token-1", "the retry used the fresh token");
    assert_eq!(script.token_requests.load(Ordering::SeqCst), 2);

    let (actions, script) = serve(vec![(401, None), (401, None)]).await;
    let err = actions.list_tools(ListToolsRequest::default()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert_eq!(script.token_requests.load(Ordering::SeqCst), 2, "one re-auth, not a loop");
}

#[tokio::test]
async fn a_provider_401_is_a_tool_error_not_a_reason_to_resend() {
    let (actions, script) = serve(vec![(401, Some("tool"))]).await;
    let req = ExecuteToolRequest { tool_name: "t".into(), identifier: "u".into(), ..Default::default() };
    let err = actions.execute_tool(req).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ToolExecution);
    assert_eq!(err.status(), 401);
    assert_eq!(script.hits.load(Ordering::SeqCst), 1, "the tool call was not re-sent");
    assert_eq!(script.token_requests.load(Ordering::SeqCst), 1, "no re-authentication");
}

#[tokio::test]
async fn concurrent_calls_share_one_token_request() {
    let (actions, script) = serve(vec![]).await;
    let calls = (0..20).map(|_| actions.list_tools(ListToolsRequest::default()));
    for r in futures::future::join_all(calls).await {
        r.unwrap();
    }
    assert_eq!(script.token_requests.load(Ordering::SeqCst), 1);
}
