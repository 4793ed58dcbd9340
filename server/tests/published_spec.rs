//! The gateway's OpenAPI document — generated from the handlers and the wire types
//! (`agentkit_server::api::openapi`), served at `GET /api/v1/openapi.json`, checked in as
//! `docs/openapi.json` — against the gateway itself (issue 22, "Durability: Low" #5; issue 23 §3):
//! every documented operation is served and every REST route of `src/router.rs` is documented;
//! every JSON request body is required, and a request without one is a 400 naming `body`; the 404
//! and 409 answers the gateway gives are documented; the fields a request schema marks required
//! are the ones the gateway asks for; the checked-in copy is the generated document; and the
//! published reference's operations are all in it (`tests/fixtures/published_operations.json`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

const CHECKED_IN: &str = include_str!("../../docs/openapi.json");
const PUBLISHED: &str = include_str!("../../tests/fixtures/published_operations.json");
const ROUTER: &str = include_str!("../src/router.rs");

/// A one-operation OpenAPI description for `connectors:import`.
const SMALL_DESCRIPTION: &str = r#"{"openapi": "3.0.0", "info": {"title": "Spec Import", "version": "1"},
  "servers": [{"url": "https://api.spec-import.example"}],
  "paths": {"/things": {"get": {"operationId": "listThings", "responses": {"200": {"description": "ok"}}}}}}"#;

/// Methods an OpenAPI path item can hold, and what the router's `any(...)` stands for.
const METHODS: &[&str] = &["get", "put", "post", "delete", "patch"];

/// The generated document, as `GET /api/v1/openapi.json` answers it.
fn spec() -> Value {
    serde_json::to_value(agentkit_server::api::openapi::document()).expect("the document is JSON")
}

/// A route as both sides can spell it: `{id}`, `{config_id}` and `{*path}` are all `{}`, and a
/// documented `{id}:verb` is served by the router's `{id}` route (the handler reads the verb).
fn normalized(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        out.push_str("{}");
        let end = rest[start..].find('}').map_or(rest.len(), |e| start + e + 1);
        rest = &rest[end..];
        if rest.starts_with(':') && !rest.contains('/') {
            rest = "";
        }
    }
    out.push_str(rest);
    out
}

/// The REST API: what the document covers. The MCP transport, the MCP authorization server,
/// `.well-known` metadata and the browser pages of the connect flow are other protocols
/// (docs/mcp.md, docs/authorization.md).
fn is_rest(path: &str) -> bool {
    path.starts_with("/api/") || path.starts_with("/proxy/") || ["/oauth/token", "/healthz", "/readyz"].contains(&path)
}

/// `(method, normalized path)` of every REST route `router.rs` declares.
fn router_routes() -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    for call in ROUTER.split(".route(").skip(1) {
        // The call's text up to its closing parenthesis.
        let mut depth = 1;
        let end = call
            .char_indices()
            .find(|(_, c)| {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                depth == 0
            })
            .map_or(call.len(), |(i, _)| i);
        let call = &call[..end];
        let path = call.split('"').nth(1).expect("a route path literal");
        if !is_rest(path) {
            continue;
        }
        let handlers = &call[call.find(',').expect("a method router")..];
        for word in ["get", "put", "post", "delete", "patch", "any"] {
            let pattern = format!("{word}(");
            let used = handlers.match_indices(&pattern).any(|(i, _)| {
                !handlers[..i].chars().next_back().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            });
            if !used {
                continue;
            }
            let methods: Vec<&str> = if word == "any" { METHODS.to_vec() } else { vec![word] };
            for method in methods {
                routes.insert((method.to_string(), normalized(path)));
            }
        }
    }
    routes
}

/// `(method, path as documented)` of every documented operation.
fn documented_operations(spec: &Value) -> Vec<(String, String)> {
    let mut ops = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in METHODS {
            if item.get(*method).is_some() {
                ops.push((method.to_string(), path.clone()));
            }
        }
    }
    ops
}

/// A `$ref` of this document, resolved.
fn resolve<'a>(spec: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(r) => spec.pointer(r.trim_start_matches('#')).unwrap_or_else(|| panic!("{r} is not in the document")),
        None => value,
    }
}

