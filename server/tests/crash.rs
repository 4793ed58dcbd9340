//! A hard kill under load: every write the gateway acknowledged that must not be lost (accounts
//! and their credentials) is there after a restart, and of the batched bookkeeping (execution
//! records) at most what was acknowledged in the last flush interval is missing. A graceful stop
//! loses nothing.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use agentkit_core::dispatch::{dispatch, Operation};
use serde_json::json;
use sqlx::Row;

mod common;
use common::Gateway;

/// The default `server.bookkeeping_flush_ms`, plus the time one commit may take on a loaded CI
/// machine (an fsync, the batch's inserts): bookkeeping acknowledged longer ago than this before
/// the kill is on disk. (Measured here: what is lost was acknowledged within ~0.13 s.)
const BOOKKEEPING_BOUND: Duration = Duration::from_millis(100 + 900);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hard_kill_loses_no_acknowledged_account_and_bookkeeping_only_within_its_bound() {
    let gateway = Gateway::start();
    let actions = Arc::new(gateway.actions());
    gateway.active_account("crash-load").await;

    // Load: tool calls (bookkeeping) and account creations (durable writes), each acknowledged
    // answer noted with the moment it arrived.
    let executions: Arc<Mutex<Vec<(String, Instant)>>> = Arc::default();
    let accounts: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let mut load = Vec::new();
    for _ in 0..6 {
        let (actions, executions) = (actions.clone(), executions.clone());
        load.push(tokio::spawn(async move {
            loop {
                let run = dispatch(
                    &actions,
                    Operation::ExecuteTool,
                    json!({"tool_name": "gmail_list_labels", "identifier": "crash-load", "tool_input": {}}),
                )
                .await;
                let Ok(answer) = run else { return };
                let id = answer["execution_id"].as_str().unwrap().to_string();
                executions.lock().unwrap().push((id, Instant::now()));
            }
        }));
    }
    for worker in 0..2 {
        let (actions, accounts) = (actions.clone(), accounts.clone());
        load.push(tokio::spawn(async move {
            for n in 0.. {
                let identifier = format!("crash-{worker}-{n}");
                let access_token = format!("token-{worker}-{n}-{}", uuid::Uuid::new_v4().simple());
                let created = dispatch(
                    &actions,
                    Operation::CreateConnectedAccount,
                    json!({"connection_name": "gmail", "identifier": identifier,
                           "authorization_details": {"oauth_token": {"access_token": access_token}}}),
                )
                .await;
                if created.is_err() {
                    return;
                }
                accounts.lock().unwrap().push((identifier, access_token));
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let killed_at = Instant::now();
    let gateway = gateway.crash_and_restart();
    for task in load {
        let _ = tokio::time::timeout(Duration::from_secs(30), task).await;
    }

    // Durable writes: every acknowledged account, with its credentials.
    let acked_accounts = accounts.lock().unwrap().clone();
    assert!(acked_accounts.len() >= 5, "the load created accounts ({})", acked_accounts.len());
    let actions = gateway.actions();
    for (identifier, access_token) in &acked_accounts {
        let read = dispatch(
            &actions,
            Operation::GetConnectedAccount,
            json!({"connection_name": "gmail", "identifier": identifier}),
        )
        .await
        .unwrap_or_else(|e| panic!("acknowledged account {identifier} lost: {e}"));
        assert_eq!(
            read["connected_account"]["authorization_details"]["oauth_token"]["access_token"],
            json!(access_token),
            "credentials of {identifier}"
        );
    }

    // Bookkeeping: read the table itself (the API lists at most 200 records).
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}", gateway.data_dir.join("agentkit.db").display()))
        .await
        .unwrap();
    let stored: std::collections::HashSet<String> = sqlx::query("SELECT id FROM executions")
        .fetch_all(&db)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>("id"))
        .collect();
    let acked = executions.lock().unwrap().clone();
    assert!(acked.len() >= 50, "the load ran tools ({})", acked.len());
    let before_bound: Vec<&String> = acked
        .iter()
        .filter(|(_, at)| killed_at.saturating_duration_since(*at) > BOOKKEEPING_BOUND)
        .map(|(id, _)| id)
        .collect();
    let lost: Vec<&&String> = before_bound.iter().filter(|id| !stored.contains(id.as_str())).collect();
    assert!(
        lost.is_empty(),
        "{} of {} execution records older than the bound were lost",
        lost.len(),
        before_bound.len()
    );
    let lost_recent = acked.iter().filter(|(id, _)| !stored.contains(id)).count();
    println!(
        "acknowledged: {} accounts, {} executions; after the kill: {} executions stored, {} lost (all within {:?} of the kill)",
        acked_accounts.len(),
        acked.len(),
        stored.len(),
        lost_recent,
        BOOKKEEPING_BOUND
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_stop_commits_the_queued_bookkeeping() {
    let gateway = Gateway::start();
    let actions = gateway.actions();
    gateway.active_account("drain").await;
    let mut acked = Vec::new();
    for _ in 0..20 {
        let answer = dispatch(
            &actions,
            Operation::ExecuteTool,
            json!({"tool_name": "gmail_list_labels", "identifier": "drain", "tool_input": {}}),
        )
        .await
        .unwrap();
        acked.push(answer["execution_id"].as_str().unwrap().to_string());
    }
    // Stopped well within one flush interval of the last call: its record is still queued.
    let gateway = gateway.stop_and_restart();
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}", gateway.data_dir.join("agentkit.db").display()))
        .await
        .unwrap();
    let stored: Vec<String> = sqlx::query("SELECT id FROM executions WHERE identifier = 'drain'")
        .fetch_all(&db)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>("id"))
        .collect();
    for id in &acked {
        assert!(stored.contains(id), "execution {id} acknowledged before the stop was not committed");
    }
}
