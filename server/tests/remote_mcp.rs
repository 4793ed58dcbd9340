//! Remote MCP servers as connectors (issue 24 §2): the upstream is a real
//! server of the official MCP Python SDK (`tests/fixtures/mcp_remote/server.py`, FastMCP over
//! streamable HTTP, answers as SSE) that knows each user by their bearer token. Its tools are
//! discovered, listed under the connection's namespace with their remote schemas, run as each
//! user with that user's token, served through our own MCP URL, and refreshed when the server
//! says its list changed; a remote tool error is a tool error, an unreachable server names the
//! step, and a hostile server's oversized `tools/list` is refused. A server that asks for OAuth
//! (`oauth_server.py`, the SDK's own authorization server) signs each user in through the gateway.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::io::BufRead;
use std::path::PathBuf;
use std::time::Duration;

use agentkit_core::dispatch::{dispatch, Operation};
use agentkit_core::{Actions, ClientOptions, ScalekitClient};
use axum::response::IntoResponse;
use serde_json::{json, Value};

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The official MCP Python SDK server, stopped when dropped.
struct PythonUpstream {
    child: std::process::Child,
    port: u16,
}

impl PythonUpstream {
    /// Started on `port`, or on one the OS picks; `legacy_sse`: the HTTP+SSE transport.
    fn start(port: Option<u16>, legacy_sse: bool) -> PythonUpstream {
        let mut args: Vec<String> = port.map(|port| format!("--port={port}")).into_iter().collect();
        if legacy_sse {
            args.push("--sse".into());
        }
        PythonUpstream::run("server.py", &args)
    }

