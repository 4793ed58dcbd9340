//! Runs every shared scenario of `tests/fixtures/scenarios` through the Rust core client against a
//! real `agentkit dev` process (the same files pytest and `node --test` run): with its store on
//! SQLite, and again on a PostgreSQL cluster this test starts.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{json, Value};

use agentkit_core::dispatch::{dispatch, proxy_request, Operation};
use agentkit_core::{Actions, ClientOptions, ModifierKind, ScalekitClient, ToolModifier};

mod common;
use common::Gateway;

fn substitute(value: &Value, vars: &serde_json::Map<String, Value>) -> Value {
    match value {
        Value::String(s) => {
            let mut out = s.clone();
            for (name, v) in vars {
                let token = format!("{{{{{name}}}}}");
                if *s == token {
                    return v.clone();
                }
                let text = match v {
                    Value::String(t) => t.clone(),
                    other => other.to_string(),
                };
                out = out.replace(&token, &text);
            }
            Value::String(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| substitute(v, vars)).collect()),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), substitute(v, vars))).collect()),
        other => other.clone(),
    }
}

fn dig<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(value, |cur, part| match part.parse::<usize>() {
        Ok(i) if cur.is_array() => cur.get(i),
        _ => cur.get(part),
    })
}

fn present(v: Option<&Value>) -> bool {
    !matches!(v, None | Some(Value::Null)) && v != Some(&json!("")) && v != Some(&json!({}))
}

fn check(result: &Value, expectation: &Value, where_: &str) {
    let path = expectation["path"].as_str().expect("path");
    let value = dig(result, path);
    let label = format!("{where_}: {path}");
    if expectation.get("absent").is_some() {
        assert!(!present(value), "{label} should be absent, got {value:?}");
        return;
    }
    let value = value.unwrap_or_else(|| panic!("{label} is missing in {result}"));
    if expectation.get("exists").is_some() {
        assert!(present(Some(value)), "{label} should be set");
    }
    if let Some(expected) = expectation.get("equals") {
        let same = match (value.as_f64(), expected.as_f64()) {
            (Some(a), Some(b)) => a == b,
            _ => value == expected,
        };
        assert!(same, "{label}: {value} != {expected}");
    }
    if let Some(n) = expectation.get("length").and_then(Value::as_u64) {
        let len = value.as_array().map(Vec::len).or_else(|| value.as_str().map(str::len)).expect("array or string");
        assert_eq!(len as u64, n, "{label}: length");
    }
    if let Some(needle) = expectation.get("contains") {
        let ok = match value {
            Value::Array(items) => items.contains(needle),
            Value::String(s) => s.contains(needle.as_str().unwrap_or_default()),
            _ => false,
        };
        assert!(ok, "{label}: {value} lacks {needle}");
    }
    for key in expectation.as_object().unwrap().keys() {
        assert!(
            ["path", "absent", "exists", "equals", "length", "contains"].contains(&key.as_str()),
            "{label}: unknown expectation {key}"
        );
    }
}

/// The scenario modifiers: `set` merges keys, `append` pushes onto a list.
struct ScenarioModifier {
    set: Option<Value>,
    append: Option<Value>,
}

#[async_trait]
impl ToolModifier for ScenarioModifier {
    async fn apply(&self, _tool: &str, mut data: Value) -> agentkit_core::Result<Value> {
        if let (Some(Value::Object(set)), Some(obj)) = (&self.set, data.as_object_mut()) {
            for (k, v) in set {
                obj.insert(k.clone(), v.clone());
            }
        }
        if let Some(append) = &self.append {
            let key = append["key"].as_str().unwrap().to_string();
            let list = data.as_object_mut().unwrap().entry(key).or_insert_with(|| json!([]));
            list.as_array_mut().unwrap().push(append["value"].clone());
        }
        Ok(data)
    }
}

/// GET following redirects like a browser; stops before a redirect to host `stop_at`.
async fn browser_open(url: &str, stop_at: &str) -> Value {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut url = url::Url::parse(url).unwrap();
    for _ in 0..10 {
        let resp = client.get(url.clone()).send().await.unwrap();
        let status = resp.status().as_u16();
        let location = resp.headers().get("location").and_then(|v| v.to_str().ok()).map(String::from);
        match location {
            Some(loc) if resp.status().is_redirection() => {
                let next = url.join(&loc).unwrap();
                if !stop_at.is_empty() && next.host_str() == Some(stop_at) {
                    let query: serde_json::Map<String, Value> =
                        next.query_pairs().map(|(k, v)| (k.into_owned(), json!(v))).collect();
                    return json!({"status": status, "text": resp.text().await.unwrap(), "location": next.as_str(), "query": query});
                }
                url = next;
            }
            _ => return json!({"status": status, "text": resp.text().await.unwrap(), "location": "", "query": {}}),
        }
    }
    panic!("too many redirects")
}

struct Runner {
    env: std::collections::HashMap<String, String>,
    actions: Actions,
}

impl Runner {
    fn client(&self, secret: &str) -> ScalekitClient {
        ScalekitClient::new(
            &self.env["SCALEKIT_ENV_URL"],
            &self.env["SCALEKIT_CLIENT_ID"],
            secret,
            ClientOptions::default(),
        )
        .unwrap()
    }