/// An in-process gateway with an admin client, a gmail connection and one of each resource the
/// documented paths name: `(base URL, token, path parameter values)`.
struct Gateway {
    url: String,
    token: String,
    http: reqwest::Client,
    params: BTreeMap<&'static str, String>,
    data_dir: std::path::PathBuf,
    _server: agentkit_server::RunningServer,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

async fn gateway() -> Gateway {
    let data_dir = std::env::temp_dir().join(format!("agentkit-spec-{}", uuid::Uuid::new_v4().simple()));
    let text = "[server]\nlisten = \"127.0.0.1:0\"\n\
                [[api_clients]]\nclient_id = \"admin\"\nclient_secret = \"admin-secret\"\n\
                [[connections]]\nname = \"gmail\"\nconnector = \"gmail\"\n";
    let mut config = agentkit_server::Config::parse(text, "spec.toml").unwrap();
    config.server.data_dir = data_dir.clone();
    let server = agentkit_server::start(config).await.unwrap();
    let http = reqwest::Client::new();
    let answer: Value = http
        .post(format!("{}/oauth/token", server.public_url))
        .form(&[("grant_type", "client_credentials"), ("client_id", "admin"), ("client_secret", "admin-secret")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut gw = Gateway {
        url: server.public_url.clone(),
        token: answer["access_token"].as_str().unwrap().to_string(),
        http,
        params: BTreeMap::new(),
        data_dir,
        _server: server,
    };
    let (status, config) = gw.send("post", "/api/v1/mcp/configs", Some(json!({"name": "spec-config"}))).await;
    assert_eq!(status, 201, "{config}");
    let config_id = config["config"]["id"].as_str().unwrap().to_string();
    let instance = json!({"config_name": "spec-config", "user_identifier": "spec-user"});
    let (status, instance) = gw.send("post", "/api/v1/mcp/instances", Some(instance)).await;
    assert_eq!(status, 200, "{instance}");
    let provider = json!({"display_name": "Spec Provider", "identifier": "spec_provider",
                          "proxy_url": "https://api.spec.example", "auth_patterns": [{"type": "BEARER"}]});
    let (status, provider) = gw.send("post", "/api/v1/custom-providers", Some(provider)).await;
    assert_eq!(status, 201, "{provider}");
    gw.params.insert("config_id", config_id.clone());
    gw.params.insert("mcp_config_id", config_id);
    gw.params.insert("id", instance["instance"]["id"].as_str().unwrap().to_string());
    gw.params.insert("identifier", "spec_provider".into());
    gw.params.insert("name", "gmail".into());
    gw.params.insert("path", "gmail/v1/users/me/labels".into());
    gw
}

impl Gateway {
    /// A documented path with its parameters filled from `params` (unknown ones: `missing`).
    fn fill(&self, path: &str) -> String {
        let mut out = String::new();
        let mut rest = path;
        while let Some(start) = rest.find('{') {
            out.push_str(&rest[..start]);
            let end = start + rest[start..].find('}').unwrap();
            out.push_str(self.params.get(&rest[start + 1..end]).map_or("missing", String::as_str));
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        out
    }

    /// `(status, body)`; `body` `None` sends no body at all (not even `{}`).
    async fn send(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        self.send_with(method, path, body, &[]).await
    }

    async fn send_with(&self, method: &str, path: &str, body: Option<Value>, headers: &[(&str, &str)]) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap();
        let mut req = self.http.request(method, format!("{}{path}", self.url)).bearer_auth(&self.token);
        req = match body {
            Some(body) => req.json(&body),
            None => req.header("content-type", "application/json"),
        };
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }
}

/// The field a 400 names (`validation_error_info`), if any.
fn named_field(body: &Value) -> Option<&str> {
    body.pointer("/details/0/validation_error_info/field_violations/0/field").and_then(Value::as_str)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_operation_is_served_and_every_rest_route_is_documented() {
    let spec = spec();
    let served = router_routes();
    assert!(served.len() > 40, "the router parse found {} routes", served.len());
    let documented: BTreeSet<(String, String)> =
        documented_operations(&spec).into_iter().map(|(m, p)| (m, normalized(&p))).collect();
    let undocumented: Vec<_> = served.difference(&documented).collect();
    assert!(undocumented.is_empty(), "routes served but not in the OpenAPI document: {undocumented:?}");
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(unserved.is_empty(), "operations in the OpenAPI document the router does not serve: {unserved:?}");

    // And over HTTP: no documented operation meets the router's "no such endpoint" or a 405.
    let gw = gateway().await;
    for (method, path) in documented_operations(&spec) {
        let (status, body) = gw.send(&method, &gw.fill(&path), None).await;
        let fallback = status == 404 && body["message"] == "no such endpoint";
        assert!(status != 405 && !fallback, "{method} {path}: {status} {body}");
    }

    // The gateway serves the same document, to callers without a token too.
    let served = gw.http.get(format!("{}/api/v1/openapi.json", gw.url)).send().await.unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.json::<Value>().await.unwrap(), spec);
}

#[test]
fn the_checked_in_document_is_the_generated_one() {
    let generated = agentkit_server::api::openapi::document_text();
    assert!(
        CHECKED_IN == generated,
        "docs/openapi.json is not the generated document: run \
         `cargo run -p agentkit-server -- openapi > docs/openapi.json`"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_json_request_body_is_required_and_a_missing_one_is_a_400_naming_it() {
    let spec = spec();
    let gw = gateway().await;
    let mut checked = 0;
    for (method, path) in documented_operations(&spec) {
        let Some(body) = spec["paths"][&path][&method].get("requestBody") else { continue };
        let body = resolve(&spec, body);
        assert_eq!(body["required"], true, "{method} {path}: the request body is documented as required");
        if body["content"].get("application/json").is_none() {
            continue;
        }
        let (status, answer) = gw.send(&method, &gw.fill(&path), None).await;
        assert_eq!((status, named_field(&answer)), (400, Some("body")), "{method} {path} without a body: {answer}");
        checked += 1;
    }
    // Seventeen handlers take a `JsonBody` today.
    assert!(checked >= 17, "{checked} operations with a JSON body");

    // The update that was accepted without a body: refused, and nothing changed.
    let config = gw.fill("/api/v1/mcp/configs/{config_id}");
    let (status, _) = gw.send("put", &config, Some(json!({"description": "kept"}))).await;
    assert_eq!(status, 200);
    let (status, answer) = gw.send("put", &config, None).await;
    assert_eq!((status, named_field(&answer)), (400, Some("body")), "{answer}");
    let (_, after) = gw.send("get", &config, None).await;
    assert_eq!(after["config"]["description"], "kept", "{after}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn required_fields_are_the_ones_the_gateway_asks_for() {
    let spec = spec();
    let gw = gateway().await;
    for (method, path) in documented_operations(&spec) {
        let Some(schema) = spec["paths"][&path][&method].pointer("/requestBody/content/application~1json/schema")
        else {
            continue;
        };
        let schema = resolve(&spec, schema);
        let properties = schema["properties"].as_object().unwrap();
        let required: BTreeSet<&str> =
            schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        let alternatives: BTreeSet<&str> = schema["anyOf"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|a| a["required"].as_array().into_iter().flatten().filter_map(Value::as_str))
            .collect();
        for field in required.iter().chain(&alternatives) {
            assert!(properties.contains_key(*field), "{method} {path}: required {field:?} is not a property");
        }
        let (status, answer) = gw.send(&method, &gw.fill(&path), Some(json!({}))).await;
        if required.is_empty() && alternatives.is_empty() {
            assert!(
                (200..300).contains(&status),
                "{method} {path}: nothing is required, yet {{}} is refused: {answer}"
            );
            continue;
        }
        assert_eq!(status, 400, "{method} {path}: {{}} lacks required fields: {answer}");
        let field = named_field(&answer).unwrap_or_else(|| panic!("{method} {path}: the 400 names no field: {answer}"));
        assert!(
            required.contains(field) || alternatives.contains(field),
            "{method} {path}: the gateway asks for {field:?}, which the schema does not mark required \
             ({required:?}, any of {alternatives:?})"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_404_and_409_answers_the_gateway_gives_are_documented() {
    let spec = spec();
    let gw = gateway().await;
    // Two accounts for one identifier on one connection (other organizations): a selector without
    // the organization matches both.
    for org in ["o1", "o2"] {
        let account = json!({"connector": "gmail", "identifier": "dup", "organization_id": org,
                             "connected_account": {"authorization_details": {"oauth_token": {"access_token": "t"}}}});
        assert_eq!(gw.send("post", "/api/v1/connected_accounts", Some(account)).await.0, 201);
    }
    // A custom provider still used by an account cannot be deleted.
    let used = json!({"display_name": "Used", "identifier": "used_provider", "proxy_url": "https://api.used.example",
                      "auth_patterns": [{"type": "BEARER"}]});
    assert_eq!(gw.send("post", "/api/v1/custom-providers", Some(used)).await.0, 201);
    let account = json!({"connector": "used_provider", "identifier": "u"});
    assert_eq!(gw.send("post", "/api/v1/connected_accounts", Some(account)).await.0, 201);
    // An installed connector a connection uses cannot be deleted; its slug cannot be installed again.
    let install = |name: &str| json!({"description": SMALL_DESCRIPTION, "name": name, "install": true});
    let (status, answer) = gw.send("post", "/api/v1/connectors:import", Some(install("spec_import"))).await;
    assert_eq!(status, 200, "{answer}");
    let connection = json!({"name": "spec-import", "connector": "spec_import"});
    assert_eq!(gw.send("post", "/api/v1/connections", Some(connection)).await.0, 201);

    let dup = json!({"connector": "gmail", "identifier": "dup"});
    let nowhere = json!({"connector": "nowhere", "identifier": "u"});
    let missing = json!({"id": "ca_missing"});
    let probes: Vec<(&str, &str, String, Option<Value>, u16)> = vec![
        ("post", "/api/v1/connected_accounts", "".into(), Some(nowhere.clone()), 404),
        (
            "post",
            "/api/v1/connected_accounts",
            "".into(),
            Some(json!({"connector": "gmail", "identifier": "dup", "organization_id": "o1"})),
            409,
        ),
        ("put", "/api/v1/connected_accounts", "".into(), Some(missing.clone()), 404),
        ("put", "/api/v1/connected_accounts", "".into(), Some(dup.clone()), 409),
        ("post", "/api/v1/connected_accounts:delete", "".into(), Some(missing.clone()), 404),
        ("post", "/api/v1/connected_accounts:delete", "".into(), Some(dup.clone()), 409),
        ("get", "/api/v1/connected_accounts/auth", "?id=ca_missing".into(), None, 404),
        ("get", "/api/v1/connected_accounts/auth", "?connector=gmail&identifier=dup".into(), None, 409),
        ("get", "/api/v1/connected_accounts/details", "?id=ca_missing".into(), None, 404),
        ("get", "/api/v1/connected_accounts/details", "?connector=gmail&identifier=dup".into(), None, 409),
        ("post", "/api/v1/connected_accounts/magic_link", "".into(), Some(nowhere.clone()), 404),
        ("post", "/api/v1/connected_accounts/magic_link", "".into(), Some(dup.clone()), 409),
        (
            "post",
            "/api/v1/connected_accounts/user/verify",
            "".into(),
            Some(json!({"auth_request_id": "ar_missing", "identifier": "u"})),
            404,
        ),
        ("get", "/api/v1/tools", "?filter.connector=nowhere".into(), None, 404),
        ("get", "/api/v1/tools/scoped", "?identifier=u&filter.connection_names=nowhere".into(), None, 404),
        ("post", "/api/v1/execute_tool", "".into(), Some(json!({"tool_name": "no_such_tool", "identifier": "u"})), 404),
        (
            "post",
            "/api/v1/execute_tool",
            "".into(),
            Some(json!({"tool_name": "gmail_list_labels", "identifier": "dup", "params": {}})),
            409,
        ),
        ("post", "/api/v1/mcp/configs", "".into(), Some(json!({"name": "spec-config"})), 409),
        ("get", "/api/v1/mcp/configs/{config_id}", "missing".into(), None, 404),
        ("put", "/api/v1/mcp/configs/{config_id}", "missing".into(), Some(json!({})), 404),
        ("delete", "/api/v1/mcp/configs/{config_id}", "missing".into(), None, 404),
        (
            "post",
            "/api/v1/mcp/configs/{config_id}/connected_accounts",
            "missing".into(),
            Some(json!({"identifier": "u"})),
            404,
        ),
        ("post", "/api/v1/mcp/configs/{mcp_config_id}/tokens", "missing".into(), Some(json!({"identifier": "u"})), 404),
        ("post", "/api/v1/mcp/connections/{name}/tokens", "missing".into(), Some(json!({"identifier": "u"})), 404),
        (
            "post",
            "/api/v1/mcp/instances",
            "".into(),
            Some(json!({"config_name": "missing", "user_identifier": "u"})),
            404,
        ),
        ("get", "/api/v1/mcp/instances/{id}", "missing".into(), None, 404),
        ("patch", "/api/v1/mcp/instances/{id}", "missing".into(), Some(json!({"name": "x"})), 404),
        ("delete", "/api/v1/mcp/instances/{id}", "missing".into(), None, 404),
        ("post", "/api/v1/mcp/instances/{id}:get_auth_state", "missing".into(), None, 404),
        (
            "post",
            "/api/v1/custom-providers",
            "".into(),
            Some(json!({"display_name": "Used", "identifier": "used_provider",
            "proxy_url": "https://api.used.example", "auth_patterns": [{"type": "BEARER"}]})),
            409,
        ),
        ("put", "/api/v1/custom-providers/{identifier}", "missing".into(), Some(json!({"display_name": "x"})), 404),
        ("delete", "/api/v1/custom-providers/{identifier}", "missing".into(), None, 404),
        ("delete", "/api/v1/custom-providers/{identifier}", "used_provider".into(), None, 409),
        ("delete", "/api/v1/webhook_endpoints/{id}", "missing".into(), None, 404),
        ("post", "/api/v1/webhook_deliveries/{id}/redeliver", "missing".into(), None, 404),
        ("delete", "/api/v1/api_clients/{client_id}", "missing".into(), None, 404),
        ("post", "/api/v1/api_clients/{client_id}/rotate", "missing".into(), None, 404),
        ("post", "/api/v1/connections", "".into(), Some(json!({"name": "gmail", "connector": "gmail"})), 409),
        ("get", "/api/v1/connections/{name}", "missing".into(), None, 404),
        (
            "put",
            "/api/v1/connections/{name}",
            "missing".into(),
            Some(json!({"name": "missing", "connector": "gmail"})),
            404,
        ),
        ("delete", "/api/v1/connections/{name}", "missing".into(), None, 404),
        ("post", "/api/v1/connectors:import", "".into(), Some(install("spec_import")), 409),
        ("post", "/api/v1/connectors:import", "".into(), Some(install("gmail")), 409),
        ("delete", "/api/v1/connectors/{slug}", "missing".into(), None, 404),
        ("delete", "/api/v1/connectors/{slug}", "spec_import".into(), None, 409),
    ];
    for (method, documented, fill, body, expected) in probes {
        // `fill` is the query for parameterless paths, else the value of the path's parameter.
        let url = match documented.find('{') {
            Some(start) => {
                let end = start + documented[start..].find('}').unwrap();
                format!("{}{fill}{}", &documented[..start], &documented[end + 1..])
            }
            None => format!("{documented}{fill}"),
        };
        let (status, answer) = gw.send(method, &url, body).await;
        assert_eq!(status, expected, "{method} {url}: {answer}");
        let responses = &spec["paths"][documented][method]["responses"];
        assert!(
            responses.get(expected.to_string()).is_some(),
            "{method} {documented} answers {expected}, undocumented"
        );
    }
    for (identifier, expected) in [("dup", 409), ("nobody", 404)] {
        let headers = [("connection_name", "gmail"), ("identifier", identifier)];
        let (status, answer) = gw.send_with("get", "/proxy/gmail/v1/users/me/labels", None, &headers).await;
        assert_eq!(status, expected, "{answer}");
        let responses = &spec["paths"]["/proxy/{path}"]["get"]["responses"];
        assert!(responses.get(expected.to_string()).is_some(), "the proxy answers {expected}, undocumented");
    }
}

/// Where this gateway's document deliberately differs from a fact of the published reference:
/// `(operationId, kind, name, reason)`. Kinds: `query`, `path`, `request`, `response`.
const DELIBERATE_DIFFERENCES: &[(&str, &str, &str, &str)] = &[
    (
        "ToolService_ExecuteTool",
        "request",
        "agent_run_id",
        "accepted and ignored: the gateway keeps no agent runs to attach a call to",
    ),
    (
        "ToolService_ListTools",
        "query",
        "filter.organization_id",
        "tools are listed per connector; an account's organization does not narrow them",
    ),
    (
        "ToolService_ListTools",
        "query",
        "filter.user_id",
        "tools are listed per connector; an account's user does not narrow them",
    ),
];

/// Top-level property names of a schema of the document (its `allOf` parts merged).
fn property_names(spec: &Value, schema: &Value) -> BTreeSet<String> {
    let schema = resolve(spec, schema);
    let mut names: BTreeSet<String> =
        schema["properties"].as_object().into_iter().flatten().map(|(k, _)| k.clone()).collect();
    for part in schema["allOf"].as_array().into_iter().flatten() {
        names.extend(property_names(spec, part));
    }
    names
}

/// The published reference's 23 operations (their facts, extracted by
/// `scripts/published_operations.py`) are in the generated document at the same method and path,
/// with the same operationId, parameters and top-level request and response properties (ours may
/// have more); a deliberate difference is listed above with its reason.
#[test]
fn every_published_operation_is_in_the_document() {
    let spec = spec();
    let published: Value = serde_json::from_str(PUBLISHED).unwrap();
    let operations = published["operations"].as_array().unwrap();
    assert_eq!(operations.len(), 23, "the published reference has 23 operations");
    let mut used_differences = BTreeSet::new();
    let mut missing = Vec::new();
    for op in operations {
        let (method, path, id) =
            (op["method"].as_str().unwrap(), op["path"].as_str().unwrap(), op["operation_id"].as_str().unwrap());
        let Some(ours) = spec["paths"].get(path).and_then(|item| item.get(method)) else {
            missing.push(format!("{method} {path} ({id}) is not in the document"));
            continue;
        };
        assert_eq!(ours["operationId"], id, "{method} {path}");
        let parameters = |place: &str| -> BTreeSet<String> {
            ours["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| resolve(&spec, p))
                .filter(|p| p["in"] == place)
                .filter_map(|p| p["name"].as_str().map(str::to_string))
                .collect()
        };
        let request = ours.pointer("/requestBody/content/application~1json/schema");
        let success = ["200", "201"].iter().find_map(|s| ours["responses"].get(*s));
        let response = success.and_then(|r| resolve(&spec, r).pointer("/content/application~1json/schema"));
        let facts = [
            ("path", "path_parameters", parameters("path")),
            ("query", "query_parameters", parameters("query")),
            ("request", "request_properties", request.map(|s| property_names(&spec, s)).unwrap_or_default()),
            ("response", "response_properties", response.map(|s| property_names(&spec, s)).unwrap_or_default()),
        ];
        if op["request_properties"].is_array() {
            assert!(request.is_some(), "{method} {path}: the reference takes a JSON body, the document none");
        }
        for (kind, key, have) in facts {
            for name in op[key].as_array().into_iter().flatten().filter_map(Value::as_str) {
                if have.contains(name) {
                    continue;
                }
                match DELIBERATE_DIFFERENCES.iter().find(|(o, k, n, _)| *o == id && *k == kind && *n == name) {
                    Some(difference) => {
                        used_differences.insert(*difference);
                    }
                    None => missing.push(format!("{method} {path} ({id}): {kind} {name:?} is not in the document")),
                }
            }
        }
    }
    assert!(missing.is_empty(), "published facts missing from the document:\n{}", missing.join("\n"));
    let stale: Vec<_> = DELIBERATE_DIFFERENCES.iter().filter(|d| !used_differences.contains(*d)).collect();
    assert!(stale.is_empty(), "listed differences the document no longer has: {stale:?}");
}
