//! The Snowflake connector against a local stand-in of Snowflake's SQL API v2 (an axum server in
//! this process). The stand-in checks what Snowflake checks of a key-pair JWT — the signature with
//! the user's public key, `iss` = `ACCOUNT.USER.SHA256:<fingerprint>`, `sub` = `ACCOUNT.USER`, at
//! most an hour of lifetime, the `KEYPAIR_JWT` token type — and answers like Snowflake: 202 while
//! a statement runs, then its result in two partitions. Keys and fingerprints come from openssl,
//! with the commands docs/connectors.md gives.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::sync::{Arc, Mutex};

use agentkit_core::dispatch::{dispatch, Operation};
use agentkit_core::{Actions, ClientOptions, ScalekitClient};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

/// A key pair made by openssl: the PKCS#8 PEM private key, Snowflake's fingerprint of the public
/// key, and the public key as PKCS#1 DER (what the signature check takes).
struct OpensslKey {
    pem: String,
    fingerprint: String,
    public_pkcs1: Vec<u8>,
}

fn openssl_key(dir: &std::path::Path, name: &str) -> OpensslKey {
    let sh = |script: String| {
        let out = std::process::Command::new("sh").arg("-c").arg(&script).current_dir(dir).output().unwrap();
        assert!(out.status.success(), "{script}: {}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    sh(format!("openssl genrsa 2048 2>/dev/null | openssl pkcs8 -topk8 -inform PEM -out {name}.p8 -nocrypt"));
    sh(format!("openssl rsa -in {name}.p8 -pubout -out {name}.pub 2>/dev/null"));
    let fingerprint = sh(format!(
        "openssl rsa -pubin -in {name}.pub -outform DER 2>/dev/null | openssl dgst -sha256 -binary | openssl enc -base64"
    ));
    sh(format!("openssl rsa -pubin -in {name}.pub -RSAPublicKey_out -outform DER -out {name}.der 2>/dev/null"));
    OpensslKey {
        pem: std::fs::read_to_string(dir.join(format!("{name}.p8"))).unwrap(),
        fingerprint: format!("SHA256:{}", String::from_utf8(fingerprint).unwrap().trim()),
        public_pkcs1: std::fs::read(dir.join(format!("{name}.der"))).unwrap(),
    }
}

/// What the stand-in knows (the user's registered public key) and saw.
struct StandIn {
    public_pkcs1: Vec<u8>,
    fingerprint: String,
    /// Every statement request: its Authorization header and body.
    statements: Mutex<Vec<(String, Value)>>,
    /// Status polls of the async statement so far.
    polls: Mutex<u32>,
    /// Partition requests (`?partition=N`).
    partitions: Mutex<Vec<String>>,
}

type Shared = Arc<StandIn>;

fn snowflake_error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({"code": code, "message": message}))).into_response()
}

/// Snowflake's checks of a key-pair JWT; the 401 it gives otherwise.
fn check_jwt(state: &StandIn, headers: &HeaderMap) -> Result<String, Box<Response>> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    if header("x-snowflake-authorization-token-type") != "KEYPAIR_JWT" {
        return Err(Box::new(snowflake_error(StatusCode::UNAUTHORIZED, "390101", "token type header missing")));
    }
    let authorization = header("authorization");
    let token = authorization.strip_prefix("Bearer ").unwrap_or_default();
    let invalid = || Box::new(snowflake_error(StatusCode::UNAUTHORIZED, "390144", "JWT token is invalid."));
    let claims = agentkit_sandbox::verify_assertion(token, &state.public_pkcs1).ok_or_else(invalid)?;
    let (iat, exp) = (claims["iat"].as_i64().unwrap_or(0), claims["exp"].as_i64().unwrap_or(0));
    let now = chrono::Utc::now().timestamp();
    let valid = claims["iss"] == format!("XY12345.ALICE.{}", state.fingerprint)
        && claims["sub"] == "XY12345.ALICE"
        && exp > now
        && iat <= now
        && exp - iat <= 3600;
    if !valid {
        return Err(invalid());
    }
    Ok(authorization)
}

