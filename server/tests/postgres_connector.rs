//! The PostgreSQL connector against a real PostgreSQL cluster started by this test (initdb +
//! pg_ctl in a temp dir, password authentication over TCP): read-only by default, writes refused
//! unless the connection allows them, statement timeout, row cap, bound parameters.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use agentkit_core::dispatch::{dispatch, Operation};
use agentkit_core::{Actions, ClientOptions, ErrorKind, ScalekitClient};
use serde_json::{json, Value};

mod common;
use common::postgres::{Cluster, PASSWORD};

async fn run(actions: &Actions, identifier: &str, tool: &str, input: Value) -> agentkit_core::Result<Value> {
    dispatch(actions, Operation::ExecuteTool, json!({"tool_name": tool, "identifier": identifier, "tool_input": input}))
        .await
        .map(|r| r["data"].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_tools_on_a_real_cluster() {
    let cluster = Cluster::start();
    cluster.psql(
        "CREATE TABLE orders (id serial PRIMARY KEY, customer text NOT NULL, total numeric(10,2), \
         placed_at timestamptz NOT NULL DEFAULT now(), meta jsonb);
         INSERT INTO orders (customer, total, placed_at, meta) VALUES
           ('alice', 12.50, '2026-11-01T10:00:00Z', '{\"gift\": true}'),
           ('bob', 99.00, '2026-11-20T10:00:00Z', NULL),
           ('alice', 7.25, '2026-11-24T10:00:00Z', NULL);",
    );
    // Read tools run as a role that is not a superuser; it holds write grants on purpose, so the
    // refusals below come from the READ ONLY transaction, not from missing privileges.
    cluster.psql(&format!(
        "CREATE ROLE analyst LOGIN PASSWORD '{PASSWORD}'; GRANT ALL ON orders TO analyst; \
         GRANT USAGE, SELECT ON SEQUENCE orders_id_seq TO analyst;"
    ));

    let data_dir = std::env::temp_dir().join(format!("agentkit-pgtest-{}", uuid::Uuid::new_v4().simple()));
    let config = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\ndata_dir = \"{}\"\n[egress]\nallow = [\"127.0.0.1\"]\n[[api_clients]]\nclient_id = \"c\"\nclient_secret = \"s\"\n\
         [[connections]]\nname = \"warehouse\"\nconnector = \"postgres\"\n\
         [[connections]]\nname = \"warehouse_rw\"\nconnector = \"postgres\"\nallow_writes = true\n",
        data_dir.display()
    );
    let server = agentkit_server::start(agentkit_server::Config::parse(&config, "pg.toml").unwrap()).await.unwrap();
    let actions = Actions::new(ScalekitClient::new(&server.public_url, "c", "s", ClientOptions::default()).unwrap());
    let account = |role: &str| json!({"host": "127.0.0.1", "port": cluster.port, "database": "postgres", "username": role, "password": PASSWORD});
    for (connection, user, role) in
        [("warehouse", "analyst", "analyst"), ("warehouse_rw", "writer", "postgres"), ("warehouse", "root", "postgres")]
    {
        let details = account(role);
        dispatch(
            &actions,
            Operation::CreateConnectedAccount,
            json!({"connection_name": connection, "identifier": user,
                   "authorization_details": {"static_auth": {"details": details}}}),
        )
        .await
        .unwrap();
    }

    // Catalog tools.
    let tables = run(&actions, "analyst", "postgres_list_tables", json!({"schema": "public"})).await.unwrap();
    assert_eq!(tables["rows"], json!([["public", "orders", "BASE TABLE"]]));
    let described = run(&actions, "analyst", "postgres_describe_table", json!({"table": "orders"})).await.unwrap();
    let names: Vec<&str> = described["rows"].as_array().unwrap().iter().map(|r| r[0].as_str().unwrap()).collect();
    assert_eq!(names, ["id", "customer", "total", "placed_at", "meta"]);

    // A query with bound, type-converted parameters (a string reaches a timestamptz and an int).
    let result = run(
        &actions,
        "analyst",
        "postgres_query",
        json!({"sql": "SELECT id, customer, total, meta FROM orders WHERE customer = $1 AND placed_at < $2 AND id >= $3 ORDER BY id;",
               "params": ["alice", "2026-11-10T00:00:00Z", "1"]}),
    )
    .await
    .unwrap();
    assert_eq!(
        result["columns"],
        json!([{"name": "id", "type": "int4"}, {"name": "customer", "type": "text"},
               {"name": "total", "type": "numeric"}, {"name": "meta", "type": "jsonb"}])
    );
    assert_eq!(result["rows"], json!([[1, "alice", 12.50, {"gift": true}]]));
    assert_eq!(result["truncated"], false);

    // Injection through parameters is only data.
    for evil in ["alice' OR '1'='1", "x'; DROP TABLE orders; --"] {
        let r = run(
            &actions,
            "analyst",
            "postgres_query",
            json!({"sql": "SELECT id FROM orders WHERE customer = $1", "params": [evil]}),
        )
        .await
        .unwrap();
        assert_eq!(r["row_count"], 0, "{evil}");
    }
    // A second statement in the SQL text is refused by the driver.
    let err =
        run(&actions, "analyst", "postgres_query", json!({"sql": "SELECT 1; DROP TABLE orders"})).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ToolExecution, "{}", err.message());

    // Read-only: a data-modifying CTE is refused, and so is anything that writes from a SELECT
    // (the transaction itself is READ ONLY).
    let err = run(
        &actions,
        "analyst",
        "postgres_query",
        json!({"sql": "WITH gone AS (DELETE FROM orders RETURNING id) SELECT count(*) FROM gone"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ToolExecution, "{}", err.message());
    let err = run(&actions, "analyst", "postgres_query", json!({"sql": "SELECT nextval('orders_id_seq')"}))
        .await
        .unwrap_err();
    assert!(err.message().contains("read-only transaction"), "{}", err.message());
    // postgres_execute on a read-only connection never reaches the database.
    let err = run(&actions, "analyst", "postgres_execute", json!({"sql": "DELETE FROM orders"})).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Forbidden, "{}", err.message());
    assert!(err.message().contains("allow_writes"), "{}", err.message());
    let count =
        run(&actions, "analyst", "postgres_query", json!({"sql": "SELECT count(*) AS n FROM orders"})).await.unwrap();
    assert_eq!(count["rows"], json!([[3]]), "nothing was deleted");

    // A read-only connection refuses a superuser role: READ ONLY would not bind it (dblink,
    // COPY ... TO PROGRAM, SET TRANSACTION READ WRITE in a function).
    let err = run(&actions, "root", "postgres_query", json!({"sql": "SELECT 1"})).await.unwrap_err();
    assert!(err.message().contains("superuser"), "{}", err.message());
    // Session state never outlives its call: the session is reset before the call returns, so an
    // advisory lock taken in one call is gone when the next call starts, whichever of the pool's
    // connections that one gets. (A reset left to run after the connection went back to the pool
    // raced the next call, which could run on another connection while the lock was still held.)
    let advisory_locks = || async {
        run(
            &actions,
            "analyst",
            "postgres_query",
            json!({"sql": "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory'"}),
        )
        .await
        .unwrap()["rows"]
            .clone()
    };
    for round in 0..20 {
        let sql = format!("SELECT pg_advisory_lock({}) IS NULL AS locked", 1000 + round);
        let locked = run(&actions, "analyst", "postgres_query", json!({ "sql": sql })).await.unwrap();
        assert_eq!(locked["row_count"], 1, "{locked}");
        assert_eq!(
            advisory_locks().await,
            json!([[0]]),
            "round {round}: the advisory lock was released with the session reset"
        );
    }
    // The same when the call fails after taking the lock (its transaction is abandoned).
    let err = run(
        &actions,
        "analyst",
        "postgres_query",
        json!({"sql": "SELECT pg_advisory_lock(42), pg_sleep(30)", "timeout_ms": 300}),
    )
    .await
    .unwrap_err();
    assert!(err.message().contains("timeout"), "{}", err.message());
    assert_eq!(advisory_locks().await, json!([[0]]), "the lock of a failed call was released");

    // Rows stop at the byte budget too: 40 rows of 256 KiB each are cut well before the row cap,
    // and a single 8 MiB row never leaves the database.
    let wide = run(
        &actions,
        "analyst",
        "postgres_query",
        json!({"sql": "SELECT repeat('x', 262144) AS blob FROM generate_series(1, 40)", "max_rows": 100}),
    )
    .await
    .unwrap();
    assert_eq!(wide["truncated"], true);
    assert!(wide["row_count"].as_u64().unwrap() < 20, "{}", wide["row_count"]);
    let huge = run(&actions, "analyst", "postgres_query", json!({"sql": "SELECT repeat('x', 8388608) AS blob"}))
        .await
        .unwrap();
    assert_eq!((huge["row_count"].as_u64(), huge["truncated"].as_bool()), (Some(0), Some(true)));

    // The statement timeout cuts a slow query.
    let started = std::time::Instant::now();
    let err = run(&actions, "analyst", "postgres_query", json!({"sql": "SELECT pg_sleep(10)", "timeout_ms": 300}))
        .await
        .unwrap_err();
    assert!(err.message().contains("statement timeout"), "{}", err.message());
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "cut well before the sleep ends");

    // The row cap truncates and says so.
    let big = run(
        &actions,
        "analyst",
        "postgres_query",
        json!({"sql": "SELECT g FROM generate_series(1, 1000) g", "max_rows": 10}),
    )
    .await
    .unwrap();
    assert_eq!(big["row_count"], 10);
    assert_eq!(big["truncated"], true);

    // Writes where the connection allows them, with bound parameters.
    let done = run(
        &actions,
        "writer",
        "postgres_execute",
        json!({"sql": "INSERT INTO orders (customer, total) VALUES ($1, $2)", "params": ["carol", 5]}),
    )
    .await
    .unwrap();
    assert_eq!(done["row_count"], 1);
    let count = run(
        &actions,
        "writer",
        "postgres_query",
        json!({"sql": "SELECT count(*) FROM orders WHERE customer = $1", "params": ["carol"]}),
    )
    .await
    .unwrap();
    assert_eq!(count["rows"], json!([[1]]));

    // Wrong parameter count and a bad password: clear errors, the password never echoed.
    let err = run(&actions, "analyst", "postgres_query", json!({"sql": "SELECT $1::int + $2::int", "params": [1]}))
        .await
        .unwrap_err();
    assert!(err.message().contains("2 placeholders but 1 params"), "{}", err.message());
    dispatch(
        &actions,
        Operation::CreateConnectedAccount,
        json!({"connection_name": "warehouse", "identifier": "intruder",
               "authorization_details": {"static_auth": {"details": {"host": "127.0.0.1", "port": cluster.port,
               "database": "postgres", "username": "postgres", "password": "wrong-password-xyz"}}}}),
    )
    .await
    .unwrap();
    let err = run(&actions, "intruder", "postgres_query", json!({"sql": "SELECT 1"})).await.unwrap_err();
    assert!(err.message().contains("password authentication failed"), "{}", err.message());
    assert!(!err.message().contains("wrong-password-xyz"));

    server.task.abort();
    let _ = std::fs::remove_dir_all(data_dir);
}

