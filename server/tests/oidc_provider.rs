//! The gateway against a real, independent OAuth 2.0 / OpenID Connect server (`oidc-provider`
//! from npm, started here; PKCE required, rotating refresh tokens, short-lived access tokens):
//! the consent flow over HTTP, user verification and a hijack attempt, replayed / expired links,
//! access_denied, 200 concurrent calls on an expired token (one refresh, counted at the provider),
//! and a kill -9 between the provider's refresh answer and our commit. And the same provider as
//! the app's sign-in for MCP clients' OAuth (`[mcp_oauth.oidc]`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use agentkit_core::dispatch::{dispatch, Operation};
use agentkit_core::{Actions, ClientOptions, ErrorKind, ScalekitClient};
use serde_json::{json, Value};

mod common;

const ACCESS_TTL_SECS: u64 = 5;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_provider(redirect_uri: &str) -> (Killed, String) {
    start_provider_for(redirect_uri, "oidc-user")
}

/// The provider, signing `user` in when the authorization request names nobody.
fn start_provider_for(redirect_uri: &str, user: &str) -> (Killed, String) {
    let mut child = Command::new("node")
        .arg(root().join("tests/oidc/provider.mjs"))
        .current_dir(root())
        .env("REDIRECT_URI", redirect_uri)
        .env("DEFAULT_USER", user)
        .env("ACCESS_TTL", ACCESS_TTL_SECS.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("node runs tests/oidc/provider.mjs (npm install first)");
    let line = BufReader::new(child.stdout.take().unwrap()).lines().next().unwrap().unwrap();
    let issuer = line.strip_prefix("ISSUER=").expect("ISSUER line").to_string();
    (Killed(child), issuer)
}

fn write_config(dir: &Path, port: u16, issuer: &str, extra: &str) -> PathBuf {
    let config = format!(
        r#"
[server]
listen = "127.0.0.1:{port}"
data_dir = "{data}"
connectors_dir = "{connectors}"
link_ttl_secs = 4

[egress]
# test fixtures listen on loopback
allow = ["127.0.0.1"]
[[api_clients]]
client_id = "skc_test"
client_secret = "test-secret"

[[connections]]
name = "oidc"
connector = "oidc_userinfo"
base_url = "{issuer}"
client_id = "agentkit-gateway"
client_secret = "gateway-secret"
authorize_url = "{issuer}/auth"
token_url = "{issuer}/token"
revoke_url = "{issuer}/token/revocation"
token_auth_method = "client_secret_basic"
# The test provider signs in the user the hint names.
send_login_hint = true
{extra}
"#,
        data = dir.join("data").display(),
        connectors = root().join("tests/fixtures/connectors").display(),
    );
    let path = dir.join("agentkit.toml");
    std::fs::write(&path, config).unwrap();
    path
}

async fn start_gateway(config: &Path, port: u16, fault_delay_ms: Option<u64>) -> Killed {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_agentkit"));
    cmd.args(["serve", "--config"]).arg(config).stdout(Stdio::null()).stderr(Stdio::null());
    if let Some(ms) = fault_delay_ms {
        cmd.env("AGENTKIT_FAULT_DELAY_REFRESH_COMMIT_MS", ms.to_string());
    }
    let child = Killed(cmd.spawn().unwrap());
    for _ in 0..100 {
        if reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await.is_ok() {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("gateway did not start");
}

async fn call(actions: &Actions, op: Operation, params: Value) -> agentkit_core::Result<Value> {
    dispatch(actions, op, params).await
}

async fn link(actions: &Actions, user: &str, extra: Value) -> String {
    common::authorization_link(actions, "oidc", user, extra).await
}

async fn status(actions: &Actions, user: &str) -> String {
    common::account_status(actions, "oidc", user).await
}

async fn whoami(actions: &Actions, user: &str) -> agentkit_core::Result<Value> {
    call(actions, Operation::ExecuteTool, json!({"tool_name": "oidc_userinfo", "identifier": user, "tool_input": {}}))
        .await
}

async fn stats(issuer: &str) -> Value {
    reqwest::get(format!("{issuer}/test/stats")).await.unwrap().json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn against_a_real_oidc_provider() {
    let dir = std::env::temp_dir().join(format!("agentkit-oidc-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let (_provider, issuer) = start_provider(&format!("http://127.0.0.1:{port}/oauth/callback"));
    let config = write_config(&dir, port, &issuer, "");
    let mut gateway = start_gateway(&config, port, None).await;
    let client =
        ScalekitClient::new(&format!("http://127.0.0.1:{port}"), "skc_test", "test-secret", ClientOptions::default())
            .unwrap();
    let actions = Actions::new(client);
    let browser = common::browser();

    // Consent flow: link → provider login + consent → callback → ACTIVE; the token works there.
    let first = link(&actions, "alice", json!({})).await;
    let page = browser.get(&first).send().await.unwrap();
    assert_eq!(page.status(), 200, "{}", page.text().await.unwrap());
    assert_eq!(status(&actions, "alice").await, "ACTIVE");
    let me = whoami(&actions, "alice").await.unwrap();
    assert_eq!(me["data"]["sub"], "alice");
    assert_eq!(stats(&issuer).await["code_exchanges"], 1);

    // Replayed link; declined consent (account unchanged); expired link.
    assert_eq!(browser.get(&first).send().await.unwrap().status(), 410);
    let denied = browser.get(link(&actions, "deny-eve", json!({})).await).send().await.unwrap();
    assert_eq!(denied.status(), 400);
    assert_eq!(status(&actions, "deny-eve").await, "PENDING_AUTH");
    let stale = link(&actions, "late-larry", json!({})).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(browser.get(&stale).send().await.unwrap().status(), 410);
    assert_eq!(status(&actions, "late-larry").await, "PENDING_AUTH");

    // User verification: a second identifier cannot activate the account; the right one can.
    let verify_url = format!("http://127.0.0.1:{port}/app/verify");
    // Bob uses his own browser (a shared browser would carry alice's session at the provider).
    let held = common::browser()
        .get(link(&actions, "bob", json!({"user_verify_url": verify_url})).await)
        .send()
        .await
        .unwrap();
    let location = url::Url::parse(held.headers()["location"].to_str().unwrap()).unwrap();
    let request_id = location.query_pairs().find(|(k, _)| k == "auth_request_id").unwrap().1.into_owned();
    let hijack = call(
        &actions,
        Operation::VerifyConnectedAccountUser,
        json!({"auth_request_id": request_id, "identifier": "mallory"}),
    )
    .await
    .unwrap_err();
    assert_eq!(hijack.kind(), ErrorKind::Forbidden);
    assert_eq!(status(&actions, "bob").await, "PENDING_VERIFICATION");
    call(&actions, Operation::VerifyConnectedAccountUser, json!({"auth_request_id": request_id, "identifier": "bob"}))
        .await
        .unwrap();
    assert_eq!(whoami(&actions, "bob").await.unwrap()["data"]["sub"], "bob");

    // 200 concurrent calls on an expired access token: one refresh at the provider, 200 successes.
    tokio::time::sleep(Duration::from_secs(ACCESS_TTL_SECS + 1)).await;
    let before = stats(&issuer).await["refreshes"].as_u64().unwrap();
    let results = futures::future::join_all((0..200).map(|_| whoami(&actions, "alice"))).await;
    let failed: Vec<String> =
        results.iter().filter_map(|r| r.as_ref().err().map(|e| e.message().to_string())).collect();
    assert!(failed.is_empty(), "{} of 200 failed: {:?}", failed.len(), failed.first());
    assert_eq!(stats(&issuer).await["refreshes"].as_u64().unwrap() - before, 1, "exactly one refresh");

    // Crash between the provider's refresh answer (refresh token rotated there) and our commit.
    drop(gateway);
    gateway = start_gateway(&config, port, Some(10_000)).await;
    tokio::time::sleep(Duration::from_secs(ACCESS_TTL_SECS + 1)).await;
    let before = stats(&issuer).await["refreshes"].as_u64().unwrap();
    let in_flight = tokio::spawn({
        let actions = actions.clone();
        async move { whoami(&actions, "alice").await }
    });
    for _ in 0..100 {
        if stats(&issuer).await["refreshes"].as_u64().unwrap() > before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(stats(&issuer).await["refreshes"].as_u64().unwrap(), before + 1, "the provider rotated the token");
    let pid = gateway.0.id().to_string();
    assert!(Command::new("kill").args(["-9", &pid]).status().unwrap().success());
    assert!(in_flight.await.unwrap().is_err(), "the call in flight died with the gateway");
    drop(gateway);
    let _gateway = start_gateway(&config, port, None).await;
    // After restart the account works or is cleanly EXPIRED with a way back — never silently broken.
    match whoami(&actions, "alice").await {
        Ok(me) => assert_eq!(me["data"]["sub"], "alice"),
        Err(e) => {
            assert!(e.message().contains("EXPIRED") && e.message().contains("/connect/"), "{}", e.message());
            assert_eq!(status(&actions, "alice").await, "EXPIRED");
            let again = browser.get(link(&actions, "alice", json!({})).await).send().await.unwrap();
            assert_eq!(again.status(), 200);
            assert_eq!(whoami(&actions, "alice").await.unwrap()["data"]["sub"], "alice");
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// A gateway whose MCP clients sign in through the app's OIDC provider (`user` signs in there;
/// `identifier_claim = "email"`), an MCP config on it, and a registered MCP client with the
/// authorize URL it sends the user's browser to (PKCE, resource).
struct McpSignIn {
    _provider: Killed,
    _gateway: Killed,
    base: String,
    client_id: String,
    redirect: &'static str,
    verifier: String,
    resource: String,
    authorize: url::Url,
    issuer: String,
}

impl McpSignIn {
    async fn start(dir: &Path, user: &str) -> McpSignIn {
        std::fs::create_dir_all(dir).unwrap();
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let (provider, issuer) = start_provider_for(&format!("{base}/mcp/oauth/oidc/callback"), user);
        let extra = format!(
            "[mcp_oauth.oidc]\nissuer = \"{issuer}\"\nclient_id = \"agentkit-gateway\"\nclient_secret = \"gateway-secret\"\nidentifier_claim = \"email\"\n"
        );
        let config = write_config(dir, port, &issuer, &extra);
        let gateway = start_gateway(&config, port, None).await;
        let actions =
            Actions::new(ScalekitClient::new(&base, "skc_test", "test-secret", ClientOptions::default()).unwrap());
        let created = call(
            &actions,
            Operation::McpCreateConfig,
            json!({"name": "oidc-signin", "connection_tool_mappings": [{"connection_name": "oidc", "tools": []}]}),
        )
        .await
        .unwrap();
        let resource = created["config"]["mcp_server_url"].as_str().unwrap().to_string();
        let redirect = "http://localhost:9/callback";
        let registered: Value = reqwest::Client::new()
            .post(format!("{base}/mcp/oauth/register"))
            .json(&json!({"redirect_uris": [redirect], "client_name": "oidc test client"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let client_id = registered["client_id"].as_str().unwrap().to_string();
        let (verifier, challenge) = agentkit_server::credentials::oauth::pkce_pair();
        let mut authorize = url::Url::parse(&format!("{base}/mcp/oauth/authorize")).unwrap();
        authorize
            .query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &client_id)
            .append_pair("redirect_uri", redirect)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256")
            .append_pair("state", "st-1")
            .append_pair("resource", &resource);
        McpSignIn {
            _provider: provider,
            _gateway: gateway,
            base,
            client_id,
            redirect,
            verifier,
            resource,
            authorize,
            issuer,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_clients_sign_in_through_the_apps_oidc_provider() {
    let dir = std::env::temp_dir().join(format!("agentkit-mcp-oidc-{}", uuid::Uuid::new_v4().simple()));
    let sign_in = McpSignIn::start(&dir, "oidc-user").await;
    let (base, client_id, redirect) = (sign_in.base.as_str(), sign_in.client_id.as_str(), sign_in.redirect);
    let (verifier, resource) = (sign_in.verifier.as_str(), sign_in.resource.as_str());
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    // The browser: the gateway → the app's OIDC provider (signs `oidc-user` in) → back → consent.
    let consent = common::browser().get(sign_in.authorize.as_str()).send().await.unwrap();
    assert_eq!(consent.status(), 200);
    let page = consent.text().await.unwrap();
    assert!(page.contains("oidc-user@example.test"), "the provider's email claim names the user: {page}");
    assert!(page.contains("oidc_userinfo"), "the consent page lists the config's tools");
    let signin = page.split("name=signin value=\"").nth(1).and_then(|rest| rest.split('"').next()).unwrap();
    let approved = http
        .post(format!("{base}/mcp/oauth/consent"))
        .form(&[("signin", signin), ("decision", "approve")])
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), 302);
    let back = url::Url::parse(approved.headers()["location"].to_str().unwrap()).unwrap();
    let query: std::collections::HashMap<_, _> = back.query_pairs().into_owned().collect();
    assert_eq!(query["state"], "st-1");
    assert_eq!(query["iss"], base);
    let token: Value = http
        .post(format!("{base}/mcp/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &query["code"]),
            ("client_id", client_id),
            ("redirect_uri", redirect),
            ("code_verifier", verifier),
            ("resource", resource),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access_token = token["access_token"].as_str().expect("an access token");

    // The token opens the config URL as the signed-in user.
    let meta = json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                      "io.modelcontextprotocol/clientCapabilities": {}});
    let discovered: Value = http
        .post(resource)
        .bearer_auth(access_token)
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "server/discover")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "server/discover", "params": {"_meta": meta}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let instructions = discovered["result"]["instructions"].as_str().unwrap();
    assert!(instructions.contains("oidc-user@example.test"), "{instructions}");

    // Issue 22 (Low): more authorization requests do not fetch the provider's discovery again
    // (before, every request did: an unauthenticated caller could make the gateway hammer it).
    let before = stats(&sign_in.issuer).await["discoveries"].as_u64().unwrap();
    for _ in 0..5 {
        let started = http.get(sign_in.authorize.as_str()).send().await.unwrap();
        assert_eq!(started.status(), 302, "sent to the provider");
    }
    assert_eq!(stats(&sign_in.issuer).await["discoveries"].as_u64().unwrap(), before, "discovery is cached");

    // Issue 22 (Low): consent, grant and revocation are on the audit trail, as the user.
    let revoked = http.post(format!("{base}/mcp/oauth/revoke")).form(&[("token", access_token)]).send().await.unwrap();
    assert_eq!(revoked.status(), 200);
    let trail: Value = http
        .get(format!("{base}/api/v1/audit?page_size=100"))
        .bearer_auth(common::api_token(base, "skc_test", "test-secret").await)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let rows = trail["events"].as_array().expect("audit rows");
    let row =
        |action: &str| rows.iter().find(|r| r["action"] == action).unwrap_or_else(|| panic!("no {action}: {trail}"));
    assert_eq!(row("mcp_oauth.consent_granted")["actor"], "mcp:oidc-user@example.test");
    assert_eq!(row("mcp_oauth.consent_granted")["target"], client_id);
    let grant = row("mcp_oauth.grant_created")["target"].as_str().unwrap().to_string();
    assert_eq!(row("mcp_oauth.grant_revoked")["target"], grant.as_str());
    assert!(!trail.to_string().contains(access_token), "tokens are never audited");
    let _ = std::fs::remove_dir_all(dir);
}

/// Issue 22 #8: with `identifier_claim = "email"`, an email the provider has not verified never
/// names a user (anyone can claim a victim's address at many providers).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unverified_email_never_signs_an_mcp_client_in() {
    let dir = std::env::temp_dir().join(format!("agentkit-mcp-oidc-unverified-{}", uuid::Uuid::new_v4().simple()));
    let sign_in = McpSignIn::start(&dir, "unverified-victim").await;
    let answer = common::browser().get(sign_in.authorize.as_str()).send().await.unwrap();
    let page = answer.text().await.unwrap();
    assert!(!page.contains("unverified-victim@example.test"), "no consent page for the unverified address: {page}");
    assert!(!page.contains("name=signin"), "no sign-in to approve: {page}");
    assert!(page.contains("Sign-in failed"), "the browser is told the sign-in failed: {page}");
    let _ = std::fs::remove_dir_all(dir);
}

/// Issue 23 §2: operators sign in to the console through the organisation's OpenID Connect
/// provider (the same sign-in as MCP users'): a listed admin lands on the console as admin; a
/// person the config does not list, and an unverified email, are refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_sign_in_to_the_console_through_the_organisations_provider() {
    for (user, expected) in [("oidc-user", 200), ("stranger", 403), ("unverified-ops", 400)] {
        let dir = std::env::temp_dir().join(format!("agentkit-console-oidc-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let (_provider, issuer) = start_provider_for(&format!("{base}/console/login/oidc/callback"), user);
        let config = write_config(&dir, port, &issuer, &console_oidc(&issuer));
        let _gateway = start_gateway(&config, port, None).await;
        let browser = common::browser();
        let login = browser.get(format!("{base}/console/login")).send().await.unwrap().text().await.unwrap();
        assert!(login.contains("Sign in with your organisation"), "{login}");
        // The browser: the console → the provider (signs `user` in) → back to the console.
        let landed = browser.get(format!("{base}/console/login/oidc")).send().await.unwrap();
        assert_eq!(landed.status().as_u16(), expected, "{user}");
        let page = landed.text().await.unwrap();
        if expected == 200 {
            assert!(page.contains("<h1>Connections</h1>"), "{page}");
            assert!(page.contains("oidc-user@example.test (admin)"), "signed in as the listed admin");
            // The operator the provider vouched for was made on the audit trail, in the same commit.
            let trail = browser.get(format!("{base}/console/audit")).send().await.unwrap().text().await.unwrap();
            assert!(trail.contains("console.operator_set") && trail.contains("oidc-user@example.test"), "{trail}");
        } else {
            assert!(!page.contains("<h1>Connections</h1>"), "{user} is not signed in");
            let again = browser.get(format!("{base}/console/connections")).send().await.unwrap();
            assert_eq!(again.url().path(), "/console/login", "{user} has no session");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// `[console.oidc]` listing `oidc-user@example.test` and `unverified-ops@example.test` as admins.
fn console_oidc(issuer: &str) -> String {
    format!(
        "[console.oidc]\nissuer = \"{issuer}\"\nclient_id = \"agentkit-gateway\"\nclient_secret = \"gateway-secret\"\n\
         admins = [\"oidc-user@example.test\", \"unverified-ops@example.test\"]\n"
    )
}

/// A provider sign-in must come back to the browser that started it: the callback with a valid
/// state but without the starting browser's cookie is refused (login CSRF).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_sign_in_finishes_only_in_the_browser_that_started_it() {
    let dir = std::env::temp_dir().join(format!("agentkit-console-oidc-csrf-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let (_provider, issuer) = start_provider_for(&format!("{base}/console/login/oidc/callback"), "oidc-user");
    let config = write_config(&dir, port, &issuer, &console_oidc(&issuer));
    let _gateway = start_gateway(&config, port, None).await;
    // The attacker starts a sign-in and stops at the redirect back (the callback URL).
    let stop_at_callback = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::custom(|attempt| {
            if attempt.url().path() == "/console/login/oidc/callback" {
                attempt.stop()
            } else {
                attempt.follow()
            }
        }))
        .build()
        .unwrap();
    let stopped = stop_at_callback.get(format!("{base}/console/login/oidc")).send().await.unwrap();
    let callback = stopped.headers()["location"].to_str().unwrap().to_string();
    // The victim's browser is sent there without the attacker's cookie.
    let victim = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let answer = victim.get(&callback).send().await.unwrap();
    assert_eq!(answer.status(), 400);
    assert!(answer.headers().get("set-cookie").is_none(), "no session for the victim");
    // The browser that started it finishes it (and lands on the console).
    let finished = stop_at_callback.get(&callback).send().await.unwrap();
    assert_eq!(finished.status(), 200);
    assert!(finished.text().await.unwrap().contains("<h1>Connections</h1>"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A sign-in provider that is down costs the gateway one discovery request per few seconds, not
/// one per sign-in attempt: the failure is remembered briefly, and each attempt is refused at once
/// with a page that says the provider is unavailable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_that_is_down_is_asked_once_not_once_per_sign_in() {
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = hits.clone();
    let down = axum::Router::new().route(
        "/.well-known/openid-configuration",
        axum::routing::get(move || {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async { (axum::http::StatusCode::SERVICE_UNAVAILABLE, "down") }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, down).await });

    let dir = std::env::temp_dir().join(format!("agentkit-console-down-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let config = write_config(&dir, port, &issuer, &console_oidc(&issuer));
    let _gateway = start_gateway(&config, port, None).await;
    let browser = common::browser();
    for _ in 0..5 {
        let answer = browser.get(format!("http://127.0.0.1:{port}/console/login/oidc")).send().await.unwrap();
        assert_eq!(answer.status().as_u16(), 503);
        assert!(answer.text().await.unwrap().contains("sign-in provider"));
    }
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 1, "one discovery request for five sign-ins");
    let _ = std::fs::remove_dir_all(&dir);
}
