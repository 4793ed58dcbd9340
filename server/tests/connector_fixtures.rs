//! Every HTTP tool against a recorded-fixture upstream: one file per tool in
//! `tests/fixtures/connectors/recorded/`. The upstream checks the request the gateway sends
//! (method, path, query, the credential header, body — and that nothing of ours leaks upstream)
//! and replays the recorded provider answer; the test then checks the tool's output.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use agentkit_core::dispatch::{dispatch, Operation};
use agentkit_core::model::ConnectorType;
use agentkit_core::{Actions, ClientOptions, ScalekitClient};

/// The built-in connectors with HTTP tools (slug and auth type), each configured against the
/// fixture upstream.
fn http_connectors() -> Vec<(String, ConnectorType)> {
    let catalog = agentkit_server::catalog::connectors::Catalog::built_in().unwrap();
    catalog
        .connectors()
        .filter(|c| c.tools.iter().any(|t| t.request.is_some()))
        .map(|c| (c.slug.clone(), c.auth.auth_type))
        .collect()
}

/// The credentials the fixture user's account holds, as a user of a connector of that auth type
/// gives them: OAuth tokens (`tok-<slug>`, the user token `tok-<slug>-user`), a basic user and
/// password (`user-<slug>` / `tok-<slug>`), or an API key / token (`tok-<slug>`).
fn fixture_credentials(slug: &str, auth_type: ConnectorType) -> Value {
    match auth_type {
        ConnectorType::BasicAuth | ConnectorType::Basic => {
            json!({"static_auth": {"details": {"username": format!("user-{slug}"), "password": format!("tok-{slug}")}}})
        }
        ConnectorType::ApiKey => json!({"static_auth": {"details": {"api_key": format!("tok-{slug}")}}}),
        ConnectorType::BearerToken => json!({"static_auth": {"details": {"token": format!("tok-{slug}")}}}),
        _ => {
            json!({"oauth_token": {"access_token": format!("tok-{slug}"), "user_access_token": format!("tok-{slug}-user")}})
        }
    }
}

/// Headers of ours that must never reach a provider.
const NEVER_UPSTREAM: &[&str] = &["x-sdk-version", "connection_name", "identifier", "x-agentkit-auth-error"];

#[derive(Default)]
struct Upstream {
    /// Exchanges still expected: (request, response).
    pending: Vec<(Value, Value)>,
    problems: Vec<String>,
}

fn query_map(raw: Option<&str>) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        map.entry(k.into_owned()).or_default().push(v.into_owned());
    }
    map
}