    /// `tests/fixtures/mcp_remote/<script>` with `args`; it prints the port it listens on.
    fn run(script: &str, args: &[String]) -> PythonUpstream {
        let python = repo_root().join(".venv/bin/python");
        assert!(
            python.exists(),
            "{} is missing: run `make build-python` (it installs the MCP Python SDK this test runs as the upstream)",
            python.display()
        );
        let mut command = std::process::Command::new(&python);
        command.arg(repo_root().join("tests/fixtures/mcp_remote").join(script)).args(args);
        let mut child = command.stdout(std::process::Stdio::piped()).spawn().expect("the MCP fixture server starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        std::io::BufReader::new(stdout).read_line(&mut line).expect("the fixture prints its port");
        let port = line.trim().parse().unwrap_or_else(|_| panic!("a port, got {line:?}"));
        PythonUpstream { child, port }
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for PythonUpstream {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A hostile MCP server: a normal `initialize`, then on `/big` a `tools/list` answer of 3 MB, and
/// on `/endless` (as SSE, no length) pages that always name a next one.
async fn hostile_upstream() -> std::net::SocketAddr {
    use axum::routing::post;
    fn answer(request: &Value) -> Option<Value> {
        let result = match request["method"].as_str()? {
            "initialize" => {
                json!({"protocolVersion": "2025-06-18", "capabilities": {"tools": {}}, "serverInfo": {"name": "hostile", "version": "1"}})
            }
            "tools/list" => {
                let filler = "x".repeat(3 * 1024 * 1024);
                json!({"tools": [{"name": "big", "description": filler, "inputSchema": {"type": "object"}}]})
            }
            _ => return None,
        };
        Some(json!({"jsonrpc": "2.0", "id": request["id"], "result": result}))
    }
    let big = post(|axum::Json(request): axum::Json<Value>| async move {
        match answer(&request) {
            Some(message) => (axum::http::StatusCode::OK, message.to_string()).into_response(),
            None => axum::http::StatusCode::ACCEPTED.into_response(),
        }
    });
    let endless = post(|axum::Json(request): axum::Json<Value>| async move {
        let message = match request["method"].as_str() {
            Some("tools/list") => {
                let cursor = request["params"]["cursor"].as_str().unwrap_or("0").parse::<u64>().unwrap_or(0);
                json!({"jsonrpc": "2.0", "id": request["id"], "result": {"tools": [], "nextCursor": (cursor + 1).to_string()}})
            }
            _ => match answer(&request) {
                Some(message) => message,
                None => return axum::http::StatusCode::ACCEPTED.into_response(),
            },
        };
        let event = format!(": keep-alive\n\nevent: message\ndata: {message}\n\n");
        let stream = futures::stream::iter([Ok::<_, std::io::Error>(event)]);
        ([("content-type", "text/event-stream")], axum::body::Body::from_stream(stream)).into_response()
    });
    let app = axum::Router::new().route("/big", big).route("/endless", endless);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// A bare MCP client (JSON-RPC over POST) for our own MCP URL: answers as JSON or SSE.
struct McpClient {
    url: String,
    session: Option<String>,
}

impl McpClient {
    async fn post(&mut self, body: Value) -> String {
        let mut request = reqwest::Client::new()
            .post(&self.url)
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2025-06-18")
            .json(&body);
        if let Some(session) = &self.session {
            request = request.header("mcp-session-id", session);
        }
        let response = request.send().await.unwrap();
        assert!(response.status().is_success(), "{}", response.status());
        if let Some(session) = response.headers().get("mcp-session-id") {
            self.session = Some(session.to_str().unwrap().to_string());
        }
        response.text().await.unwrap()
    }

    async fn request(&mut self, id: u64, method: &str, params: Value) -> Value {
        let text = self.post(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})).await;
        let data = text.lines().filter_map(|l| l.strip_prefix("data:")).collect::<Vec<_>>();
        let json_text = if data.is_empty() { text.clone() } else { data.join("") };
        serde_json::from_str(json_text.trim()).unwrap_or_else(|_| panic!("a JSON-RPC answer: {text}"))
    }

    async fn notify(&mut self, method: &str) {
        self.post(json!({"jsonrpc": "2.0", "method": method})).await;
    }
}

struct Gateway {
    url: String,
    token: String,
    http: reqwest::Client,
    data_dir: PathBuf,
    _server: agentkit_server::RunningServer,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

impl Gateway {
    async fn start(upstream_port: u16, hostile: std::net::SocketAddr) -> Gateway {
        Gateway::start_with(upstream_port, hostile, "streamable_http", "/mcp").await
    }

    /// The docs connector on `transport`, its connection at `path` of the fixture.
    async fn start_with(upstream_port: u16, hostile: std::net::SocketAddr, transport: &str, path: &str) -> Gateway {
        // The connector names a placeholder server; the connection points it at the fixture.
        let docs = json!({"slug": "docs_mcp", "display_name": "Docs (remote MCP)", "auth": {"type": "BEARER_TOKEN"},
                          "mcp": {"url": "https://mcp.example.com/mcp", "transport": transport}});
        let hostile_def = json!({"slug": "hostile_mcp", "display_name": "Hostile", "auth": {"type": "NO_AUTH"},
                                 "mcp": {"url": format!("http://{hostile}/big")}});
        let connections = format!(
            r#"
[[connections]]
name = "docs"
connector = "docs_mcp"
base_url = "http://127.0.0.1:{upstream_port}{path}"
[[connections]]
name = "hostile"
connector = "hostile_mcp"
[[connections]]
name = "endless"
connector = "hostile_mcp"
base_url = "http://{hostile}/endless"
"#
        );
        Gateway::launch(&[docs, hostile_def], &connections).await
    }

    /// A gateway with these connector files and `[[connections]]` (loopback upstreams allowed,
    /// an `admin` API client).
    async fn launch(connector_files: &[Value], connections: &str) -> Gateway {
        let data_dir = std::env::temp_dir().join(format!("agentkit-remote-mcp-{}", uuid::Uuid::new_v4().simple()));
        let connectors = data_dir.join("connectors");
        std::fs::create_dir_all(&connectors).unwrap();
        for def in connector_files {
            let slug = def["slug"].as_str().unwrap();
            std::fs::write(connectors.join(format!("{slug}.json")), def.to_string()).unwrap();
        }
        let text = format!(
            r#"
[server]
listen = "127.0.0.1:0"
data_dir = "{}"
connectors_dir = "{}"
[egress]
# the upstreams listen on loopback
allow = ["127.0.0.1"]
[[api_clients]]
client_id = "admin"
client_secret = "admin-secret"
{connections}
"#,
            data_dir.display(),
            connectors.display()
        );
        let config = agentkit_server::Config::parse(&text, "remote_mcp.toml").unwrap();
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
        let token = answer["access_token"].as_str().expect("a token").to_string();
        Gateway { url: server.public_url.clone(), token, http, data_dir, _server: server }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.url)).bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn execute(&self, tool: &str, user: &str, input: Value) -> (u16, Value) {
        let body = json!({"tool_name": tool, "identifier": user, "params": input});
        self.call(reqwest::Method::POST, "/api/v1/execute_tool", Some(body)).await
    }

    /// A docs account of `user` holding `token`; its id.
    async fn create_account(&self, user: &str, token: &str) -> String {
        let body = json!({"connector": "docs", "identifier": user,
                          "connected_account": {"authorization_details": {"static_auth": {"details": {"token": token}}}}});
        let (status, created) = self.call(reqwest::Method::POST, "/api/v1/connected_accounts", Some(body)).await;
        assert_eq!(status, 201, "{created}");
        assert_eq!(created["connected_account"]["status"], "ACTIVE", "{created}");
        created["connected_account"]["id"].as_str().expect("an account id").to_string()
    }

    async fn tool_names(&self) -> Vec<String> {
        let (status, listed) = self.call(reqwest::Method::GET, "/api/v1/tools?page_size=200", None).await;
        assert_eq!(status, 200, "{listed}");
        listed["tool_names"].as_array().unwrap().iter().map(|n| n.as_str().unwrap().to_string()).collect()
    }
}

#[tokio::test]
async fn remote_mcp_tools_are_discovered_and_run_as_each_user() {
    let mut upstream = PythonUpstream::start(None, false);
    let hostile = hostile_upstream().await;
    let gateway = Gateway::start(upstream.port, hostile).await;

    // mallory's key is stale and her account is the first one tried (accounts go in id order, ids
    // are random: she is made again until hers sorts first): discovery and the tool-list listener
    // both fall back to another account's credential, and her calls are 401s.
    let mut others = Vec::new();
    for (user, token) in [("alice", "token-alice"), ("bob", "token-bob")] {
        others.push(gateway.create_account(user, token).await);
    }
    for attempt in 0.. {
        let mallory = gateway.create_account("mallory", "token-stale").await;
        if others.iter().all(|other| &mallory < other) {
            break;
        }
        assert!(attempt < 200, "mallory's account id never sorted first");
        let body = json!({"connected_account_id": mallory});
        let (status, deleted) =
            gateway.call(reqwest::Method::POST, "/api/v1/connected_accounts:delete", Some(body)).await;
        assert_eq!(status, 200, "{deleted}");
    }

    // An operator's reload discovers every remote server now and says how each went.
    let (status, reloaded) = gateway.call(reqwest::Method::POST, "/api/v1/connectors:reload", None).await;
    assert_eq!(status, 200, "{reloaded}");
    let outcome = |name: &str| {
        reloaded["remote_mcp"].as_array().unwrap().iter().find(|o| o["connection"] == name).cloned().unwrap()
    };
    assert_eq!(outcome("docs")["tools"], 7, "{reloaded}");
    let refused = outcome("hostile")["error"].as_str().unwrap().to_string();
    assert!(refused.contains("hostile") && refused.contains("tools/list") && refused.contains("larger"), "{refused}");
    let refused = outcome("endless")["error"].as_str().unwrap().to_string();
    assert!(refused.contains("tools/list") && refused.contains("more than 20 pages"), "{refused}");

    // Listed under the connection's namespace, sanitized, with the remote schemas.
    let names = gateway.tool_names().await;
    for name in ["docs_whoami", "docs_session_id", "docs_add_numbers", "docs_fail", "docs_enable_extra"] {
        assert!(names.contains(&name.to_string()), "{name} in {names:?}");
    }
    assert!(!names.iter().any(|n| n.starts_with("hostile_") || n.starts_with("endless_")), "{names:?}");
    let (_, listed) = gateway.call(reqwest::Method::GET, "/api/v1/tools?filter.tool_name=docs_add_numbers", None).await;
    let definition = &listed["tools"][0]["definition"];
    assert_eq!(definition["input_schema"]["properties"]["a"]["type"], "integer", "{listed}");
    assert_eq!(definition["input_schema"]["required"], json!(["a", "b"]), "{listed}");
    assert_eq!(listed["tools"][0]["metadata"]["remote_name"], "Add.Numbers", "{listed}");

    // Each user's call carries that user's token (the server answers with whom it saw).
    for user in ["alice", "bob"] {
        let (status, answer) = gateway.execute("docs_whoami", user, json!({})).await;
        assert_eq!(status, 200, "{answer}");
        // FastMCP gives a `str` result as structured content too: `{"result": ...}`.
        assert_eq!(answer["data"]["result"], format!("user:{user}"), "{answer}");
    }
    // Calls of one account ride on one session (one round trip each); another account gets its own.
    let session = |answer: (u16, Value)| answer.1["data"]["result"].as_str().unwrap_or_default().to_string();
    let first = session(gateway.execute("docs_session_id", "alice", json!({})).await);
    assert!(!first.is_empty());
    assert_eq!(session(gateway.execute("docs_session_id", "alice", json!({})).await), first);
    assert_ne!(session(gateway.execute("docs_session_id", "bob", json!({})).await), first);
    let (status, answer) = gateway.execute("docs_whoami", "mallory", json!({})).await;
    assert_eq!(status, 401, "{answer}");
    assert!(answer.to_string().contains("credential was refused"), "{answer}");
    // A structured result is the data.
    let (status, answer) = gateway.execute("docs_add_numbers", "bob", json!({"a": 2, "b": 3})).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["data"], json!({"sum": 5, "caller": "bob"}), "{answer}");
    // The remote schema is enforced before any call.
    let (status, answer) = gateway.execute("docs_add_numbers", "bob", json!({"a": "two", "b": 3})).await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer.to_string().contains("tool_input.a"), "{answer}");

    // A remote tool error is a tool error with the remote message, not a 500.
    let (status, answer) = gateway.execute("docs_fail", "alice", json!({"reason": "nope"})).await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer.to_string().contains("refused: nope"), "{answer}");
    assert_eq!(answer["details"][0]["error_code"], "TOOL_ERROR", "{answer}");
    assert_eq!(answer["details"][0]["tool_error_info"]["tool_error_code"], "MCP_TOOL_ERROR", "{answer}");

