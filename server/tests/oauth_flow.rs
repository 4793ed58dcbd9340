//! The authorization flow and token lifecycle against `agentkit dev` and its sandbox
//! authorization server: link → consent → ACTIVE; single use; access_denied; user verification
//! (and a hijack attempt); refresh single-flight under 200 concurrent calls; proactive refresh;
//! invalid_grant → EXPIRED with a fresh link; revocation on delete.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use agentkit_core::dispatch::{dispatch, Operation};
use agentkit_core::{Actions, ErrorKind};
use serde_json::{json, Value};

mod common;
use common::Gateway;

async fn link(actions: &Actions, user: &str, extra: Value) -> String {
    common::authorization_link(actions, "gmail", user, extra).await
}

async fn status(actions: &Actions, user: &str) -> String {
    common::account_status(actions, "gmail", user).await
}

async fn sandbox(gateway: &Gateway, path: &str, body: Value) -> Value {
    let url = format!("{}{path}", gateway.env["AGENTKIT_SANDBOX_URL"]);
    let resp = if body.is_null() {
        reqwest::get(url).await.unwrap()
    } else {
        reqwest::Client::new().post(url).json(&body).send().await.unwrap()
    };
    resp.json().await.unwrap_or(Value::Null)
}

async fn fetch(actions: &Actions, user: &str) -> agentkit_core::Result<Value> {
    dispatch(
        actions,
        Operation::ExecuteTool,
        json!({"tool_name": "gmail_fetch_mails", "identifier": user, "tool_input": {"query": "is:unread"}}),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn authorization_and_token_lifecycle() {
    let gateway = Gateway::start();
    let actions = gateway.actions();
    let browser = common::browser();

    // Link → consent → callback → ACTIVE, and the tool works.
    let first = link(&actions, "alice", json!({})).await;
    let page = browser.get(&first).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("connected"));
    assert_eq!(status(&actions, "alice").await, "ACTIVE");
    assert_eq!(fetch(&actions, "alice").await.unwrap()["data"]["messages"].as_array().unwrap().len(), 6);
    let stats = sandbox(&gateway, "/sandbox/stats?user=alice", Value::Null).await;
    assert_eq!(stats["code_exchanges"], 1);

    // A link works once; a tampered one not at all.
    assert_eq!(browser.get(&first).send().await.unwrap().status(), 410);
    let tampered = first.replace("/connect/ln.", "/connect/ln.x");
    assert_eq!(browser.get(&tampered).send().await.unwrap().status(), 400);

    // The user declines: a clear page, the account unchanged.
    dispatch(
        &actions,
        Operation::GetOrCreateConnectedAccount,
        json!({"connection_name": "gmail", "identifier": "deny-bob"}),
    )
    .await
    .unwrap();
    let denied = browser.get(link(&actions, "deny-bob", json!({})).await).send().await.unwrap();
    assert_eq!(denied.status(), 400);
    assert!(denied.text().await.unwrap().contains("declined"));
    assert_eq!(status(&actions, "deny-bob").await, "PENDING_AUTH");

    // A bad or replayed authorization code ends on a clear page and leaves the account alone.
    let no_follow = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let to_provider = no_follow.get(link(&actions, "frank", json!({})).await).send().await.unwrap();
    let authorize = url::Url::parse(to_provider.headers()["location"].to_str().unwrap()).unwrap();
    let pairs: std::collections::HashMap<_, _> = authorize.query_pairs().into_owned().collect();
    assert_eq!(pairs["code_challenge_method"], "S256");
    assert!(pairs["code_challenge"].len() >= 43);
    let callback =
        format!("{}/oauth/callback?state={}&code=forged-code", gateway.env["SCALEKIT_ENV_URL"], pairs["state"]);
    let forged = no_follow.get(&callback).send().await.unwrap();
    assert_eq!(forged.status(), 502);
    assert!(forged.text().await.unwrap().contains("did not accept"));
    assert_eq!(status(&actions, "frank").await, "PENDING_AUTH");
    let replay = no_follow.get(&callback).send().await.unwrap();
    assert_eq!(replay.status(), 400, "a failed request cannot be resumed");

    // 200 concurrent calls on an expired access token: one refresh at the provider, 200 successes.
    sandbox(&gateway, "/sandbox/settings", json!({"expire_user": "alice"})).await;
    let calls = (0..200).map(|_| fetch(&actions, "alice"));
    let results = futures::future::join_all(calls).await;
    let failures: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).map(|e| e.message().to_string()).collect();
    assert!(failures.is_empty(), "{} failed: {:?}", failures.len(), failures.first());
    let stats = sandbox(&gateway, "/sandbox/stats?user=alice", Value::Null).await;
    assert_eq!(stats["refreshes"], 1, "exactly one refresh for 200 calls");

    // Proactive refresh: a still-valid token past half its (short) life is refreshed before use.
    sandbox(&gateway, "/sandbox/settings", json!({"access_ttl": 4})).await;
    browser.get(link(&actions, "carol", json!({})).await).send().await.unwrap();
    fetch(&actions, "carol").await.unwrap();
    let fresh = sandbox(&gateway, "/sandbox/stats?user=carol", Value::Null).await;
    assert_eq!(fresh["refreshes"], 0, "a fresh token is used as is");
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    fetch(&actions, "carol").await.unwrap();
    assert_eq!(sandbox(&gateway, "/sandbox/stats?user=carol", Value::Null).await["refreshes"], 1);
    sandbox(&gateway, "/sandbox/settings", json!({"access_ttl": 3600})).await;

    // A token-endpoint outage: the call fails as retryable, the account stays ACTIVE, the gateway
    // backs off instead of hammering the provider, and recovers once the endpoint is back.
    sandbox(&gateway, "/sandbox/settings", json!({"expire_user": "alice", "token_endpoint_down": true})).await;
    let err = fetch(&actions, "alice").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{}", err.message());
    assert_eq!(status(&actions, "alice").await, "ACTIVE");
    let requests =
        sandbox(&gateway, "/sandbox/stats?user=alice", Value::Null).await["token_requests"].as_u64().unwrap();
    assert_eq!(fetch(&actions, "alice").await.unwrap_err().kind(), ErrorKind::Unavailable);
    let after = sandbox(&gateway, "/sandbox/stats?user=alice", Value::Null).await["token_requests"].as_u64().unwrap();
    assert_eq!(after, requests, "no token request during the backoff");
    sandbox(&gateway, "/sandbox/settings", json!({"token_endpoint_down": false})).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    fetch(&actions, "alice").await.unwrap();

    // invalid_grant: the grant was revoked at the provider → EXPIRED, and the error carries a link.
    let auth =
        dispatch(&actions, Operation::GetConnectedAccount, json!({"connection_name": "gmail", "identifier": "alice"}))
            .await
            .unwrap();
    let refresh = auth["connected_account"]["authorization_details"]["oauth_token"]["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    reqwest::Client::new()
        .post(format!("{}/oauth2/revoke", gateway.env["AGENTKIT_SANDBOX_URL"]))
        .form(&[("token", refresh.as_str())])
        .send()
        .await
        .unwrap();
    sandbox(&gateway, "/sandbox/settings", json!({"expire_user": "alice"})).await;
    let err = fetch(&actions, "alice").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::FailedPrecondition);
    assert_eq!(err.status(), 400);
    assert!(err.message().contains("EXPIRED") && err.message().contains("/connect/"), "{}", err.message());
    assert_eq!(status(&actions, "alice").await, "EXPIRED");
    let relink = browser.get(link(&actions, "alice", json!({})).await).send().await.unwrap();
    assert_eq!(relink.status(), 200);
    assert_eq!(status(&actions, "alice").await, "ACTIVE");

    // User verification: tokens are held until the right user is confirmed; a hijack is refused.
    let verify_url = format!("{}/app/verify", gateway.env["SCALEKIT_ENV_URL"]);
    let held = browser
        .get(link(&actions, "dave", json!({"user_verify_url": verify_url, "state": "s-123"})).await)
        .send()
        .await
        .unwrap();
    assert!(held.status().is_redirection(), "{}", held.status());
    let location = url::Url::parse(held.headers()["location"].to_str().unwrap()).unwrap();
    let query: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(query["state"], "s-123");
    let request_id = query["auth_request_id"].clone();
    assert_eq!(status(&actions, "dave").await, "PENDING_VERIFICATION");
    let hijack = dispatch(
        &actions,
        Operation::VerifyConnectedAccountUser,
        json!({"auth_request_id": request_id, "identifier": "mallory"}),
    )
    .await
    .unwrap_err();
    assert_eq!(hijack.kind(), ErrorKind::Forbidden);
    assert_eq!(status(&actions, "dave").await, "PENDING_VERIFICATION");
    assert!(fetch(&actions, "dave").await.is_err(), "nothing runs before verification");
    let ok = dispatch(
        &actions,
        Operation::VerifyConnectedAccountUser,
        json!({"auth_request_id": request_id, "identifier": "dave"}),
    )
    .await
    .unwrap();
    assert!(ok["post_user_verify_redirect_url"].as_str().unwrap().ends_with("/connect/complete"));
    assert_eq!(status(&actions, "dave").await, "ACTIVE");
    fetch(&actions, "dave").await.unwrap();
    let replay = dispatch(
        &actions,
        Operation::VerifyConnectedAccountUser,
        json!({"auth_request_id": request_id, "identifier": "dave"}),
    )
    .await
    .unwrap_err();
    assert_eq!(replay.kind(), ErrorKind::NotFound, "an auth request is single-use");

    // Service account (JWT bearer grant): one assertion for many concurrent calls, and a new one
    // once the minted access token is dead.
    let key = sandbox(&gateway, "/sandbox/service_accounts", json!({"user": "sam"})).await;
    let created = dispatch(
        &actions,
        Operation::CreateConnectedAccount,
        json!({"connection_name": "gmail", "identifier": "sam", "authorization_details": {"static_auth": {"details": key}}}),
    )
    .await
    .unwrap();
    assert_eq!(created["connected_account"]["authorization_type"], "OAUTH_M2M");
    for r in futures::future::join_all((0..20).map(|_| fetch(&actions, "sam"))).await {
        r.unwrap();
    }
    assert_eq!(sandbox(&gateway, "/sandbox/stats?user=sam", Value::Null).await["jwt_grants"], 1);
    sandbox(&gateway, "/sandbox/settings", json!({"expire_user": "sam"})).await;
    fetch(&actions, "sam").await.unwrap();
    assert_eq!(sandbox(&gateway, "/sandbox/stats?user=sam", Value::Null).await["jwt_grants"], 2);

    // Deleting an account revokes its grant at the provider.
    dispatch(&actions, Operation::DeleteConnectedAccount, json!({"connection_name": "gmail", "identifier": "dave"}))
        .await
        .unwrap();
    assert_eq!(sandbox(&gateway, "/sandbox/stats?user=dave", Value::Null).await["revocations"], 1);
}

