//! Three gateway replicas (`agentkit serve`) on one PostgreSQL database and one sandbox provider
//! whose refresh tokens are single use: concurrent calls spread over the replicas on an access
//! token the provider no longer accepts end in exactly one refresh at the provider, no failed
//! call, and an ACTIVE account; an account or a custom provider created on one replica is
//! usable on the others at once (NOTIFY), not after a cache ttl; an MCP session opened on one
//! replica continues on the others and ends everywhere.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use agentkit_core::dispatch::{dispatch, Operation};
use agentkit_core::{Actions, ClientOptions, ScalekitClient};
use serde_json::{json, Value};

mod common;
use common::postgres::Cluster;

const CLIENT_ID: &str = "skc_replicas";
const CLIENT_SECRET: &str = "sks_replicas_secret";

/// A child process killed on drop.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `agentkit sandbox` on a free port; its URL.
fn start_sandbox() -> (Process, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_agentkit"))
        .args(["sandbox", "--port", &free_port().to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let line = BufReader::new(child.stdout.take().unwrap()).lines().next().unwrap().unwrap();
    let url = line.trim_start_matches("export AGENTKIT_SANDBOX_URL=").to_string();
    (Process(child), url)
}

/// One replica: its own data dir and port; the database, signing key and vault key shared.
fn start_replica(dir: &std::path::Path, database_url: &str, sandbox: &str) -> (Process, String) {
    let port = free_port();
    let sandbox_addr = sandbox.trim_start_matches("http://");
    let config = format!(
        r#"
[server]
listen = "127.0.0.1:{port}"
data_dir = "{data}"

[[api_clients]]
client_id = "{CLIENT_ID}"
client_secret = "{CLIENT_SECRET}"

[egress]
allow = ["{sandbox_addr}"]

[[connections]]
name = "gmail"
connector = "gmail"
base_url = "{sandbox}"
client_id = "{client}"
client_secret = "{secret}"
authorize_url = "{sandbox}/oauth2/authorize"
token_url = "{sandbox}/oauth2/token"
revoke_url = "{sandbox}/oauth2/revoke"
token_auth_method = "client_secret_basic"
"#,
        data = dir.join(format!("replica-{port}")).display(),
        client = agentkit_sandbox::SANDBOX_CLIENT_ID,
        secret = agentkit_sandbox::SANDBOX_CLIENT_SECRET,
    );
    let path = dir.join(format!("replica-{port}.toml"));
    std::fs::write(&path, config).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_agentkit"))
        .args(["serve", "--config"])
        .arg(&path)
        .env("AGENTKIT_DATABASE_URL", database_url)
        .env("AGENTKIT_SIGNING_KEY", "replicas-share-this-signing-key-0123456789")
        .env("AGENTKIT_VAULT_KEYS", "kshared:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    (Process(child), format!("http://127.0.0.1:{port}"))
}

async fn wait_ready(url: &str) {
    for _ in 0..300 {
        if reqwest::get(format!("{url}/readyz")).await.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("replica {url} did not start");
}

fn actions(url: &str) -> Actions {
    Actions::new(ScalekitClient::new(url, CLIENT_ID, CLIENT_SECRET, ClientOptions::default()).unwrap())
}

async fn sandbox_call(sandbox: &str, path: &str, body: Value) -> Value {
    let resp = if body.is_null() {
        reqwest::get(format!("{sandbox}{path}")).await.unwrap()
    } else {
        reqwest::Client::new().post(format!("{sandbox}{path}")).json(&body).send().await.unwrap()
    };
    resp.json().await.unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_replicas_refresh_a_rotated_token_exactly_once() {
    let cluster = Cluster::start();
    let database_url = cluster.database("agentkit_replicas");
    let (_sandbox, sandbox) = start_sandbox();
    let dir: PathBuf = std::env::temp_dir().join(format!("agentkit-replicas-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut replicas = Vec::new();
    for _ in 0..3 {
        replicas.push(start_replica(&dir, &database_url, &sandbox));
    }
    for (_, url) in &replicas {
        wait_ready(url).await;
    }
    let clients: Vec<Actions> = replicas.iter().map(|(_, url)| actions(url)).collect();

    // Authorized through replica 1 (link → consent → callback), visible on all three.
    let link = common::authorization_link(&clients[0], "gmail", "rota", json!({})).await;
    let page = common::browser().get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200, "{}", page.text().await.unwrap_or_default());
    for client in &clients {
        assert_eq!(common::account_status(client, "gmail", "rota").await, "ACTIVE");
    }

    // The provider stops accepting the access token; 1,000 calls at once, round-robin.
    sandbox_call(&sandbox, "/sandbox/settings", json!({"expire_user": "rota"})).await;
    let calls = (0..1000).map(|n| {
        dispatch(
            &clients[n % clients.len()],
            Operation::ExecuteTool,
            json!({"tool_name": "gmail_list_labels", "identifier": "rota", "tool_input": {}}),
        )
    });
    let results = futures::future::join_all(calls).await;
    let failures: Vec<String> =
        results.iter().filter_map(|r| r.as_ref().err()).map(|e| e.message().to_string()).collect();
    let stats = sandbox_call(&sandbox, "/sandbox/stats?user=rota", Value::Null).await;
    println!("1000 calls over 3 replicas: {} failed, {} refreshes at the provider", failures.len(), stats["refreshes"]);
    assert!(failures.is_empty(), "{} calls failed, e.g. {:?}", failures.len(), failures.first());
    assert_eq!(stats["refreshes"], 1, "exactly one refresh at the provider across the replicas");
    for client in &clients {
        assert_eq!(common::account_status(client, "gmail", "rota").await, "ACTIVE");
    }

    // Account caches follow writes made on other replicas (NOTIFY), not only after their ttl:
    // replica 2 has looked up "late" and found nothing; replica 1 creates it; replica 2 sees it.
    let labels = json!({"tool_name": "gmail_list_labels", "identifier": "late", "tool_input": {}});
    assert!(dispatch(&clients[1], Operation::ExecuteTool, labels.clone()).await.is_err(), "no account yet");
    let token = sandbox_call(&sandbox, "/sandbox/tokens", json!({"user": "late", "expires_in": 3600})).await;
    dispatch(
        &clients[0],
        Operation::CreateConnectedAccount,
        json!({"connection_name": "gmail", "identifier": "late",
               "authorization_details": {"oauth_token": {"access_token": token["access_token"]}}}),
    )
    .await
    .unwrap();
    let started = std::time::Instant::now();
    while dispatch(&clients[1], Operation::ExecuteTool, labels.clone()).await.is_err() {
        assert!(started.elapsed() < std::time::Duration::from_secs(2), "replica 2 still misses the new account");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    println!("an account created on replica 1 was usable on replica 2 after {:?}", started.elapsed());

    // A custom provider created on replica 1 is usable on replica 3 within 5 s.
    let http = reqwest::Client::new();
    let api_token = common::api_token(&replicas[0].1, CLIENT_ID, CLIENT_SECRET).await;
    let created = http
        .post(format!("{}/api/v1/custom-providers", replicas[0].1))
        .bearer_auth(&api_token)
        .json(&json!({"identifier": "acme_crm", "display_name": "Acme CRM", "proxy_url": sandbox,
                      "auth_patterns": [{"type": "BEARER"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201, "{}", created.text().await.unwrap_or_default());
    let started = std::time::Instant::now();
    loop {
        let account = dispatch(
            &clients[2],
            Operation::CreateConnectedAccount,
            json!({"connection_name": "acme_crm", "identifier": "crm-user",
                   "authorization_details": {"static_auth": {"details": {"token": "crm-token"}}}}),
        )
        .await;
        if account.is_ok() {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "replica 3 does not know the provider: {account:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    println!("a custom provider created on replica 1 was usable on replica 3 after {:?}", started.elapsed());

    // An MCP session initialized on replica 1 is continued on replicas 2 and 3 and ended on 1.
    dispatch(
        &clients[0],
        Operation::McpCreateConfig,
        json!({"name": "spread", "connection_tool_mappings": [{"connection_name": "gmail", "tools": ["gmail_list_labels"]}]}),
    )
    .await
    .unwrap();
    let instance = dispatch(
        &clients[0],
        Operation::McpEnsureInstance,
        json!({"config_name": "spread", "user_identifier": "rota"}),
    )
    .await
    .unwrap();
    let url_on_1 = instance["instance"]["url"].as_str().unwrap().to_string();
    let path = url_on_1.strip_prefix(&replicas[0].1).unwrap().to_string();
    let rpc = |replica: usize, body: Value, session: Option<String>| {
        let url = format!("{}{path}", replicas[replica].1);
        let http = http.clone();
        async move {
            let mut req = http.post(url).header("accept", "application/json, text/event-stream").json(&body);
            if let Some(id) = session {
                req = req.header("mcp-session-id", id);
            }
            req.send().await.unwrap()
        }
    };
    let opened = rpc(
        0,
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}),
        None,
    )
    .await;
    assert_eq!(opened.status(), 200);
    let session = opened.headers()["mcp-session-id"].to_str().unwrap().to_string();
    let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"});
    for replica in [1, 2] {
        let listed = rpc(replica, list.clone(), Some(session.clone())).await;
        assert_eq!(listed.status(), 200, "the session continues on replica {}", replica + 1);
        let body: Value = listed.json().await.unwrap();
        assert_eq!(body["result"]["tools"][0]["name"], "gmail_list_labels");
    }
    let ended =
        http.delete(format!("{}{path}", replicas[0].1)).header("mcp-session-id", &session).send().await.unwrap();
    assert_eq!(ended.status(), 200);
    assert_eq!(rpc(1, list, Some(session)).await.status(), 404, "ended everywhere");
    drop(replicas);
    let _ = std::fs::remove_dir_all(&dir);
}
