//! Pushed triggers against `agentkit dev`: a GitHub connection (the sandbox's GitHub) with its
//! ingress URL registered as a repository webhook; an issue opened through `execute_tool`
//! reaches the app's receiver as a signed `trigger.github_issue_event`. And the attacker's side:
//! unsigned, forged, replayed and stale pushes refused and audited, the two-step signing-secret
//! rotation, oversized pushes, activity counts and delivery attempts.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::sync::{Arc, Mutex};
use std::time::Duration;

use agentkit_core::dispatch::{dispatch, Operation};
use axum::body::Bytes;
use axum::http::HeaderMap;
use serde_json::{json, Value};

mod common;
use common::Gateway;

type Received = Arc<Mutex<Vec<(Vec<(String, String)>, Bytes)>>>;

/// The app's webhook receiver: every POST's headers and body.
async fn receiver() -> (String, Received) {
    let received: Received = Arc::default();
    let into = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let into = into.clone();
            async move {
                let pairs = headers
                    .iter()
                    .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or_default().to_string()))
                    .collect();
                into.lock().unwrap().push((pairs, body));
                "thanks"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

struct Api {
    base: String,
    sandbox: String,
    token: String,
    http: reqwest::Client,
}

impl Api {
    async fn new(gateway: &Gateway) -> Api {
        Api {
            base: gateway.env["SCALEKIT_ENV_URL"].clone(),
            sandbox: gateway.env["AGENTKIT_SANDBOX_URL"].clone(),
            token: gateway.api_token().await,
            http: reqwest::Client::new(),
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base)).bearer_auth(&self.token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.unwrap();
        (resp.status().as_u16(), resp.json().await.unwrap_or(Value::Null))
    }

    /// The sandbox signs `body` as `scheme` does and posts it to `url`: the gateway's answer.
    async fn signed_push(&self, scheme: &str, url: &str, secret: &str, body: Value, extra: Value) -> (u16, Value) {
        let mut request = json!({"scheme": scheme, "url": url, "secret": secret, "body": body});
        if let Some(extra) = extra.as_object() {
            request.as_object_mut().unwrap().extend(extra.clone());
        }
        let answer: Value = self
            .http
            .post(format!("{}/sandbox/push", self.sandbox))
            .json(&request)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let status = answer["status"].as_u64().unwrap_or(0) as u16;
        (status, serde_json::from_str(answer["body"].as_str().unwrap_or("null")).unwrap_or(Value::Null))
    }

    /// How many `trigger_push.refused` audit rows of `kind` there are.
    async fn refusals(&self, kind: &str) -> usize {
        let (status, audit) =
            self.call(reqwest::Method::GET, "/api/v1/audit?action=trigger_push.refused&page_size=100", None).await;
        assert_eq!(status, 200, "{audit}");
        let rows = audit["events"].as_array().or_else(|| audit["audit_events"].as_array()).cloned().unwrap_or_default();
        rows.iter().filter(|r| r["details"]["kind"] == kind).count()
    }

    /// A connection of `connector` on the sandbox, and an ACTIVE account of it for `user`.
    async fn connection_with_account(&self, gateway: &Gateway, connector: &str, user: &str) -> String {
        let connection = json!({"name": connector, "connector": connector, "base_url": self.sandbox,
            "client_id": agentkit_sandbox::SANDBOX_CLIENT_ID, "client_secret": agentkit_sandbox::SANDBOX_CLIENT_SECRET,
            "authorize_url": format!("{}/oauth2/authorize", self.sandbox), "token_url": format!("{}/oauth2/token", self.sandbox)});
        let (status, created) = self.call(reqwest::Method::POST, "/api/v1/connections", Some(connection)).await;
        assert!(status == 201 || created.to_string().contains("already exists"), "{created}");
        let token = gateway.sandbox_token(user).await;
        let account = dispatch(
            &gateway.actions(),
            Operation::CreateConnectedAccount,
            json!({"connection_name": connector, "identifier": user,
                   "authorization_details": {"oauth_token": {"access_token": token}}}),
        )
        .await
        .unwrap();
        account["connected_account"]["id"].as_str().unwrap().to_string()
    }
}

