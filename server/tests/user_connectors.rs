//! User-defined connectors: a directory of connector files loaded at start, checked by
//! `agentkit connectors check`, reloaded by `agentkit connectors reload` (SIGHUP) and
//! `POST /api/v1/connectors:reload`, where a malformed file fails loudly and the running catalog
//! stays; and custom providers created at runtime through `/api/v1/custom-providers`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use agentkit_core::dispatch::{dispatch, Operation};
use agentkit_core::{Actions, ClientOptions, ErrorKind, ScalekitClient};
use serde_json::{json, Value};

mod common;

fn connector_file(slug: &str, tool: &str) -> String {
    json!({
        "slug": slug, "display_name": slug, "base_url": "https://unset.invalid",
        "auth": {"type": "API_KEY", "header": "X-Acme-Key", "prefix": ""},
        "tools": [{
            "name": tool, "description": "Echo what the provider received.",
            "annotations": {"read_only_hint": true},
            "input_schema": {"type": "object", "properties": {"q": {"type": "string", "pattern": "^[a-z]+$"}}, "required": ["q"]},
            "request": {"method": "GET", "path": "/sandbox/echo", "query": {"q": "{{q}}"}}
        }]
    })
    .to_string()
}

/// A tool whose request lacks its method: line 6 of the file.
const BROKEN: &str = r#"{
  "slug": "broken", "display_name": "Broken", "base_url": "https://x.invalid",
  "auth": {"type": "API_KEY"},
  "tools": [
    {"name": "broken_call", "description": "", "input_schema": {"type": "object"},
     "request": {"path": "/a"}}
  ]
}"#;

