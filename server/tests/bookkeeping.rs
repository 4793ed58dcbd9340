//! Bookkeeping (`last_used_at`, execution records) is written in batches behind the calls; a
//! read of an account list or an MCP instance must not wait behind that queue. Here the writer is
//! held back by another connection's write lock (as a burst over many accounts or a slow disk
//! would): the list answers at once, with the queued use laid over what the database says, and
//! the use is in the database once the writer gets through.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::sync::Arc;
use std::time::{Duration, Instant};

use agentkit_core::model::{ConnectorStatus, ConnectorType};
use agentkit_server::store::vault::Vault;
use agentkit_server::store::{AccountFilter, AccountPage, AccountRecord, ChangeRecords, Store};
use sqlx::{Connection, Row};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_list_does_not_wait_for_queued_bookkeeping() {
    let (store, dir, url) = open_store().await;
    let account = AccountRecord {
        id: "ca_busy".into(),
        connection_name: "gmail".into(),
        connector: "gmail".into(),
        identifier: "busy-user".into(),
        organization_id: String::new(),
        user_id: String::new(),
        status: ConnectorStatus::Active,
        authorization_type: ConnectorType::Oauth,
        credentials: None,
        api_config: None,
        token_expires_at: None,
        updated_at: chrono::Utc::now(),
        last_used_at: None,
    };
    store.insert_account(&account, &ChangeRecords::default()).await.unwrap();

    // Another connection takes SQLite's write lock: the bookkeeping writer cannot commit.
    let mut blocker = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::query("BEGIN IMMEDIATE").execute(&mut blocker).await.unwrap();
    let used_at = chrono::Utc::now();
    store.touch_account("ca_busy");

    let started = Instant::now();
    let listed = tokio::time::timeout(
        Duration::from_secs(2),
        store.list_accounts(&AccountFilter::default(), &AccountPage::First, 10),
    )
    .await
    .expect("the list waited for the bookkeeping writer")
    .unwrap();
    let waited = started.elapsed();
    let last_used = listed.accounts[0].last_used_at.expect("the queued use is shown");
    assert!(last_used >= used_at, "{last_used} is the queued use ({used_at})");
    assert!(waited < Duration::from_millis(500), "the list took {waited:?}");

    // The writer gets through once the lock is gone: the use is in the database itself.
    sqlx::query("COMMIT").execute(&mut blocker).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let row = sqlx::query("SELECT last_used_at FROM connected_accounts WHERE id = 'ca_busy'")
            .fetch_one(&mut blocker)
            .await
            .unwrap();
        if row.get::<Option<String>, _>("last_used_at").is_some() {
            break;
        }
        assert!(Instant::now() < deadline, "the queued use was never written");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let listed = store.list_accounts(&AccountFilter::default(), &AccountPage::First, 10).await.unwrap();
    assert_eq!(listed.accounts[0].last_used_at, Some(last_used), "the same use, now read from the database");
    let _ = std::fs::remove_dir_all(dir);
}

/// A batch's records go in several rows per statement (chunks of 64, 32, …, 1): every record of
/// a batch whose size needs each chunk size is written once, each value in its own column.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_of_records_is_written_whole_in_chunks() {
    use agentkit_server::store::{ExecutionRecord, ExecutionStatus};
    let (store, dir, _) = open_store().await;
    // 64 + 32 + 16 + 8 + 4 + 2 + 1: every chunk size once.
    const RECORDS: i64 = 127;
    let started = chrono::Utc::now();
    for n in 0..RECORDS {
        store
            .record_execution(ExecutionRecord {
                id: format!("ex_{n:03}"),
                api_client_id: format!("client_{n}"),
                tool_name: format!("tool_{n}"),
                connection_name: "gmail".into(),
                connected_account_id: format!("ca_{n}"),
                identifier: format!("user_{n}"),
                status: if n % 2 == 0 { ExecutionStatus::Success } else { ExecutionStatus::Failed },
                upstream_status: (n % 3 != 0).then_some(200 + n),
                error_code: (n % 2 == 1).then(|| format!("E{n}")),
                latency_ms: n * 10,
                created_at: started + chrono::Duration::milliseconds(n),
                traceparent: None,
                request_id: Some(format!("req_{n}")),
            })
            .await;
    }
    let records = store.recent_executions("", None, 500).await.unwrap();
    assert_eq!(records.len(), 127, "every record of the batch is written once");
    for record in &records {
        let n: i64 = record.id.trim_start_matches("ex_").parse().unwrap();
        assert_eq!(
            (record.tool_name.as_str(), record.identifier.as_str(), record.latency_ms),
            (format!("tool_{n}").as_str(), format!("user_{n}").as_str(), n * 10),
            "{}: values in their own columns",
            record.id
        );
        assert_eq!(record.upstream_status, (n % 3 != 0).then_some(200 + n), "{}", record.id);
        assert_eq!(record.error_code, (n % 2 == 1).then(|| format!("E{n}")), "{}", record.id);
        assert_eq!(record.request_id, Some(format!("req_{n}")), "{}", record.id);
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// A store on a fresh SQLite file with the default settings: the store, its folder, its URL.
async fn open_store() -> (Store, std::path::PathBuf, String) {
    sqlx::any::install_default_drivers();
    let dir = std::env::temp_dir().join(format!("agentkit-bookkeeping-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.join("agentkit.db").display());
    let vault = Arc::new(Vault::with_keys(vec![("k1".into(), [7u8; 32])]));
    let store = Store::open(
        &url,
        vault,
        agentkit_server::store::StoreSettings::from_config(&agentkit_server::config::Config::default()),
    )
    .await
    .unwrap();
    (store, dir, url)
}

/// A use noted while the writer is committing an earlier one of the same account (here the
/// commit waits on another connection's write lock) is written in the next interval, even when
/// nothing else happens after it: noting it woke nobody, so the writer must not wait for a wake.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_use_noted_during_a_commit_is_written_without_another_call() {
    let (store, dir, url) = open_store().await;
    let account = AccountRecord {
        id: "ca_again".into(),
        connection_name: "gmail".into(),
        connector: "gmail".into(),
        identifier: "again-user".into(),
        organization_id: String::new(),
        user_id: String::new(),
        status: ConnectorStatus::Active,
        authorization_type: ConnectorType::Oauth,
        credentials: None,
        api_config: None,
        token_expires_at: None,
        updated_at: chrono::Utc::now(),
        last_used_at: None,
    };
    store.insert_account(&account, &ChangeRecords::default()).await.unwrap();
    let mut blocker = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::query("BEGIN IMMEDIATE").execute(&mut blocker).await.unwrap();
    store.touch_account("ca_again");
    // The writer has taken the first use into its batch and waits for the lock.
    tokio::time::sleep(Duration::from_millis(500)).await;
    store.touch_account("ca_again");
    let second = store.bookkeeping.account_last_used("ca_again", None).unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    sqlx::query("COMMIT").execute(&mut blocker).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let row = sqlx::query("SELECT last_used_at FROM connected_accounts WHERE id = 'ca_again'")
            .fetch_one(&mut blocker)
            .await
            .unwrap();
        let written = row.get::<Option<String>, _>("last_used_at");
        if written.as_deref().and_then(|w| chrono::DateTime::parse_from_rfc3339(w).ok()).is_some_and(|w| w >= second) {
            break;
        }
        assert!(Instant::now() < deadline, "the second use was never written (database has {written:?})");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = std::fs::remove_dir_all(dir);
}