/// What every gateway of these tests has: loopback fixtures allowed, one API client `c`/`s`.
const CLIENT_AND_EGRESS: &str =
    "[egress]\nallow = [\"127.0.0.1\"]\n[[api_clients]]\nclient_id = \"c\"\nclient_secret = \"s\"\n";

/// A stand-in PostgreSQL server that asks for a cleartext password and records what it gets.
async fn password_catcher() -> (u16, tokio::sync::mpsc::UnboundedReceiver<String>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (sent, received) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let sent = sent.clone();
            tokio::spawn(async move {
                // The startup message: its length (itself included), then the parameters.
                let len = socket.read_i32().await.unwrap_or(0);
                let mut startup = vec![0u8; usize::try_from(len - 4).unwrap_or(0)];
                if socket.read_exact(&mut startup).await.is_err() {
                    return;
                }
                // AuthenticationCleartextPassword.
                let _ = socket.write_all(&[b'R', 0, 0, 0, 8, 0, 0, 0, 3]).await;
                let mut kind = [0u8; 1];
                if socket.read_exact(&mut kind).await.is_err() || kind[0] != b'p' {
                    return;
                }
                let len = socket.read_i32().await.unwrap_or(0);
                let mut password = vec![0u8; usize::try_from(len - 4).unwrap_or(0)];
                if socket.read_exact(&mut password).await.is_ok() {
                    let text = String::from_utf8_lossy(&password).trim_end_matches('\0').to_string();
                    let _ = sent.send(text);
                }
            });
        }
    });
    (port, received)
}