fn agentkit() -> Command {
    Command::new(env!("CARGO_BIN_EXE_agentkit"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn run(actions: &Actions, tool: &str, q: &str) -> agentkit_core::Result<Value> {
    dispatch(actions, Operation::ExecuteTool, json!({"tool_name": tool, "identifier": "u1", "tool_input": {"q": q}}))
        .await
        .map(|r| r["data"].clone())
}

async fn tool_names(actions: &Actions) -> Vec<String> {
    let listed = dispatch(actions, Operation::ListTools, json!({"page_size": 1000})).await.unwrap();
    listed["tool_names"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connector_directory_check_load_and_reload() {
    let (sandbox, _task) = agentkit_sandbox::start("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let root = std::env::temp_dir().join(format!("agentkit-userconn-{}", uuid::Uuid::new_v4().simple()));
    let dir = root.join("connectors");
    std::fs::create_dir_all(&dir).unwrap();
    write(&dir, "acme.json", &connector_file("acme", "acme_echo"));
    // The same connector with tight limits: a small output cap and two calls a minute.
    let mut limited: Value = serde_json::from_str(&connector_file("limited", "limited_echo")).unwrap();
    limited["limits"] =
        json!({"max_output_bytes": 300, "rate_limit": {"requests": 2, "per_seconds": 60, "max_wait_ms": 0}});
    write(&dir, "limited.json", &limited.to_string());
    let port = free_port();
    let config_path = root.join("agentkit.toml");
    std::fs::write(
        &config_path,
        format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\ndata_dir = \"{}\"\nconnectors_dir = \"{}\"\n\
             [egress]\nallow = [\"127.0.0.1\"]\n[[api_clients]]\nclient_id = \"c\"\nclient_secret = \"s\"\n\
             [[connections]]\nname = \"acme\"\nconnector = \"acme\"\nbase_url = \"http://{sandbox}\"\n\
             [[connections]]\nname = \"limited\"\nconnector = \"limited\"\nbase_url = \"http://{sandbox}\"\n",
            root.join("data").display(),
            dir.display()
        ),
    )
    .unwrap();

    // `connectors check` accepts the directory.
    let out = agentkit().args(["connectors", "check"]).arg(&dir).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("ok:"));

    let mut gateway = agentkit().args(["serve", "--config"]).arg(&config_path).stderr(Stdio::null()).spawn().unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if client.get(format!("{url}/healthz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let actions = Actions::new(ScalekitClient::new(&url, "c", "s", ClientOptions::default()).unwrap());
    dispatch(
        &actions,
        Operation::CreateConnectedAccount,
        json!({"connection_name": "acme", "identifier": "u1",
               "authorization_details": {"static_auth": {"details": {"api_key": "k-123"}}}}),
    )
    .await
    .unwrap();
    let echoed = run(&actions, "acme_echo", "hello").await.unwrap();
    assert_eq!(echoed["headers"]["x-acme-key"], "k-123", "the key in the declared header");
    assert_eq!(echoed["query"], "q=hello");
    // The schema's every keyword holds before any provider call: `pattern` too.
    let refused = run(&actions, "acme_echo", "Hello!").await.unwrap_err();
    assert_eq!(
        (refused.kind(), refused.field()),
        (ErrorKind::InvalidInput, Some("tool_input.q")),
        "{}",
        refused.message()
    );

    // Limits: the answer is cut to the cap and says so; the third call in a minute is refused.
    dispatch(
        &actions,
        Operation::CreateConnectedAccount,
        json!({"connection_name": "limited", "identifier": "u1",
               "authorization_details": {"static_auth": {"details": {"api_key": "k-456"}}}}),
    )
    .await
    .unwrap();
    let long_query = "x".repeat(2000);
    let cut = run(&actions, "limited_echo", &long_query).await.unwrap();
    assert!(cut.to_string().len() <= 300, "{}", cut.to_string().len());
    assert!(cut["_truncated"]["original_bytes"].as_u64().unwrap() > 2000, "{cut}");
    run(&actions, "limited_echo", "second").await.unwrap();
    let refused = run(&actions, "limited_echo", "third").await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::RateLimited, "{}", refused.message());
    assert!(refused.retry_after_secs().is_some_and(|s| s > 0 && s <= 30));

    // A new file, then `connectors reload`: the new tool appears without a restart.
    write(&dir, "acme_more.json", &connector_file("acme_more", "acme_more_echo"));
    let out = agentkit().args(["connectors", "reload", "--config"]).arg(&config_path).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut names = Vec::new();
    for _ in 0..100 {
        names = tool_names(&actions).await;
        if names.iter().any(|n| n == "acme_more_echo") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(names.iter().any(|n| n == "acme_more_echo"), "{names:?}");

    // A malformed file: check names file, line and field; reload refuses it, nothing is lost.
    write(&dir, "zz_broken.json", BROKEN);
    let out = agentkit().args(["connectors", "check"]).arg(&dir).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("zz_broken.json:6:"), "{stderr}");
    assert!(stderr.contains("tools[0].request: missing field `method`"), "{stderr}");
    let token = common::api_token(&url, "c", "s").await;
    let reload = client.post(format!("{url}/api/v1/connectors:reload")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(reload.status(), 400);
    assert!(reload.text().await.unwrap().contains("zz_broken.json:6:"));
    assert!(tool_names(&actions).await.iter().any(|n| n == "acme_more_echo"), "the running catalog stays");
    assert_eq!(run(&actions, "acme_echo", "still").await.unwrap()["query"], "q=still");

    // A gateway started on the broken directory refuses to start, naming the file.
    let other = root.join("other.toml");
    let text = std::fs::read_to_string(&config_path).unwrap().replace(&port.to_string(), &free_port().to_string());
    std::fs::write(&other, text.replace("data\"", "data2\"")).unwrap();
    let out = agentkit().args(["serve", "--config"]).arg(&other).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("zz_broken.json:6:"));

    let _ = gateway.kill();
    let _ = gateway.wait();
    let _ = std::fs::remove_dir_all(root);
}

/// `connectors check` reports every mistake of every file at once — the ones that used to pass
/// (a misspelled placeholder sent `POST /tasks//close`) included — and a file with mistakes does not
/// hide the next file's.
#[test]
fn connectors_check_reports_every_mistake_at_once() {
    let dir = std::env::temp_dir().join(format!("agentkit-check-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let careless = json!({
        "slug": "careless", "display_name": "Careless", "base_url": "http://api.careless.example",
        "auth": {"type": "API_KEY", "header": "X-Key", "prefix": ""},
        "tools": [{
            "name": "careless_close_task", "description": "Close a task.",
            "annotations": {"readOnlyHint": false, "destructive_hint": "yes"},
            "input_schema": {"type": "object", "properties": {"task_id": {"type": "string"},
                             "note": {"type": "string", "pattern": "(?<=x)y"}},
                             "required": ["taskId"],
                             "oneOf": [{"required": ["task_id"]}]},
            "request": {"method": "POST", "path": "/tasks/{{taskid}}/close", "body": {"note": "{{notes}}"}}
        }, {
            "name": "careless close", "description": "", "input_schema": {"type": "object"},
            "request": {"method": "GET", "path": "/x"}
        }]
    });
    write(&dir, "a_careless.json", &careless.to_string());
    write(&dir, "b_sound.json", &connector_file("sound", "sound_echo"));
    write(&dir, "c_other.json", &connector_file("other", "sound_echo"));
    let out = agentkit().args(["connectors", "check"]).arg(&dir).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "a_careless.json: error: base_url \"http://api.careless.example\" must use https",
        "a_careless.json: error: tools[0] (\"careless_close_task\").annotations: unknown key \"readOnlyHint\"",
        "a_careless.json: error: tools[0] (\"careless_close_task\").annotations.destructive_hint must be true or false",
        "a_careless.json: error: tools[0] (\"careless_close_task\").input_schema.required: \"taskId\" is not one of the properties",
        "a_careless.json: error: tools[0] (\"careless_close_task\").input_schema is not a valid JSON Schema",
        "a_careless.json: error: tools[0] (\"careless_close_task\").request.path: placeholder {{taskid}} names no input property",
        "a_careless.json: error: tools[0] (\"careless_close_task\").request.body.note: placeholder {{notes}} names no input property",
        "a_careless.json: error: tools[1] (\"careless close\").name must be 1 to 64 characters",
        "a_careless.json: warning: tools[0] (\"careless_close_task\").input_schema: keyword \"oneOf\" is not carried by every tool format",
        // The sound file is loaded; the next one is checked against it.
        "c_other.json: error: tools[0] (\"sound_echo\"): tool \"sound_echo\" is defined twice",
    ] {
        assert!(stderr.contains(expected), "missing {expected:?} in:\n{stderr}");
    }
    assert!(stderr.contains("9 error(s)"), "{stderr}");
    assert!(!stderr.contains("b_sound.json"), "{stderr}");
    let _ = std::fs::remove_dir_all(dir);
}

/// `connectors try --dry-run` prints the exact request a tool sends for an input — path and query
/// filled and encoded, headers, JSON body — with the credential as a placeholder; a bad input is the
/// same 400-style error the gateway gives. Without `--dry-run` it runs the tool through a gateway
/// as a connected account.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connectors_try_shows_the_request_and_runs_it_as_an_account() {
    let dir = std::env::temp_dir().join(format!("agentkit-try-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let tasks = json!({
        "slug": "tasks", "display_name": "Tasks", "base_url": "https://api.tasks.example/v2",
        "auth": {"type": "API_KEY", "header": "X-Tasks-Key", "prefix": ""},
        "tools": [{
            "name": "tasks_close", "description": "Close a task.",
            "input_schema": {"type": "object", "required": ["task_id"], "properties": {
                "task_id": {"type": "string", "pattern": "^[A-Za-z0-9 /-]+$"},
                "labels": {"type": "array", "items": {"type": "string"}},
                "note": {"type": "string"}, "trace": {"type": "string"}}},
            "request": {"method": "POST", "path": "/tasks/{{task_id}}/close", "query": {"label": "{{labels}}"},
                        "headers": {"X-Trace": "{{trace}}"}, "body": {"note": "{{note}}"}}
        }]
    });
    write(&dir, "tasks.json", &tasks.to_string());
    let input = json!({"task_id": "a/b 1", "labels": ["x", "y z"], "note": "done"}).to_string();
    let out = agentkit()
        .args(["connectors", "try", "tasks", "close", "--dry-run", "--input", &input, "--connectors-dir"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let shown = String::from_utf8_lossy(&out.stdout);
    let expected = "POST https://api.tasks.example/v2/tasks/a%2Fb%201/close?label=x&label=y+z\n\
                    X-Tasks-Key: <the connected account's credential>\n\
                    accept: application/json\n\
                    content-type: application/json\n\n\
                    {\n  \"note\": \"done\"\n}\n";
    assert_eq!(shown, expected, "the absent optional header is left out");
    let bad = json!({"task_id": "no;way"}).to_string();
    let out = agentkit()
        .args(["connectors", "try", "tasks", "tasks_close", "--dry-run", "--input", &bad, "--connectors-dir"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("tool_input.task_id"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Through `agentkit dev`, as a connected account.
    let gateway = common::Gateway::start();
    gateway.active_account("try-user").await;
    let out = agentkit()
        .args(["connectors", "try", "gmail", "list_labels", "--identifier", "try-user"])
        .envs(gateway.env.iter().filter(|(k, _)| k.starts_with("SCALEKIT_")))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(answer["data"]["labels"].as_array().is_some_and(|l| !l.is_empty()), "{answer}");
    let out = agentkit().args(["connectors", "try", "gmail", "list_labels"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--identifier"));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_providers_are_connectors_made_at_runtime() {
    let (sandbox, _task) = agentkit_sandbox::start("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let data_dir = std::env::temp_dir().join(format!("agentkit-custprov-{}", uuid::Uuid::new_v4().simple()));
    let config = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\ndata_dir = \"{}\"\n[egress]\nallow = [\"127.0.0.1\"]\n[[api_clients]]\nclient_id = \"c\"\nclient_secret = \"s\"\n",
        data_dir.display()
    );
    let server = agentkit_server::start(agentkit_server::Config::parse(&config, "t.toml").unwrap()).await.unwrap();
    let actions = Actions::new(ScalekitClient::new(&server.public_url, "c", "s", ClientOptions::default()).unwrap());
    let op = |name: &str| name.parse::<Operation>().unwrap();

    let provider = json!({
        "display_name": "Weather Hub", "description": "Forecasts",
        "proxy_url": format!("http://{sandbox}"),
        "auth_patterns": [{"type": "BEARER", "display_name": "Token",
                           "fields": [{"field_name": "token", "label": "Token", "input_type": "password", "required": true}]}],
        "tools": [{"name": "weather_hub_echo", "description": "Echo", "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}},
                   "request": {"method": "GET", "path": "/sandbox/echo", "query": {"q": "{{q}}"}}}]
    });
    let created =
        dispatch(&actions, op("providers.create_custom_provider"), json!({"request": provider})).await.unwrap();
    assert_eq!(created["provider"]["identifier"], "weather_hub");
    assert_eq!(created["provider"]["is_custom"], true);
    assert!(created["provider"]["id"].as_str().unwrap().starts_with("prov_"));
    let again = dispatch(&actions, op("providers.create_custom_provider"), provider.clone()).await.unwrap_err();
    assert_eq!(again.kind(), ErrorKind::Conflict);

    // Bad input names the field and stores nothing.
    let bad = dispatch(
        &actions,
        op("providers.create_custom_provider"),
        json!({"display_name": "X", "proxy_url": "ftp://x",
                       "auth_patterns": [{"type": "BEARER"}]}),
    )
    .await
    .unwrap_err();
    assert_eq!((bad.kind(), bad.field()), (ErrorKind::InvalidInput, Some("proxy_url")), "{}", bad.message());
    let bad = dispatch(
        &actions,
        op("providers.create_custom_provider"),
        json!({"display_name": "Y", "proxy_url": "https://y.test",
                       "auth_patterns": [{"type": "BEARER"}], "tools": [{"name": "y_a"}]}),
    )
    .await
    .unwrap_err();
    assert!(bad.message().contains("tools[0]"), "{}", bad.message());
    // A tool name the catalog already has, an identifier a connector already uses: refused, nothing stored.
    let clash = dispatch(
        &actions,
        op("providers.create_custom_provider"),
        json!({"display_name": "Clash", "proxy_url": "https://c.test",
                         "auth_patterns": [{"type": "BEARER"}],
                         "tools": [{"name": "gmail_fetch_mails", "description": "", "input_schema": {"type": "object"},
                                    "request": {"method": "GET", "path": "/"}}]}),
    )
    .await
    .unwrap_err();
    assert!(clash.message().contains("\"gmail_fetch_mails\" is defined twice"), "{}", clash.message());
    let taken = dispatch(
        &actions,
        op("providers.create_custom_provider"),
        json!({"display_name": "Gmail", "proxy_url": "https://g.test",
                         "auth_patterns": [{"type": "BEARER"}]}),
    )
    .await
    .unwrap_err();
    assert_eq!(taken.kind(), ErrorKind::Conflict);
    let custom = dispatch(&actions, op("providers.list_providers"), json!({"provider_type": "CUSTOM"})).await.unwrap();
    assert_eq!(custom["total_size"], 1);
    let all = dispatch(&actions, op("providers.list_providers"), json!({"page_size": 100})).await.unwrap();
    let ids: Vec<&str> =
        all["providers"].as_array().unwrap().iter().map(|p| p["identifier"].as_str().unwrap()).collect();
    assert!(ids.contains(&"gmail") && ids.contains(&"weather_hub"), "{ids:?}");

    // Its connection works at once: an account, a tool call and a proxied request, token injected.
    dispatch(
        &actions,
        Operation::CreateConnectedAccount,
        json!({"connection_name": "weather_hub", "identifier": "u1",
               "authorization_details": {"static_auth": {"details": {"token": "wh-secret"}}}}),
    )
    .await
    .unwrap();
    let echoed = run(&actions, "weather_hub_echo", "oslo").await.unwrap();
    assert_eq!(echoed["headers"]["authorization"], "Bearer wh-secret");
    let proxied = actions
        .request(agentkit_core::actions::ProxyRequest {
            connection_name: "weather_hub".into(),
            identifier: "u1".into(),
            path: "/sandbox/echo".into(),
            method: "GET".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(String::from_utf8_lossy(&proxied.body).contains("Bearer wh-secret"));

    // Update keeps what is not given; delete refuses while accounts exist, then removes the tools.
    let updated = dispatch(
        &actions,
        op("providers.update_custom_provider"),
        json!({"identifier": "weather_hub", "description": "Forecasts v2"}),
    )
    .await
    .unwrap();
    assert_eq!(updated["provider"]["description"], "Forecasts v2");
    assert_eq!(updated["provider"]["display_name"], "Weather Hub");
    let refused = dispatch(&actions, op("providers.delete_custom_provider"), json!({"identifier": "weather_hub"}))
        .await
        .unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Conflict);
    dispatch(
        &actions,
        Operation::DeleteConnectedAccount,
        json!({"connection_name": "weather_hub", "identifier": "u1"}),
    )
    .await
    .unwrap();
    dispatch(&actions, op("providers.delete_custom_provider"), json!({"identifier": "weather_hub"})).await.unwrap();
    let gone = run(&actions, "weather_hub_echo", "x").await.unwrap_err();
    assert_eq!(gone.kind(), ErrorKind::NotFound);

    // Custom providers survive a restart (they live in the database).
    dispatch(&actions, op("providers.create_custom_provider"), provider).await.unwrap();
    server.task.abort();
    let server = agentkit_server::start(agentkit_server::Config::parse(&config, "t.toml").unwrap()).await.unwrap();
    let actions = Actions::new(ScalekitClient::new(&server.public_url, "c", "s", ClientOptions::default()).unwrap());
    assert!(tool_names(&actions).await.iter().any(|n| n == "weather_hub_echo"));
    server.task.abort();
    let _ = std::fs::remove_dir_all(data_dir);
}