const ORDERS_HANDLE: &str = "01b8-0000-orders";

fn orders_metadata() -> Value {
    json!({
        "numRows": 3, "format": "jsonv2",
        "rowType": [{"name": "ID", "type": "fixed", "scale": 0}, {"name": "STATUS", "type": "text"},
                    {"name": "AMOUNT", "type": "fixed", "scale": 2}],
        "partitionInfo": [{"rowCount": 2, "uncompressedSize": 64}, {"rowCount": 1, "uncompressedSize": 32}]
    })
}

async fn submit(State(state): State<Shared>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let authorization = match check_jwt(&state, &headers) {
        Ok(a) => a,
        Err(refused) => return *refused,
    };
    if headers.get("user-agent").is_none() || body["parameters"]["MULTI_STATEMENT_COUNT"] != "1" {
        return snowflake_error(StatusCode::BAD_REQUEST, "391900", "one statement per request");
    }
    state.statements.lock().unwrap().push((authorization, body.clone()));
    let statement = body["statement"].as_str().unwrap_or_default();
    if statement.contains("FROM orders") {
        let expected = json!({"1": {"type": "TEXT", "value": "shipped"}, "2": {"type": "FIXED", "value": "10"}});
        if body["bindings"] != expected {
            return snowflake_error(StatusCode::UNPROCESSABLE_ENTITY, "002049", "bind variables do not match");
        }
        return (
            StatusCode::ACCEPTED,
            Json(json!({"code": "333334", "message": "Asynchronous execution in progress.",
                        "statementHandle": ORDERS_HANDLE,
                        "statementStatusUrl": format!("/api/v2/statements/{ORDERS_HANDLE}")})),
        )
            .into_response();
    }
    if statement.contains("nope") {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"code": "002003", "sqlState": "42S02", "statementHandle": "01b8-fail",
                        "message": "SQL compilation error: Object 'NOPE' does not exist or not authorized."})),
        )
            .into_response();
    }
    // A write: Snowflake's DML answer.
    Json(json!({
        "statementHandle": "01b8-0000-write",
        "resultSetMetaData": {"numRows": 1, "format": "jsonv2", "rowType": [{"name": "number of rows inserted", "type": "fixed", "scale": 0}],
                              "partitionInfo": [{"rowCount": 1, "uncompressedSize": 8}]},
        "data": [["1"]],
        "stats": {"numRowsInserted": 1}
    }))
    .into_response()
}

async fn status(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(handle): Path<String>,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Response {
    if let Err(refused) = check_jwt(&state, &headers) {
        return *refused;
    }
    if handle != ORDERS_HANDLE {
        return snowflake_error(StatusCode::NOT_FOUND, "333333", "no such statement");
    }
    if let Some(partition) = query.get("partition") {
        state.partitions.lock().unwrap().push(partition.clone());
        return Json(json!({"data": [["3", "shipped", "10.01"]]})).into_response();
    }
    let polls = {
        let mut polls = state.polls.lock().unwrap();
        *polls += 1;
        *polls
    };
    if polls < 2 {
        return (StatusCode::ACCEPTED, Json(json!({"code": "333334", "statementHandle": ORDERS_HANDLE})))
            .into_response();
    }
    Json(json!({
        "statementHandle": ORDERS_HANDLE, "code": "090001", "message": "Statement executed successfully.",
        "resultSetMetaData": orders_metadata(),
        "data": [["1", "shipped", "12.50"], ["2", "shipped", "99.00"]]
    }))
    .into_response()
}

async fn start_stand_in(key: &OpensslKey) -> (String, Shared) {
    let state = Arc::new(StandIn {
        public_pkcs1: key.public_pkcs1.clone(),
        fingerprint: key.fingerprint.clone(),
        statements: Mutex::default(),
        polls: Mutex::default(),
        partitions: Mutex::default(),
    });
    let app = Router::new()
        .route("/api/v2/statements", post(submit))
        .route("/api/v2/statements/{handle}", get(status))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), state)
}

