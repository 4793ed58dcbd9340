//! Tool calls against a provider that fails (issue 22, "Durability: Low"): what the caller of
//! `execute_tool` is told when the provider says "slow down", answers an error, answers too late
//! or drops the connection — and which of those calls the gateway sends again.
//!
//! Each test runs an in-process gateway with a small test connector (written to its own
//! connectors dir) against a loopback upstream: an axum service that answers a status of the
//! test's choosing, or a raw TCP service that reads a request and then closes or resets the
//! connection without answering.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use agentkit_core::dispatch::{dispatch, Operation};
use agentkit_core::{Actions, ClientOptions, ScalekitClient};

/// A test connector: `{slug}_read` GETs `/answer/{status}` (a retry rule covers it),
/// `{slug}_create` POSTs there (not safe to repeat: never retried). `limits` is merged in.
fn connector(slug: &str, limits: Value) -> Value {
    let text = json!({"type": "string"});
    let input = json!({"type": "object", "properties": {"status": text, "retry_after": text}, "required": ["status"]});
    let query = json!({"retry_after": "{{retry_after}}"});
    let request = |method: &str| json!({"method": method, "path": "/answer/{{status}}", "query": query});
    json!({
        "slug": slug,
        "display_name": format!("{slug} (test provider)"),
        "base_url": "http://127.0.0.1:1",
        "auth": {"type": "API_KEY", "header": "x-api-key", "prefix": ""},
        "limits": limits,
        "tools": [
            {"name": format!("{slug}_read"), "description": "Reads an answer.", "input_schema": input,
             "request": request("GET")},
            {"name": format!("{slug}_create"), "description": "Creates something.", "input_schema": input,
             "request": request("POST")},
        ]
    })
}

/// The connector most tests use: two tries on 429 and 503, almost no wait between them.
fn flaky() -> Value {
    connector(
        "flaky",
        json!({"retry": {"max_attempts": 2, "on_status": [429, 503], "backoff_ms": 10, "max_delay_ms": 50}}),
    )
}

