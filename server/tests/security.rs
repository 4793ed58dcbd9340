//! Regression tests for the gateway's trust boundaries (issue 10), one per hole: each drives a
//! real gateway over HTTP as an attacker holding one API client's credentials would, against
//! loopback services that stand in for internal hosts (an "internal" secret service) and for
//! providers (an echoing upstream).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use agentkit_core::actions::ProxyRequest;
use agentkit_core::{Actions, ClientOptions, ErrorKind, ScalekitClient};

const SECRET: &str = "TOP-SECRET-INTERNAL-VALUE";

/// Every request an upstream saw: method, path and query, headers.
type Seen = Arc<Mutex<Vec<(String, String, Vec<(String, String)>)>>>;

/// A loopback HTTP service: answers with `answer` and records what it was sent.
async fn service(answer: fn(&Request) -> Response) -> (SocketAddr, Seen) {
    let seen: Seen = Default::default();
    let log = seen.clone();
    let app = axum::Router::new().fallback(move |req: Request| {
        let log = log.clone();
        async move {
            let headers = req
                .headers()
                .iter()
                .map(|(k, v)| (k.to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                .collect();
            let path = req.uri().path_and_query().map(|p| p.to_string()).unwrap_or_default();
            log.lock().unwrap().push((req.method().to_string(), path, headers));
            answer(&req)
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, seen)
}

fn secret_answer(_: &Request) -> Response {
    SECRET.into_response()
}

fn echo_answer(req: &Request) -> Response {
    let headers: serde_json::Map<String, Value> = req
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned())))
        .collect();
    (
        [("set-cookie", "session=upstream"), ("x-ratelimit-remaining", "9"), ("content-type", "application/json")],
        axum::Json(json!({"path": req.uri().path(), "headers": headers, "labels": []})),
    )
        .into_response()
}

/// A running gateway and a bearer token per API client.
struct Gateway {
    url: String,
    http: reqwest::Client,
    _data_dir: tempdir::Dir,
}

mod tempdir {
    pub struct Dir(pub std::path::PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Clients: `admin` (default scopes), `agent` (read_credentials = false, but granted admin),
/// `runner` (tools only).
async fn gateway(extra: &str) -> Gateway {
    let data_dir = std::env::temp_dir().join(format!("agentkit-security-{}", uuid::Uuid::new_v4().simple()));
    let text = format!(
        r#"
[server]
listen = "127.0.0.1:0"
{extra}
[[api_clients]]
client_id = "admin"
client_secret = "admin-secret"

[[api_clients]]
client_id = "agent"
client_secret = "agent-secret"
read_credentials = false
scopes = ["tools", "accounts", "admin"]

[[api_clients]]
client_id = "runner"
client_secret = "runner-secret"
scopes = ["tools"]

[[connections]]
name = "salesforce"
connector = "salesforce"
"#
    );
    let mut config = agentkit_server::Config::parse(&text, "security.toml").unwrap();
    config.server.data_dir = data_dir.clone();
    let server = agentkit_server::start(config).await.unwrap();
    Gateway { url: server.public_url.clone(), http: reqwest::Client::new(), _data_dir: tempdir::Dir(data_dir) }
}

impl Gateway {
    async fn token(&self, client: &str) -> String {
        let answer: Value = self
            .http
            .post(format!("{}/oauth/token", self.url))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", client),
                ("client_secret", &format!("{client}-secret")),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        answer["access_token"].as_str().unwrap().to_string()
    }

    /// `(status, body)` of an API call as `client`.
    async fn call(&self, client: &str, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.url)).bearer_auth(self.token(client).await);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    async fn post(&self, client: &str, path: &str, body: Value) -> (u16, Value) {
        self.call(client, reqwest::Method::POST, path, Some(body)).await
    }

    fn actions(&self, client: &str) -> Actions {
        let secret = format!("{client}-secret");
        Actions::new(ScalekitClient::new(&self.url, client, &secret, ClientOptions::default()).unwrap())
    }

    /// Creates a connected account as `admin`; `connected_account` holds its api_config and
    /// authorization_details.
    async fn create_account(&self, connection: &str, identifier: &str, connected_account: Value) -> (u16, Value) {
        let body =
            json!({"connection_name": connection, "identifier": identifier, "connected_account": connected_account});
        self.post("admin", "/api/v1/connected_accounts", body).await
    }

    /// A custom provider (bearer token) at `proxy_url` and an ACTIVE account on it.
    async fn provider_with_account(&self, identifier: &str, proxy_url: &str, api_config: Value) -> (u16, Value) {
        let (status, body) = self
            .post(
                "admin",
                "/api/v1/custom-providers",
                json!({"identifier": identifier, "display_name": identifier, "proxy_url": proxy_url,
                       "auth_patterns": [{"type": "BEARER"}]}),
            )
            .await;
        if status != 201 {
            return (status, body);
        }
        let credentials = json!({"static_auth": {"details": {"token": "victim-token"}}});
        self.create_account(
            identifier,
            "victim",
            json!({"api_config": api_config, "authorization_details": credentials}),
        )
        .await
    }
}

/// Whether the gateway closes `conn` (EOF, perhaps after an error answer) within `within`.
async fn closed_by_gateway(conn: &mut tokio::net::TcpStream, within: std::time::Duration) -> bool {
    use tokio::io::AsyncReadExt;
    let mut rest = Vec::new();
    tokio::time::timeout(within, conn.read_to_end(&mut rest)).await.is_ok()
}

/// `/healthz` answers 200 within `within` while the gateway is under `load`.
async fn answers_healthz_within(gw: &Gateway, within: std::time::Duration, load: &str) {
    let started = std::time::Instant::now();
    let resp =
        tokio::time::timeout(std::time::Duration::from_secs(10), gw.http.get(format!("{}/healthz", gw.url)).send())
            .await
            .unwrap_or_else(|_| panic!("healthz answers while {load}"))
            .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(started.elapsed() < within, "{:?}", started.elapsed());
    // The listener's request tracking keeps a known length: `Content-Length`, not chunked.
    assert_eq!(resp.headers().get("content-length").map(|v| v.to_str().unwrap()), Some("2"));
}

fn assert_refused_naming(status: u16, body: &Value, host: &str) {
    let text = body.to_string();
    assert_eq!(status, 403, "{text}");
    assert!(text.contains(host), "the refusal names the host: {text}");
    assert!(!text.contains(SECRET), "never the internal answer: {text}");
}

#[tokio::test]
async fn egress_refuses_internal_addresses_in_every_spelling() {
    let (internal, seen) = service(secret_answer).await;
    let gw = gateway("").await;
    let port = internal.port();
    for (i, url) in [
        format!("http://127.0.0.1:{port}"),
        format!("http://127.1:{port}"),
        format!("http://2130706433:{port}"),
        format!("http://[::ffff:127.0.0.1]:{port}"),
        format!("http://localhost:{port}"),
        "http://169.254.169.254/latest".to_string(),
    ]
    .iter()
    .enumerate()
    {
        let (status, body) = gw
            .post(
                "admin",
                "/api/v1/custom-providers",
                json!({"identifier": format!("p{i}"), "display_name": format!("p{i}"), "proxy_url": url,
                       "auth_patterns": [{"type": "BEARER"}]}),
            )
            .await;
        assert_eq!(status, 403, "{url}: {body}");
        assert!(body.to_string().contains("proxy_url"), "{body}");
    }
    // A templated host filled from the account's api_config is checked when called.
    let (status, body) =
        gw.provider_with_account("acme", "http://{{domain}}/api", json!({"domain": format!("127.0.0.1:{port}")})).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = gw.call("admin", reqwest::Method::GET, "/proxy/secret", None).await;
    assert_eq!(status, 400, "connection_name header missing: {body}");
    let resp = gw
        .http
        .get(format!("{}/proxy/secret", gw.url))
        .bearer_auth(gw.token("admin").await)
        .header("connection_name", "acme")
        .header("identifier", "victim")
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap();
    assert_refused_naming(status, &body, "127.0.0.1");
    assert!(seen.lock().unwrap().is_empty(), "the internal service was never reached");
}

#[tokio::test]
async fn egress_allow_list_opens_exactly_what_it_names() {
    let (upstream, seen) = service(echo_answer).await;
    let (other, other_seen) = service(secret_answer).await;
    let gw = gateway(&format!("[egress]\nallow = [\"127.0.0.1:{}\"]\n", upstream.port())).await;
    let (status, body) =
        gw.provider_with_account("ok", &format!("http://127.0.0.1:{}", upstream.port()), json!({})).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = gw
        .post(
            "admin",
            "/api/v1/custom-providers",
            json!({"identifier": "other", "display_name": "other", "proxy_url": format!("http://127.0.0.1:{}", other.port()),
                   "auth_patterns": [{"type": "BEARER"}]}),
        )
        .await;
    assert_eq!(status, 403, "another port of an allowed IP stays closed: {body}");
    let answer = gw
        .actions("admin")
        .request(ProxyRequest {
            connection_name: "ok".into(),
            identifier: "victim".into(),
            path: "/v1/x".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(answer.status, 200);
    assert_eq!(seen.lock().unwrap().len(), 1);
    assert!(other_seen.lock().unwrap().is_empty());
}

fn redirect_answer(req: &Request) -> Response {
    let query = req.uri().query().unwrap_or_default().as_bytes();
    let target =
        url::form_urlencoded::parse(query).find(|(k, _)| k == "to").map(|(_, v)| v.into_owned()).unwrap_or_default();
    (axum::http::StatusCode::FOUND, [("location", target)]).into_response()
}

#[tokio::test]
async fn proxy_relays_cross_origin_redirects_instead_of_following_them() {
    let (redirector, _) = service(redirect_answer).await;
    let (elsewhere, elsewhere_seen) = service(secret_answer).await;
    let gw = gateway("[egress]\nallow = [\"127.0.0.1\"]\n").await;
    let (status, body) =
        gw.provider_with_account("hop", &format!("http://127.0.0.1:{}", redirector.port()), json!({})).await;
    assert_eq!(status, 201, "{body}");
    let answer = gw
        .actions("admin")
        .request(ProxyRequest {
            connection_name: "hop".into(),
            identifier: "victim".into(),
            path: "/go".into(),
            query_params: vec![("to".into(), format!("http://127.0.0.1:{}/steal", elsewhere.port()))],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(answer.status, 302, "the 3xx is relayed");
    assert!(elsewhere_seen.lock().unwrap().is_empty(), "the credential never crossed origins");
}

#[tokio::test]
async fn proxy_forwards_and_relays_only_allow_listed_headers() {
    let (upstream, seen) = service(echo_answer).await;
    let gw = gateway("[egress]\nallow = [\"127.0.0.1\"]\n").await;
    gw.provider_with_account("echo", &format!("http://127.0.0.1:{}", upstream.port()), json!({})).await;
    let resp = gw
        .http
        .put(format!("{}/proxy/latest/api/token", gw.url))
        .bearer_auth(gw.token("admin").await)
        .header("connection_name", "echo")
        .header("identifier", "victim")
        .header("cookie", "gateway_session=1")
        .header("x-forwarded-for", "10.0.0.1")
        .header("x-aws-ec2-metadata-token-ttl-seconds", "21600")
        .header("notion-version", "2022-06-28")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().get("set-cookie").is_none(), "Set-Cookie is not relayed");
    assert_eq!(resp.headers()["x-ratelimit-remaining"], "9");
    let (_, _, headers) = seen.lock().unwrap()[0].clone();
    let names: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
    for dropped in
        ["cookie", "x-forwarded-for", "x-aws-ec2-metadata-token-ttl-seconds", "connection_name", "identifier"]
    {
        assert!(!names.contains(&dropped), "{dropped} reached the provider: {names:?}");
    }
    assert!(names.contains(&"notion-version"));
    assert!(headers.iter().any(|(k, v)| k == "authorization" && v == "Bearer victim-token"));

    // Issue 22 (Low): an API-key provider whose key travels in an `x-` header: the caller's own
    // copy of that header is not forwarded next to the stored key (before, both reached it).
    let (status, body) = gw
        .post(
            "admin",
            "/api/v1/custom-providers",
            json!({"identifier": "keyed", "display_name": "keyed", "proxy_url": format!("http://127.0.0.1:{}", upstream.port()),
                   "auth_patterns": [{"type": "API_KEY", "auth_header_key_override": "X-Acme-Key"}]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let credentials = json!({"static_auth": {"details": {"api_key": "stored-key"}}});
    let (status, body) = gw.create_account("keyed", "victim", json!({"authorization_details": credentials})).await;
    assert_eq!(status, 201, "{body}");
    let resp = gw
        .http
        .get(format!("{}/proxy/items", gw.url))
        .bearer_auth(gw.token("admin").await)
        .header("connection_name", "keyed")
        .header("identifier", "victim")
        .header("x-acme-key", "callers-own-key")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let (_, _, headers) = seen.lock().unwrap().last().unwrap().clone();
    let keys: Vec<&str> =
        headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case("x-acme-key")).map(|(_, v)| v.as_str()).collect();
    assert_eq!(keys, ["stored-key"], "only the stored key reaches the provider");
}

#[tokio::test]
async fn proxy_paths_cannot_leave_the_providers_base() {
    let (upstream, seen) = service(echo_answer).await;
    let gw = gateway("[egress]\nallow = [\"127.0.0.1\"]\n").await;
    gw.provider_with_account("echo", &format!("http://127.0.0.1:{}/base", upstream.port()), json!({})).await;
    // Through the SDK core: refused before anything is sent.
    for path in
        ["/../api/v1/connected_accounts/auth", "/%2e%2e/api/v1/connected_accounts/auth", "/a/..%2F..%2Fx", "/a?x=1"]
    {
        let err = gw
            .actions("admin")
            .request(ProxyRequest {
                connection_name: "echo".into(),
                identifier: "victim".into(),
                path: path.into(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{path}: {err}");
        assert_eq!(err.field(), Some("path"), "{path}");
    }
    // Straight at the gateway, as a client that does not normalize paths would send them:
    // decoded dot segments are refused too.
    let token = gw.token("admin").await;
    for raw in ["/proxy/a/%2e%2e/%2e%2e/x", "/proxy/a/..%2fb", "/proxy/%2E%2E/healthz"] {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut conn = tokio::net::TcpStream::connect(gw.url.trim_start_matches("http://")).await.unwrap();
        let request = format!(
            "GET {raw} HTTP/1.1\r\nhost: gw\r\nauthorization: Bearer {token}\r\nconnection_name: echo\r\nidentifier: victim\r\nconnection: close\r\n\r\n"
        );
        conn.write_all(request.as_bytes()).await.unwrap();
        let mut answer = String::new();
        conn.read_to_string(&mut answer).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 400"), "{raw}: {answer}");
        assert!(answer.contains("dot segment") || answer.contains("slash"), "{raw}: {answer}");
    }
    assert!(seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn scopes_gate_endpoints_and_credential_routing() {
    let (upstream, seen) = service(echo_answer).await;
    let gw = gateway("[egress]\nallow = [\"127.0.0.1\"]\n").await;
    // tools only: no accounts, no providers.
    let (status, body) = gw
        .post("runner", "/api/v1/connected_accounts", json!({"connection_name": "salesforce", "identifier": "u"}))
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(body.to_string().contains("accounts"), "{body}");
    let (status, _) = gw.post("runner", "/api/v1/custom-providers", json!({})).await;
    assert_eq!(status, 403);
    // A victim's Salesforce account, then a client that may not read credentials tries to point
    // it at a host it controls.
    let (status, body) = gw
        .create_account(
            "salesforce",
            "victim",
            json!({
                "api_config": {"instance_url": "https://acme.my.salesforce.com"},
                "authorization_details": {"oauth_token": {"access_token": "victim-token"}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let attacker = format!("http://127.0.0.1:{}", upstream.port());
    let (status, body) = gw
        .call(
            "agent",
            reqwest::Method::PUT,
            "/api/v1/connected_accounts",
            Some(json!({"connection_name": "salesforce", "identifier": "victim",
                        "connected_account": {"api_config": {"instance_url": attacker}}})),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(body.to_string().contains("may not read credentials"), "{body}");
    // A value the provider gave at authorization is pinned, even for a fully trusted client...
    let (status, body) = gw
        .call(
            "admin",
            reqwest::Method::PUT,
            "/api/v1/connected_accounts",
            Some(json!({"connection_name": "salesforce", "identifier": "victim",
                        "connected_account": {"api_config": {"instance_url": attacker}}})),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    // ...and a new value is held to the connector's host patterns.
    let (status, body) = gw
        .create_account(
            "salesforce",
            "other",
            json!({
                "api_config": {"instance_url": attacker},
                "authorization_details": {"oauth_token": {"access_token": "other-token"}}}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("api_config.instance_url"), "{body}");
    assert!(seen.lock().unwrap().is_empty(), "the victim's token went nowhere");
}

#[tokio::test]
async fn answers_are_read_within_a_budget() {
    fn huge(_: &Request) -> Response {
        let chunk = axum::body::Bytes::from(vec![b' '; 1 << 20]);
        let stream = futures::stream::iter((0..300).map(move |_| Ok::<_, std::io::Error>(chunk.clone())));
        ([("content-type", "application/json")], axum::body::Body::from_stream(stream)).into_response()
    }
    let (upstream, _) = service(huge).await;
    let gw = gateway(&format!(
        "[egress]\nallow = [\"127.0.0.1\"]\n[[connections]]\nname = \"gmail\"\nconnector = \"gmail\"\nbase_url = \"http://127.0.0.1:{}\"\n",
        upstream.port()
    ))
    .await;
    gw.create_account(
        "gmail",
        "u",
        json!({
            "authorization_details": {"oauth_token": {"access_token": "t"}}}),
    )
    .await;
    let started = std::time::Instant::now();
    let (status, body) = gw
        .post(
            "admin",
            "/api/v1/execute_tool",
            json!({"tool_name": "gmail_list_labels", "identifier": "u", "connection_name": "gmail", "params": {}}),
        )
        .await;
    assert_eq!(status, 502, "{body}");
    assert!(body.to_string().contains("larger than the gateway reads"), "{body}");
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

#[tokio::test]
async fn bad_input_is_an_error_and_a_record_never_a_reset() {
    let (upstream, seen) = service(echo_answer).await;
    let gw = gateway(&format!(
        "[egress]\nallow = [\"127.0.0.1\"]\n[[connections]]\nname = \"gmail\"\nconnector = \"gmail\"\nbase_url = \"http://127.0.0.1:{port}\"\n\
         [[connections]]\nname = \"googlecalendar\"\nconnector = \"googlecalendar\"\nbase_url = \"http://127.0.0.1:{port}\"\n",
        port = upstream.port()
    ))
    .await;
    // A CR/LF in a credential is refused when it is saved, naming the field.
    let (status, body) = gw
        .create_account(
            "gmail",
            "u",
            json!({
                "authorization_details": {"oauth_token": {"access_token": "tok\r\nX-Injected: 1"}}}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("access_token"), "{body}");
    // A header the provider request cannot carry (a custom provider's bad header name) is refused
    // when saved as well.
    let (status, body) = gw
        .post(
            "admin",
            "/api/v1/custom-providers",
            json!({"identifier": "badhdr", "display_name": "badhdr", "proxy_url": "https://api.example.com",
                   "auth_patterns": [{"type": "API_KEY", "auth_header_key_override": "X-Key\r\nX-Evil"}]}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("auth_header_key_override"), "{body}");
    for connection in ["gmail", "googlecalendar"] {
        gw.create_account(
            connection,
            "u",
            json!({
                "authorization_details": {"oauth_token": {"access_token": "tok"}}}),
        )
        .await;
    }
    // An upstream failure is recorded like any other outcome.
    let (status, body) = gw
        .post(
            "admin",
            "/api/v1/execute_tool",
            json!({"tool_name": "gmail_list_labels", "identifier": "u", "connection_name": "gmail", "params": {}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, records) = gw.call("admin", reqwest::Method::GET, "/api/v1/executions?identifier=u", None).await;
    assert!(
        records["executions"].as_array().unwrap().iter().any(|r| r["tool_name"] == "gmail_list_labels"),
        "{records}"
    );
    // A model-sized duration: refused by the schema, never a panic.
    let (status, body) = gw
        .post(
            "admin",
            "/api/v1/execute_tool",
            json!({"tool_name": "googlecalendar_create_event", "identifier": "u", "connection_name": "googlecalendar",
                   "params": {"summary": "x", "start_datetime": "2026-11-26T10:00:00Z", "event_duration_hour": 3e9}}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("event_duration_hour"), "{body}");
    // A templated path value of ".." stays one encoded segment.
    gw.create_account(
        "googlecalendar",
        "v",
        json!({
            "authorization_details": {"oauth_token": {"access_token": "tok"}}}),
    )
    .await;
    let (status, body) = gw
        .post(
            "admin",
            "/api/v1/execute_tool",
            json!({"tool_name": "googlecalendar_delete_event", "identifier": "v", "connection_name": "googlecalendar",
                   "params": {"calendar_id": "..", "event_id": "e1"}}),
        )
        .await;
    assert_eq!(status, 400, "a path value of '..' is refused: {body}");
    assert!(body.to_string().contains("calendar_id"), "{body}");
    let paths: Vec<String> = seen.lock().unwrap().iter().map(|(_, p, _)| p.clone()).collect();
    assert!(!paths.iter().any(|p| p.contains("/events/e1")), "the delete never reached the provider: {paths:?}");
    let (status, _) = gw.call("admin", reqwest::Method::GET, "/healthz", None).await;
    assert_eq!(status, 200, "the gateway is still up");
}

#[tokio::test]
async fn ambiguous_identifiers_need_a_selector_and_disabled_proxies_stay_shut() {
    let (upstream, _) = service(echo_answer).await;
    let gw = gateway("[egress]\nallow = [\"127.0.0.1\"]\n").await;
    gw.provider_with_account("echo", &format!("http://127.0.0.1:{}", upstream.port()), json!({})).await;
    for org in ["org_a", "org_b"] {
        let (status, body) = gw
            .post(
                "admin",
                "/api/v1/connected_accounts",
                json!({"connection_name": "echo", "identifier": "shared", "organization_id": org, "connected_account": {
                    "authorization_details": {"static_auth": {"details": {"token": format!("{org}-token")}}}}}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let proxy = |org: Option<&'static str>| {
        let gw = &gw;
        async move {
            let mut req = gw
                .http
                .get(format!("{}/proxy/me", gw.url))
                .bearer_auth(gw.token("admin").await)
                .header("connection_name", "echo")
                .header("identifier", "shared");
            if let Some(org) = org {
                req = req.header("organization_id", org);
            }
            let resp = req.send().await.unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        }
    };
    assert_eq!(proxy(None).await.0, 409);
    // execute_tool picks no account silently either.
    let (status, body) = gw
        .call(
            "admin",
            reqwest::Method::PUT,
            "/api/v1/custom-providers/echo",
            Some(json!({"tools": [{"name": "echo_me", "description": "echo", "input_schema": {"type": "object"},
                                   "request": {"method": "GET", "path": "/me"}}]})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let run = |org: &str| {
        gw.post(
            "admin",
            "/api/v1/execute_tool",
            json!({"tool_name": "echo_me", "identifier": "shared", "organization_id": org, "params": {}}),
        )
    };
    let (status, body) = run("").await;
    assert_eq!(status, 409, "{body}");
    let (status, body) = run("org_a").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.to_string().contains("org_a-token"), "{body}");
    let (status, body) = proxy(Some("org_b")).await;
    assert_eq!(status, 200);
    assert!(body.contains("org_b-token"), "{body}");
    // proxy_enabled = false is enforced.
    let (status, body) = gw
        .call("admin", reqwest::Method::PUT, "/api/v1/custom-providers/echo", Some(json!({"proxy_enabled": false})))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(proxy(Some("org_b")).await.0, 403);
}

#[tokio::test]
async fn concurrent_custom_provider_changes_never_store_an_invalid_one() {
    let gw = Arc::new(gateway("").await);
    let mut tasks = Vec::new();
    for i in 0..20 {
        let gw = gw.clone();
        tasks.push(tokio::spawn(async move {
            // Every other provider clashes with a built-in tool name and must be refused.
            let tools = if i % 2 == 0 {
                json!([])
            } else {
                json!([{"name": "gmail_fetch_mails", "description": "", "input_schema": {"type": "object"},
                        "request": {"method": "GET", "path": "/x"}}])
            };
            gw.post(
                "admin",
                "/api/v1/custom-providers",
                json!({"identifier": format!("cp{i}"), "display_name": format!("cp{i}"), "proxy_url": "https://api.example.com",
                       "auth_patterns": [{"type": "BEARER"}], "tools": tools}),
            )
            .await
            .0
        }));
    }
    for (i, task) in tasks.into_iter().enumerate() {
        let status = task.await.unwrap();
        assert_eq!(status, if i % 2 == 0 { 201 } else { 400 }, "provider {i}");
    }
}

#[tokio::test]
async fn account_search_treats_wildcards_as_text_and_the_data_dir_is_private() {
    let gw = gateway("").await;
    for identifier in ["alice", "bob_smith", "100%real"] {
        gw.create_account("salesforce", identifier, json!({})).await;
    }
    for (query, expected) in [("_", vec!["bob_smith"]), ("%", vec!["100%real"]), ("lic", vec!["alice"])] {
        let (status, body) = gw
            .call(
                "admin",
                reqwest::Method::GET,
                &format!(
                    "/api/v1/connected_accounts?query={}",
                    url::form_urlencoded::byte_serialize(query.as_bytes()).collect::<String>()
                ),
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let mut found: Vec<String> = body["connected_accounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["identifier"].as_str().unwrap().to_string())
            .collect();
        found.sort();
        let mut expected: Vec<String> = expected.into_iter().map(String::from).collect();
        expected.sort();
        assert_eq!(found, expected, "query {query:?}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let dir = &gw._data_dir.0;
        assert_eq!(std::fs::metadata(dir).unwrap().permissions().mode() & 0o777, 0o700);
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
            assert_eq!(mode & 0o077, 0, "{} is readable by others ({mode:o})", entry.path().display());
        }
    }
}

#[tokio::test]
async fn mcp_batches_are_capped_and_sessions_belong_to_their_url() {
    let gw = gateway("").await;
    let (status, body) = gw
        .post(
            "admin",
            "/api/v1/mcp/configs",
            json!({"name": "sec", "connection_tool_mappings": [{"connection_name": "salesforce", "tools": []}]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let mut urls = Vec::new();
    for user in ["alice", "bob"] {
        let (status, body) =
            gw.post("admin", "/api/v1/mcp/instances", json!({"config_name": "sec", "user_identifier": user})).await;
        assert_eq!(status, 200, "{body}");
        urls.push(body["instance"]["url"].as_str().unwrap().to_string());
    }
    let rpc = |url: String, body: Value, session: Option<String>| {
        let http = gw.http.clone();
        async move {
            let mut req = http.post(url).header("accept", "application/json, text/event-stream").json(&body);
            if let Some(id) = session {
                req = req.header("mcp-session-id", id);
            }
            req.send().await.unwrap()
        }
    };
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-03-26", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
    let opened = rpc(urls[0].clone(), initialize.clone(), None).await;
    assert_eq!(opened.status(), 200);
    let alice_session = opened.headers()["mcp-session-id"].to_str().unwrap().to_string();
    // initialize inside a batch does not skip the session check.
    let sneaky = json!([initialize, {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}]);
    assert_eq!(rpc(urls[1].clone(), sneaky, None).await.status(), 400);
    // A batch over the cap is refused whole.
    let calls: Vec<Value> = (0..500)
        .map(|i| json!({"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": {"name": "x", "arguments": {}}}))
        .collect();
    let resp = rpc(urls[0].clone(), Value::Array(calls), Some(alice_session.clone())).await;
    assert_eq!(resp.status(), 400);
    assert!(resp.text().await.unwrap().contains("limit of 32"));
    // Bob's URL cannot end Alice's session; Alice's can.
    let delete = |url: String| {
        let (http, id) = (gw.http.clone(), alice_session.clone());
        async move { http.delete(url).header("mcp-session-id", id).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(delete(urls[1].clone()).await, 404);
    let listed =
        rpc(urls[0].clone(), json!({"jsonrpc": "2.0", "id": 3, "method": "tools/list"}), Some(alice_session.clone()))
            .await;
    assert_eq!(listed.status(), 200, "the session survived");
    assert_eq!(delete(urls[0].clone()).await, 200);
}

#[tokio::test]
async fn half_sent_requests_cannot_hold_the_gateway() {
    use tokio::io::AsyncWriteExt;
    let gw = gateway("max_connections = 40\nheader_read_timeout_secs = 1\n").await;
    let addr = gw.url.trim_start_matches("http://").to_string();
    // Slowloris without credentials: more half-sent requests than the gateway holds connections.
    let mut idle = Vec::new();
    for _ in 0..60 {
        let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
        conn.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n").await.unwrap();
        idle.push(conn);
    }
    // The gateway still answers: held connections time out and new clients get their turn.
    answers_healthz_within(&gw, std::time::Duration::from_secs(5), "half-sent requests are open").await;
    // And the half-sent ones were closed by the gateway (EOF or a 408), not held forever.
    let mut closed = 0;
    for conn in idle.iter_mut().take(10) {
        if closed_by_gateway(conn, std::time::Duration::from_secs(5)).await {
            closed += 1;
        }
    }
    assert_eq!(closed, 10);
}

/// A value of the type a schema property declares, for filling required inputs.
fn plausible(schema: &Value) -> Value {
    if let Some(default) = schema.get("default") {
        return default.clone();
    }
    if let Some(first) = schema.get("enum").and_then(Value::as_array).and_then(|e| e.first()) {
        return first.clone();
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("integer") | Some("number") => json!(1),
        Some("boolean") => json!(true),
        Some("array") => json!(["a"]),
        Some("object") => json!({}),
        Some("string") if schema.get("format").and_then(Value::as_str) == Some("date-time") => {
            json!("2026-11-26T10:00:00Z")
        }
        _ => json!("a"),
    }
}

#[tokio::test]
async fn every_built_in_tool_survives_boundary_inputs() {
    let (upstream, _) = service(echo_answer).await;
    let upstream_url = format!("http://127.0.0.1:{}", upstream.port());
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("connectors");
    let mut connectors: Vec<(String, Value)> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| {
            let def: Value = serde_json::from_slice(&std::fs::read(e.path()).unwrap()).unwrap();
            (def["slug"].as_str().unwrap().to_string(), def)
        })
        // SQL tools' inputs are walked against a real database in postgres_connector.rs.
        .filter(|(slug, _)| slug != "postgres")
        .collect();
    connectors.sort_by(|a, b| a.0.cmp(&b.0));
    let mut extra = String::from("[egress]\nallow = [\"127.0.0.1\"]\n");
    for (slug, _) in &connectors {
        extra.push_str(&format!(
            "[[connections]]\nname = \"{slug}_t\"\nconnector = \"{slug}\"\nbase_url = \"{upstream_url}\"\n"
        ));
    }
    let gw = gateway(&extra).await;
    for (slug, _) in &connectors {
        let (status, body) = gw
            .create_account(
                &format!("{slug}_t"),
                "u",
                json!({
                    "authorization_details": {"oauth_token": {"access_token": "t", "user_access_token": "tu"}}}),
            )
            .await;
        assert_eq!(status, 201, "{slug}: {body}");
    }
    let boundary = [
        json!(0),
        json!(-1),
        json!(i64::MAX),
        json!(u64::MAX),
        json!(1e300),
        json!(-1e300),
        json!(""),
        json!("x".repeat(10 * 1024)),
        json!(".."),
        json!("."),
        json!("a/../../b"),
        json!("a\r\nX-Injected: 1"),
        json!([]),
        json!({}),
        json!(true),
    ];
    let token = gw.token("admin").await;
    let mut cases = Vec::new();
    for (slug, def) in &connectors {
        for tool in def["tools"].as_array().unwrap() {
            let schema = &tool["input_schema"];
            let props = schema["properties"].as_object().cloned().unwrap_or_default();
            let required: Vec<&str> =
                schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            let base: serde_json::Map<String, Value> =
                required.iter().map(|r| (r.to_string(), plausible(&props[*r]))).collect();
            for prop in props.keys() {
                for value in &boundary {
                    let mut params = base.clone();
                    params.insert(prop.clone(), value.clone());
                    let label = format!("{}.{prop} = {:.60}", tool["name"].as_str().unwrap(), value.to_string());
                    let body = json!({"tool_name": tool["name"], "identifier": "u", "connection_name": format!("{slug}_t"), "params": params});
                    cases.push((label, body));
                }
            }
        }
    }
    let calls = cases.len();
    use futures::StreamExt;
    let outcomes: Vec<(String, u16, Value)> = futures::stream::iter(cases)
        .map(|(label, body)| {
            let (http, url, token) = (gw.http.clone(), format!("{}/api/v1/execute_tool", gw.url), token.clone());
            async move {
                let resp = http
                    .post(url)
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("{label}: no HTTP answer: {e}"));
                let status = resp.status().as_u16();
                (label, status, resp.json().await.unwrap_or(Value::Null))
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    for (label, status, body) in outcomes {
        let upstream_error = body.to_string().contains("TOOL_ERROR") || body.to_string().contains("provider");
        assert!(status < 500 || (status == 502 && upstream_error), "{label}: HTTP {status} {body}");
    }
    assert!(calls > 500, "walked {calls} calls");
    let (status, _) = gw.call("admin", reqwest::Method::GET, "/healthz", None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_call_abandoned_by_its_client_is_still_recorded() {
    let slow = axum::Router::new().fallback(|| async {
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
        axum::Json(json!({"labels": []}))
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, slow).await.unwrap() });
    let gw = gateway(&format!(
        "[egress]\nallow = [\"127.0.0.1\"]\n[[connections]]\nname = \"gmail\"\nconnector = \"gmail\"\nbase_url = \"http://127.0.0.1:{port}\"\n"
    ))
    .await;
    gw.create_account(
        "gmail",
        "gone",
        json!({
            "authorization_details": {"oauth_token": {"access_token": "t"}}}),
    )
    .await;
    let abandoned = gw
        .http
        .post(format!("{}/api/v1/execute_tool", gw.url))
        .bearer_auth(gw.token("admin").await)
        .timeout(std::time::Duration::from_millis(300))
        .json(
            &json!({"tool_name": "gmail_list_labels", "identifier": "gone", "connection_name": "gmail", "params": {}}),
        )
        .send()
        .await;
    assert!(abandoned.is_err(), "the client gave up");
    let mut recorded = Value::Null;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let (_, records) = gw.call("admin", reqwest::Method::GET, "/api/v1/executions?identifier=gone", None).await;
        if let Some(r) = records["executions"].as_array().and_then(|a| a.first()) {
            recorded = r.clone();
            break;
        }
    }
    assert_eq!(recorded["tool_name"], "gmail_list_labels", "{recorded}");
    assert_eq!(recorded["status"], "FAILED");
    assert_eq!(recorded["error_code"], "CANCELLED");
}

#[tokio::test]
async fn refresh_locks_are_not_kept_after_refreshing() {
    let data_dir = std::env::temp_dir().join(format!("agentkit-security-dev-{}", uuid::Uuid::new_v4().simple()));
    let env = agentkit_server::dev::start(agentkit_server::dev::DevOptions {
        port: 0,
        data_dir: data_dir.clone(),
        sandbox_port: 0,
    })
    .await
    .unwrap();
    let actions = Actions::new(
        ScalekitClient::new(&env.gateway.public_url, &env.client_id, &env.client_secret, ClientOptions::default())
            .unwrap(),
    );
    // Many accounts whose tokens the provider rejects: each call refreshes (and fails) once.
    for i in 0..20 {
        let identifier = format!("stale-{i}");
        agentkit_core::dispatch::dispatch(
            &actions,
            agentkit_core::dispatch::Operation::CreateConnectedAccount,
            json!({"connection_name": "gmail", "identifier": identifier,
                   "authorization_details": {"oauth_token": {"access_token": "revoked", "refresh_token": "revoked-too"}}}),
        )
        .await
        .unwrap();
        let _ = agentkit_core::dispatch::dispatch(
            &actions,
            agentkit_core::dispatch::Operation::ExecuteTool,
            json!({"tool_name": "gmail_list_labels", "identifier": identifier, "tool_input": {}}),
        )
        .await;
    }
    assert_eq!(env.gateway.state.refresher.held().0, 0, "no refresh lock outlives its refresh");
    let _ = std::fs::remove_dir_all(data_dir);
}

#[tokio::test]
async fn old_execution_records_are_deleted_by_retention() {
    let data_dir = std::env::temp_dir().join(format!("agentkit-security-ret-{}", uuid::Uuid::new_v4().simple()));
    let mut config = agentkit_server::Config::parse(
        "[server]\nlisten = \"127.0.0.1:0\"\nexecution_retention_days = 7\n[[api_clients]]\nclient_id = \"c\"\nclient_secret = \"s\"\n",
        "retention.toml",
    )
    .unwrap();
    config.server.data_dir = data_dir.clone();
    let server = agentkit_server::start(config).await.unwrap();
    let record = |id: &str, age_days: i64| agentkit_server::store::ExecutionRecord {
        id: id.into(),
        api_client_id: "c".into(),
        tool_name: "gmail_list_labels".into(),
        connection_name: "gmail".into(),
        connected_account_id: "ca_1".into(),
        identifier: "u".into(),
        status: agentkit_server::store::ExecutionStatus::Success,
        upstream_status: None,
        error_code: None,
        latency_ms: 1,
        created_at: chrono::Utc::now() - chrono::Duration::days(age_days),
        traceparent: None,
        request_id: None,
    };
    server.state.store.record_execution(record("exec_old", 8)).await;
    server.state.store.record_execution(record("exec_new", 1)).await;
    server.state.store.bookkeeping.flush().await.unwrap();
    // The gateway's own hourly sweep may have run first: either way the old record is gone once.
    let (executions, _) = agentkit_server::startup::apply_retention(&server.state).await.unwrap();
    assert!(executions <= 1);
    let kept = server.state.store.recent_executions("u", None, 10).await.unwrap();
    let ids: Vec<String> = kept.iter().map(|r| r.id.clone()).collect();
    assert_eq!(ids, ["exec_new"]);
    let _ = std::fs::remove_dir_all(data_dir);
}

/// Issue 22 #1: no route lets a client without `credentials:read` change where a custom
/// provider's stored credential goes, and no tool path can change the base URL's host.
#[tokio::test]
async fn custom_provider_changes_cannot_redirect_stored_credentials() {
    let (upstream, seen) = service(echo_answer).await;
    let (attacker, stolen) = service(echo_answer).await;
    let gw = gateway("[egress]\nallow = [\"127.0.0.1\"]\n").await;
    let (status, body) =
        gw.provider_with_account("crm", &format!("http://127.0.0.1:{}", upstream.port()), json!({})).await;
    assert_eq!(status, 201, "{body}");
    let attacker_url = format!("http://127.0.0.1:{}", attacker.port());
    let tool = |path: &str| {
        json!([{"name": "crm_me", "description": "me", "input_schema": {"type": "object"},
                "request": {"method": "GET", "path": path}}])
    };
    for change in [json!({"proxy_url": attacker_url}), json!({"tools": tool("/me")})] {
        let (status, body) =
            gw.call("agent", reqwest::Method::PUT, "/api/v1/custom-providers/crm", Some(change.clone())).await;
        assert_eq!(status, 403, "{change}: {body}");
        assert!(body.to_string().contains("may not read credentials"), "{body}");
    }
    // A trusted client's tool whose path reads like userinfo + host stays on the base's host.
    let sneaky = format!("@127.0.0.1:{}/steal", attacker.port());
    let (status, body) = gw
        .call("admin", reqwest::Method::PUT, "/api/v1/custom-providers/crm", Some(json!({"tools": tool(&sneaky)})))
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = gw
        .post("admin", "/api/v1/execute_tool", json!({"tool_name": "crm_me", "identifier": "victim", "params": {}}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(stolen.lock().unwrap().is_empty(), "the credential never reached the attacker's host");
    let paths: Vec<String> = seen.lock().unwrap().iter().map(|(_, path, _)| path.clone()).collect();
    assert_eq!(paths, vec![format!("/{sneaky}")], "the path stayed a path under the base");
}

/// Issue 22 #2: connections that send nothing, or only an HTTP/2 preface, or go idle after a
/// request, are closed; one address cannot take every connection slot.
#[tokio::test]
async fn idle_connections_are_closed_and_one_address_cannot_hold_them_all() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let gw = gateway("max_connections = 40\nheader_read_timeout_secs = 1\nidle_timeout_secs = 1\n").await;
    let addr = gw.url.trim_start_matches("http://").to_string();
    let mut idle = Vec::new();
    for i in 0..60 {
        let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
        match i % 3 {
            0 => {}
            1 => conn.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").await.unwrap(),
            _ => {
                conn.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n").await.unwrap();
                let mut answer = [0u8; 12];
                conn.read_exact(&mut answer).await.unwrap();
            }
        }
        idle.push(conn);
    }
    answers_healthz_within(&gw, std::time::Duration::from_secs(6), "idle connections are open").await;
    for (i, conn) in idle.iter_mut().enumerate() {
        let closed = closed_by_gateway(conn, std::time::Duration::from_secs(5)).await;
        assert!(closed, "connection {i} (kind {}) was closed by the gateway", i % 3);
    }

    // One address holds at most max_connections_per_ip; the next is closed at once.
    let gw = gateway("max_connections_per_ip = 5\nheader_read_timeout_secs = 30\n").await;
    let addr = gw.url.trim_start_matches("http://").to_string();
    let mut held = Vec::new();
    for _ in 0..5 {
        held.push(tokio::net::TcpStream::connect(&addr).await.unwrap());
    }
    let mut extra = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let closed = closed_by_gateway(&mut extra, std::time::Duration::from_secs(3)).await;
    assert!(closed, "a sixth connection from the same address is closed");
    drop(held);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let resp = gw.http.get(format!("{}/healthz", gw.url)).send().await.unwrap();
    assert_eq!(resp.status(), 200, "slots come back when connections close");
}

/// The keep-alive race (issue 22, load criterion): a client may reuse a connection it has held
/// idle for less than `idle_timeout_secs`, however short the header timeout — the header clock
/// starts at a request's first byte, not at the end of the previous answer (hyper's own header
/// timer did, so a request sent just as it fired was lost with its connection). A request that
/// starts and stalls on a kept-alive connection is still closed within the header timeout.
#[tokio::test]
async fn a_kept_alive_connection_waits_for_idle_timeout_and_the_header_clock_starts_at_the_first_byte() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let gw = gateway("header_read_timeout_secs = 1\nidle_timeout_secs = 30\n").await;
    let addr = gw.url.trim_start_matches("http://").to_string();
    let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let healthz = b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n";
    let mut answer = [0u8; 12];
    for round in 0..2 {
        conn.write_all(healthz).await.unwrap();
        conn.read_exact(&mut answer).await.unwrap();
        assert_eq!(&answer, b"HTTP/1.1 200", "round {round}");
        let mut rest = vec![0u8; 4096];
        // The rest of the short answer.
        let _ = tokio::time::timeout(std::time::Duration::from_millis(200), conn.read(&mut rest)).await;
        // Idle for longer than the header timeout, well within the idle timeout.
        tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
    }
    // A request that starts and never finishes its headers is cut off by the header timeout.
    conn.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n").await.unwrap();
    let started = std::time::Instant::now();
    assert!(closed_by_gateway(&mut conn, std::time::Duration::from_secs(5)).await, "a stalled request is closed");
    assert!(started.elapsed() < std::time::Duration::from_millis(2_500), "closed after {:?}", started.elapsed());
}

/// An MCP config `sec` over salesforce, and a session token on its shared URL per user.
async fn shared_mcp_url(gw: &Gateway, users: &[&str]) -> (String, Vec<String>) {
    let (status, body) = gw
        .post(
            "admin",
            "/api/v1/mcp/configs",
            json!({"name": "sec", "connection_tool_mappings": [{"connection_name": "salesforce", "tools": []}]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["config"]["id"].as_str().unwrap().to_string();
    let mut tokens = Vec::new();
    for user in users {
        let (status, body) =
            gw.post("admin", &format!("/api/v1/mcp/configs/{id}/tokens"), json!({"identifier": user})).await;
        assert_eq!(status, 200, "{body}");
        tokens.push(body["token"].as_str().unwrap().to_string());
    }
    (format!("{}/mcp/v1/configs/{id}", gw.url), tokens)
}

/// Issue 22 #6: on a shared config URL a session belongs to the URL *and* the signed-in user:
/// another user cannot use or end it, and opening many sessions ends only one's own.
#[tokio::test]
async fn mcp_sessions_on_shared_urls_belong_to_their_user() {
    let gw = gateway("").await;
    let (url, tokens) = shared_mcp_url(&gw, &["alice", "mallory"]).await;
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-03-26", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
    let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"});
    let rpc = |token: &str, body: &Value, session: Option<&str>| {
        let mut req =
            gw.http.post(&url).bearer_auth(token).header("accept", "application/json, text/event-stream").json(body);
        if let Some(id) = session {
            req = req.header("mcp-session-id", id);
        }
        req.send()
    };
    let opened = rpc(&tokens[0], &initialize, None).await.unwrap();
    assert_eq!(opened.status(), 200);
    let alice = opened.headers()["mcp-session-id"].to_str().unwrap().to_string();
    // Mallory holds a valid token for the same URL, and Alice's session id.
    assert_eq!(rpc(&tokens[1], &list, Some(&alice)).await.unwrap().status(), 404, "not usable by another user");
    let ended = gw.http.delete(&url).bearer_auth(&tokens[1]).header("mcp-session-id", &alice).send().await.unwrap();
    assert_eq!(ended.status(), 404, "not deletable by another user");
    // Mallory opens more sessions than the per-URL cap: only hers are evicted.
    for _ in 0..70 {
        assert_eq!(rpc(&tokens[1], &initialize, None).await.unwrap().status(), 200);
    }
    assert_eq!(rpc(&tokens[0], &list, Some(&alice)).await.unwrap().status(), 200, "Alice's session survived");
}

/// Issue 22 #3: a legacy SSE client that stops reading its stream cannot make the gateway queue
/// answers without bound: POSTs get 429 once the session's queue is full, and no tool runs for them.
#[tokio::test]
async fn a_legacy_sse_stream_nobody_reads_has_a_bounded_queue() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let gw = gateway("").await;
    let (url, tokens) = shared_mcp_url(&gw, &["alice"]).await;
    // Open the stream by hand and read only its first event (the endpoint), then never again.
    let addr = gw.url.trim_start_matches("http://").to_string();
    let path = url.trim_start_matches(&gw.url).to_string();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nhost: {addr}\r\naccept: text/event-stream\r\nauthorization: Bearer {}\r\n\r\n",
        tokens[0]
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = vec![0u8; 4096];
    let mut got = String::new();
    while !got.contains("sessionId=") || !got.contains("\n\n") {
        let n = stream.read(&mut head).await.unwrap();
        assert!(n > 0, "the stream opened: {got}");
        got.push_str(&String::from_utf8_lossy(&head[..n]));
    }
    let endpoint = got.split("data: ").nth(1).unwrap().lines().next().unwrap().trim().to_string();
    let post_url = format!("{}{endpoint}", gw.url);
    // Answers (the tool list) over and over, eight at a time; the client never reads. Socket
    // buffers take the first megabytes; after that only the session's queue can hold more.
    let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"});
    let mut statuses = std::collections::BTreeMap::new();
    let mut sent = 0;
    while sent < 4000 && !statuses.contains_key(&429) {
        let round: Vec<_> = (0..8)
            .map(|_| {
                let req = gw.http.post(&post_url).bearer_auth(&tokens[0]).json(&list);
                async move { req.send().await.unwrap().status().as_u16() }
            })
            .collect();
        for status in futures::future::join_all(round).await {
            *statuses.entry(status).or_insert(0) += 1;
        }
        sent += 8;
    }
    assert!(statuses.contains_key(&429), "the full queue refuses more: {statuses:?}");
    assert_eq!(statuses.keys().copied().collect::<Vec<_>>(), vec![202, 429], "{statuses:?}");
    println!("legacy SSE, unread stream: {statuses:?}");
    drop(stream);
}

/// Issue 22 #5: an unauthenticated client inventing HTTP methods cannot grow `/metrics`: every
/// unknown method is the one label value `_OTHER`.
#[tokio::test]
async fn invented_http_methods_do_not_mint_metric_series() {
    let data_dir = std::env::temp_dir().join(format!("agentkit-metrics-{}", uuid::Uuid::new_v4().simple()));
    let _dir = tempdir::Dir(data_dir.clone());
    let text = "[server]\nlisten = \"127.0.0.1:0\"\n[metrics]\nlisten = \"127.0.0.1:0\"\n";
    let mut config = agentkit_server::Config::parse(text, "metrics.toml").unwrap();
    config.server.data_dir = data_dir;
    let server = agentkit_server::start(config).await.unwrap();
    let http = reqwest::Client::new();
    for i in 0..50 {
        let method = reqwest::Method::from_bytes(format!("INVENTED{i}").as_bytes()).unwrap();
        let _ = http.request(method, format!("{}/healthz", server.public_url)).send().await.unwrap();
    }
    let scraped = http
        .get(format!("http://{}/metrics", server.metrics_addr.unwrap()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!scraped.contains("INVENTED"), "no invented method is a label value");
    assert!(scraped.contains("http_request_method=\"_OTHER\""), "they are counted as _OTHER");
}

/// Issue 22 #10: from its first moment on disk, nothing of the data dir — the dir itself, the
/// key files, the database — can be opened by another local user (no window before a chmod).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_dir_and_keys_are_never_readable_by_others() {
    use std::os::unix::fs::PermissionsExt;
    use std::sync::atomic::{AtomicBool, Ordering};
    let data_dir = std::env::temp_dir().join(format!("agentkit-first-start-{}", uuid::Uuid::new_v4().simple()));
    let _dir = tempdir::Dir(data_dir.clone());
    let started = Arc::new(AtomicBool::new(false));
    // A racing reader: notes every mode it ever sees while the gateway starts for the first time.
    let watcher = {
        let (dir, started) = (data_dir.clone(), started.clone());
        std::thread::spawn(move || {
            let mut seen: Vec<(String, u32)> = Vec::new();
            while !started.load(Ordering::Acquire) {
                let paths = std::iter::once(dir.clone())
                    .chain(std::fs::read_dir(&dir).into_iter().flatten().flatten().map(|e| e.path()));
                for path in paths {
                    if let Ok(meta) = std::fs::metadata(&path) {
                        let mode = meta.permissions().mode() & 0o777;
                        if mode & 0o077 != 0 {
                            seen.push((path.display().to_string(), mode));
                        }
                    }
                }
            }
            seen
        })
    };
    let mut config = agentkit_server::Config::parse("[server]\nlisten = \"127.0.0.1:0\"\n", "first.toml").unwrap();
    config.server.data_dir = data_dir.clone();
    let _server = agentkit_server::start(config).await.unwrap();
    started.store(true, Ordering::Release);
    let exposed = watcher.join().unwrap();
    assert!(exposed.is_empty(), "readable by others during the first start: {exposed:?}");
    for name in ["vault.keys", "signing.key"] {
        let mode = std::fs::metadata(data_dir.join(name)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{name}");
    }
}

/// Issue 22 #4: a failed token request with a huge `client_id` is refused before it is logged
/// or audited; audit fields are bounded whatever writes them.
#[tokio::test]
async fn failed_logins_cannot_grow_the_audit_trail_without_bound() {
    let gw = gateway("").await;
    let huge = "x".repeat(200_000);
    for _ in 0..5 {
        let resp = gw
            .http
            .post(format!("{}/oauth/token", gw.url))
            .form(&[("grant_type", "client_credentials"), ("client_id", huge.as_str()), ("client_secret", "s")])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400);
        assert!(resp.text().await.unwrap().contains("client_id"));
    }
    // A wrong secret for a plausible id is still audited, as before.
    let resp = gw
        .http
        .post(format!("{}/oauth/token", gw.url))
        .form(&[("grant_type", "client_credentials"), ("client_id", "nobody"), ("client_secret", "s")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let (status, body) = gw.call("admin", reqwest::Method::GET, "/api/v1/audit?page_size=100", None).await;
    assert_eq!(status, 200, "{body}");
    let text = body.to_string();
    assert!(text.contains("nobody"), "the failed login is on the trail: {text}");
    assert!(text.len() < 20_000, "no huge field reached the trail ({} bytes)", text.len());
}

/// Issue 22 #7: links the gateway mints by itself (here: the error of `execute_tool` for an
/// account that is not ACTIVE) carry `server.user_verify_url`. Before, they never carried user
/// verification: whoever opened a forwarded link attached their own provider account to the
/// victim's identifier. Now the tokens are held (PENDING_VERIFICATION) until the app verifies the
/// user; an invalid setting stops the start, naming it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_the_gateway_mints_itself_carry_the_servers_user_verification() {
    let (sandbox, _task) = agentkit_sandbox::start("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let connection = format!(
        r#"user_verify_url = "http://127.0.0.1:9/app/verify"
[egress]
allow = ["{sandbox}"]
[[connections]]
name = "gmail"
connector = "gmail"
base_url = "http://{sandbox}"
client_id = "{id}"
client_secret = "{secret}"
authorize_url = "http://{sandbox}/oauth2/authorize"
token_url = "http://{sandbox}/oauth2/token"
token_auth_method = "client_secret_basic"
"#,
        id = agentkit_sandbox::SANDBOX_CLIENT_ID,
        secret = agentkit_sandbox::SANDBOX_CLIENT_SECRET,
    );
    let gw = gateway(&connection).await;
    let (status, body) = gw.create_account("gmail", "victim", json!({})).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = gw
        .post(
            "admin",
            "/api/v1/execute_tool",
            json!({"tool_name": "gmail_list_labels", "identifier": "victim", "params": {}}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let message = body.to_string();
    let start = message.find("http://").expect("the error names a link");
    let link: String = message[start..].chars().take_while(|c| !c.is_whitespace() && *c != '"' && *c != '\\').collect();
    assert!(link.contains("/connect/"), "{link}");

    // Someone else opens the forwarded link and consents at the provider.
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::custom(|attempt| {
            if attempt.url().path() == "/app/verify" {
                attempt.stop()
            } else {
                attempt.follow()
            }
        }))
        .build()
        .unwrap();
    let opened = browser.get(format!("{link}?login_hint=attacker")).send().await.unwrap();
    assert!(opened.status().is_redirection(), "sent to the app's verification page, got {}", opened.status());
    let location = opened.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("http://127.0.0.1:9/app/verify?auth_request_id="), "{location}");
    let (_, read) = gw.call("admin", reqwest::Method::GET, "/api/v1/connected_accounts?identifier=victim", None).await;
    assert_eq!(read["connected_accounts"][0]["status"], "PENDING_VERIFICATION", "{read}");

    // A setting the gateway could never redirect to stops the start.
    let mut config = agentkit_server::Config::parse(
        "[server]\nlisten = \"127.0.0.1:0\"\nuser_verify_url = \"ftp://app.example.com/verify\"\n",
        "bad.toml",
    )
    .unwrap();
    config.server.data_dir = std::env::temp_dir().join(format!("agentkit-security-{}", uuid::Uuid::new_v4().simple()));
    let refused = agentkit_server::start(config).await.err().expect("refused");
    assert!(refused.message().contains("server.user_verify_url"), "{}", refused.message());
}

/// Issue 22 #4: failed sign-ins are limited per client address. Before, a guesser could try
/// secrets at `/oauth/token` as fast as the gateway answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_sign_ins_are_limited_per_address() {
    let gw = gateway("failed_logins_per_minute = 5").await;
    let sign_in = |from: &'static str, secret: &'static str| {
        let url = format!("{}/oauth/token", gw.url);
        async move {
            let http = reqwest::Client::builder().local_address(from.parse::<std::net::IpAddr>().ok()).build().unwrap();
            http.post(url)
                .form(&[("grant_type", "client_credentials"), ("client_id", "admin"), ("client_secret", secret)])
                .send()
                .await
                .unwrap()
        }
    };
    for _ in 0..5 {
        assert_eq!(sign_in("127.0.0.1", "guess").await.status(), 401);
    }
    let refused = sign_in("127.0.0.1", "guess").await;
    assert_eq!(refused.status(), 429);
    let wait: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert!(refused.text().await.unwrap().contains("too many failed sign-ins"));
    assert_eq!(sign_in("127.0.0.1", "admin-secret").await.status(), 429, "even the right secret waits");
    assert_eq!(sign_in("127.0.0.2", "admin-secret").await.status(), 200, "another address signs in");
}

/// `[mcp_oauth]` signing users in at an app page nobody serves (these tests stop before it).
const MCP_OAUTH: &str = r#"
[mcp_oauth]
login_url = "http://127.0.0.1:9/login"
login_secret = "an-app-login-secret-of-32-characters-or-more"
registrations_per_minute = 3
authorize_per_minute = 8
"#;

/// Registers an MCP client redirecting to `redirect`; `(status, answer)`.
async fn register_mcp_client(gw: &Gateway, redirect: &str) -> (u16, reqwest::header::HeaderMap, Value) {
    let resp = gw
        .http
        .post(format!("{}/mcp/oauth/register", gw.url))
        .json(&json!({"redirect_uris": [redirect]}))
        .send()
        .await
        .unwrap();
    let (status, headers) = (resp.status().as_u16(), resp.headers().clone());
    (status, headers, resp.json().await.unwrap_or(Value::Null))
}

/// Issue 22 (Low): the MCP authorization server's unauthenticated endpoints. Before: errors of
/// `/mcp/oauth/authorize` were 302s to whatever https URI anyone had registered (an open
/// redirect), registration and authorization had no limit, and registrations never expired.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_authorization_errors_stay_on_the_gateway_and_its_endpoints_are_throttled() {
    let gw = gateway(MCP_OAUTH).await;
    let redirect = "https://evil.example/landing";
    let mut ids = Vec::new();
    for _ in 0..3 {
        let (status, _, answer) = register_mcp_client(&gw, redirect).await;
        assert_eq!(status, 201, "{answer}");
        ids.push(answer["client_id"].as_str().unwrap().to_string());
    }
    let (status, headers, answer) = register_mcp_client(&gw, redirect).await;
    assert_eq!(status, 429, "{answer}");
    assert!(headers.contains_key("retry-after"));

    // A client no user ever consented to: a bad request is shown here, never sent to its URI.
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let authorize = |client_id: String| {
        let no_redirects = no_redirects.clone();
        let url = format!("{}/mcp/oauth/authorize", gw.url);
        async move {
            no_redirects
                .get(url)
                .query(&[("response_type", "token"), ("client_id", &client_id), ("redirect_uri", redirect)])
                .send()
                .await
                .unwrap()
        }
    };
    let refused = authorize(ids[0].clone()).await;
    assert_eq!(refused.status(), 400, "{:?}", refused.headers().get("location"));
    assert!(refused.text().await.unwrap().contains("unsupported_response_type"));

    // Authorization requests are counted per address (8 a minute here, 1 used above).
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(authorize(ids[1].clone()).await.status().as_u16());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 1, "{statuses:?}");
}

/// Issue 22 (Low): a Client ID Metadata Document URL is chosen by an unauthenticated caller, so it
/// is fetched from public addresses only — not from internal hosts the operator allowed for
/// providers (before: `/mcp/oauth/authorize` connected to them, an open/closed-port oracle).
/// Registrations no user consented to expire with the retention sweep.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_metadata_documents_come_from_public_addresses_and_unconsented_clients_expire() {
    let internal = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = internal.local_addr().unwrap().port();
    let connections = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = connections.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = internal.accept().await {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            drop(socket);
        }
    });
    let data_dir = std::env::temp_dir().join(format!("agentkit-security-{}", uuid::Uuid::new_v4().simple()));
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\n[egress]\nallow = [\"127.0.0.1:{port}\"]\n{MCP_OAUTH}\n\
         [[api_clients]]\nclient_id = \"admin\"\nclient_secret = \"admin-secret\"\n"
    );
    let mut config = agentkit_server::Config::parse(&text, "cimd.toml").unwrap();
    config.server.data_dir = data_dir.clone();
    let server = agentkit_server::start(config).await.unwrap();
    let _cleanup = tempdir::Dir(data_dir.clone());
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let document = format!("https://127.0.0.1:{port}/client.json");
    let answer = http
        .get(format!("{}/mcp/oauth/authorize", server.public_url))
        .query(&[("response_type", "code"), ("client_id", &document), ("redirect_uri", "http://localhost:1/cb")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    assert!(answer.text().await.unwrap().contains("not registered"));
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 0, "no connection to the internal host");

    // A registration nobody consented to, two days old, is gone after the sweep.
    let gw = Gateway {
        url: server.public_url.clone(),
        http: reqwest::Client::new(),
        _data_dir: tempdir::Dir(Default::default()),
    };
    let (status, _, registered) = register_mcp_client(&gw, "http://localhost:1/cb").await;
    assert_eq!(status, 201);
    let client_id = registered["client_id"].as_str().unwrap();
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}", data_dir.join("agentkit.db").display())).await.unwrap();
    let aged = (chrono::Utc::now() - chrono::Duration::hours(48)).to_rfc3339();
    sqlx::query("UPDATE mcp_oauth_clients SET created_at = $1 WHERE client_id = $2")
        .bind(&aged)
        .bind(client_id)
        .execute(&db)
        .await
        .unwrap();
    agentkit_server::startup::apply_retention(&server.state).await.unwrap();
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mcp_oauth_clients WHERE client_id = $1")
        .bind(client_id)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(left, 0, "the unconsented registration expired");
}

/// Issue 22 (Low): every change an operator or a client makes leaves an audit row. Before, MCP
/// instance creation, session-token minting, MCP client registration, webhook redelivery and
/// connector reloads left none. (The MCP OAuth consent, grant and revocation rows are checked
/// in `oidc_provider.rs`, where a real sign-in runs.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_administrative_change_leaves_an_audit_row() {
    let gw = gateway(&format!("{MCP_OAUTH}\n[webhooks]\nallow_loopback = true\n")).await;
    let (status, config) = gw
        .post(
            "admin",
            "/api/v1/mcp/configs",
            json!({"name": "audited", "connection_tool_mappings": [{"connection_name": "salesforce", "tools": []}]}),
        )
        .await;
    assert_eq!(status, 201, "{config}");
    let config_id = config["config"]["id"].as_str().unwrap().to_string();
    let (status, instance) =
        gw.post("admin", "/api/v1/mcp/instances", json!({"config_name": "audited", "user_identifier": "ann"})).await;
    assert_eq!(status, 200, "{instance}");
    let (status, token) =
        gw.post("admin", &format!("/api/v1/mcp/configs/{config_id}/tokens"), json!({"identifier": "ann"})).await;
    assert_eq!(status, 200, "{token}");
    let (status, _, registered) = register_mcp_client(&gw, "http://localhost:1/cb").await;
    assert_eq!(status, 201);
    let (status, hook) =
        gw.post("admin", "/api/v1/webhook_endpoints", json!({"url": "http://127.0.0.1:9/hook", "events": []})).await;
    assert_eq!(status, 201, "{hook}");
    let (status, _) = gw.create_account("salesforce", "ann", json!({})).await;
    assert_eq!(status, 201);
    let deliveries_path = format!("/api/v1/webhook_endpoints/{}/deliveries", hook["id"].as_str().unwrap());
    let (_, deliveries) = gw.call("admin", reqwest::Method::GET, &deliveries_path, None).await;
    let delivery = deliveries["deliveries"][0]["id"].as_str().expect("the account's event was queued").to_string();
    let (status, _) = gw.post("admin", &format!("/api/v1/webhook_deliveries/{delivery}/redeliver"), json!({})).await;
    assert_eq!(status, 200);
    let (status, _) = gw.post("admin", "/api/v1/connectors:reload", json!({})).await;
    assert_eq!(status, 200);

    let (_, trail) = gw.call("admin", reqwest::Method::GET, "/api/v1/audit?page_size=100", None).await;
    let rows = trail["events"].as_array().or_else(|| trail["audit_events"].as_array()).expect("audit rows").clone();
    let row = |action: &str| rows.iter().find(|r| r["action"] == action).cloned();
    let instance_id = instance["instance"]["id"].as_str().unwrap();
    for (action, target) in [
        ("mcp_instance.created", instance_id),
        ("mcp_session_token.issued", config_id.as_str()),
        ("mcp_oauth.client_registered", registered["client_id"].as_str().unwrap()),
        ("webhook_delivery.redelivered", delivery.as_str()),
        ("connectors.reloaded", "catalog"),
    ] {
        let found = row(action).unwrap_or_else(|| panic!("no {action} row in {trail}"));
        assert_eq!(found["target"], target, "{found}");
    }
    assert_eq!(row("mcp_session_token.issued").unwrap()["actor"], "admin");
    assert!(!trail.to_string().contains(token["token"].as_str().unwrap()), "the token itself is never audited");
}

/// Issue 22 (Low): a NUL character is refused where requests come in, with a 400 naming where it
/// was — in a JSON body, a query, a path, an MCP message. Before, it reached the store: accepted
/// on SQLite, a 500 and a lost audit row on PostgreSQL (whose text cannot hold it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nul_characters_are_refused_at_the_edge_naming_the_field() {
    let gw = gateway("").await;
    let (status, body) = gw.create_account("salesforce", "ann\u{0}evil", json!({})).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("identifier contains a NUL"), "{body}");
    let (status, body) = gw
        .post(
            "admin",
            "/api/v1/execute_tool",
            json!({"tool_name": "salesforce_query", "identifier": "ann", "params": {"q": ["fine", "bad\u{0}"]}}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("params.q[1]"), "{body}");
    let (status, body) =
        gw.call("admin", reqwest::Method::GET, "/api/v1/connected_accounts?identifier=a%00b", None).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("query"), "{body}");
    let (status, _) = gw.call("admin", reqwest::Method::GET, "/api/v1/mcp/configs/x%00y", None).await;
    assert_eq!(status, 400);
    // A literal backslash-u-0000 is text, not a NUL: accepted.
    let (status, body) = gw.create_account("salesforce", "ann\\u0000", json!({})).await;
    assert_eq!(status, 201, "{body}");
    // Nothing of the refused requests reached the store.
    let (_, listed) = gw.call("admin", reqwest::Method::GET, "/api/v1/connected_accounts", None).await;
    assert_eq!(listed["connected_accounts"].as_array().map(Vec::len), Some(1), "{listed}");

    // An MCP message: a JSON-RPC error naming the argument.
    let (status, config) = gw
        .post(
            "admin",
            "/api/v1/mcp/configs",
            json!({"name": "nul", "connection_tool_mappings": [{"connection_name": "salesforce", "tools": []}]}),
        )
        .await;
    assert_eq!(status, 201, "{config}");
    let (status, token) = gw
        .post(
            "admin",
            &format!("/api/v1/mcp/configs/{}/tokens", config["config"]["id"].as_str().unwrap()),
            json!({"identifier": "ann"}),
        )
        .await;
    assert_eq!(status, 200, "{token}");
    let answer = gw
        .http
        .post(config["config"]["mcp_server_url"].as_str().unwrap())
        .bearer_auth(token["token"].as_str().unwrap())
        .header("accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
                      "params": {"name": "salesforce_query", "arguments": {"q": "a\u{0}"}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let answer: Value = answer.json().await.unwrap();
    assert_eq!(answer["id"], 7, "{answer}");
    assert!(answer["error"]["message"].as_str().unwrap().contains("params.arguments.q"), "{answer}");
}

/// Issue 22 (Info): execution records name other clients' users, tools and accounts: a client
/// without `admin` reads only its own (before, a `tools`-only client read everyone's).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_without_admin_reads_only_its_own_execution_records() {
    let (upstream, _) = service(echo_answer).await;
    let gw = gateway(&format!(
        "[egress]\nallow = [\"127.0.0.1\"]\n[[connections]]\nname = \"gmail\"\nconnector = \"gmail\"\nbase_url = \"http://127.0.0.1:{}\"\n",
        upstream.port()
    ))
    .await;
    let (status, body) = gw
        .create_account("gmail", "victim", json!({"authorization_details": {"oauth_token": {"access_token": "t"}}}))
        .await;
    assert_eq!(status, 201, "{body}");
    for client in ["admin", "runner"] {
        let call =
            json!({"tool_name": "gmail_list_labels", "identifier": "victim", "connection_name": "gmail", "params": {}});
        let (status, body) = gw.post(client, "/api/v1/execute_tool", call).await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, mine) = gw.call("runner", reqwest::Method::GET, "/api/v1/executions?limit=200", None).await;
    assert_eq!(status, 200, "{mine}");
    let (_, all) = gw.call("admin", reqwest::Method::GET, "/api/v1/executions?limit=200", None).await;
    let clients = |answer: &Value| -> std::collections::BTreeSet<String> {
        answer["executions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["api_client_id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(clients(&all), ["admin".to_string(), "runner".to_string()].into(), "{all}");
    assert_eq!(clients(&mine), ["runner".to_string()].into(), "{mine}");
    let (_, mine) = gw.call("runner", reqwest::Method::GET, "/api/v1/executions?identifier=victim", None).await;
    assert_eq!(clients(&mine), ["runner".to_string()].into(), "{mine}");
}

/// `(status, answer)` of `/oauth/token` for `client_id` / `secret`.
async fn sign_in(gw: &Gateway, client_id: &str, secret: &str) -> (u16, Value) {
    let resp = gw
        .http
        .post(format!("{}/oauth/token", gw.url))
        .form(&[("grant_type", "client_credentials"), ("client_id", client_id), ("client_secret", secret)])
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap_or(Value::Null))
}

/// `GET path` with a bearer token; the status.
async fn status_with_token(gw: &Gateway, token: &str, path: &str) -> u16 {
    gw.http.get(format!("{}{path}", gw.url)).bearer_auth(token).send().await.unwrap().status().as_u16()
}

/// Issue 23 §1: API clients are data — created with scopes (the secret shown once, stored as a
/// digest), signing in at once, rotated (the old secret and the tokens issued with it stop
/// working), revoked (its tokens stop working), each change audited; never more powerful than
/// the client that creates it; the config file's clients listed and read-only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_clients_are_created_rotated_and_revoked_through_the_api() {
    let gw = gateway("").await;
    let (status, created) =
        gw.post("admin", "/api/v1/api_clients", json!({"name": "ci runner", "scopes": ["tools"]})).await;
    assert_eq!(status, 201, "{created}");
    let client_id = created["client_id"].as_str().unwrap().to_string();
    let secret = created["client_secret"].as_str().unwrap().to_string();
    assert!(client_id.starts_with("skc_") && secret.starts_with("sks_"), "{created}");
    let (status, token) = sign_in(&gw, &client_id, &secret).await;
    assert_eq!(status, 200, "{token}");
    let first_token = token["access_token"].as_str().unwrap().to_string();
    assert_eq!(status_with_token(&gw, &first_token, "/api/v1/tools").await, 200);
    assert_eq!(status_with_token(&gw, &first_token, "/api/v1/audit").await, 403, "tools only");

    let (status, listed) = gw.call("admin", reqwest::Method::GET, "/api/v1/api_clients", None).await;
    assert_eq!(status, 200);
    assert!(!listed.to_string().contains(&secret), "the secret is never listed: {listed}");
    let ours = listed["api_clients"].as_array().unwrap().iter().find(|c| c["client_id"] == client_id.as_str()).cloned();
    assert_eq!(ours.as_ref().map(|c| c["source"].clone()), Some(json!("api")), "{listed}");
    assert!(listed["api_clients"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["client_id"] == "admin" && c["source"] == "config"));

    // Rotation: the old secret and the token issued with it stop working; the new one works.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (status, rotated) = gw.post("admin", &format!("/api/v1/api_clients/{client_id}/rotate"), json!({})).await;
    assert_eq!(status, 200, "{rotated}");
    let new_secret = rotated["client_secret"].as_str().unwrap().to_string();
    assert_ne!(new_secret, secret);
    assert_eq!(sign_in(&gw, &client_id, &secret).await.0, 401, "the old secret");
    assert_eq!(status_with_token(&gw, &first_token, "/api/v1/tools").await, 401, "a token from before the rotation");
    let (status, token) = sign_in(&gw, &client_id, &new_secret).await;
    assert_eq!(status, 200);
    let second_token = token["access_token"].as_str().unwrap().to_string();
    assert_eq!(status_with_token(&gw, &second_token, "/api/v1/tools").await, 200);

    // Revocation: its tokens stop working at once.
    let (status, _) =
        gw.call("admin", reqwest::Method::DELETE, &format!("/api/v1/api_clients/{client_id}"), None).await;
    assert_eq!(status, 200);
    assert_eq!(status_with_token(&gw, &second_token, "/api/v1/tools").await, 401);
    assert_eq!(sign_in(&gw, &client_id, &new_secret).await.0, 401);

    // Never more than the creator holds; never without saying what; config clients read-only.
    let (status, body) = gw.post("agent", "/api/v1/api_clients", json!({"scopes": ["credentials:read"]})).await;
    assert_eq!(status, 403, "agent may not read credentials, so it may not grant it: {body}");
    let (status, body) = gw.post("admin", "/api/v1/api_clients", json!({"name": "no scopes"})).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("scopes"), "{body}");
    let (status, _) = gw.post("runner", "/api/v1/api_clients", json!({"scopes": ["tools"]})).await;
    assert_eq!(status, 403, "tools-only clients manage no clients");
    let (status, body) = gw.post("admin", "/api/v1/api_clients/runner/rotate", json!({})).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("config file"), "{body}");

    let (_, trail) = gw.call("admin", reqwest::Method::GET, "/api/v1/audit?page_size=100", None).await;
    for action in ["api_client.created", "api_client.rotated", "api_client.revoked"] {
        assert!(
            trail["events"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["action"] == action && r["target"] == client_id.as_str()),
            "{action} is on the trail"
        );
    }
    assert!(!trail.to_string().contains(&new_secret) && !trail.to_string().contains(&secret));
}

/// Issue 23 §1: connections are data. A Gmail connection created through the API (the body is a
/// `[[connections]]` entry) serves an authorization link and tools at once; its secret is
/// write-only (never listed, sealed at rest, kept by an update that omits it); endpoint changes
/// need credential routing; the config file's connections are read-only here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_are_created_and_used_through_the_api() {
    let (sandbox, _task) = agentkit_sandbox::start("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let gw = gateway(&format!("[egress]\nallow = [\"{sandbox}\"]\n")).await;
    let secret = agentkit_sandbox::SANDBOX_CLIENT_SECRET;
    let body = json!({
        "name": "mail", "connector": "gmail", "base_url": format!("http://{sandbox}"),
        "client_id": agentkit_sandbox::SANDBOX_CLIENT_ID, "client_secret": secret,
        "authorize_url": format!("http://{sandbox}/oauth2/authorize"), "token_url": format!("http://{sandbox}/oauth2/token"),
        "token_auth_method": "client_secret_basic",
    });
    let (status, created) = gw.post("agent", "/api/v1/connections", body.clone()).await;
    assert_eq!(status, 403, "endpoint overrides need credential routing: {created}");
    let (status, created) = gw.post("admin", "/api/v1/connections", body.clone()).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["client_secret_set"], true);
    assert_eq!(created["source"], "api");
    assert!(created["redirect_uri"].as_str().unwrap().ends_with("/oauth/callback"));
    let (status, again) = gw.post("admin", "/api/v1/connections", body.clone()).await;
    assert_eq!(status, 409, "{again}");

    // Links and tools at once.
    let (status, linked) = gw
        .post("admin", "/api/v1/connected_accounts/magic_link", json!({"connection_name": "mail", "identifier": "ann"}))
        .await;
    assert_eq!(status, 200, "{linked}");
    let link = linked["link"].as_str().unwrap().to_string();
    let opened = gw.http.get(&link).send().await.unwrap();
    assert_eq!(opened.status(), 200, "{}", opened.text().await.unwrap());
    let (status, ran) = gw
        .post(
            "admin",
            "/api/v1/execute_tool",
            json!({"tool_name": "gmail_list_labels", "identifier": "ann", "connection_name": "mail", "params": {}}),
        )
        .await;
    assert_eq!(status, 200, "{ran}");

    // The app's identifier for its user reaches the provider as login_hint only when the
    // connection opts in (before, every authorize URL carried it).
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let authorize_url = |user: &'static str| {
        let (gw, no_redirects) = (&gw, no_redirects.clone());
        async move {
            let (_, linked) = gw
                .post(
                    "admin",
                    "/api/v1/connected_accounts/magic_link",
                    json!({"connection_name": "mail", "identifier": user}),
                )
                .await;
            let opened = no_redirects.get(linked["link"].as_str().unwrap()).send().await.unwrap();
            opened.headers()["location"].to_str().unwrap().to_string()
        }
    };
    assert!(!authorize_url("bob@example.com").await.contains("login_hint"));

    // The secret is write-only: never listed, sealed at rest, kept by an update without it.
    let (_, listed) = gw.call("admin", reqwest::Method::GET, "/api/v1/connections", None).await;
    assert!(!listed.to_string().contains(secret), "{listed}");
    let sources: Vec<(String, String)> = listed["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap().to_string(), c["source"].as_str().unwrap().to_string()))
        .collect();
    assert!(
        sources.contains(&("mail".into(), "api".into())) && sources.contains(&("salesforce".into(), "config".into())),
        "{sources:?}"
    );
    let mut update = body.clone();
    update.as_object_mut().unwrap().remove("client_secret");
    update["scopes"] = json!(["https://www.googleapis.com/auth/gmail.readonly"]);
    let (status, updated) =
        gw.call("admin", reqwest::Method::PUT, "/api/v1/connections/mail", Some(update.clone())).await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["client_secret_set"], true, "the stored secret is kept");
    let mut hinting = update.clone();
    hinting["send_login_hint"] = json!(true);
    let (status, _) = gw.call("admin", reqwest::Method::PUT, "/api/v1/connections/mail", Some(hinting)).await;
    assert_eq!(status, 200);
    assert!(authorize_url("carol@example.com").await.contains("login_hint=carol%40example.com"));
    let mut redirect = update.clone();
    redirect["token_url"] = json!("https://collector.example/token");
    let (status, _) = gw.call("agent", reqwest::Method::PUT, "/api/v1/connections/mail", Some(redirect)).await;
    assert_eq!(status, 403, "moving the token endpoint needs credentials:read");
    let on_disk: String = std::fs::read_dir(&gw._data_dir.0)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| String::from_utf8_lossy(&std::fs::read(e.path()).unwrap()).into_owned())
        .collect();
    assert!(!on_disk.contains(secret), "the client secret is sealed at rest");

    // The config file's connections are read-only here; one with accounts is not deleted.
    let (status, body) = gw.call("admin", reqwest::Method::DELETE, "/api/v1/connections/salesforce", None).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("config file"), "{body}");
    let (status, body) = gw.call("admin", reqwest::Method::DELETE, "/api/v1/connections/mail", None).await;
    assert_eq!(status, 409, "{body}");
    let (_, trail) = gw.call("admin", reqwest::Method::GET, "/api/v1/audit?page_size=100", None).await;
    for action in ["connection.created", "connection.updated"] {
        assert!(
            trail["events"].as_array().unwrap().iter().any(|r| r["action"] == action && r["target"] == "mail"),
            "{action}"
        );
    }
    assert!(!trail.to_string().contains(secret));
}

/// Issue 23 §3: a walk over every operation of the generated OpenAPI document, without a token.
/// Each one that names `bearerAuth` is refused (401); the ones open to anyone say so with an
/// empty `security`, each for a reason: `/oauth/token` is how a token is got, `/healthz` and
/// `/readyz` are for load balancers, `/api/v1/openapi.json` describes the API (public, like
/// the published reference; it holds no state of this gateway), and a trigger ingress URL is
/// where providers post, authenticated by their own signature instead (trigger_pushes.rs).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_operation_but_the_open_ones_needs_a_token() {
    const OPEN: &[&str] =
        &["/oauth/token", "/healthz", "/readyz", "/api/v1/openapi.json", "/api/v1/trigger-delivery/wb/{ingress_id}"];
    let gw = gateway("").await;
    let document = serde_json::to_value(agentkit_server::api::openapi::document()).unwrap();
    let mut walked = 0;
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let open = operation["security"] == json!([]);
            assert_eq!(open, OPEN.contains(&path.as_str()), "{method} {path}: security {}", operation["security"]);
            let url = format!("{}{}", gw.url, path.replace('{', "x").replace('}', ""));
            let method = reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap();
            let status = gw.http.request(method.clone(), &url).send().await.unwrap().status().as_u16();
            if !open {
                assert_eq!(status, 401, "{method} {path} without a token");
            } else if path != "/oauth/token" {
                // (`/oauth/token` answers a sign-in without credentials with the OAuth errors.)
                assert_ne!(status, 401, "{method} {path} is open");
            }
            walked += 1;
        }
    }
    assert!(walked > 50, "{walked} operations walked");
}
