//! Schema changes that keep every deployed database working: the migrations a release shipped
//! never change (listed with their checksums in `server/migrations/RELEASED`), both engines
//! migrate from that release's schema with its data intact, and both describe the same tables
//! and columns.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use agentkit_server::store::vault::Vault;
use agentkit_server::store::{migrator, Engine, Store};
use sqlx::any::AnyPoolOptions;
use sqlx::Row;

mod common;
use common::postgres::Cluster;

/// `(engine, version, sha384 hex)` of every released migration.
fn released() -> Vec<(String, i64, String)> {
    let text = include_str!("../migrations/RELEASED");
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[0].to_string(), f[1].parse().unwrap(), f[2].to_string())
        })
        .collect()
}

fn engine_name(engine: Engine) -> &'static str {
    match engine {
        Engine::Sqlite => "sqlite",
        Engine::Postgres => "postgres",
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The newest migration the previous release shipped.
fn previous_release(engine: Engine) -> i64 {
    released().iter().filter(|(e, _, _)| e == engine_name(engine)).map(|(_, v, _)| *v).max().unwrap()
}

#[test]
fn released_migrations_never_change() {
    let mut problems = Vec::new();
    for engine in [Engine::Sqlite, Engine::Postgres] {
        let ours: BTreeMap<i64, String> = migrator(engine).iter().map(|m| (m.version, hex(&m.checksum))).collect();
        for (_, version, checksum) in released().iter().filter(|(e, _, _)| e == engine_name(engine)) {
            match ours.get(version) {
                Some(now) if now == checksum => {}
                Some(now) => problems.push(format!("{} {version} changed: now {now}", engine_name(engine))),
                None => problems.push(format!("{} {version} is gone", engine_name(engine))),
            }
        }
    }
    assert!(problems.is_empty(), "released migrations must stay as shipped (add a new one instead): {problems:#?}");
    // The same versions on both engines.
    let versions = |engine| migrator(engine).iter().map(|m| m.version).collect::<Vec<_>>();
    assert_eq!(versions(Engine::Sqlite), versions(Engine::Postgres));
}

/// Rows as the previous release wrote them: an account with sealed credentials, an execution,
/// an MCP config.
async fn write_previous_release_rows(pool: &sqlx::AnyPool, vault: &Vault) {
    let sealed =
        vault.seal(br#"{"oauth_token":{"access_token":"ya29.old","refresh_token":"1//old"}}"#, "ca_old").unwrap();
    let now = "2026-11-20T10:00:00+00:00";
    sqlx::query(
        "INSERT INTO connected_accounts (id, connection_name, connector, identifier, status, authorization_type, \
         credentials, token_expires_at, created_at, updated_at) \
         VALUES ('ca_old', 'gmail', 'gmail', 'old-user', 'ACTIVE', 'OAUTH', $1, $2, $2, $2)",
    )
    .bind(sealed)
    .bind(now)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO executions (id, api_client_id, tool_name, connection_name, connected_account_id, identifier, \
         status, latency_ms, created_at) \
         VALUES ('exec_old', 'skc', 'gmail_list_labels', 'gmail', 'ca_old', 'old-user', 'SUCCESS', 12, $1)",
    )
    .bind(now)
    .execute(pool)
    .await
    .unwrap();
}

/// Migrates `url` to the previous release, writes its rows, then opens it with this build.
async fn migrate_from_previous_release(url: &str, engine: Engine) {
    sqlx::any::install_default_drivers();
    let vault = Arc::new(Vault::with_keys(vec![("k1".into(), [3u8; 32])]));
    let pool = AnyPoolOptions::new().max_connections(1).connect(url).await.unwrap();
    let previous = previous_release(engine);
    migrator(engine).run_to(previous, &pool).await.unwrap();
    write_previous_release_rows(&pool, &vault).await;
    pool.close().await;

    let store = Store::open(
        url,
        vault,
        agentkit_server::store::StoreSettings::from_config(&agentkit_server::config::Config::default()),
    )
    .await
    .unwrap();
    store.readiness().await.unwrap();
    let account = store.account_by_id("ca_old").await.unwrap().expect("the old account survives");
    assert_eq!(account.identifier, "old-user");
    let token = account.credentials.and_then(|c| c.oauth_token).map(|t| t.access_token);
    assert_eq!(token.as_deref(), Some("ya29.old"), "sealed credentials stay readable");
    let ours = migrator(engine).iter().map(|m| m.version).max().unwrap();
    println!("{}: migrated from the released schema {previous} to {ours}, data intact", engine_name(engine));
}

/// `table → columns` of a migrated database.
async fn schema(url: &str, engine: Engine) -> BTreeMap<String, BTreeSet<String>> {
    sqlx::any::install_default_drivers();
    let pool = AnyPoolOptions::new().max_connections(1).connect(url).await.unwrap();
    migrator(engine).run(&pool).await.unwrap();
    let rows = match engine {
        Engine::Sqlite => {
            sqlx::query(
                "SELECT m.name AS t, p.name AS c FROM sqlite_master m, pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '\\_sqlx%' ESCAPE '\\'",
            )
            .fetch_all(&pool)
            .await
        }
        Engine::Postgres => {
            sqlx::query(
                "SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns \
                 WHERE table_schema = 'public' AND table_name NOT LIKE '\\_sqlx%'",
            )
            .fetch_all(&pool)
            .await
        }
    }
    .unwrap();
    let mut tables: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for row in rows {
        tables.entry(row.get("t")).or_default().insert(row.get("c"));
    }
    tables
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_engines_migrate_from_the_previous_release_and_agree() {
    let dir = std::env::temp_dir().join(format!("agentkit-migrations-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let cluster = Cluster::start();

    let sqlite_url = format!("sqlite://{}?mode=rwc", dir.join("old.db").display());
    migrate_from_previous_release(&sqlite_url, Engine::Sqlite).await;
    migrate_from_previous_release(&cluster.database("agentkit_old"), Engine::Postgres).await;

    let sqlite = schema(&format!("sqlite://{}?mode=rwc", dir.join("fresh.db").display()), Engine::Sqlite).await;
    let postgres = schema(&cluster.database("agentkit_fresh"), Engine::Postgres).await;
    assert!(sqlite.len() >= 7, "{sqlite:?}");
    assert_eq!(sqlite, postgres, "both engines describe the same tables and columns");
    let _ = std::fs::remove_dir_all(&dir);
}