/// `POST /api/v1/connections/{name}:test` against the sandbox's token endpoint: the right app
/// passes, a wrong secret fails naming the refusal, a down endpoint and one the egress policy
/// refuses fail without pretending, and a connector whose credentials live on the accounts has
/// nothing to test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_test_says_whether_the_provider_accepts_the_app() {
    let gateway = Gateway::start();
    let base = gateway.env["SCALEKIT_ENV_URL"].clone();
    let token = gateway.api_token().await;
    let http = reqwest::Client::new();
    let test = |name: &str| {
        let request = http.post(format!("{base}/api/v1/connections/{name}:test")).bearer_auth(&token);
        async move {
            let resp = request.send().await.unwrap();
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
        }
    };
    let failed_check = |answer: &Value| -> String {
        let checks = answer["checks"].as_array().unwrap();
        checks.iter().find(|c| c["passed"] == false).map(|c| c["detail"].as_str().unwrap().to_string()).unwrap()
    };

    let token_requests = |stats: Value| stats["token_requests"].as_u64().unwrap();
    let before = token_requests(sandbox(&gateway, "/sandbox/stats", Value::Null).await);
    let (status, answer) = test("gmail").await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["passed"], true, "{answer}");
    assert_eq!(answer["checks"].as_array().unwrap().len(), 2, "{answer}");
    // One question to the provider, and no account was made.
    assert_eq!(token_requests(sandbox(&gateway, "/sandbox/stats", Value::Null).await), before + 1);

    // The same provider, the same client id, a wrong secret.
    let gmail: Value = http
        .get(format!("{base}/api/v1/connections/gmail"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let settings = |name: &str, secret: &str, token_url: &str| {
        json!({"name": name, "connector": "gmail", "client_id": gmail["client_id"], "client_secret": secret,
               "authorize_url": gmail["authorize_url"], "token_url": token_url, "token_auth_method": "client_secret_basic"})
    };
    let sandbox_token_url = gmail["token_url"].as_str().unwrap().to_string();
    for (name, secret, token_url) in [
        ("gmail-wrong-secret", "not-the-secret", sandbox_token_url.as_str()),
        ("gmail-nowhere", agentkit_sandbox::SANDBOX_CLIENT_SECRET, "https://token.example.invalid/oauth2/token"),
    ] {
        let created = http
            .post(format!("{base}/api/v1/connections"))
            .bearer_auth(&token)
            .json(&settings(name, secret, token_url))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201, "{}", created.text().await.unwrap());
    }
    let (status, answer) = test("gmail-wrong-secret").await;
    assert_eq!((status, &answer["passed"]), (200, &json!(false)), "{answer}");
    let detail = failed_check(&answer);
    assert!(detail.contains("refused the client id or secret") && detail.contains("invalid_client"), "{detail}");
    assert!(!answer.to_string().contains("not-the-secret"), "the secret is never shown: {answer}");

    // A token endpoint that does not resolve: the step that failed is named.
    let (status, answer) = test("gmail-nowhere").await;
    assert_eq!((status, &answer["passed"]), (200, &json!(false)), "{answer}");
    let detail = failed_check(&answer);
    assert!(detail.contains("token endpoint unreachable") && detail.contains("DNS lookup failed"), "{detail}");

    // A token endpoint that is down says so; it is not taken for a verdict on the client.
    sandbox(&gateway, "/sandbox/settings", json!({"token_endpoint_down": true})).await;
    let (status, answer) = test("gmail").await;
    assert_eq!((status, &answer["passed"]), (200, &json!(false)), "{answer}");
    let detail = failed_check(&answer);
    assert!(detail.contains("neither yes nor no") && detail.contains("HTTP 503"), "{detail}");
    sandbox(&gateway, "/sandbox/settings", json!({"token_endpoint_down": false})).await;

    // Credentials that live on each account: nothing to test, said as a 400; unknown: 404.
    let postgres = json!({"name": "warehouse", "connector": "postgres"});
    let created =
        http.post(format!("{base}/api/v1/connections")).bearer_auth(&token).json(&postgres).send().await.unwrap();
    assert_eq!(created.status(), 201, "{}", created.text().await.unwrap());
    let (status, answer) = test("warehouse").await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer["message"].as_str().unwrap().contains("nothing to test"), "{answer}");
    assert_eq!(test("nowhere").await.0, 404);
    let wrong_verb =
        http.post(format!("{base}/api/v1/connections/gmail:probe")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(wrong_verb.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_asks_for_its_own_scopes_and_connects_only_with_the_required_ones() {
    let gateway = Gateway::start();
    let actions = gateway.actions();
    let browser = common::browser();
    let no_follow = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let readonly = "https://www.googleapis.com/auth/gmail.readonly";
    let send = "https://www.googleapis.com/auth/gmail.send";
    let selection = json!({"scope_selection": {"scopes": [readonly], "optional_scopes": [send]}});
    let granted = |user: &'static str| {
        let actions = &actions;
        async move {
            let auth = dispatch(
                actions,
                Operation::GetConnectedAccount,
                json!({"connection_name": "gmail", "identifier": user}),
            )
            .await
            .unwrap();
            auth["connected_account"]["authorization_details"]["oauth_token"]["scopes"].clone()
        }
    };

    // The provider is asked for exactly the link's scopes, required then optional, not the
    // connection's; both granted: connected with both.
    let to_provider = no_follow.get(link(&actions, "scoped-ann", selection.clone()).await).send().await.unwrap();
    let authorize = url::Url::parse(to_provider.headers()["location"].to_str().unwrap()).unwrap();
    let pairs: std::collections::HashMap<_, _> = authorize.query_pairs().into_owned().collect();
    assert_eq!(pairs["scope"], format!("{readonly} {send}"));
    let page = browser.get(link(&actions, "scoped-ann", selection.clone()).await).send().await.unwrap();
    assert_eq!(page.status(), 200, "{}", page.text().await.unwrap());
    assert_eq!(status(&actions, "scoped-ann").await, "ACTIVE");
    assert_eq!(granted("scoped-ann").await, json!([readonly, send]));

    // The user unticks the optional scope: connected with what was granted.
    sandbox(&gateway, "/sandbox/settings", json!({"declined_scopes": [send]})).await;
    let page = browser.get(link(&actions, "scoped-bea", selection.clone()).await).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(status(&actions, "scoped-bea").await, "ACTIVE");
    assert_eq!(granted("scoped-bea").await, json!([readonly]));

    // The user unticks a required scope: not connected, and the page says what was missing.
    sandbox(&gateway, "/sandbox/settings", json!({"declined_scopes": [readonly]})).await;
    let page = browser.get(link(&actions, "scoped-cat", selection.clone()).await).send().await.unwrap();
    assert_eq!(page.status(), 403);
    let text = page.text().await.unwrap();
    assert!(text.contains("did not allow") && text.contains("gmail.readonly"), "{text}");
    assert_eq!(status(&actions, "scoped-cat").await, "PENDING_AUTH");
    // Without a selection the connection's scopes are asked for, and nothing is required of them.
    let page = browser.get(link(&actions, "scoped-dan", json!({})).await).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(status(&actions, "scoped-dan").await, "ACTIVE");
    sandbox(&gateway, "/sandbox/settings", json!({"declined_scopes": []})).await;

    // The lists one by one, as the SDKs take them, mean the same selection.
    let by_lists = json!({"scopes": [readonly], "optional_scopes": [send]});
    let to_provider = no_follow.get(link(&actions, "scoped-eve", by_lists).await).send().await.unwrap();
    let authorize = url::Url::parse(to_provider.headers()["location"].to_str().unwrap()).unwrap();
    assert!(authorize.query_pairs().any(|(k, v)| k == "scope" && v == format!("{readonly} {send}")));

    // Bad selections are 400s naming the field, and make no account.
    for (bad, field) in [
        (json!({"scope_selection": {"scopes": ["two words"]}}), "scope_selection.scopes"),
        (json!({"scope_selection": {"scopes": ["a"], "optional_scopes": ["a"]}}), "scope_selection.optional_scopes"),
        (json!({"scope_selection": {"scopes": ["a"]}, "scopes": ["b"]}), "scope_selection"),
        // More than the connection was set up with: an admin adds it to the connection first.
        (json!({"scopes": [readonly], "optional_scopes": ["https://mail.google.com/"]}), "not among"),
    ] {
        let mut params = json!({"connection_name": "gmail", "identifier": "scoped-bad"});
        params.as_object_mut().unwrap().extend(bad.as_object().unwrap().clone());
        let err = dispatch(&actions, Operation::GetAuthorizationLink, params).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad}: {}", err.message());
        assert!(err.message().contains(field), "{bad}: {}", err.message());
    }
    let err = dispatch(
        &actions,
        Operation::GetConnectedAccountDetails,
        json!({"connection_name": "gmail", "identifier": "scoped-bad"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);

    // A connection whose accounts hold a key has no scopes to select.
    let base = gateway.env["SCALEKIT_ENV_URL"].clone();
    let created = reqwest::Client::new()
        .post(format!("{base}/api/v1/connections"))
        .bearer_auth(gateway.api_token().await)
        .json(&json!({"name": "warehouse", "connector": "postgres"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let err = dispatch(
        &actions,
        Operation::GetAuthorizationLink,
        json!({"connection_name": "warehouse", "identifier": "w", "scopes": ["read"]}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.message().contains("OAuth connections with scopes of their own only"), "{}", err.message());
    let none = dispatch(
        &actions,
        Operation::GetConnectedAccountDetails,
        json!({"connection_name": "warehouse", "identifier": "w"}),
    )
    .await
    .unwrap_err();
    assert_eq!(none.kind(), ErrorKind::NotFound, "a refused link makes no account");
}