    // The server says its tool list changed on a call's stream: the new tool shows up.
    let (status, answer) = gateway.execute("docs_enable_extra", "alice", json!({})).await;
    assert_eq!(status, 200, "{answer}");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !gateway.tool_names().await.contains(&"docs_extra".to_string()) {
        assert!(std::time::Instant::now() < deadline, "docs_extra never appeared after tools/list_changed");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (status, answer) = gateway.execute("docs_extra", "bob", json!({})).await;
    assert_eq!((status, answer["data"]["result"].clone()), (200, json!("extra")), "{answer}");

    // Announced the SDK's default way, on the sessions' standalone streams (the gateway listens
    // on one, since the server advertises `tools.listChanged`).
    // The change is sent to the streams open at that moment: wait until the listener's is.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (status, answer) = gateway.execute("docs_open_standalone_streams", "alice", json!({})).await;
        assert_eq!(status, 200, "{answer}");
        if answer["data"]["result"].as_i64().unwrap_or_default() > 0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the gateway never opened a standalone stream");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, answer) = gateway.execute("docs_enable_quiet", "bob", json!({})).await;
    assert_eq!(status, 200, "{answer}");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !gateway.tool_names().await.contains(&"docs_quiet_extra".to_string()) {
        assert!(
            std::time::Instant::now() < deadline,
            "docs_quiet_extra never appeared after a standalone list_changed"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // The same tool through our own MCP URL, as bob.
    let actions =
        Actions::new(ScalekitClient::new(&gateway.url, "admin", "admin-secret", ClientOptions::default()).unwrap());
    let mapping = json!({"name": "docs-cfg", "connection_tool_mappings": [{"connection_name": "docs", "tools": ["docs_whoami"]}]});
    dispatch(&actions, Operation::McpCreateConfig, mapping).await.unwrap();
    let instance =
        dispatch(&actions, Operation::McpEnsureInstance, json!({"config_name": "docs-cfg", "user_identifier": "bob"}))
            .await
            .unwrap();
    let mut ours = McpClient { url: instance["instance"]["url"].as_str().unwrap().to_string(), session: None };
    let init =
        json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}});
    ours.request(1, "initialize", init).await;
    ours.notify("notifications/initialized").await;
    let listed = ours.request(2, "tools/list", json!({})).await;
    let names: Vec<&str> =
        listed["result"]["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["docs_whoami"], "{listed}");
    let called = ours.request(3, "tools/call", json!({"name": "docs_whoami", "arguments": {}})).await;
    assert!(called.to_string().contains("user:bob"), "{called}");

    // The proxy does not reach a remote MCP server with a user's credential.
    let proxied = gateway
        .http
        .get(format!("{}/proxy/docs/anything", gateway.url))
        .bearer_auth(&gateway.token)
        .header("connection_name", "docs")
        .header("identifier", "alice")
        .send()
        .await
        .unwrap();
    assert_eq!(proxied.status(), 403);

    // The server restarts (its sessions gone): a kept session it no longer knows (404) is
    // replaced, and the call goes through.
    upstream.stop();
    upstream = PythonUpstream::start(Some(upstream.port), false);
    let (status, answer) = gateway.execute("docs_session_id", "alice", json!({})).await;
    assert_eq!(status, 200, "{answer}");
    assert_ne!(answer["data"]["result"], first, "a new session");

    // The server gone: the error names the server and the step (a kept session fails at the
    // call, a new one at initialize).
    upstream.stop();
    for (user, step) in [("alice", "tools/call"), ("mallory", "initialize")] {
        let (status, answer) = gateway.execute("docs_whoami", user, json!({})).await;
        assert_eq!(status, 503, "{answer}");
        let message = answer["message"].as_str().unwrap_or_default().to_string();
        assert!(message.starts_with(&format!("remote MCP server \"docs\": {step}: ")), "{message}");
        assert!(message.contains("could not be reached"), "{message}");
    }
    // The last tools stay listed while the server is away.
    assert!(gateway.tool_names().await.contains(&"docs_whoami".to_string()));
}

/// The legacy HTTP+SSE transport (2024-11-05) against the same SDK server in its SSE mode: tools
/// discovered over the event stream, each user's call with their own token.
#[tokio::test]
async fn legacy_sse_servers_work_the_same() {
    let upstream = PythonUpstream::start(None, true);
    let hostile = hostile_upstream().await;
    let gateway = Gateway::start_with(upstream.port, hostile, "sse", "/sse").await;
    for (user, token) in [("alice", "token-alice"), ("bob", "token-bob")] {
        let body = json!({"connector": "docs", "identifier": user,
                          "connected_account": {"authorization_details": {"static_auth": {"details": {"token": token}}}}});
        let (status, created) = gateway.call(reqwest::Method::POST, "/api/v1/connected_accounts", Some(body)).await;
        assert_eq!(status, 201, "{created}");
    }
    let (status, reloaded) = gateway.call(reqwest::Method::POST, "/api/v1/connectors:reload", None).await;
    assert_eq!(status, 200, "{reloaded}");
    let docs = reloaded["remote_mcp"].as_array().unwrap().iter().find(|o| o["connection"] == "docs").cloned();
    assert_eq!(docs.unwrap()["tools"], 7, "{reloaded}");
    for user in ["alice", "bob"] {
        let (status, answer) = gateway.execute("docs_whoami", user, json!({})).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["data"]["result"], format!("user:{user}"), "{answer}");
    }
    let (status, answer) = gateway.execute("docs_add_numbers", "alice", json!({"a": 1, "b": 2})).await;
    assert_eq!((status, answer["data"].clone()), (200, json!({"sum": 3, "caller": "alice"})), "{answer}");
    let (status, answer) = gateway.execute("docs_fail", "bob", json!({"reason": "legacy"})).await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer.to_string().contains("refused: legacy"), "{answer}");
}

