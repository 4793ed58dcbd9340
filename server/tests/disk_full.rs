//! A full disk under SQLite (issue 22, critical): a write that cannot be committed is refused
//! with a clear error — never acknowledged — and once space returns every later write is kept.
//! The data dir is a size-limited tmpfs mounted by the test (CI runs as root), filled up by a
//! filler file; acknowledged accounts are counted against what is there after a restart.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};

mod common;
use common::Gateway;

/// A tmpfs of `size` at a fresh directory, unmounted on drop.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(size: &str) -> SmallDisk {
        let dir = std::env::temp_dir().join(format!("agentkit-small-disk-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .status()
            .expect("mount runs");
        assert!(mounted.success(), "mounting a tmpfs needs root (CI runs as root)");
        SmallDisk(dir)
    }

    /// Fills what is left with a filler file (removed by [`SmallDisk::free`]).
    fn fill(&self) {
        use std::io::Write;
        let mut filler = std::fs::File::create(self.0.join("filler")).unwrap();
        let block = vec![0u8; 4096];
        while filler.write_all(&block).is_ok() {}
        let _ = filler.sync_all();
    }

    fn free(&self) {
        std::fs::remove_file(self.0.join("filler")).unwrap();
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.0).status();
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn create_account(http: &reqwest::Client, base: &str, token: &str, identifier: &str) -> (u16, Value) {
    let resp = http
        .post(format!("{base}/api/v1/connected_accounts"))
        .bearer_auth(token)
        .json(&json!({"connection_name": "gmail", "identifier": identifier,
                      "connected_account": {"authorization_details": {"oauth_token": {"access_token": format!("tok-{identifier}")}}}}))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn account_exists(http: &reqwest::Client, base: &str, token: &str, identifier: &str) -> bool {
    let resp = http
        .get(format!("{base}/api/v1/connected_accounts/details?connection_name=gmail&identifier={identifier}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    match resp.status().as_u16() {
        200 => true,
        404 => false,
        other => panic!("reading {identifier}: {other} {}", resp.text().await.unwrap_or_default()),
    }
}

/// The acknowledged identifiers the gateway cannot find.
async fn missing_accounts(http: &reqwest::Client, base: &str, token: &str, acknowledged: &[String]) -> Vec<String> {
    let mut missing = Vec::new();
    for id in acknowledged {
        if !account_exists(http, base, token, id).await {
            missing.push(id.clone());
        }
    }
    missing
}

async fn readyz(http: &reqwest::Client, base: &str) -> u16 {
    http.get(format!("{base}/readyz")).send().await.unwrap().status().as_u16()
}

fn data_dir(disk: &Path) -> PathBuf {
    disk.join("data")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_fails_writes_and_every_acknowledged_write_is_kept() {
    let disk = SmallDisk::mount("24m");
    let gateway = Gateway::start_in(data_dir(&disk.0));
    let base = gateway.env["SCALEKIT_ENV_URL"].clone();
    let http = reqwest::Client::new();
    let token = gateway.api_token().await;
    // A webhook endpoint, so every account change also writes to the outbox (in a transaction),
    // and an account whose tool calls queue bookkeeping batches (transactions too).
    let hook = http
        .post(format!("{base}/api/v1/webhook_endpoints"))
        .bearer_auth(&token)
        .json(&json!({"url": "http://127.0.0.1:9/hook", "events": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(hook.status().as_u16(), 201, "{}", hook.text().await.unwrap());
    gateway.active_account("runner").await;
    let calls = {
        let (http, base, token) = (http.clone(), base.clone(), token.clone());
        tokio::spawn(async move {
            loop {
                let _ = http
                    .post(format!("{base}/api/v1/execute_tool"))
                    .bearer_auth(&token)
                    .json(&json!({"tool_name": "gmail_list_labels", "identifier": "runner", "params": {}}))
                    .send()
                    .await;
            }
        })
    };
    let mut acknowledged = Vec::new();
    let mut refused = 0;
    for n in 0..20 {
        let id = format!("before-{n}");
        let (status, body) = create_account(&http, &base, &token, &id).await;
        assert_eq!(status, 201, "{body}");
        acknowledged.push(id);
    }
    disk.fill();
    for n in 0..60 {
        let id = format!("full-{n}");
        let (status, body) = create_account(&http, &base, &token, &id).await;
        match status {
            201 => acknowledged.push(id),
            507 | 503 => {
                refused += 1;
                assert!(body.to_string().contains("disk full"), "{body}");
            }
            other => panic!("a write on a full disk answered {other}: {body}"),
        }
    }
    assert!(refused > 0, "the full disk refused writes");
    assert_ne!(readyz(&http, &base).await, 200, "/readyz tells that the store cannot write");
    // A failed sign-in is audited; on a full disk the row cannot be written: the loss is counted
    // where an operator sees it, not swallowed.
    let failed = http
        .post(format!("{base}/oauth/token"))
        .form(&[("grant_type", "client_credentials"), ("client_id", "nobody"), ("client_secret", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status(), 401);
    let metrics = http.get(gateway.env["AGENTKIT_METRICS_URL"].as_str()).send().await.unwrap();
    let text = metrics.text().await.unwrap();
    let lost: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("agentkit_audit_write_failures_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0);
    assert!(lost >= 1.0, "audit write failures are counted: {lost}");
    disk.free();
    tokio::time::sleep(Duration::from_millis(200)).await;
    for n in 0..40 {
        let id = format!("after-{n}");
        let (status, body) = create_account(&http, &base, &token, &id).await;
        assert_eq!(status, 201, "space is back: {body}");
        acknowledged.push(id);
    }
    let ready_again = tokio::time::Instant::now() + Duration::from_secs(20);
    while readyz(&http, &base).await != 200 {
        assert!(tokio::time::Instant::now() < ready_again, "ready again once the store takes writes");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    calls.abort();
    let missing = missing_accounts(&http, &base, &token, &acknowledged).await;
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged accounts missing: {missing:?}",
        missing.len(),
        acknowledged.len()
    );
    // And still there after a hard kill.
    let gateway = gateway.crash_and_restart();
    let base = gateway.env["SCALEKIT_ENV_URL"].clone();
    let token = gateway.api_token().await;
    let missing = missing_accounts(&http, &base, &token, &acknowledged).await;
    assert!(
        missing.is_empty(),
        "after a restart {} of {} acknowledged accounts missing: {missing:?}",
        missing.len(),
        acknowledged.len()
    );
    println!("acknowledged {} accounts, refused {refused} on the full disk, all present", acknowledged.len());
}