    async fn run(&self, op: &str, params: Value) -> agentkit_core::Result<Value> {
        match op {
            "sandbox.token" => {
                let resp = reqwest::Client::new()
                    .post(format!("{}/sandbox/tokens", self.env["AGENTKIT_SANDBOX_URL"]))
                    .json(&params)
                    .send()
                    .await?;
                Ok(resp.json().await?)
            }
            "sandbox.service_account" => {
                let resp = reqwest::Client::new()
                    .post(format!("{}/sandbox/service_accounts", self.env["AGENTKIT_SANDBOX_URL"]))
                    .json(&params)
                    .send()
                    .await?;
                Ok(json!({"key": resp.json::<Value>().await?}))
            }
            "browser.open" => Ok(browser_open(
                params["url"].as_str().unwrap(),
                params.get("stop_at").and_then(Value::as_str).unwrap_or(""),
            )
            .await),
            "client.bad_credentials" => self.client("wrong-secret").authenticate().await.map(|_| Value::Null),
            "modifier.add" => {
                let kind: ModifierKind = params["type"].as_str().unwrap().parse()?;
                let names = serde_json::from_value(params["tool_names"].clone()).unwrap();
                let modifier =
                    ScenarioModifier { set: params.get("set").cloned(), append: params.get("append").cloned() };
                self.actions.modifiers().add(kind, names, Arc::new(modifier));
                Ok(Value::Null)
            }
            "actions.request" => {
                let raw = proxy_request(&self.actions, params, None).await?;
                let data: Value = serde_json::from_slice(&raw.body).unwrap_or(Value::Null);
                Ok(json!({"status": raw.status, "data": data}))
            }
            "tools.execute_tool" => dispatch(&self.actions, Operation::ExecuteToolUnmodified, params).await,
            other => {
                let (_, method) = other.split_once('.').expect("target.method");
                let op: Operation =
                    other.parse().or_else(|_| method.parse()).unwrap_or_else(|_| panic!("unknown op {other}"));
                dispatch(&self.actions, op, params).await
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_scenarios_on_sqlite() {
    run_shared_scenarios(&Gateway::start()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_scenarios_on_postgres() {
    let cluster = common::postgres::Cluster::start();
    let url = cluster.database("agentkit_scenarios");
    let gateway = Gateway::start_on(Some(&url));
    run_shared_scenarios(&gateway).await;
    // The gateway's rows are in PostgreSQL (and its data dir holds no SQLite database).
    let db = sqlx::PgPool::connect(&url).await.unwrap();
    let accounts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM connected_accounts").fetch_one(&db).await.unwrap();
    assert!(accounts > 0, "accounts stored in PostgreSQL");
    assert!(!gateway.data_dir.join("agentkit.db").exists());
}

async fn run_shared_scenarios(gateway: &Gateway) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 7, "scenario files found in {}", dir.display());
    for file in files {
        let scenario: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let name = scenario["name"].as_str().unwrap();
        let runner = Runner {
            actions: Actions::new(
                ScalekitClient::new(
                    &gateway.env["SCALEKIT_ENV_URL"],
                    &gateway.env["SCALEKIT_CLIENT_ID"],
                    &gateway.env["SCALEKIT_CLIENT_SECRET"],
                    ClientOptions::default(),
                )
                .unwrap(),
            ),
            env: gateway.env.clone(),
        };
        let mut vars = serde_json::Map::new();
        vars.insert("user".into(), json!(format!("rs-{name}-{}", &uuid::Uuid::new_v4().simple().to_string()[..8])));
        for (index, raw_step) in scenario["steps"].as_array().unwrap().iter().enumerate() {
            let step = substitute(raw_step, &vars);
            let op = step["op"].as_str().unwrap();
            let where_ = format!("{name} step {} ({op})", index + 1);
            let params = step.get("params").cloned().unwrap_or_else(|| json!({}));
            let outcome = runner.run(op, params).await;
            if let Some(expected) = step.get("error") {
                let err = outcome.err().unwrap_or_else(|| panic!("{where_}: expected {expected}"));
                assert_eq!(err.sdk_class_name(), expected["class"].as_str().unwrap(), "{where_}: {}", err.message());
                if let Some(status) = expected.get("status") {
                    assert_eq!(err.status() as u64, status.as_u64().unwrap(), "{where_}: status");
                }
                if let Some(field) = expected.get("field") {
                    assert_eq!(err.field(), field.as_str(), "{where_}: field ({})", err.message());
                }
                if let Some(text) = expected.get("message_contains").and_then(Value::as_str) {
                    assert!(err.message().contains(text), "{where_}: message {:?}", err.message());
                }
                continue;
            }
            let result = outcome.unwrap_or_else(|e| panic!("{where_}: {} ({:?})", e.message(), e.kind()));
            for expectation in step.get("expect").and_then(Value::as_array).into_iter().flatten() {
                check(&result, expectation, &where_);
            }
            for (var, source) in step.get("save").and_then(Value::as_object).into_iter().flatten() {
                let value =
                    dig(&result, source.as_str().unwrap()).unwrap_or_else(|| panic!("{where_}: cannot save {source}"));
                vars.insert(var.clone(), value.clone());
            }
        }
        eprintln!("scenario {name}: ok");
    }
}