async fn eventually<F, Fut>(secs: u64, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    while !check().await {
        assert!(std::time::Instant::now() < deadline, "not within {secs} s: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issue_opened_on_github_reaches_the_app_and_forged_or_replayed_pushes_do_not() {
    github_pushes(&Gateway::start()).await;
}

/// The same on PostgreSQL: receipts, rotations and outbox rows commit there too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn github_pushes_on_postgres() {
    let cluster = common::postgres::Cluster::start();
    github_pushes(&Gateway::start_on(Some(&cluster.database("agentkit_pushes")))).await;
}

async fn github_pushes(gateway: &Gateway) {
    let api = Api::new(gateway).await;
    let (hook_url, received) = receiver().await;
    let (status, hook) = api
        .call(
            reqwest::Method::POST,
            "/api/v1/webhook_endpoints",
            Some(json!({"url": hook_url, "events": ["trigger.*"]})),
        )
        .await;
    assert_eq!(status, 201, "{hook}");
    let (endpoint_id, app_secret) =
        (hook["id"].as_str().unwrap().to_string(), hook["secret"].as_str().unwrap().to_string());
    let octo = api.connection_with_account(gateway, "github", "octo").await;
    let other = api.connection_with_account(gateway, "github", "other-dev").await;

    // The connection offers pushed triggers, each saying where to register and find the secret.
    let (_, offered) = api.call(reqwest::Method::GET, "/api/v1/connections/github/triggers", None).await;
    let issues =
        offered["triggers"].as_array().unwrap().iter().find(|t| t["name"] == "github_issue_event").unwrap().clone();
    assert_eq!((issues["mode"].as_str(), issues["requires_signing_secret"].as_bool()), (Some("WEBHOOK"), Some(true)));
    assert!(issues["register_hint"].as_str().unwrap().contains("Webhooks"), "{issues}");

    // No ingress until created; created once (again: the same one); the gmail connection polls.
    let (status, _) = api.call(reqwest::Method::GET, "/api/v1/connections/github/trigger-ingress", None).await;
    assert_eq!(status, 404);
    let (status, ingress) = api.call(reqwest::Method::POST, "/api/v1/connections/github/trigger-ingress", None).await;
    assert_eq!(status, 200, "{ingress}");
    let (_, again) = api.call(reqwest::Method::POST, "/api/v1/connections/conn_github/trigger-ingress", None).await;
    assert_eq!(again["id"], ingress["id"]);
    let (status, polled) = api.call(reqwest::Method::POST, "/api/v1/connections/gmail/trigger-ingress", None).await;
    assert_eq!(status, 400, "{polled}");
    let url = ingress["url"].as_str().unwrap().to_string();
    assert!(url.contains("/api/v1/trigger-delivery/wb/tig_"), "{url}");
    assert_eq!(ingress["signing_secret_configured"], false);

    // Until a secret is set every push is refused, and the activity says so.
    let (_, activity) = api.call(reqwest::Method::GET, "/api/v1/trigger-activity", None).await;
    assert_eq!(activity["signature_banner"], true, "{activity}");
    let (status, _) = api.signed_push("github", &url, "anything-at-all", json!({"zen": "hi"}), Value::Null).await;
    assert_eq!(status, 401);
    assert_eq!(api.refusals("unsigned").await, 1);

    // Interval on a pushed trigger: refused, naming the field.
    let (status, err) = api
        .call(
            reqwest::Method::POST,
            "/api/v1/connections/github/trigger-subscriptions",
            Some(json!({"connected_account_id": octo, "trigger_name": "github_issue_event", "interval_seconds": 60})),
        )
        .await;
    assert_eq!(status, 400, "{err}");
    assert!(err.to_string().contains("interval_seconds"), "{err}");
    let secret = "first-secret-0123456789";
    let (status, set) = api
        .call(
            reqwest::Method::PUT,
            "/api/v1/connections/github/trigger-ingress/signing-secret",
            Some(json!({"signing_secret": secret})),
        )
        .await;
    assert_eq!(status, 200, "{set}");
    assert_eq!(
        (set["signing_secret_configured"].as_bool(), set["rotation_in_progress"].as_bool()),
        (Some(true), Some(false))
    );
    assert_eq!(set["masked_signing_secret"], "••••6789");
    assert!(!set.to_string().contains(secret), "the secret is never answered");
    let (status, short) = api
        .call(
            reqwest::Method::PUT,
            "/api/v1/connections/github/trigger-ingress/signing-secret",
            Some(json!({"signing_secret": "short"})),
        )
        .await;
    assert_eq!(status, 400);
    assert!(short.to_string().contains("signing_secret"), "{short}");

    // The console's Triggers page shows where the provider posts and that the secret is set.
    let console = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let link = reqwest::Url::parse(&gateway.env["AGENTKIT_CONSOLE_URL"]).unwrap();
    let console_base = link.origin().ascii_serialization();
    // The one-time link's button posts from the console's own page.
    let signed_in = console.post(link).header("origin", &console_base).send().await.unwrap();
    assert_eq!(signed_in.status(), 200);
    let page = console.get(format!("{console_base}/console/triggers")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&url) && page.contains("set (••••6789)"), "{page}");
    assert!(!page.contains(secret), "the console never shows the secret");

    // octo watches octo/hello; other-dev watches another repository.
    for (account, repository) in [(&octo, "octo/hello"), (&other, "octo/elsewhere")] {
        let (status, sub) = api
            .call(
                reqwest::Method::POST,
                "/api/v1/connections/github/trigger-subscriptions",
                Some(json!({"connected_account_id": account, "trigger_name": "github_issue_event",
                            "config": {"repository": repository}})),
            )
            .await;
        assert_eq!(status, 200, "{sub}");
        assert_eq!(sub["requested_interval_seconds"], 0);
    }

    // The repository's webhook posts to the ingress URL; octo opens an issue through the tool.
    let octo_token = gateway.sandbox_token("octo").await;
    let registered = api
        .http
        .post(format!("{}/repos/octo/hello/hooks", api.sandbox))
        .bearer_auth(&octo_token)
        .json(&json!({"config": {"url": url, "secret": secret, "content_type": "json"}, "events": ["issues"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201);
    let opened = dispatch(
        &gateway.actions(),
        Operation::ExecuteTool,
        json!({"tool_name": "github_issue_create", "identifier": "octo", "connection_name": "github",
               "tool_input": {"owner": "octo", "repo": "hello", "title": "Pushed to the app"}}),
    )
    .await
    .unwrap();
    assert_eq!(opened["data"]["number"], 1, "{opened}");
    eventually(10, "the pushed event", || async { !received.lock().unwrap().is_empty() }).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let events = received.lock().unwrap().clone();
    assert_eq!(events.len(), 1, "one event: octo's subscription matches the repository, other-dev's does not");
    let event = agentkit_core::webhooks::verify_event(&app_secret, &events[0].0, &events[0].1).unwrap();
    assert_eq!(event["type"], "trigger.github_issue_event");
    assert_eq!(event["data"]["connected_account_id"], octo.as_str());
    assert_eq!(event["data"]["item"]["issue"]["title"], "Pushed to the app");
    assert_eq!(event["data"]["item"]["action"], "opened");
    assert!(!String::from_utf8_lossy(&events[0].1).contains("ya29."), "no credential in the event");

    // A forged push (signed with a guess) is refused and audited; nothing is delivered.
    let issue = |n: u32| {
        json!({"action": "opened", "issue": {"number": 100 + n, "title": format!("pushed {n}")},
               "repository": {"full_name": "octo/hello"}})
    };
    let delivery = |id: &str| json!({"headers": {"X-GitHub-Event": "issues", "X-GitHub-Delivery": id}});
    let (status, _) = api.signed_push("github", &url, "a-guessed-secret", issue(1), delivery("d-forged")).await;
    assert_eq!(status, 401);
    assert_eq!(api.refusals("forged").await, 1);
    let tampered = api
        .http
        .post(&url)
        .header("X-Hub-Signature-256", "sha256=00")
        .header("X-GitHub-Event", "issues")
        .body(issue(1).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(tampered.status(), 401);

    // A delivery replayed is taken once, also under another X-GitHub-Delivery (a header the
    // signature does not cover: the signed body names the delivery).
    let (status, first) = api.signed_push("github", &url, secret, issue(2), delivery("d-1")).await;
    assert_eq!((status, first["events"].as_u64()), (200, Some(1)), "{first}");
    for header in ["d-1", "d-1-changed-by-the-replayer"] {
        let (status, replay) = api.signed_push("github", &url, secret, issue(2), delivery(header)).await;
        assert_eq!((status, replay["duplicate"].as_bool()), (200, Some(true)), "{header}: {replay}");
    }
    assert_eq!(api.refusals("duplicate").await, 2);
    eventually(10, "the second event", || async { received.lock().unwrap().len() == 2 }).await;

    // Rotation: a new secret; both are accepted until confirmed, then only the new one.
    let rotated_secret = "second-secret-abcdefghij";
    let (_, rotating) = api
        .call(
            reqwest::Method::PUT,
            "/api/v1/connections/github/trigger-ingress/signing-secret",
            Some(json!({"signing_secret": rotated_secret})),
        )
        .await;
    assert_eq!(rotating["rotation_in_progress"], true, "{rotating}");
    assert!(rotating["previous_signing_secret_expires_at"].is_string(), "{rotating}");
    let rotation = rotating["signing_secret_rotation_id"].as_u64().unwrap();
    assert_eq!(rotation, 2);
    for (n, with) in [(3, secret), (4, rotated_secret)] {
        let (status, answer) = api.signed_push("github", &url, with, issue(n), delivery("d")).await;
        assert_eq!((status, answer["events"].as_u64()), (200, Some(1)), "{n}: {answer}");
    }
    let confirm = "/api/v1/connections/github/trigger-ingress/signing-secret/confirm";
    let (status, stale) =
        api.call(reqwest::Method::POST, confirm, Some(json!({"signing_secret_rotation_id": rotation - 1}))).await;
    assert_eq!(status, 409, "{stale}");
    assert!(stale.to_string().contains("signing_secret_rotation_id"), "{stale}");
    let (status, confirmed) =
        api.call(reqwest::Method::POST, confirm, Some(json!({"signing_secret_rotation_id": rotation}))).await;
    assert_eq!((status, confirmed["rotation_in_progress"].as_bool()), (200, Some(false)), "{confirmed}");
    let (status, _) = api.signed_push("github", &url, secret, issue(5), delivery("d")).await;
    assert_eq!(status, 401, "the old secret is refused after confirmation");
    let (status, _) = api.signed_push("github", &url, rotated_secret, issue(6), delivery("d")).await;
    assert_eq!(status, 200);

    // A push over [triggers] push_max_bytes is refused before it is read whole.
    // The gateway answers 413 before reading the body and closes the connection, which can
    // reset it under a client still sending: that client sees no answer. Either way the push
    // was not read (without the limit it would be read whole and answered 401, unsigned).
    let huge = reqwest::Client::new().post(&url).body(vec![b'x'; 2 * 1024 * 1024]).send().await;
    match huge {
        Ok(answer) => assert_eq!(answer.status(), 413),
        Err(e) => assert!(e.is_request() || e.is_body(), "{e}"),
    }
    let (status, _) = api.call(reqwest::Method::POST, "/api/v1/trigger-delivery/wb/tig_nope", None).await;
    assert_eq!(status, 404);

    // Activity and delivery attempts tell what happened.
    eventually(10, "every event delivered", || async { received.lock().unwrap().len() == 5 }).await;
    let (_, activity) = api.call(reqwest::Method::GET, "/api/v1/trigger-activity", None).await;
    let counts = &activity["counts"];
    assert_eq!(activity["signature_banner"], false, "{activity}");
    assert_eq!(counts["pushes_accepted"], 5, "{activity}");
    assert_eq!(counts["events"], 5, "{activity}");
    assert!(counts["pushes_refused"].as_u64().unwrap() >= 5, "{activity}");
    let (status, attempts) = api
        .call(reqwest::Method::GET, &format!("/api/v1/trigger-delivery/endpoints/{endpoint_id}/attempts"), None)
        .await;
    assert_eq!(status, 200, "{attempts}");
    let attempts = attempts["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 5);
    assert!(attempts
        .iter()
        .all(|a| a["status"] == "SUCCESS" && a["response_status_code"] == 200 && a["response"] == "thanks"));
    assert_eq!(attempts.last().unwrap()["msg_id"], event["id"]);

    // A forger's flood is refused and counted, but audited only up to
    // [triggers] audited_refusals_per_minute (60) rows a minute from one address.
    let before = api.refusals("forged").await;
    for n in 0..80 {
        let (status, _) = api.signed_push("github", &url, "guess", issue(1000 + n), delivery("d")).await;
        assert_eq!(status, 401);
    }
    let audited = api.refusals("forged").await;
    assert!(audited > before && audited < before + 60, "{before} then {audited} forged rows");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slack_pushes_are_checked_for_age_and_the_url_check_is_answered() {
    let gateway = Gateway::start();
    let api = Api::new(&gateway).await;
    let (hook_url, received) = receiver().await;
    api.call(reqwest::Method::POST, "/api/v1/webhook_endpoints", Some(json!({"url": hook_url}))).await;
    let account = api.connection_with_account(&gateway, "slack", "slacker").await;
    let (_, ingress) = api.call(reqwest::Method::POST, "/api/v1/connections/slack/trigger-ingress", None).await;
    let url = ingress["url"].as_str().unwrap().to_string();
    let secret = "8f742231b10e8888abcd99yyyzzz85a5";
    api.call(
        reqwest::Method::PUT,
        "/api/v1/connections/slack/trigger-ingress/signing-secret",
        Some(json!({"signing_secret": secret})),
    )
    .await;
    let (status, sub) = api
        .call(
            reqwest::Method::POST,
            "/api/v1/connections/slack/trigger-subscriptions",
            Some(json!({"connected_account_id": account, "trigger_name": "slack_channel_message",
                        "config": {"channel": "C0GENERAL"}})),
        )
        .await;
    assert_eq!(status, 200, "{sub}");

    // Slack checks the URL when it is entered: the challenge is answered (signed, like all).
    let (status, answer) = api
        .signed_push("slack", &url, secret, json!({"type": "url_verification", "challenge": "3eZbrw1a"}), Value::Null)
        .await;
    assert_eq!((status, answer["challenge"].as_str()), (200, Some("3eZbrw1a")));
    let message = |id: &str, channel: &str| {
        json!({"type": "event_callback", "event_id": id, "team_id": "T1",
               "event": {"type": "message", "channel": channel, "user": "U1", "text": "hello", "ts": "1.2"}})
    };
    // Signed right but ten minutes ago: a replay.
    let ten_minutes_ago = chrono::Utc::now().timestamp() - 600;
    let (status, _) = api
        .signed_push("slack", &url, secret, message("Ev1", "C0GENERAL"), json!({"signed_at": ten_minutes_ago}))
        .await;
    assert_eq!(status, 401);
    assert_eq!(api.refusals("replayed").await, 1);
    // Fresh: one event for the watched channel, none for another.
    let (status, taken) = api.signed_push("slack", &url, secret, message("Ev2", "C0GENERAL"), Value::Null).await;
    assert_eq!((status, taken["events"].as_u64()), (200, Some(1)), "{taken}");
    let (status, elsewhere) = api.signed_push("slack", &url, secret, message("Ev3", "C0RANDOM"), Value::Null).await;
    assert_eq!((status, elsewhere["events"].as_u64()), (200, Some(0)), "{elsewhere}");
    let trigger_events = || -> Vec<Value> {
        let all = received.lock().unwrap().clone();
        all.iter()
            .map(|(_, body)| serde_json::from_slice::<Value>(body).unwrap())
            .filter(|e| e["type"].as_str().unwrap_or_default().starts_with("trigger."))
            .collect()
    };
    eventually(10, "the message event", || async { !trigger_events().is_empty() }).await;
    let body = trigger_events()[0].clone();
    assert_eq!(body["type"], "trigger.slack_channel_message", "an endpoint without a filter gets trigger events");
    assert_eq!(body["data"]["item"]["text"], "hello");
    assert_eq!(body["data"]["item"]["channel"], "C0GENERAL");
}

/// A push is queued whole for every subscription it matches: one that would queue more than
/// 64 MiB of events (100 subscribers of a 700 KiB push) is refused with 413 and audited, and
/// queues nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_too_large_for_its_subscribers_is_refused_whole() {
    let gateway = Gateway::start();
    let api = Api::new(&gateway).await;
    let (hook_url, received) = receiver().await;
    api.call(
        reqwest::Method::POST,
        "/api/v1/webhook_endpoints",
        Some(json!({"url": hook_url, "events": ["trigger.*"]})),
    )
    .await;
    let mut accounts = Vec::new();
    for n in 0..100 {
        accounts.push(api.connection_with_account(&gateway, "github", &format!("fan-{n}")).await);
    }
    let (status, batch) = api
        .call(
            reqwest::Method::POST,
            "/api/v1/connections/github/trigger-subscriptions:batchCreate",
            Some(json!({"connected_account_ids": accounts, "trigger_name": "github_push"})),
        )
        .await;
    assert_eq!((status, batch["created_count"].as_u64()), (200, Some(100)), "{batch}");
    let (_, ingress) = api.call(reqwest::Method::POST, "/api/v1/connections/github/trigger-ingress", None).await;
    let url = ingress["url"].as_str().unwrap().to_string();
    let secret = "fanout-secret-0123456789";
    api.call(
        reqwest::Method::PUT,
        "/api/v1/connections/github/trigger-ingress/signing-secret",
        Some(json!({"signing_secret": secret})),
    )
    .await;
    let big = json!({"ref": "refs/heads/main", "commits": [{"message": "x".repeat(700 * 1024)}]});
    let (status, refused) =
        api.signed_push("github", &url, secret, big, json!({"headers": {"X-GitHub-Event": "push"}})).await;
    assert_eq!(status, 413, "{refused}");
    assert!(refused.to_string().contains("narrow them with config"), "{refused}");
    assert_eq!(api.refusals("fanout").await, 1);
    let small = json!({"ref": "refs/heads/main", "commits": [{"message": "small"}]});
    let (status, taken) =
        api.signed_push("github", &url, secret, small, json!({"headers": {"X-GitHub-Event": "push"}})).await;
    assert_eq!((status, taken["events"].as_u64()), (200, Some(100)), "{taken}");
    eventually(20, "100 events", || async { received.lock().unwrap().len() >= 100 }).await;
    let bodies = received.lock().unwrap().clone();
    assert!(bodies.iter().all(|(_, body)| body.len() < 10_000), "nothing of the refused push was queued");
}