/// Issue 22 (follow-up): sqlx fills what a connection does not say from libpq's environment
/// (`PGPASSWORD`, `PGUSER`, `PGSSL*`…) — the gateway's own store settings. A SQL tool's account
/// that names a host but no password got the gateway's own database password sent to that host.
/// Now the binary takes those variables out of its environment at start (its own store gets them
/// back) and SQL tools set every option from the account.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_tools_never_send_the_gateways_own_database_password() {
    let (port, mut passwords) = password_catcher().await;
    let connection = format!("{CLIENT_AND_EGRESS}[[connections]]\nname = \"warehouse\"\nconnector = \"postgres\"\n");
    let environment = [("PGPASSWORD", "the-gateways-own-password"), ("PGUSER", "gateway_owner")];
    let served = common::Served::start("", &connection, &environment).await;
    let base = served.base.clone();
    let actions = Actions::new(ScalekitClient::new(&base, "c", "s", ClientOptions::default()).unwrap());
    for (identifier, details) in [
        ("by-url", json!({"connection_string": format!("postgres://tenant@127.0.0.1:{port}/db?sslmode=disable")})),
        ("by-fields", json!({"host": "127.0.0.1", "port": port, "username": "tenant", "sslmode": "disable"})),
    ] {
        dispatch(
            &actions,
            Operation::CreateConnectedAccount,
            json!({"connection_name": "warehouse", "identifier": identifier,
                   "authorization_details": {"static_auth": {"details": details}}}),
        )
        .await
        .unwrap();
        let failed = run(&actions, identifier, "postgres_query", json!({"sql": "SELECT 1"})).await;
        assert!(failed.is_err(), "the stand-in server never lets anyone in");
        let sent = tokio::time::timeout(std::time::Duration::from_secs(5), passwords.recv()).await.unwrap().unwrap();
        assert_eq!(sent, "", "{identifier}: the account has no password, and the gateway's is not sent");
    }
    // An account without a username is refused rather than filled in from the gateway's.
    let created = dispatch(
        &actions,
        Operation::CreateConnectedAccount,
        json!({"connection_name": "warehouse", "identifier": "no-user",
               "authorization_details": {"static_auth": {"details": {"host": "127.0.0.1", "port": port}}}}),
    )
    .await;
    if created.is_ok() {
        let refused = run(&actions, "no-user", "postgres_query", json!({"sql": "SELECT 1"})).await.unwrap_err();
        assert!(refused.message().contains("username"), "{}", refused.message());
    }
    drop(served);
}

/// The other half of the isolation: the gateway's own PostgreSQL store still reads the libpq
/// variables (here its password, `PGPASSWORD`, absent from `database_url`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateways_own_store_still_reads_its_libpq_environment() {
    let cluster = Cluster::start();
    let with_password = cluster.database("own_store");
    let without = with_password.replace(&format!(":{PASSWORD}@"), "@");
    assert!(!without.contains(PASSWORD));
    let database_url = format!("database_url = \"{without}\"");
    let served = common::Served::start(&database_url, CLIENT_AND_EGRESS, &[("PGPASSWORD", PASSWORD)]).await;
    let base = served.base.clone();
    let actions = Actions::new(ScalekitClient::new(&base, "c", "s", ClientOptions::default()).unwrap());
    let listed = dispatch(&actions, Operation::ListConnectedAccounts, json!({})).await.unwrap();
    assert!(listed.get("connected_accounts").is_some(), "the store on PostgreSQL answers: {listed}");
    let migrations: i64 = cluster.psql_in("own_store", "SELECT count(*) FROM _sqlx_migrations").trim().parse().unwrap();
    assert!(migrations > 0, "the gateway migrated its store on the cluster");
    drop(served);
}