/// Authorization servers that must not get a user's sign-in: on `/wrong-resource/mcp` a server
/// whose protected-resource metadata describes another resource; on `/no-pkce/mcp` one whose
/// authorization server does not offer PKCE S256; on `/plain-http/mcp` one whose token endpoint
/// is plain http on another machine.
async fn hostile_authorization() -> std::net::SocketAddr {
    use axum::routing::{get, post};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");
    let challenge = |metadata: String| {
        post(move || async move {
            let header = format!(r#"Bearer error="invalid_token", resource_metadata="{metadata}""#);
            (axum::http::StatusCode::UNAUTHORIZED, [("www-authenticate", header)], "{}").into_response()
        })
    };
    let document = |body: Value| get(move || async move { axum::Json(body) });
    let server = |issuer: &str, token_endpoint: &str, s256: bool| {
        let mut metadata = json!({"issuer": issuer, "authorization_endpoint": format!("{issuer}/authorize"),
                                  "token_endpoint": token_endpoint, "registration_endpoint": format!("{issuer}/register")});
        if s256 {
            metadata["code_challenge_methods_supported"] = json!(["S256"]);
        }
        metadata
    };
    let app = axum::Router::new()
        .route("/wrong-resource/mcp", challenge(format!("{base}/prm/wrong")))
        .route(
            "/prm/wrong",
            document(json!({"resource": "https://other.example/mcp", "authorization_servers": [format!("{base}/as")]})),
        )
        .route("/no-pkce/mcp", challenge(format!("{base}/prm/no-pkce")))
        .route(
            "/prm/no-pkce",
            document(
                json!({"resource": format!("{base}/no-pkce/mcp"), "authorization_servers": [format!("{base}/as")]}),
            ),
        )
        .route(
            "/.well-known/oauth-authorization-server/as",
            document(server(&format!("{base}/as"), &format!("{base}/as/token"), false)),
        )
        .route("/plain-http/mcp", challenge(format!("{base}/prm/plain-http")))
        .route(
            "/prm/plain-http",
            document(
                json!({"resource": format!("{base}/plain-http/mcp"), "authorization_servers": [format!("{base}/as2")]}),
            ),
        )
        .route(
            "/.well-known/oauth-authorization-server/as2",
            document(server(&format!("{base}/as2"), "http://tokens.example.com/token", true)),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// A remote MCP server that asks for OAuth (the official SDK's authorization and resource
/// server, `oauth_server.py`): the gateway finds its authorization server, registers itself
/// once, signs each user in through the ordinary authorization link (PKCE S256, the server as
/// `resource`), lists the tools with a signed-in user's token, runs each call with the caller's
/// own token and refreshes it before it expires. Servers that must not get a sign-in are refused
/// with the reason.
#[tokio::test]
async fn oauth_remote_mcp_servers_sign_each_user_in() {
    let upstream = PythonUpstream::run("oauth_server.py", &["--access-ttl=4".to_string()]);
    let hostile = hostile_authorization().await;
    let mcp_url = format!("http://127.0.0.1:{}/mcp", upstream.port);
    let secure = json!({"slug": "secure_mcp", "display_name": "Secure (remote MCP, OAuth)", "auth": {"type": "OAUTH"},
                        "mcp": {"url": "https://mcp.example.com/mcp"}});
    let mut connections =
        format!("[[connections]]\nname = \"secure\"\nconnector = \"secure_mcp\"\nbase_url = \"{mcp_url}\"\n");
    for name in ["wrong-resource", "no-pkce", "plain-http"] {
        connections.push_str(&format!(
            "[[connections]]\nname = \"{name}\"\nconnector = \"secure_mcp\"\nbase_url = \"http://{hostile}/{name}/mcp\"\n"
        ));
    }
    let gateway = Gateway::launch(&[secure], &connections).await;
    let actions =
        Actions::new(ScalekitClient::new(&gateway.url, "admin", "admin-secret", ClientOptions::default()).unwrap());
    let link = |connection: &'static str, user: &'static str| {
        let actions = &actions;
        async move {
            let params = json!({"connection_name": connection, "identifier": user});
            let answer = dispatch(actions, Operation::GetAuthorizationLink, params).await.unwrap();
            answer["link"].as_str().unwrap().to_string()
        }
    };
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let location = |response: &reqwest::Response| {
        let status = response.status().as_u16();
        assert!((300..400).contains(&status), "a redirect, got {status}");
        response.headers()["location"].to_str().unwrap().to_string()
    };
    let stats = || async {
        let url = format!("http://127.0.0.1:{}/stats", upstream.port);
        reqwest::get(url).await.unwrap().json::<Value>().await.unwrap()
    };

    for user in ["alice", "bob"] {
        // The link sends the user to the authorization server the gateway found and registered at.
        let to_server = browser.get(link("secure", user).await).send().await.unwrap();
        let authorize = url::Url::parse(&location(&to_server)).unwrap();
        assert_eq!(authorize.origin().ascii_serialization(), format!("http://127.0.0.1:{}", upstream.port));
        assert_eq!(authorize.path(), "/authorize");
        let pairs: std::collections::HashMap<_, _> = authorize.query_pairs().into_owned().collect();
        assert_eq!(pairs["code_challenge_method"], "S256");
        assert_eq!(pairs["resource"], mcp_url, "RFC 8707: the server is named");
        assert_eq!(pairs["redirect_uri"], format!("{}/oauth/callback", gateway.url));
        assert_eq!(pairs["scope"], "docs.read", "the scopes the server's metadata lists");
        // The server's sign-in page: the user says who they are and goes back with a code.
        let to_login = browser.get(authorize.as_str()).send().await.unwrap();
        let login = location(&to_login);
        let to_gateway = browser.get(format!("{login}&user={user}")).send().await.unwrap();
        let callback = location(&to_gateway);
        assert!(callback.starts_with(&format!("{}/oauth/callback?", gateway.url)), "{callback}");
        let done = browser.get(&callback).send().await.unwrap();
        let status = done.status().as_u16();
        assert!(status < 400, "the callback succeeded: {status} {}", done.text().await.unwrap());
        let details = dispatch(
            &actions,
            Operation::GetConnectedAccountDetails,
            json!({"connection_name": "secure", "identifier": user}),
        )
        .await
        .unwrap();
        assert_eq!(details["connected_account"]["status"], "ACTIVE", "{details}");
    }
    let seen = stats().await;
    assert_eq!(seen["registrations"], 1, "one registration serves every user: {seen}");
    assert_eq!(seen["authorize_resources"], json!([mcp_url, mcp_url]), "{seen}");

    // The tools are listed with a signed-in user's token, and each call carries the caller's own.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !gateway.tool_names().await.contains(&"secure_whoami".to_string()) {
        assert!(std::time::Instant::now() < deadline, "secure_whoami never appeared");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for user in ["alice", "bob"] {
        let (status, answer) = gateway.execute("secure_whoami", user, json!({})).await;
        assert_eq!((status, answer["data"]["result"].clone()), (200, json!(format!("user:{user}"))), "{answer}");
    }
    let refreshes = stats().await["refreshes"].as_u64().unwrap();
    // Past half its four-second life, a token is refreshed (with the server named) before use.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let (status, answer) = gateway.execute("secure_whoami", "alice", json!({})).await;
    assert_eq!((status, answer["data"]["result"].clone()), (200, json!("user:alice")), "{answer}");
    assert!(stats().await["refreshes"].as_u64().unwrap() > refreshes, "alice's token was refreshed");

    // A user who never signed in has no account there: nobody's token is lent to her.
    let (status, answer) = gateway.execute("secure_whoami", "carol", json!({})).await;
    assert_eq!(status, 404, "{answer}");
    assert!(answer["message"].as_str().unwrap().contains("no connected account for identifier \"carol\""), "{answer}");

    // Servers that must not get a sign-in: a clear page naming why, nothing sent to them.
    for (connection, why) in
        [("wrong-resource", "describes resource"), ("no-pkce", "PKCE S256"), ("plain-http", "must use https")]
    {
        let refused = browser.get(link(connection, "alice").await).send().await.unwrap();
        assert_eq!(refused.status(), 400, "{connection}");
        let page = refused.text().await.unwrap();
        assert!(page.contains(why), "{connection}: {page}");
    }
    drop(upstream);
}