/// A gateway whose connection `name` (connector `connector["slug"]`) calls `upstream`, with an
/// account `user` on it; `extra` is added to the config file.
struct Gateway {
    url: String,
    token: String,
    actions: Actions,
    metrics: Option<SocketAddr>,
    http: reqwest::Client,
    data_dir: std::path::PathBuf,
    /// Held so the gateway (and its metrics listener) keeps serving.
    _server: agentkit_server::RunningServer,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

async fn gateway(connectors: &[Value], connections: &[(&str, &str, String)], extra: &str) -> Gateway {
    let data_dir = std::env::temp_dir().join(format!("agentkit-tool-failures-{}", uuid::Uuid::new_v4().simple()));
    let connectors_dir = data_dir.join("connectors");
    std::fs::create_dir_all(&connectors_dir).unwrap();
    for c in connectors {
        let file = connectors_dir.join(format!("{}.json", c["slug"].as_str().unwrap()));
        std::fs::write(file, serde_json::to_vec_pretty(c).unwrap()).unwrap();
    }
    let mut text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\nconnectors_dir = \"{}\"\n{extra}\n\
         [egress]\n# the test upstreams listen on loopback\nallow = [\"127.0.0.1\"]\n\
         [[api_clients]]\nclient_id = \"c\"\nclient_secret = \"s\"\n",
        connectors_dir.display()
    );
    for (name, connector, base_url) in connections {
        text.push_str(&format!(
            "[[connections]]\nname = \"{name}\"\nconnector = \"{connector}\"\nbase_url = \"{base_url}\"\n"
        ));
    }
    let mut config = agentkit_server::Config::parse(&text, "tool_call_failures.toml").unwrap();
    config.server.data_dir = data_dir.clone();
    let server = agentkit_server::start(config).await.unwrap();
    let url = server.public_url.clone();
    let actions = Actions::new(ScalekitClient::new(&url, "c", "s", ClientOptions::default()).unwrap());
    let http = reqwest::Client::new();
    let answer: Value = http
        .post(format!("{url}/oauth/token"))
        .form(&[("grant_type", "client_credentials"), ("client_id", "c"), ("client_secret", "s")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = answer["access_token"].as_str().unwrap().to_string();
    Gateway { url, token, actions, metrics: server.metrics_addr, http, data_dir, _server: server }
}

impl Gateway {
    async fn account(&self, connection: &str, user: &str) {
        dispatch(
            &self.actions,
            Operation::CreateConnectedAccount,
            json!({"connection_name": connection, "identifier": user,
                   "authorization_details": {"static_auth": {"api_key": "key-1"}}}),
        )
        .await
        .unwrap();
    }

    /// `POST /api/v1/execute_tool` over plain HTTP: `(status, headers, body)` as the gateway sent them.
    async fn execute(&self, tool: &str, user: &str, params: Value) -> (u16, HeaderMap, Value) {
        let resp = self
            .http
            .post(format!("{}/api/v1/execute_tool", self.url))
            .bearer_auth(&self.token)
            .json(&json!({"tool_name": tool, "identifier": user, "params": params}))
            .send()
            .await
            .unwrap();
        let (status, headers) = (resp.status().as_u16(), resp.headers().clone());
        (status, headers, resp.json().await.unwrap())
    }
}

/// Requests seen per status the upstream was asked to answer.
type Hits = Arc<Mutex<std::collections::HashMap<u16, usize>>>;

/// An upstream answering `/answer/{status}` with that status, a provider-style error body and the
/// `retry_after` query parameter as `Retry-After`; `/answer/slow` answers after 3 s.
async fn status_upstream() -> (SocketAddr, Hits) {
    let hits: Hits = Default::default();
    let seen = hits.clone();
    let app = axum::Router::new().route(
        "/answer/{status}",
        axum::routing::any(
            move |Path(status): Path<String>, Query(q): Query<std::collections::HashMap<String, String>>| {
                let seen = seen.clone();
                async move {
                    if status == "slow" {
                        tokio::time::sleep(Duration::from_secs(3)).await;
                        return axum::Json(json!({"late": true})).into_response();
                    }
                    let code: u16 = status.parse().unwrap();
                    *seen.lock().unwrap().entry(code).or_default() += 1;
                    let mut resp = (
                        StatusCode::from_u16(code).unwrap(),
                        axum::Json(json!({"error": {"message": format!("provider says {code}")}})),
                    )
                        .into_response();
                    if let Some(value) = q.get("retry_after") {
                        resp.headers_mut().insert("retry-after", value.parse().unwrap());
                    }
                    resp
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, hits)
}

/// Issue 22 (low) #1: when the provider's 429 is final (the connector's retry rule is used up,
/// or the call is not one to repeat), the caller still learns when to come back: the provider's
/// `Retry-After` (seconds or an HTTP-date) is on the gateway's 429, clamped to a day.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_final_429_keeps_the_providers_retry_after() {
    let (upstream, hits) = status_upstream().await;
    let gw = gateway(&[flaky()], &[("flaky", "flaky", format!("http://{upstream}"))], "").await;
    gw.account("flaky", "u1").await;

    // The retry rule runs out (two tries, both 429 with Retry-After: 7).
    let (status, headers, body) = gw.execute("flaky_read", "u1", json!({"status": "429", "retry_after": "7"})).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(hits.lock().unwrap()[&429], 2, "the connector's rule tried twice");
    assert_eq!(headers.get("retry-after").map(|v| v.to_str().unwrap()), Some("7"), "{headers:?}");

    // No rule applies (a POST that creates) and the provider gives a date two minutes ahead.
    let date = (chrono::Utc::now() + chrono::Duration::seconds(120)).format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let (status, headers, body) = gw.execute("flaky_create", "u1", json!({"status": "429", "retry_after": date})).await;
    assert_eq!(status, 429, "{body}");
    let secs: u64 =
        headers.get("retry-after").expect("Retry-After from an HTTP-date").to_str().unwrap().parse().unwrap();
    assert!((115..=120).contains(&secs), "Retry-After {secs} for a date 120 s ahead");

    // A provider cannot park the caller for longer than a day, nor break the answer.
    for (sent, expected) in [
        ("99999999999999999999999", Some("86400")),
        ("Fri, 01 Jan 9999 00:00:00 GMT", Some("86400")),
        ("Sun, 06 Nov 1994 08:49:37 GMT", Some("0")),
        ("soon", None),
    ] {
        let (status, headers, body) =
            gw.execute("flaky_create", "u1", json!({"status": "429", "retry_after": sent})).await;
        assert_eq!(status, 429, "{body}");
        assert_eq!(headers.get("retry-after").map(|v| v.to_str().unwrap()), expected, "Retry-After: {sent}");
    }
}

/// Issue 22 (low) #2: a provider failure's gRPC-style `code` follows the status the gateway
/// relays (not INTERNAL for all), while the SDKs still raise the same tool exception classes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_failures_carry_the_code_of_the_status_they_relay() {
    let (upstream, _hits) = status_upstream().await;
    let gw = gateway(&[flaky()], &[("flaky", "flaky", format!("http://{upstream}"))], "").await;
    gw.account("flaky", "u1").await;
    for (provider, relayed, code, class) in [
        (400, 400, 3, "ScalekitToolException"),
        (401, 401, 16, "ScalekitToolUnauthorizedException"),
        (403, 403, 7, "ScalekitToolForbiddenException"),
        (404, 404, 5, "ScalekitToolException"),
        (409, 409, 6, "ScalekitToolException"),
        (429, 429, 8, "ScalekitToolRateLimitException"),
        (500, 502, 14, "ScalekitToolException"),
        (503, 502, 14, "ScalekitToolException"),
    ] {
        let params = json!({"status": provider.to_string()});
        let (status, _, body) = gw.execute("flaky_create", "u1", params.clone()).await;
        assert_eq!((status, body["code"].as_i64()), (relayed, Some(code)), "provider {provider}: {body}");
        assert_eq!(body["details"][0]["error_code"], "TOOL_ERROR", "{body}");
        let err = dispatch(
            &gw.actions,
            Operation::ExecuteTool,
            json!({"tool_name": "flaky_create", "identifier": "u1", "tool_input": params}),
        )
        .await
        .unwrap_err();
        assert_eq!((err.sdk_class_name(), err.status()), (class, relayed), "provider {provider}");
    }
}

/// Issue 22 (low) #3: a provider that takes the connection but answers too late is a timeout
/// naming the deadline (504, DEADLINE_EXCEEDED), not "could not be reached"; a refused
/// connection still says it could not be reached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_answer_is_a_timeout_and_a_refused_connection_is_unreachable() {
    let (upstream, _hits) = status_upstream().await;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let slow = connector("slow", json!({"timeout_secs": 1}));
    let gw = gateway(
        &[slow],
        &[("slow", "slow", format!("http://{upstream}")), ("gone", "slow", format!("http://{closed}"))],
        "",
    )
    .await;
    gw.account("slow", "u1").await;
    gw.account("gone", "u2").await;

    let started = Instant::now();
    let (status, _, body) = gw.execute("slow_read", "u1", json!({"status": "slow"})).await;
    let message = body["message"].as_str().unwrap_or_default();
    assert_eq!((status, body["code"].as_i64()), (504, Some(4)), "{body}");
    assert!(message.contains("did not answer within 1 s"), "{message}");
    assert!(!message.contains("could not be reached"), "{message}");
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "the connector's deadline applies: {:?}",
        started.elapsed()
    );

    let (status, _, body) = gw.execute("slow_read", "u2", json!({"status": "200"})).await;
    let message = body["message"].as_str().unwrap_or_default();
    assert_eq!((status, body["code"].as_i64()), (503, Some(14)), "{body}");
    assert!(message.contains("could not be reached"), "{message}");
}

/// What the raw upstream does with the next request it reads.
#[derive(Debug, Clone, Copy)]
enum Act {
    /// Close the connection without answering (FIN), as a restarting server does.
    Close,
    /// Reset the connection (RST), as a stale pooled connection does.
    Reset,
    /// Answer 200 with a small JSON body.
    Answer,
}

/// A raw TCP upstream: reads each request whole, then does the next scripted act (answers once
/// the script is used up). Counts the requests it read.
async fn dropping_upstream(script: Arc<Mutex<VecDeque<Act>>>) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(AtomicUsize::new(0));
    let count = seen.clone();
    tokio::spawn(async move {
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            let (script, count) = (script.clone(), count.clone());
            tokio::spawn(async move {
                // The head, then as many body bytes as Content-Length says: nothing is left
                // unread, so a plain close is a FIN, not an RST.
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                let head_end = loop {
                    let n = stream.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    request.extend_from_slice(&buf[..n]);
                    if let Some(i) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                };
                let head = String::from_utf8_lossy(&request[..head_end]).to_ascii_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .map(|v| v.trim().parse().unwrap())
                    .unwrap_or(0);
                while request.len() < head_end + length {
                    let n = stream.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    request.extend_from_slice(&buf[..n]);
                }
                count.fetch_add(1, Ordering::SeqCst);
                let act = script.lock().unwrap().pop_front().unwrap_or(Act::Answer);
                match act {
                    Act::Close => drop(stream),
                    Act::Reset => {
                        stream.set_zero_linger().unwrap();
                        drop(stream);
                    }
                    Act::Answer => {
                        let body = r#"{"ok":true}"#;
                        let answer = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
                             connection: close\r\n\r\n{body}",
                            body.len()
                        );
                        let _ = stream.write_all(answer.as_bytes()).await;
                    }
                }
            });
        }
    });
    (addr, seen)
}

