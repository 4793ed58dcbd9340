//! The PostgreSQL connector against a real PostgreSQL cluster started by this test (initdb +
//! pg_ctl in a temp dir, password authentication over TCP): read-only by default, writes refused
//! unless the connection allows them, statement timeout, row cap, bound parameters.

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
