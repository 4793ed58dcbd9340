//! OpenAPI import, proven by requests: each fixture description is imported with its server
//! pointing at a recording upstream on loopback, loaded into a real in-process gateway, and a
//! sample of its operations is called through `execute_tool`; the recorded request must be what
//! the description prescribes (path parameters substituted and encoded, arrays in the query,
//! header parameters, JSON and form bodies, the credential header). Every imported tool also loads into a
//! catalog and converts into each schema format we serve; and the CLI runs.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use agentkit_core::dispatch::{dispatch, Operation};
use agentkit_core::schema_formats::{format_tool, ToolFormat};
use agentkit_core::{Actions, ClientOptions, ScalekitClient};
use agentkit_server::catalog::connectors::Catalog;
use agentkit_server::catalog::openapi_import::{import_openapi, ImportOptions, Imported};
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, Uri};
use base64::Engine;
use serde_json::{json, Value};

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/openapi").join(name);
    std::fs::read_to_string(path).unwrap()
}

/// One request as the upstream received it.
#[derive(Debug, Clone)]
struct Recorded {
    method: String,
    /// Path and query exactly as sent (still percent-encoded).
    target: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Recorded {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

type Log = Arc<Mutex<Vec<Recorded>>>;

/// A loopback upstream that records every request and answers `{"ok": true}`.
async fn recording_upstream() -> (std::net::SocketAddr, Log) {
    let log: Log = Arc::default();
    let recorder = log.clone();
    let app = axum::Router::new().fallback(move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
        let recorder = recorder.clone();
        async move {
            let target = uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_default();
            recorder.lock().unwrap().push(Recorded {
                method: method.to_string(),
                target,
                headers,
                body: body.to_vec(),
            });
            axum::Json(json!({"ok": true}))
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, log)
}

/// Every tool of `imported` loads into a catalog and converts into each schema format.
fn loads_and_converts(imported: &Imported) {
    let text = serde_json::to_string(&imported.connector).unwrap();
    let mut catalog = Catalog::built_in().unwrap();
    catalog.add_file("imported.json", &text).unwrap();
    let slug = imported.connector["slug"].as_str().unwrap();
    let tools: Vec<_> = catalog.tools().filter(|t| t.connector.slug == slug).collect();
    assert_eq!(tools.len(), imported.tool_count());
    let formats = [
        ToolFormat::Anthropic,
        ToolFormat::OpenAi,
        ToolFormat::OpenAiResponses,
        ToolFormat::OpenAiStrict,
        ToolFormat::Gemini,
        ToolFormat::JsonSchema,
    ];
    for tool in tools {
        let name = &tool.def.name;
        assert!(name.len() <= 64 && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'));
        for format in formats {
            let converted = format_tool(&tool.wire.definition, format).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(converted.to_string().contains(name.as_str()), "{format:?}");
        }
    }
}

struct Gateway {
    server: agentkit_server::RunningServer,
    actions: Actions,
    data_dir: PathBuf,
}

/// An in-process gateway loading `connectors` (file name → connector) with one connection each.
async fn gateway(upstream: std::net::SocketAddr, connectors: &[&Imported]) -> Gateway {
    let data_dir = std::env::temp_dir().join(format!("agentkit-openapi-{}", uuid::Uuid::new_v4().simple()));
    let dir = data_dir.join("connectors");
    std::fs::create_dir_all(&dir).unwrap();
    let mut connections = String::new();
    for imported in connectors {
        let slug = imported.connector["slug"].as_str().unwrap();
        std::fs::write(dir.join(format!("{slug}.json")), imported.file_text()).unwrap();
        connections.push_str(&format!("[[connections]]\nname = \"{slug}\"\nconnector = \"{slug}\"\n"));
    }
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\ndata_dir = \"{}\"\nconnectors_dir = \"{}\"\n\
         [egress]\nallow = [\"127.0.0.1:{}\"]\n[[api_clients]]\nclient_id = \"c\"\nclient_secret = \"s\"\n{connections}",
        data_dir.display(),
        dir.display(),
        upstream.port(),
    );
    let server = agentkit_server::start(agentkit_server::Config::parse(&text, "test.toml").unwrap()).await.unwrap();
    let actions = Actions::new(ScalekitClient::new(&server.public_url, "c", "s", ClientOptions::default()).unwrap());
    Gateway { server, actions, data_dir }
}

impl Gateway {
    async fn account(&self, connection: &str, details: Value) {
        dispatch(
            &self.actions,
            Operation::CreateConnectedAccount,
            json!({"connection_name": connection, "identifier": "u1", "authorization_details": {"static_auth": details}}),
        )
        .await
        .unwrap();
    }

    /// Runs `tool` and returns the one request the upstream saw for it.
    async fn call(&self, log: &Log, tool: &str, input: Value) -> Recorded {
        let before = log.lock().unwrap().len();
        let answer = dispatch(
            &self.actions,
            Operation::ExecuteTool,
            json!({"tool_name": tool, "identifier": "u1", "tool_input": input}),
        )
        .await
        .unwrap_or_else(|e| panic!("{tool}: {e}"));
        assert_eq!(answer["data"]["ok"], true, "{answer}");
        let log = log.lock().unwrap();
        assert_eq!(log.len(), before + 1, "{tool}: one request upstream");
        log[before].clone()
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.server.task.abort();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imported_operations_send_what_the_descriptions_prescribe() {
    let (upstream, log) = recording_upstream().await;
    let here = upstream.to_string();
    // The descriptions name https servers; the recording upstream is plain http on this machine.
    let petstore = fixture("petstore-3.0.yaml")
        .replace("default: petstore.example.test", &format!("default: \"{here}\""))
        .replace("url: https://", "url: http://");
    let petstore = import_openapi(&petstore, &ImportOptions::default()).unwrap();
    let tasks = fixture("tasks-3.1.json").replace("https://tasks.example.test/api", &format!("http://{here}/api"));
    let tasks = import_openapi(&tasks, &ImportOptions { slug: Some("tasks".into()), ..Default::default() }).unwrap();
    let inventory = fixture("inventory-2.0.json")
        .replace("inventory.example.test", &here)
        .replace(r#""schemes": ["https"]"#, r#""schemes": ["http"]"#);
    let inventory = import_openapi(&inventory, &ImportOptions::default()).unwrap();
    assert_eq!(petstore.connector["base_url"], format!("http://{here}/v1"));
    assert_eq!(tasks.connector["base_url"], format!("http://{here}/api"));
    assert_eq!(inventory.connector["base_url"], format!("http://{here}/v2"));
    for imported in [&petstore, &tasks, &inventory] {
        loads_and_converts(imported);
    }

    let gw = gateway(upstream, &[&petstore, &tasks, &inventory]).await;
    gw.account("pet_store", json!({"api_key": "key-123"})).await;
    gw.account("tasks", json!({"token": "tok-456"})).await;
    gw.account("inventory", json!({"username": "ann", "password": "p@ss"})).await;

    // OpenAPI 3.0, API key in a header: exploded array → repeated keys, a header parameter.
    let sent =
        gw.call(&log, "pet_store_list_pets", json!({"tags": ["a b", "c"], "limit": 5, "X-Request-ID": "req-1"})).await;
    assert_eq!((sent.method.as_str(), sent.target.as_str()), ("GET", "/v1/pets?limit=5&tags=a+b&tags=c"));
    assert_eq!(sent.header("x-request-id"), Some("req-1"));
    assert_eq!(sent.header("x-api-key"), Some("key-123"));
    // Absent optional inputs are left out (the limit's declared default is filled in).
    let sent = gw.call(&log, "pet_store_list_pets", json!({})).await;
    assert_eq!(sent.target, "/v1/pets?limit=20");
    assert_eq!(sent.header("x-request-id"), None, "no empty header for an absent parameter");
    assert!(sent.body.is_empty(), "a GET without a body sends none");
    // Path parameter encoded as one segment; `explode: false` array → one comma-joined value.
    let sent = gw.call(&log, "pet_store_show_pet_by_id", json!({"petId": "a/b c", "fields": ["name", "tag"]})).await;
    assert_eq!(sent.target, "/v1/pets/a%2Fb%20c?fields=name%2Ctag");
    // JSON body from flattened properties (allOf merged); the read-only `id` is not an input.
    let sent = gw.call(&log, "pet_store_create_pet", json!({"name": "Rex", "birthday": "2020-01-02"})).await;
    assert_eq!((sent.method.as_str(), sent.target.as_str()), ("POST", "/v1/pets"));
    assert_eq!(sent.json(), json!({"name": "Rex", "birthday": "2020-01-02"}));
    assert_eq!(sent.header("content-type"), Some("application/json"));
    let err = dispatch(
        &gw.actions,
        Operation::ExecuteTool,
        json!({"tool_name": "pet_store_create_pet", "identifier": "u1", "tool_input": {"id": 1}}),
    )
    .await
    .unwrap_err();
    assert!(err.message().contains("name"), "required body field: {}", err.message());
    // A required header parameter; the recursive part of a body keeps whatever object it is given.
    let sent = gw.call(&log, "pet_store_delete_pet", json!({"petId": "7", "X-Reason": "sold"})).await;
    assert_eq!(
        (sent.method.as_str(), sent.target.as_str(), sent.header("x-reason")),
        ("DELETE", "/v1/pets/7", Some("sold"))
    );
    let category = json!({"name": "dogs", "parent": {"name": "animals", "parent": {"name": "all"}}});
    let mut input = category.clone();
    input["petId"] = json!(3);
    let sent = gw.call(&log, "pet_store_put_pets_pet_id_category", input).await;
    assert_eq!((sent.method.as_str(), sent.target.as_str()), ("PUT", "/v1/pets/3/category"));
    assert_eq!(sent.json(), category);
    // A form body (the only media type offered): fields in key order, an array as repeated keys,
    // booleans and numbers as text, absent fields left out.
    let input =
        json!({"petId": "7", "adopter": "Ann & Bo", "toys": ["ball", "rope toy"], "neutered": true, "fee": 12.5});
    let sent = gw.call(&log, "pet_store_adopt_pet", input).await;
    assert_eq!((sent.method.as_str(), sent.target.as_str()), ("POST", "/v1/adoptions"));
    assert_eq!(sent.header("content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(
        String::from_utf8_lossy(&sent.body),
        "adopter=Ann+%26+Bo&fee=12.5&neutered=true&petId=7&toys=ball&toys=rope+toy"
    );
    let sent = gw.call(&log, "pet_store_adopt_pet", json!({"petId": "8", "adopter": "Cy", "neutered": false})).await;
    assert_eq!(String::from_utf8_lossy(&sent.body), "adopter=Cy&neutered=false&petId=8");
    // An object in a field of any type cannot be a form value: a 400 naming it, nothing sent.
    let before = log.lock().unwrap().len();
    let err = dispatch(
        &gw.actions,
        Operation::ExecuteTool,
        json!({"tool_name": "pet_store_adopt_pet", "identifier": "u1",
               "tool_input": {"petId": "8", "adopter": "Cy", "remarks": {"diet": "fish"}}}),
    )
    .await
    .unwrap_err();
    assert_eq!((err.status(), err.field()), (400, Some("tool_input.remarks")), "{}", err.message());
    assert_eq!(log.lock().unwrap().len(), before);

    // OpenAPI 3.1, bearer: a body property clashing with a path parameter puts the body under `body`.
    let task = json!({"projectId": "p-1", "title": "Write docs", "priority": 2});
    let sent = gw.call(&log, "tasks_create_task", json!({"projectId": "p 1", "body": task})).await;
    assert_eq!((sent.method.as_str(), sent.target.as_str()), ("POST", "/api/projects/p%201/tasks"));
    assert_eq!(sent.json(), task);
    assert_eq!(sent.header("authorization"), Some("Bearer tok-456"));
    let sent =
        gw.call(&log, "tasks_list_tasks", json!({"projectId": "p1", "label": ["x", "y"], "X-Trace": "t-9"})).await;
    assert_eq!(sent.target, "/api/projects/p1/tasks?label=x&label=y");
    assert_eq!(sent.header("x-trace"), Some("t-9"));
    // oneOf body (a `+json` media type) passes whole.
    let sent = gw.call(&log, "tasks_update_task", json!({"taskId": 12, "body": {"done": true}})).await;
    assert_eq!((sent.method.as_str(), sent.target.as_str()), ("PATCH", "/api/tasks/12"));
    assert_eq!(sent.json(), json!({"done": true}));

    // Swagger 2.0, basic auth: csv array → one joined value, multi → repeated keys.
    let sent = gw.call(&log, "inventory_list_items", json!({"ids": [1, 2], "sku": ["x", "y"], "inStock": true})).await;
    assert_eq!(sent.target, "/v2/items?ids=1%2C2&inStock=true&sku=x&sku=y");
    let basic = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("ann:p@ss"));
    assert_eq!(sent.header("authorization"), Some(basic.as_str()));
    let sent = gw.call(&log, "inventory_create_item", json!({"name": "bolt", "price": 0.5, "quantity": 10})).await;
    assert_eq!(sent.json(), json!({"name": "bolt", "price": 0.5, "quantity": 10}));
    let sent = gw.call(&log, "inventory_get_item", json!({"itemId": "A-1"})).await;
    assert_eq!(sent.target, "/v2/items/A-1");
    // formData parameters (consumes application/x-www-form-urlencoded): a form body, `multi` repeated.
    let sent =
        gw.call(&log, "inventory_search_items", json!({"q": "hex bolt", "tag": ["m4", "steel"], "exact": true})).await;
    assert_eq!((sent.method.as_str(), sent.target.as_str()), ("POST", "/v2/items/search"));
    assert_eq!(sent.header("content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(String::from_utf8_lossy(&sent.body), "exact=true&q=hex+bolt&tag=m4&tag=steel");
}

#[test]
fn schemes_filters_and_skips_are_reported() {
    let petstore = import_openapi(&fixture("petstore-3.0.yaml"), &ImportOptions::default()).unwrap();
    assert_eq!(petstore.connector["auth"], json!({"type": "API_KEY", "header": "X-API-Key", "prefix": ""}));
    let skipped: Vec<(&str, &str)> =
        petstore.skipped.iter().map(|s| (s.operation.as_str(), s.reason.as_str())).collect();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    let photos = skipped.iter().find(|(op, _)| *op == "POST /pets/{petId}/photos").map(|(_, why)| *why);
    assert!(
        photos.is_some_and(|why| why.contains("multipart/form-data") && why.contains("form-encoded")),
        "{photos:?}"
    );
    assert!(skipped.iter().any(|(op, why)| *op == "GET /stores/{storeId}/orders" && why.contains("external")));
    assert!(petstore.notes.iter().any(|n| n.contains("servers[0].url has variables")), "{:?}", petstore.notes);
    assert!(petstore.notes.iter().any(|n| n.contains("cycle")), "{:?}", petstore.notes);

    // Filters: every left-out operation is listed with the filter that left it out.
    let only_pets = ImportOptions {
        include_tags: vec!["pets".into()],
        include_paths: vec!["/pets/*".into()],
        ..Default::default()
    };
    let filtered = import_openapi(&fixture("petstore-3.0.yaml"), &only_pets).unwrap();
    let names: Vec<&str> =
        filtered.connector["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["pet_store_show_pet_by_id", "pet_store_delete_pet", "pet_store_put_pets_pet_id_category"]);
    assert!(filtered.skipped.iter().any(|s| s.operation == "GET /pets" && s.reason.contains("included paths")));
    assert!(filtered.skipped.iter().any(|s| s.operation == "POST /login" && s.reason.contains("included tags")));
    // Form bodies are imported as forms.
    let login = petstore.connector["tools"].as_array().unwrap().iter().find(|t| t["name"] == "pet_store_login");
    let login = login.map(|t| t["request"].clone()).unwrap_or_default();
    assert_eq!(
        (&login["body_encoding"], &login["body"]),
        (&json!("form"), &json!({"username": "{{username}}", "password": "{{password}}"}))
    );

    // OAuth 2 authorization code: URLs and the scopes the operations ask for.
    let mut tasks: Value = serde_json::from_str(&fixture("tasks-3.1.json")).unwrap();
    assert_eq!(
        import_openapi(&tasks.to_string(), &ImportOptions::default()).unwrap().connector["auth"]["type"],
        "BEARER_TOKEN"
    );
    tasks["security"] = json!([{"oauth": []}]);
    let oauth = import_openapi(&tasks.to_string(), &ImportOptions::default()).unwrap();
    assert_eq!(
        oauth.connector["auth"],
        json!({"type": "OAUTH", "authorize_url": "https://tasks.example.test/oauth/authorize",
               "token_url": "https://tasks.example.test/oauth/token", "scopes": ["tasks.read", "tasks.write"]})
    );
    // The annotations follow the method.
    let tools = oauth.connector["tools"].as_array().unwrap();
    let hints = |name: &str| tools.iter().find(|t| t["name"] == name).unwrap()["annotations"].clone();
    assert_eq!(hints("task_tracker_list_tasks")["read_only_hint"], true);
    assert_eq!(hints("task_tracker_replace_task_tree")["idempotent_hint"], true);
    assert_eq!(hints("task_tracker_create_task")["read_only_hint"], false);

    // Swagger 2.0: basic auth; the query API key is noted, not silently dropped.
    let inventory = import_openapi(&fixture("inventory-2.0.json"), &ImportOptions::default()).unwrap();
    assert_eq!(inventory.connector["auth"]["type"], "BASIC_AUTH");
    assert!(inventory.notes.iter().any(|n| n.contains("\"key\"")), "{:?}", inventory.notes);
    assert_eq!(inventory.skipped.len(), 1, "{:?}", inventory.skipped);
    assert_eq!(inventory.skipped[0].operation, "POST /items/{itemId}/image");
    assert!(inventory.skipped[0].reason.contains("multipart/form-data"), "{:?}", inventory.skipped);
}

/// Imports every description in the directory `AGENTKIT_OPENAPI_CORPUS` names (unset: none) and
/// checks each result loads and converts: for trying the importer on large real descriptions
/// (GitHub's, from the `@octokit/openapi` npm package, imports 1,222 of its 1,223 operations).
#[test]
fn corpus_descriptions_import_load_and_convert() {
    let Ok(dir) = std::env::var("AGENTKIT_OPENAPI_CORPUS") else { return };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        match import_openapi(&text, &ImportOptions::default()) {
            Ok(imported) => {
                loads_and_converts(&imported);
                eprintln!("{}: {} tools, {} skipped", path.display(), imported.tool_count(), imported.skipped.len());
            }
            Err(e) => eprintln!("{}: refused: {e}", path.display()),
        }
    }
}

#[test]
fn cli_writes_the_connector_and_lists_skipped_operations() {
    let spec = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/openapi/petstore-3.0.yaml");
    let out = std::env::temp_dir().join(format!("agentkit-import-{}.json", uuid::Uuid::new_v4().simple()));
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_agentkit"))
        .args(["connectors", "import", "openapi"])
        .arg(&spec)
        .args(["--name", "pets", "--include-tags", "pets,auth", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(stderr.contains("imported 7 tools into connector \"pets\""), "{stderr}");
    assert!(!stderr.contains("skipped POST /login"), "a form body is imported: {stderr}");
    assert!(stderr.contains("skipped POST /pets/{petId}/photos: "), "{stderr}");
    assert!(stderr.contains("skipped GET /stores/{storeId}/orders: not tagged"), "{stderr}");
    let written = std::fs::read_to_string(&out).unwrap();
    let _ = std::fs::remove_file(&out);
    let mut catalog = Catalog::default();
    catalog.add_file("pets.json", &written).unwrap();
    assert!(catalog.tool("pets_list_pets").is_some());

    // Without --out the connector goes to stdout; a broken description fails naming the problem.
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_agentkit"))
        .args(["connectors", "import", "openapi"])
        .arg(&spec)
        .output()
        .unwrap();
    assert!(run.status.success());
    let printed: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(printed["slug"], "pet_store");
    let broken = std::env::temp_dir().join(format!("agentkit-broken-{}.yaml", uuid::Uuid::new_v4().simple()));
    std::fs::write(&broken, "openapi: 3.0.0\npaths: [unclosed\n").unwrap();
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_agentkit"))
        .args(["connectors", "import", "openapi"])
        .arg(&broken)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&broken);
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("YAML"), "{}", String::from_utf8_lossy(&run.stderr));
}

// ---- Issue 24 §1: the same through `POST /api/v1/connectors:import` ----

/// A gateway on `data_dir` whose egress policy allows `upstream`, with an admin client and a
/// `tools`-only one.
async fn import_gateway(data_dir: &std::path::Path, upstream: std::net::SocketAddr) -> agentkit_server::RunningServer {
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\ndata_dir = \"{}\"\n[egress]\nallow = [\"127.0.0.1:{}\"]\n\
         [[api_clients]]\nclient_id = \"admin\"\nclient_secret = \"admin-secret\"\n\
         [[api_clients]]\nclient_id = \"reader\"\nclient_secret = \"reader-secret\"\nscopes = [\"tools\"]\n",
        data_dir.display(),
        upstream.port(),
    );
    agentkit_server::start(agentkit_server::Config::parse(&text, "import.toml").unwrap()).await.unwrap()
}

async fn api_token(base: &str, client_id: &str, client_secret: &str) -> String {
    let answer: Value = reqwest::Client::new()
        .post(format!("{base}/oauth/token"))
        .form(&[("grant_type", "client_credentials"), ("client_id", client_id), ("client_secret", client_secret)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["access_token"].as_str().expect("an access token").to_string()
}

/// `(status, JSON body)` of one API call with `token`.
async fn call_api(base: &str, token: &str, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = reqwest::Client::new().request(method, format!("{base}{path}")).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let resp = request.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// The field a 400 names, if any.
fn named_field(body: &Value) -> Option<&str> {
    body.pointer("/details/0/validation_error_info/field_violations/0/field").and_then(Value::as_str)
}

fn connector_sources(listed: &Value) -> Vec<(String, String)> {
    listed["connectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["slug"].as_str().unwrap().to_string(), c["source"].as_str().unwrap().to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_imports_installs_serves_and_deletes_connectors() {
    let (upstream, log) = recording_upstream().await;
    let here = upstream.to_string();
    let tasks = fixture("tasks-3.1.json").replace("https://tasks.example.test/api", &format!("http://{here}/api"));
    let data_dir = std::env::temp_dir().join(format!("agentkit-import-api-{}", uuid::Uuid::new_v4().simple()));
    let server = import_gateway(&data_dir, upstream).await;
    let base = server.public_url.clone();
    let admin = api_token(&base, "admin", "admin-secret").await;
    let reader = api_token(&base, "reader", "reader-secret").await;
    let import = |body: Value| {
        let (base, admin) = (base.clone(), admin.clone());
        async move { call_api(&base, &admin, Method::POST, "/api/v1/connectors:import", Some(body)).await }
    };

    // Without install: the connector comes back and nothing is installed.
    let (status, answer) = import(json!({"description": tasks, "name": "tasks"})).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!((answer["installed"].clone(), answer["connector"]["slug"].clone()), (json!(false), json!("tasks")));
    assert_eq!(answer["tools"], json!(answer["connector"]["tools"].as_array().unwrap().len()));
    assert!(answer["tools"].as_u64().unwrap() >= 4, "{answer}");
    assert!(answer["skipped"].is_array() && answer["notes"].is_array(), "{answer}");
    let (_, listed) = call_api(&base, &admin, Method::GET, "/api/v1/connectors", None).await;
    assert!(!connector_sources(&listed).iter().any(|(slug, _)| slug == "tasks"));
    assert!(connector_sources(&listed).contains(&("gmail".into(), "built_in".into())));

    // Only `admin` imports; a malformed description is a 400 naming `description`.
    let (status, _) =
        call_api(&base, &reader, Method::POST, "/api/v1/connectors:import", Some(json!({"description": tasks}))).await;
    assert_eq!(status, 403);
    let (status, answer) = import(json!({"description": "openapi: 3.0.0\npaths: [unclosed\n"})).await;
    assert_eq!((status, named_field(&answer)), (400, Some("description")), "{answer}");
    let (status, answer) = import(json!({"description": tasks, "name": "Not A Slug"})).await;
    assert_eq!((status, named_field(&answer)), (400, Some("name")), "{answer}");

    // With install: listed, its tools served and callable through execute_tool.
    let (status, answer) = import(json!({"description": tasks, "name": "tasks", "install": true})).await;
    assert_eq!((status, answer["installed"].clone()), (200, json!(true)), "{answer}");
    let (status, answer) = import(json!({"description": tasks, "name": "tasks", "install": true})).await;
    assert_eq!(status, 409, "a second install of the slug: {answer}");
    let (_, listed) = call_api(&base, &admin, Method::GET, "/api/v1/connectors", None).await;
    assert!(connector_sources(&listed).contains(&("tasks".into(), "installed".into())));
    let (status, tools) = call_api(&base, &reader, Method::GET, "/api/v1/tools?filter.provider=tasks", None).await;
    assert_eq!(status, 200);
    assert!(tools.to_string().contains("tasks_list_tasks"), "{tools}");
    let connection = json!({"name": "tasks", "connector": "tasks"});
    let (status, answer) = call_api(&base, &admin, Method::POST, "/api/v1/connections", Some(connection)).await;
    assert_eq!(status, 201, "{answer}");
    let actions = |base: &str| {
        Actions::new(ScalekitClient::new(base, "admin", "admin-secret", ClientOptions::default()).unwrap())
    };
    dispatch(
        &actions(&base),
        Operation::CreateConnectedAccount,
        json!({"connection_name": "tasks", "identifier": "u1", "authorization_details": {"static_auth": {"token": "tok-1"}}}),
    )
    .await
    .unwrap();
    let run = |base: String| async move {
        dispatch(
            &actions(&base),
            Operation::ExecuteTool,
            json!({"tool_name": "tasks_list_tasks", "identifier": "u1", "tool_input": {"projectId": "p1"}}),
        )
        .await
        .unwrap()
    };
    assert_eq!(run(base.clone()).await["data"]["ok"], true);
    {
        let log = log.lock().unwrap();
        let sent = log.last().unwrap();
        assert_eq!(
            (sent.target.as_str(), sent.header("authorization")),
            ("/api/projects/p1/tasks", Some("Bearer tok-1"))
        );
    }

    // Deleting: unknown 404, built-in 400, in use by a connection 409; an unused one goes.
    let delete = |slug: &str| {
        let (base, admin, path) = (base.clone(), admin.clone(), format!("/api/v1/connectors/{slug}"));
        async move { call_api(&base, &admin, Method::DELETE, &path, None).await }
    };
    assert_eq!(delete("nowhere").await.0, 404);
    assert_eq!(delete("gmail").await.0, 400);
    let (status, answer) = delete("tasks").await;
    assert_eq!(status, 409, "{answer}");
    let pets = fixture("petstore-3.0.yaml")
        .replace("default: petstore.example.test", &format!("default: \"{here}\""))
        .replace("url: https://", "url: http://");
    let (status, answer) = import(json!({"description": pets, "name": "pets", "install": true})).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(call_api(&base, &reader, Method::DELETE, "/api/v1/connectors/pets", None).await.0, 403);
    assert_eq!(delete("pets").await.0, 200);
    assert_eq!(delete("pets").await.0, 404);
    let (_, tools) = call_api(&base, &admin, Method::GET, "/api/v1/tools?filter.provider=pets", None).await;
    assert!(!tools.to_string().contains("pets_list_pets"), "{tools}");

    // Audit rows came with the changes.
    let events = server.state.store.audit_events(&agentkit_server::store::AuditFilter::default(), 200).await.unwrap();
    let done: Vec<(String, String)> = events.iter().map(|e| (e.action.clone(), e.target.clone())).collect();
    for expected in [("connector.installed", "tasks"), ("connector.installed", "pets"), ("connector.deleted", "pets")] {
        assert!(done.contains(&(expected.0.into(), expected.1.into())), "{expected:?} in {done:?}");
    }

    // A restarted gateway on the same data dir still has the installed connector.
    server.shutdown().await;
    let server = import_gateway(&data_dir, upstream).await;
    let base = server.public_url.clone();
    let admin = api_token(&base, "admin", "admin-secret").await;
    let (_, listed) = call_api(&base, &admin, Method::GET, "/api/v1/connectors", None).await;
    let sources = connector_sources(&listed);
    assert!(sources.contains(&("tasks".into(), "installed".into())) && !sources.iter().any(|(s, _)| s == "pets"));
    assert_eq!(run(base.clone()).await["data"]["ok"], true);
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(&data_dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_import_is_refused_naming_the_description() {
    use agentkit_server::api::connectors::IMPORT_BODY_LIMIT;
    use agentkit_server::catalog::openapi_import::MAX_DESCRIPTION_BYTES;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (upstream, _) = recording_upstream().await;
    let data_dir = std::env::temp_dir().join(format!("agentkit-import-big-{}", uuid::Uuid::new_v4().simple()));
    let server = import_gateway(&data_dir, upstream).await;
    let base = server.public_url.clone();
    let admin = api_token(&base, "admin", "admin-secret").await;

    // A body declared one byte over the limit is answered before it is sent.
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST /api/v1/connectors:import HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {admin}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{{\"description\": \"",
        server.addr,
        IMPORT_BODY_LIMIT + 1
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        let mut chunk = [0u8; 4096];
        loop {
            let n = stream.read(&mut chunk).await.unwrap_or(0);
            answer.extend_from_slice(&chunk[..n]);
            if n == 0 || String::from_utf8_lossy(&answer).contains("\"field\"") {
                break;
            }
        }
    })
    .await;
    assert!(read.is_ok(), "answered without the rest of the body");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains(r#""field":"description""#), "{answer}");

    // A description one byte over the importer's limit is a 400 naming it.
    let big = "a".repeat(MAX_DESCRIPTION_BYTES + 1);
    let (status, body) =
        call_api(&base, &admin, Method::POST, "/api/v1/connectors:import", Some(json!({"description": big}))).await;
    assert_eq!((status, named_field(&body)), (400, Some("description")), "{body}");
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(&data_dir);
}
