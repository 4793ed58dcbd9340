//! Triggers against `agentkit dev`: the Gmail "new email" trigger subscribed through the REST
//! contract, polled from the sandbox every second, and its event received signed by the app's
//! webhook endpoint; the contract's refusals; a refused credential pauses the subscription and
//! re-authorization resumes it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::sync::{Arc, Mutex};
use std::time::Duration;

use agentkit_core::dispatch::{dispatch, Operation};
use axum::body::Bytes;
use axum::http::HeaderMap;
use serde_json::{json, Value};

mod common;
use common::Gateway;

/// A webhook receiver on a loopback port: every POST's headers and body, in arrival order.
type Received = Arc<Mutex<Vec<(Vec<(String, String)>, Bytes)>>>;

async fn receiver() -> (String, Received) {
    receiver_failing_first(0).await
}

/// A receiver that answers 500 to its first `failing` requests (they are recorded too).
async fn receiver_failing_first(failing: usize) -> (String, Received) {
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
                let mut all = into.lock().unwrap();
                all.push((pairs, body));
                if all.len() <= failing {
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    axum::http::StatusCode::OK
                }
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
    token: String,
    http: reqwest::Client,
}

impl Api {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base)).bearer_auth(&self.token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.unwrap();
        (resp.status().as_u16(), resp.json().await.unwrap_or(Value::Null))
    }
}