async fn upstream(
    State(state): State<Arc<Mutex<Upstream>>>,
    method: Method,
    uri: Uri,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut s = state.lock().unwrap();
    let query = query_map(q.as_deref());
    let position = s.pending.iter().position(|(req, _)| {
        req["method"] == method.as_str()
            && req["path"] == uri.path()
            && serde_json::to_value(&query).unwrap() == req.get("query").cloned().unwrap_or(json!({}))
    });
    let Some(index) = position else {
        s.problems.push(format!("unexpected request {method} {uri}"));
        return (StatusCode::IM_A_TEAPOT, "no fixture").into_response();
    };
    let (expected, answer) = s.pending.remove(index);
    for (name, value) in expected.get("headers").and_then(Value::as_object).into_iter().flatten() {
        let got = headers.get(name.as_str()).and_then(|v| v.to_str().ok()).unwrap_or("<absent>");
        if got != value.as_str().unwrap() {
            s.problems.push(format!("{method} {uri}: header {name} = {got:?}, expected {value}"));
        }
    }
    for name in NEVER_UPSTREAM {
        if headers.contains_key(*name) {
            s.problems.push(format!("{method} {uri}: leaked header {name}"));
        }
    }
    // A form body (Stripe, Twilio) is checked field by field, each key with its values in order
    // (`form` in the fixture); any other body as JSON (`body`).
    let is_form = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        let sent = serde_json::to_value(query_map(std::str::from_utf8(&body).ok())).unwrap();
        match expected.get("form") {
            Some(form) if &sent == form => {}
            Some(form) => s.problems.push(format!("{method} {uri}: form {sent}, expected {form}")),
            None => s.problems.push(format!("{method} {uri}: a form body {sent} the fixture does not expect")),
        }
    } else if let Some(form) = expected.get("form") {
        s.problems.push(format!("{method} {uri}: no form body, expected {form}"));
    }
    let sent: Value =
        if body.is_empty() || is_form { Value::Null } else { serde_json::from_slice(&body).unwrap_or(Value::Null) };
    if let Some(body) = expected.get("body") {
        if &sent != body {
            s.problems.push(format!("{method} {uri}: body {sent}, expected {body}"));
        }
    }
    let status = StatusCode::from_u16(answer["status"].as_u64().unwrap_or(200) as u16).unwrap();
    let body = answer.get("body").cloned().unwrap_or(Value::Null);
    let mut response = if body.is_null() { status.into_response() } else { (status, axum::Json(body)).into_response() };
    for (name, value) in answer.get("headers").and_then(Value::as_object).into_iter().flatten() {
        let name = axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap();
        response.headers_mut().insert(name, value.as_str().unwrap().parse().unwrap());
    }
    response
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_http_tool_against_its_recorded_fixture() {
    let state = Arc::new(Mutex::new(Upstream::default()));
    let app = axum::Router::new().fallback(upstream).with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let data_dir = std::env::temp_dir().join(format!("agentkit-fixtures-{}", uuid::Uuid::new_v4().simple()));
    let mut config =
        String::from("[server]\nlisten = \"127.0.0.1:0\"\n[egress]\nallow = [\"127.0.0.1\"]\n[[api_clients]]\nclient_id = \"c\"\nclient_secret = \"s\"\n");
    let connectors = http_connectors();
    for (connector, _) in &connectors {
        // Salesforce keeps its templated base URL: the account's api_config.instance_url points here
        // (a loopback host the connection lets API clients set).
        let base = if connector == "salesforce" {
            "api_config_hosts = { instance_url = [\"127.0.0.1\"] }\n".to_string()
        } else {
            format!("base_url = \"{upstream_url}\"\n")
        };
        config.push_str(&format!("[[connections]]\nname = \"{connector}\"\nconnector = \"{connector}\"\n{base}"));
    }
    let mut config = agentkit_server::Config::parse(&config, "fixtures.toml").unwrap();
    config.server.data_dir = data_dir.clone();
    let server = agentkit_server::start(config).await.unwrap();
    let actions = Actions::new(ScalekitClient::new(&server.public_url, "c", "s", ClientOptions::default()).unwrap());
    for (connector, auth_type) in &connectors {
        dispatch(
            &actions,
            Operation::CreateConnectedAccount,
            json!({"connection_name": connector, "identifier": "fixture-user",
            "authorization_details": fixture_credentials(connector, *auth_type),
            "api_config": {"instance_url": upstream_url}}),
        )
        .await
        .unwrap();
    }

    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/connectors/recorded");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let mut covered = std::collections::BTreeSet::new();
    for file in &files {
        let fixture: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        let tool = fixture["tool"].as_str().unwrap().to_string();
        covered.insert(tool.clone());
        {
            let mut s = state.lock().unwrap();
            s.pending = fixture["exchanges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| (x["request"].clone(), x["response"].clone()))
                .collect();
            s.problems.clear();
        }
        let outcome = dispatch(
            &actions,
            Operation::ExecuteTool,
            json!({"tool_name": tool, "identifier": "fixture-user", "tool_input": fixture["input"]}),
        )
        .await;
        let s = state.lock().unwrap();
        assert!(s.problems.is_empty(), "{}: {:?}", file.display(), s.problems);
        assert!(
            s.pending.is_empty(),
            "{}: requests never sent: {:?} (outcome: {:?})",
            file.display(),
            s.pending,
            outcome.as_ref().map_err(|e| e.message().to_string())
        );
        match (outcome, fixture.get("expect_error")) {
            (Ok(result), None) => assert_eq!(result["data"], fixture["expect_output"], "{}", file.display()),
            (Err(e), Some(expected)) => {
                let text = expected.as_str().unwrap();
                assert!(e.message().contains(text), "{}: {}", file.display(), e.message());
            }
            (other, _) => panic!(
                "{}: unexpected outcome {:?}",
                file.display(),
                other.map(|r| r.to_string()).map_err(|e| e.message().to_string())
            ),
        }
    }
    // Every HTTP tool of the built-in catalog has a fixture.
    let catalog = agentkit_server::catalog::connectors::Catalog::built_in().unwrap();
    let all: std::collections::BTreeSet<String> =
        catalog.tools().filter(|t| t.def.request.is_some()).map(|t| t.def.name.clone()).collect();
    let missing: Vec<_> = all.difference(&covered).collect();
    assert!(missing.is_empty(), "tools without a recorded fixture: {missing:?}");
    server.task.abort();
    let _ = std::fs::remove_dir_all(data_dir);
}