/// Issue 22 (low) #4: a provider that drops the connection before answering (closed or reset)
/// gets a repeatable request (GET, or a read-only / idempotent tool) once more, at once; a POST
/// that creates is never sent twice. Each try draws on the rate limit and is counted in metrics.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_is_retried_once_for_repeatable_calls_only() {
    let script: Arc<Mutex<VecDeque<Act>>> = Default::default();
    let (upstream, seen) = dropping_upstream(script.clone()).await;
    // Two provider requests a minute per account, none waited for.
    let dropping = connector("dropping", json!({"rate_limit": {"requests": 2, "per_seconds": 60, "max_wait_ms": 0}}));
    let gw = gateway(
        &[dropping],
        &[("dropping", "dropping", format!("http://{upstream}"))],
        "[metrics]\nlisten = \"127.0.0.1:0\"\n",
    )
    .await;
    for user in ["closed", "reset", "twice", "create", "limited"] {
        gw.account("dropping", user).await;
    }
    let run = |tool: &'static str, user: &'static str| gw.execute(tool, user, json!({"status": "200"}));
    let set = |acts: &[Act]| *script.lock().unwrap() = acts.iter().copied().collect();
    let sent_during = |before: usize| seen.load(Ordering::SeqCst) - before;

    // A GET whose connection is closed, or reset, before any answer: sent again, answered.
    for (act, user) in [(Act::Close, "closed"), (Act::Reset, "reset")] {
        set(&[act]);
        let before = seen.load(Ordering::SeqCst);
        let (status, _, body) = run("dropping_read", user).await;
        assert_eq!((status, &body["data"]), (200, &json!({"ok": true})), "{act:?}: {body}");
        assert_eq!(sent_during(before), 2, "{act:?}: one retry");
    }

    // Once only: dropped twice, the call fails (503, the connection was lost before an answer).
    set(&[Act::Reset, Act::Close]);
    let before = seen.load(Ordering::SeqCst);
    let (status, _, body) = run("dropping_read", "twice").await;
    assert_eq!(status, 503, "{body}");
    assert!(body["message"].as_str().unwrap().contains("closed the connection before answering"), "{body}");
    assert_eq!(sent_during(before), 2, "retried once, not more");

    // A POST that creates is never sent twice.
    for act in [Act::Close, Act::Reset] {
        set(&[act]);
        let before = seen.load(Ordering::SeqCst);
        let (status, _, body) = run("dropping_create", "create").await;
        assert_eq!(status, 503, "{act:?}: {body}");
        assert_eq!(sent_during(before), 1, "{act:?}: not retried");
    }

    // Each try draws on the account's limit: a dropped try and its retry use both slots of
    // "limited", so its next call is refused before anything is sent.
    set(&[Act::Reset]);
    assert_eq!(run("dropping_read", "limited").await.0, 200);
    let before = seen.load(Ordering::SeqCst);
    let (status, _, body) = run("dropping_read", "limited").await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(sent_during(before), 0, "refused before sending");

    // Every try is one provider call in the metrics: the lost ones without a status.
    let scraped =
        gw.http.get(format!("http://{}/metrics", gw.metrics.unwrap())).send().await.unwrap().text().await.unwrap();
    let count = |class: &str| {
        scraped
            .lines()
            .find(|l| {
                l.starts_with("http_client_request_duration_seconds_count")
                    && l.contains("agentkit_connector=\"dropping\"")
                    && l.contains(&format!("http_response_status_class=\"{class}\""))
            })
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // Lost: closed 1, reset 1, twice 2, create 2, limited 1; answered: closed, reset, limited.
    assert_eq!((count("error"), count("2xx")), (7, 3), "{scraped}");
}