#[tokio::test]
async fn snowflake_key_pair_queries_poll_and_read_partitions() {
    let dir = std::env::temp_dir().join(format!("agentkit-snowflake-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let key = openssl_key(&dir, "alice");
    let stranger = openssl_key(&dir, "stranger");
    let (stand_in, seen) = start_stand_in(&key).await;
    let text = format!(
        r#"
[server]
listen = "127.0.0.1:0"
data_dir = "{}"
[egress]
# the stand-in listens on loopback
allow = ["127.0.0.1"]
[[api_clients]]
client_id = "c"
client_secret = "s"
[[connections]]
name = "snowflake"
connector = "snowflake"
base_url = "{stand_in}"
[[connections]]
name = "snowflake_rw"
connector = "snowflake"
base_url = "{stand_in}"
allow_writes = true
"#,
        dir.join("data").display()
    );
    let server = agentkit_server::start(agentkit_server::Config::parse(&text, "test.toml").unwrap()).await.unwrap();
    let actions = Actions::new(ScalekitClient::new(&server.public_url, "c", "s", ClientOptions::default()).unwrap());
    let details = |pem: &str| json!({"account": "xy12345.eu-west-1", "username": "alice", "private_key": pem});
    let create = |connection: &str, user: &str, details: Value| {
        dispatch(
            &actions,
            Operation::CreateConnectedAccount,
            json!({"connection_name": connection, "identifier": user,
                   "authorization_details": {"static_auth": {"details": details}}}),
        )
    };
    let run = |tool: &str, connection: &str, user: &str, input: Value| {
        dispatch(
            &actions,
            Operation::ExecuteTool,
            json!({"tool_name": tool, "connection_name": connection, "identifier": user, "tool_input": input}),
        )
    };
    let key_body: String = key.pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let key_part = &key_body[40..80];

    // A malformed key is refused when the account is created, naming the field, never quoting it.
    for bad in [
        "not a key".to_string(),
        key.pem.replace("PRIVATE KEY", "RSA PRIVATE KEY"),
        format!("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n", &key_body[..400]),
    ] {
        let err = create("snowflake", "mallory", details(&bad)).await.unwrap_err();
        assert_eq!(err.status(), 400, "{}", err.message());
        assert_eq!(err.field(), Some("authorization_details.static_auth.details.private_key"), "{}", err.message());
        assert!(err.message().contains("private_key"), "{}", err.message());
        assert!(!err.message().contains(key_part), "the key is never quoted");
    }
    let err = create("snowflake", "mallory", json!({"account": "xy12345", "private_key": key.pem})).await.unwrap_err();
    assert_eq!(err.field(), Some("authorization_details.static_auth.details.username"), "{}", err.message());

    // A good key: the account is KEY_PAIR and ACTIVE, and no answer carries the key.
    let created = create("snowflake", "alice", details(&key.pem)).await.unwrap();
    assert_eq!(created["connected_account"]["authorization_type"], "KEY_PAIR");
    assert_eq!(created["connected_account"]["status"], "ACTIVE");
    let got = dispatch(
        &actions,
        Operation::GetConnectedAccount,
        json!({"connection_name": "snowflake", "identifier": "alice"}),
    )
    .await
    .unwrap();
    let listed =
        dispatch(&actions, Operation::ListConnectedAccounts, json!({"connection_name": "snowflake"})).await.unwrap();
    for answer in [&created, &got, &listed] {
        assert!(!answer.to_string().contains(key_part), "the key is in an account answer: {answer}");
    }

    // A query with bound parameters: 202, polled to 200, two partitions.
    let sql = "SELECT id, status, amount FROM orders WHERE status = ? AND amount > ?";
    let answer =
        run("snowflake_run_query", "snowflake", "alice", json!({"sql": sql, "params": ["shipped", 10]})).await.unwrap();
    let data = &answer["data"];
    assert_eq!(data["row_count"], 3, "{data}");
    assert_eq!(data["rows"], json!([[1, "shipped", "12.50"], [2, "shipped", "99.00"], [3, "shipped", "10.01"]]));
    assert_eq!(data["columns"][0], json!({"name": "ID", "type": "fixed"}));
    assert_eq!(data["truncated"], false);
    assert_eq!(*seen.polls.lock().unwrap(), 2, "polled while Snowflake answered 202");
    assert_eq!(*seen.partitions.lock().unwrap(), ["1"]);
    {
        let statements = seen.statements.lock().unwrap();
        let (_, body) = &statements[0];
        assert_eq!(body["statement"], sql, "the SQL as given: values are bound, never written in");
        assert_eq!(body["parameters"]["ROWS_PER_RESULTSET"], "501");
        assert_eq!(body["timeout"], 15);
    }

    // The row cap: two rows asked, the second partition is not fetched.
    *seen.polls.lock().unwrap() = 1;
    let capped = run(
        "snowflake_run_query",
        "snowflake",
        "alice",
        json!({"sql": sql, "params": ["shipped", 10], "max_rows": 2, "warehouse": "ANALYTICS_WH"}),
    )
    .await
    .unwrap();
    assert_eq!((capped["data"]["row_count"].clone(), capped["data"]["truncated"].clone()), (json!(2), json!(true)));
    assert_eq!(seen.partitions.lock().unwrap().len(), 1, "no partition beyond the cap");
    {
        let statements = seen.statements.lock().unwrap();
        assert_eq!(statements[1].1["warehouse"], "ANALYTICS_WH");
        assert_eq!(statements[1].0, statements[0].0, "the minted JWT is reused, not signed per call");
    }

    // A write is refused by the read tool before it reaches Snowflake, and on a read-only connection.
    let before = seen.statements.lock().unwrap().len();
    let err = run("snowflake_run_query", "snowflake", "alice", json!({"sql": "/* tidy */ DELETE FROM orders"}))
        .await
        .unwrap_err();
    assert_eq!(err.status(), 400);
    assert!(err.message().contains("read-only") && err.message().contains("DELETE"), "{}", err.message());
    let insert = json!({"sql": "INSERT INTO orders (status) VALUES (?)", "params": ["new"]});
    let err = run("snowflake_execute_statement", "snowflake", "alice", insert.clone()).await.unwrap_err();
    assert_eq!(err.status(), 403, "{}", err.message());
    assert_eq!(seen.statements.lock().unwrap().len(), before, "nothing was sent");
    // On a connection that allows writes, the write tool runs.
    create("snowflake_rw", "alice", details(&key.pem)).await.unwrap();
    let written = run("snowflake_execute_statement", "snowflake_rw", "alice", insert).await.unwrap();
    assert_eq!(written["data"]["stats"]["numRowsInserted"], 1);

    // A statement Snowflake refuses: its message and SQLSTATE.
    let err = run("snowflake_run_query", "snowflake", "alice", json!({"sql": "SELECT * FROM nope"})).await.unwrap_err();
    assert!(err.message().contains("does not exist") && err.message().contains("42S02"), "{}", err.message());

    // The wrong key: Snowflake's 401 surfaces as a rejected credential, without the key.
    create("snowflake", "bob", details(&stranger.pem)).await.unwrap();
    let err = run("snowflake_run_query", "snowflake", "bob", json!({"sql": "SELECT 1"})).await.unwrap_err();
    assert_eq!(err.status(), 401, "{}", err.message());
    assert!(err.message().contains("credential was rejected") && err.message().contains("JWT"), "{}", err.message());
    let stranger_body: String = stranger.pem.lines().filter(|l| !l.starts_with("-----")).collect();
    assert!(!err.message().contains(&stranger_body[40..80]), "the key is never in an error");

    server.task.abort();
    let _ = std::fs::remove_dir_all(dir);
}