/// Waits up to `secs` for `check` to hold.
async fn eventually<F, Fut>(secs: u64, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    while !check().await {
        assert!(std::time::Instant::now() < deadline, "not within {secs} s: {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_email_reaches_the_app_as_a_signed_trigger_event() {
    new_email_end_to_end(&Gateway::start()).await;
}

/// The same on PostgreSQL: the lease, the watermark and the outbox rows commit there too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_email_reaches_the_app_as_a_signed_trigger_event_on_postgres() {
    let cluster = common::postgres::Cluster::start();
    let gateway = Gateway::start_on(Some(&cluster.database("agentkit_triggers")));
    new_email_end_to_end(&gateway).await;
}

async fn new_email_end_to_end(gateway: &Gateway) {
    let actions = gateway.actions();
    let api = Api {
        base: gateway.env["SCALEKIT_ENV_URL"].clone(),
        token: gateway.api_token().await,
        http: reqwest::Client::new(),
    };
    let (hook_url, received) = receiver().await;
    let (status, hook) = api
        .call(
            reqwest::Method::POST,
            "/api/v1/webhook_endpoints",
            Some(json!({"url": hook_url, "events": ["trigger.*"]})),
        )
        .await;
    assert_eq!(status, 201, "{hook}");
    let secret = hook["secret"].as_str().unwrap().to_string();
    let user = "trig-ann";
    gateway.active_account(user).await;
    let details = dispatch(
        &actions,
        Operation::GetConnectedAccountDetails,
        json!({"connection_name": "gmail", "identifier": user}),
    )
    .await
    .unwrap();
    let account_id = details["connected_account"]["id"].as_str().unwrap().to_string();

    // What the connection offers.
    let (status, offered) = api.call(reqwest::Method::GET, "/api/v1/connections/conn_gmail/triggers", None).await;
    assert_eq!(status, 200, "{offered}");
    let trigger = &offered["triggers"][0];
    assert_eq!(trigger["name"], "gmail_new_message");
    assert_eq!((trigger["mode"].as_str(), trigger["available"].as_bool()), (Some("POLL"), Some(true)));
    assert_eq!(trigger["min_interval_seconds"], 60);

    // Subscribed, polled every second (agentkit dev allows below the declared minimum).
    let subscribe =
        json!({"connected_account_id": account_id, "trigger_name": "gmail_new_message", "interval_seconds": 1});
    let (status, subscription) = api
        .call(reqwest::Method::POST, "/api/v1/connections/gmail/trigger-subscriptions", Some(subscribe.clone()))
        .await;
    assert_eq!(status, 200, "{subscription}");
    assert_eq!(subscription["status"], "ACTIVE");
    assert_eq!(subscription["requested_interval_seconds"], 1);
    assert_eq!(subscription["connected_account_identifier"], user);
    let sub_id = subscription["id"].as_str().unwrap().to_string();
    let state = |api: &Api| {
        let path = "/api/v1/connections/gmail/trigger-subscriptions".to_string();
        let (api_base, token, http) = (api.base.clone(), api.token.clone(), api.http.clone());
        async move {
            let resp = http.get(format!("{api_base}{path}")).bearer_auth(token).send().await.unwrap();
            let listed: Value = resp.json().await.unwrap();
            listed["subscriptions"][0].clone()
        }
    };
    // The first poll notes the mailbox as it is: the seeded mail is not news.
    eventually(10, "the first poll", || async { state(&api).await["poll_state"]["watermark_updated_at"].is_string() })
        .await;

    // The user mails themselves: the app's receiver gets one signed event for it.
    let sent = dispatch(
        &actions,
        Operation::ExecuteTool,
        json!({"tool_name": "gmail_send_email", "identifier": user,
               "tool_input": {"to": user, "subject": "Trigger me", "body": "hello"}}),
    )
    .await
    .unwrap();
    let sent_id = sent["data"]["id"].as_str().unwrap().to_string();
    eventually(15, "the trigger event", || async { !received.lock().unwrap().is_empty() }).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let events = received.lock().unwrap().clone();
    assert_eq!(events.len(), 1, "one event for one new email, none for the seeded mail");
    let (headers, body) = &events[0];
    let event = agentkit_core::webhooks::verify_event(&secret, headers, body).unwrap();
    assert_eq!(event["type"], "trigger.gmail_new_message");
    assert_eq!(event["data"]["item"]["id"], sent_id.as_str());
    assert_eq!(event["data"]["identifier"], user);
    assert_eq!(event["data"]["subscription_id"], sub_id.as_str());
    assert!(!String::from_utf8_lossy(body).contains("ya29."), "no credential in the event");

    // The contract's refusals, each naming what is wrong.
    let (status, again) = api
        .call(reqwest::Method::POST, "/api/v1/connections/gmail/trigger-subscriptions", Some(subscribe.clone()))
        .await;
    assert_eq!(status, 409, "{again}");
    for (body, field) in [
        (
            json!({"connected_account_id": account_id, "trigger_name": "gmail_new_message", "interval_seconds": 90000}),
            "interval_seconds",
        ),
        (
            json!({"connected_account_id": account_id, "trigger_name": "gmail_new_message", "config": {"lable": "x"}}),
            "config.lable",
        ),
        (json!({"connected_account_id": account_id, "trigger_name": "gmail_nope"}), "trigger_name"),
        (json!({"trigger_name": "gmail_new_message"}), "connected_account_id"),
    ] {
        let (status, err) = api
            .call(reqwest::Method::POST, "/api/v1/connections/gmail/trigger-subscriptions", Some(body.clone()))
            .await;
        assert!(status == 400 || status == 404, "{body}: {status} {err}");
        assert!(err.to_string().contains(field), "{body}: {err}");
    }
    let batch = json!({"connected_account_ids": [account_id, "ca_missing"], "trigger_name": "gmail_new_message", "interval_seconds": 1});
    let (status, outcomes) = api
        .call(reqwest::Method::POST, "/api/v1/connections/gmail/trigger-subscriptions:batchCreate", Some(batch))
        .await;
    assert_eq!(status, 200, "{outcomes}");
    assert_eq!(outcomes["results"][0]["outcome"], "ALREADY_SUBSCRIBED");
    assert_eq!(outcomes["results"][1]["outcome"], "NOT_FOUND");
    assert_eq!(outcomes["created_count"], 0);

    // The provider refuses the credential: paused, and the account says what to do.
    let settings = format!("{}/sandbox/settings", gateway.env["AGENTKIT_SANDBOX_URL"]);
    reqwest::Client::new().post(&settings).json(&json!({"expire_user": user})).send().await.unwrap();
    eventually(15, "PAUSED_CREDENTIAL", || async { state(&api).await["status"] == "PAUSED_CREDENTIAL" }).await;
    let paused = state(&api).await;
    assert_eq!(paused["poll_state"]["last_error_code"], "CREDENTIAL_REVOKED", "{paused}");
    // The old credential is refused for tools too; the user authorizes again: the subscription
    // resumes by itself and the next mail is an event again.
    let token = gateway.sandbox_token(user).await;
    let while_paused = dispatch(
        &actions,
        Operation::ExecuteTool,
        json!({"tool_name": "gmail_send_email", "identifier": user, "tool_input": {"to": user, "subject": "While away", "body": "x"}}),
    )
    .await;
    assert!(while_paused.is_err(), "the old credential is refused for tools too");
    // Mail that arrives while the subscription is paused is still the provider's to list: it
    // becomes an event once polling resumes (nothing missed).
    let arrived: Value = reqwest::Client::new()
        .post(format!("{}/sandbox/deliver", gateway.env["AGENTKIT_SANDBOX_URL"]))
        .json(&json!({"user": user, "from": "colleague@example.com", "subject": "Arrived while paused"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let arrived_id = arrived["id"].as_str().unwrap().to_string();
    dispatch(
        &actions,
        Operation::UpdateConnectedAccount,
        json!({"connection_name": "gmail", "identifier": user, "authorization_details": {"oauth_token": {"access_token": token}}}),
    )
    .await
    .unwrap();
    eventually(10, "ACTIVE again", || async { state(&api).await["status"] == "ACTIVE" }).await;
    dispatch(
        &actions,
        Operation::ExecuteTool,
        json!({"tool_name": "gmail_send_email", "identifier": user, "tool_input": {"to": user, "subject": "Back", "body": "x"}}),
    )
    .await
    .unwrap();
    eventually(15, "the events after resuming", || async { received.lock().unwrap().len() >= 3 }).await;
    let subjects: Vec<String> = received.lock().unwrap()[1..]
        .iter()
        .map(|(_, body)| serde_json::from_slice::<Value>(body).unwrap())
        .map(|event| event["data"]["item"].to_string())
        .collect();
    assert!(subjects[0].contains(&arrived_id) && subjects[0].contains("Arrived while paused"), "{subjects:?}");
    assert!(subjects[1].contains("Back"), "in the order they arrived: {subjects:?}");

    // The provider rate-limits the list: THROTTLED at twice the interval, ACTIVE again at the
    // requested one once it relents.
    reqwest::Client::new().post(&settings).json(&json!({"rate_limited_users": [user]})).send().await.unwrap();
    eventually(20, "THROTTLED", || async { state(&api).await["status"] == "THROTTLED" }).await;
    let throttled = state(&api).await;
    assert_eq!(throttled["poll_state"]["last_error_code"], "RATE_LIMITED", "{throttled}");
    assert!(throttled["effective_interval_seconds"].as_u64().unwrap() >= 2, "{throttled}");
    reqwest::Client::new().post(&settings).json(&json!({"rate_limited_users": []})).send().await.unwrap();
    eventually(20, "ACTIVE after the rate limit", || async {
        let s = state(&api).await;
        s["status"] == "ACTIVE" && s["effective_interval_seconds"] == 1
    })
    .await;

    // Deleted once; the second time there is nothing to delete.
    let path = format!("/api/v1/connections/gmail/trigger-subscriptions/{sub_id}");
    assert_eq!(api.call(reqwest::Method::DELETE, &path, None).await.0, 200);
    assert_eq!(api.call(reqwest::Method::DELETE, &path, None).await.0, 404);
    let (_, listed) = api.call(reqwest::Method::GET, "/api/v1/connections/gmail/trigger-subscriptions", None).await;
    assert_eq!(listed["total_size"], 0, "{listed}");
    assert_eq!(listed["status_counts"]["ACTIVE"], 0);
}

/// One subscription's events reach an endpoint in the order they happened, each after the one
/// before it was delivered: a receiver failing the first event twice holds the later ones back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriptions_events_arrive_in_order_even_when_one_must_be_retried() {
    let gateway = Gateway::start();
    let actions = gateway.actions();
    let api = Api {
        base: gateway.env["SCALEKIT_ENV_URL"].clone(),
        token: gateway.api_token().await,
        http: reqwest::Client::new(),
    };
    let (hook_url, received) = receiver_failing_first(2).await;
    let (status, _) = api
        .call(
            reqwest::Method::POST,
            "/api/v1/webhook_endpoints",
            Some(json!({"url": hook_url, "events": ["trigger.gmail_new_message"]})),
        )
        .await;
    assert_eq!(status, 201);
    let user = "trig-ord";
    gateway.active_account(user).await;
    let details = dispatch(
        &actions,
        Operation::GetConnectedAccountDetails,
        json!({"connection_name": "gmail", "identifier": user}),
    )
    .await
    .unwrap();
    let subscribe = json!({"connected_account_id": details["connected_account"]["id"], "trigger_name": "gmail_new_message", "interval_seconds": 1});
    let (status, _) =
        api.call(reqwest::Method::POST, "/api/v1/connections/gmail/trigger-subscriptions", Some(subscribe)).await;
    assert_eq!(status, 200);
    let polled = || async {
        let (_, listed) = api.call(reqwest::Method::GET, "/api/v1/connections/gmail/trigger-subscriptions", None).await;
        listed["subscriptions"][0]["poll_state"]["watermark_updated_at"].is_string()
    };
    eventually(10, "the first poll", polled).await;
    let mut sent = Vec::new();
    for n in 0..3 {
        let out = dispatch(
            &actions,
            Operation::ExecuteTool,
            json!({"tool_name": "gmail_send_email", "identifier": user, "tool_input": {"to": user, "subject": format!("n{n}"), "body": "x"}}),
        )
        .await
        .unwrap();
        sent.push(out["data"]["id"].as_str().unwrap().to_string());
    }
    // The first is refused twice (retried after 1 s and 2 s), the others wait for it.
    eventually(30, "three events delivered", || async { received.lock().unwrap().len() >= 5 }).await;
    let arrivals: Vec<String> = received
        .lock()
        .unwrap()
        .iter()
        .map(|(_, body)| {
            serde_json::from_slice::<Value>(body).unwrap()["data"]["item"]["id"].as_str().unwrap().to_string()
        })
        .collect();
    let mut order = arrivals.clone();
    order.dedup();
    assert_eq!(order, sent, "in the order they happened, each after the one before: {arrivals:?}");
    assert_eq!(arrivals.len(), 5, "the first twice refused, then each once: {arrivals:?}");
}

/// Google Calendar's incremental sync: an event created through the tool, one the user is
/// invited to, the first one changed and then deleted arrive as four events in that order; when
/// the provider invalidates the sync token, the full list that follows yields only what changed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calendar_changes_arrive_through_sync_tokens_and_survive_an_invalidated_token() {
    let gateway = Gateway::start();
    let actions = gateway.actions();
    let sandbox = gateway.env["AGENTKIT_SANDBOX_URL"].clone();
    let api = Api {
        base: gateway.env["SCALEKIT_ENV_URL"].clone(),
        token: gateway.api_token().await,
        http: reqwest::Client::new(),
    };
    let (hook_url, received) = receiver().await;
    let (status, _) = api
        .call(
            reqwest::Method::POST,
            "/api/v1/webhook_endpoints",
            Some(json!({"url": hook_url, "events": ["trigger.*"]})),
        )
        .await;
    assert_eq!(status, 201);
    let connection = json!({"name": "googlecalendar", "connector": "googlecalendar", "base_url": format!("{sandbox}/calendar/v3"),
        "client_id": agentkit_sandbox::SANDBOX_CLIENT_ID, "client_secret": agentkit_sandbox::SANDBOX_CLIENT_SECRET,
        "authorize_url": format!("{sandbox}/oauth2/authorize"), "token_url": format!("{sandbox}/oauth2/token")});
    let (status, created) = api.call(reqwest::Method::POST, "/api/v1/connections", Some(connection)).await;
    assert_eq!(status, 201, "{created}");
    let user = "cal-ann";
    let token = gateway.sandbox_token(user).await;
    let account = dispatch(
        &actions,
        Operation::CreateConnectedAccount,
        json!({"connection_name": "googlecalendar", "identifier": user,
               "authorization_details": {"oauth_token": {"access_token": token}}}),
    )
    .await
    .unwrap();
    let subscribe = json!({"connected_account_id": account["connected_account"]["id"],
                           "trigger_name": "googlecalendar_event_changed", "interval_seconds": 1});
    let (status, sub) = api
        .call(reqwest::Method::POST, "/api/v1/connections/googlecalendar/trigger-subscriptions", Some(subscribe))
        .await;
    assert_eq!(status, 200, "{sub}");
    let subscription = || async {
        let (_, listed) =
            api.call(reqwest::Method::GET, "/api/v1/connections/googlecalendar/trigger-subscriptions", None).await;
        listed["subscriptions"][0].clone()
    };
    eventually(10, "the first (full) sync", || async {
        subscription().await["poll_state"]["watermark_updated_at"].is_string()
    })
    .await;
    let items = || -> Vec<Value> {
        received
            .lock()
            .unwrap()
            .iter()
            .map(|(_, body)| serde_json::from_slice::<Value>(body).unwrap())
            .filter(|e| e["type"] == "trigger.googlecalendar_event_changed")
            .map(|e| e["data"]["item"].clone())
            .collect()
    };
    let run = |tool: &'static str, input: Value| {
        let actions = &actions;
        async move {
            dispatch(
                actions,
                Operation::ExecuteTool,
                json!({"tool_name": tool, "identifier": user, "tool_input": input}),
            )
            .await
            .unwrap()
        }
    };
    let planning =
        run("googlecalendar_create_event", json!({"summary": "Planning", "start_datetime": "2026-12-09T10:00:00Z"}))
            .await;
    let planning_id = planning["data"]["id"].as_str().unwrap().to_string();
    eventually(10, "the created event", || async { items().len() == 1 }).await;
    let invited: Value = api
        .http
        .post(format!("{sandbox}/sandbox/calendar/event"))
        .json(&json!({"user": user, "summary": "Invited"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    eventually(10, "the invitation", || async { items().len() == 2 }).await;
    run("googlecalendar_update_event", json!({"event_id": planning_id, "summary": "Planning v2"})).await;
    eventually(10, "the change", || async { items().len() == 3 }).await;
    run("googlecalendar_delete_event", json!({"event_id": planning_id})).await;
    eventually(10, "the cancellation", || async { items().len() == 4 }).await;
    let seen = items();
    assert_eq!((seen[0]["id"].as_str(), seen[0]["summary"].as_str()), (Some(planning_id.as_str()), Some("Planning")));
    assert_eq!(seen[0]["sequence"], 0, "a new event");
    assert_eq!(seen[1]["id"], invited["id"]);
    assert_eq!((seen[2]["summary"].as_str(), seen[2]["status"].as_str()), (Some("Planning v2"), Some("confirmed")));
    assert_ne!(seen[2]["updated"], seen[0]["updated"]);
    assert!(seen[2]["sequence"].as_u64() > Some(0), "a changed event");
    assert_eq!((seen[3]["id"].as_str(), seen[3]["status"].as_str()), (Some(planning_id.as_str()), Some("cancelled")));

    // The provider invalidates every sync token (Google's 410 fullSyncRequired): the poller
    // lists everything again; only the event added meanwhile is news.
    api.http
        .post(format!("{sandbox}/sandbox/settings"))
        .json(&json!({"invalidate_sync_tokens": user}))
        .send()
        .await
        .unwrap();
    api.http
        .post(format!("{sandbox}/sandbox/calendar/event"))
        .json(&json!({"user": user, "summary": "After the resync"}))
        .send()
        .await
        .unwrap();
    eventually(10, "the event after the resync", || async { items().len() >= 5 }).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let seen = items();
    assert_eq!(seen.len(), 5, "nothing seen before is sent again: {seen:?}");
    assert_eq!(seen[4]["summary"], "After the resync");
    let state = subscription().await;
    assert_eq!(
        (state["status"].as_str(), state["poll_state"]["consecutive_failures"].as_u64()),
        (Some("ACTIVE"), Some(0))
    );
}

/// More new mail between two polls than one page of the poll tool (20): the poll reads on, page
/// after page, while a whole page is news; every message becomes an event, oldest first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_larger_than_a_page_is_not_missed() {
    let gateway = Gateway::start();
    let sandbox = gateway.env["AGENTKIT_SANDBOX_URL"].clone();
    let api = Api {
        base: gateway.env["SCALEKIT_ENV_URL"].clone(),
        token: gateway.api_token().await,
        http: reqwest::Client::new(),
    };
    let (hook_url, received) = receiver().await;
    api.call(
        reqwest::Method::POST,
        "/api/v1/webhook_endpoints",
        Some(json!({"url": hook_url, "events": ["trigger.*"]})),
    )
    .await;
    let user = "trig-burst";
    gateway.active_account(user).await;
    let details = dispatch(
        &gateway.actions(),
        Operation::GetConnectedAccountDetails,
        json!({"connection_name": "gmail", "identifier": user}),
    )
    .await
    .unwrap();
    let subscribe = json!({"connected_account_id": details["connected_account"]["id"],
                           "trigger_name": "gmail_new_message", "interval_seconds": 5});
    let (status, _) =
        api.call(reqwest::Method::POST, "/api/v1/connections/gmail/trigger-subscriptions", Some(subscribe)).await;
    assert_eq!(status, 200);
    let last_run = || async {
        let (_, listed) = api.call(reqwest::Method::GET, "/api/v1/connections/gmail/trigger-subscriptions", None).await;
        listed["subscriptions"][0]["poll_state"]["last_run_at"].as_str().map(String::from)
    };
    eventually(10, "the first poll", || async { last_run().await.is_some() }).await;
    // Right after a poll: 45 messages before the next one, five seconds later.
    let polled = last_run().await;
    let mut delivered = Vec::new();
    for n in 0..45 {
        let message: Value = api
            .http
            .post(format!("{sandbox}/sandbox/deliver"))
            .json(&json!({"user": user, "subject": format!("burst {n}")}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        delivered.push(message["id"].as_str().unwrap().to_string());
    }
    assert_eq!(last_run().await, polled, "the burst fell between two polls");
    eventually(20, "45 events", || async { received.lock().unwrap().len() >= 45 }).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let ids: Vec<String> = received
        .lock()
        .unwrap()
        .iter()
        .map(|(_, body)| {
            serde_json::from_slice::<Value>(body).unwrap()["data"]["item"]["id"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(ids, delivered, "every message, once, oldest first");
}

/// Gmail's trigger reads the mailbox history (history ids, not a search): a subscription's
/// query is checked per new message, so mail that does not match is no event; a history id
/// Gmail no longer keeps (404) starts again from the profile and lists the inbox, so the mail
/// that arrived in the gap is sent once and later mail still arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gmail_history_polls_filter_by_query_and_survive_an_expired_history_id() {
    let gateway = Gateway::start();
    let sandbox = gateway.env["AGENTKIT_SANDBOX_URL"].clone();
    let api = Api {
        base: gateway.env["SCALEKIT_ENV_URL"].clone(),
        token: gateway.api_token().await,
        http: reqwest::Client::new(),
    };
    let (hook_url, received) = receiver().await;
    api.call(
        reqwest::Method::POST,
        "/api/v1/webhook_endpoints",
        Some(json!({"url": hook_url, "events": ["trigger.*"]})),
    )
    .await;
    let user = "trig-history";
    gateway.active_account(user).await;
    let details = dispatch(
        &gateway.actions(),
        Operation::GetConnectedAccountDetails,
        json!({"connection_name": "gmail", "identifier": user}),
    )
    .await
    .unwrap();
    let subscribe = json!({"connected_account_id": details["connected_account"]["id"],
                           "trigger_name": "gmail_new_message", "interval_seconds": 1,
                           "config": {"query": "from:boss"}});
    let (status, answer) =
        api.call(reqwest::Method::POST, "/api/v1/connections/gmail/trigger-subscriptions", Some(subscribe)).await;
    assert_eq!(status, 200, "{answer}");
    let subscription = || async {
        let (_, listed) = api.call(reqwest::Method::GET, "/api/v1/connections/gmail/trigger-subscriptions", None).await;
        listed["subscriptions"][0].clone()
    };
    eventually(10, "the first poll", || async { subscription().await["poll_state"]["last_run_at"].is_string() }).await;
    let sandbox_post = |path: &'static str, body: Value| {
        let (http, url) = (api.http.clone(), format!("{sandbox}{path}"));
        async move {
            let answer: Value = http.post(url).json(&body).send().await.unwrap().json().await.unwrap_or(Value::Null);
            answer
        }
    };
    let deliver = |from: &str, subject: &str| {
        sandbox_post("/sandbox/deliver", json!({"user": user, "from": from, "subject": subject}))
    };
    let subjects = || -> Vec<String> {
        received
            .lock()
            .unwrap()
            .iter()
            .map(|(_, body)| {
                serde_json::from_slice::<Value>(body).unwrap()["data"]["item"]["subject"].as_str().unwrap().to_string()
            })
            .collect()
    };

    // Two messages: only the one matching the query is an event, with its headers.
    deliver("Someone <someone@else.test>", "Not for the trigger").await;
    deliver("The Boss <boss@acme.test>", "Matching 1").await;
    eventually(15, "the matching message", || async { !received.lock().unwrap().is_empty() }).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(subjects(), ["Matching 1"], "the other message is no event");

    // Polls fail (429) while a matching message arrives and Gmail drops the history after it.
    sandbox_post("/sandbox/settings", json!({"rate_limited_users": [user]})).await;
    eventually(10, "the subscription throttled", || async { subscription().await["status"] == "THROTTLED" }).await;
    deliver("The Boss <boss@acme.test>", "Matching 2").await;
    deliver("Someone <someone@else.test>", "Not either").await;
    sandbox_post("/sandbox/settings", json!({"expire_gmail_history": user})).await;
    sandbox_post("/sandbox/settings", json!({"rate_limited_users": []})).await;
    eventually(15, "the message from the gap", || async { received.lock().unwrap().len() >= 2 }).await;
    eventually(10, "the subscription active again", || async { subscription().await["status"] == "ACTIVE" }).await;

    // The new history id holds: later mail arrives, nothing twice.
    deliver("The Boss <boss@acme.test>", "Matching 3").await;
    eventually(15, "the message after the gap", || async { received.lock().unwrap().len() >= 3 }).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(subjects(), ["Matching 1", "Matching 2", "Matching 3"]);
}
