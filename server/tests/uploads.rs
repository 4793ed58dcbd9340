//! `upload_resumable` against `agentkit dev`: Google's resumable protocol through the proxy, into
//! the sandbox's resumable-upload stand-in, which fails and drops chunks on demand. What arrives
//! must be every byte, once, in order (the stand-in's SHA-256 of what it holds).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::sync::{Arc, Mutex};

use agentkit_core::upload::{upload_resumable, Progress, UploadData, CHUNK_GRANULE};
use agentkit_core::ErrorKind;
use serde_json::{json, Value};

mod common;
use common::Gateway;

fn sha256_hex(bytes: &[u8]) -> String {
    <sha2::Sha256 as sha2::Digest>::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// 1.1 MiB of bytes that differ from chunk to chunk: a chunk sent twice or skipped changes the sum.
fn file_bytes() -> Vec<u8> {
    (0..(CHUNK_GRANULE * 4 + 100_000)).map(|i| (i * 7 % 251) as u8).collect()
}

async fn faults(gateway: &Gateway, fail: &[u64], broken: &[u64]) {
    let url = format!("{}/sandbox/settings", gateway.env["AGENTKIT_SANDBOX_URL"]);
    let knobs = json!({"upload_fail_chunks": fail, "upload_break_chunks": broken});
    assert!(reqwest::Client::new().post(url).json(&knobs).send().await.unwrap().status().is_success());
}

fn params(name: &str, chunk_size: u64) -> Value {
    json!({"connection_name": "gmail", "identifier": "uploader", "path": "/upload/drive/v3/files",
           "metadata": {"name": name}, "content_type": "application/pdf", "chunk_size": chunk_size,
           "query_params": {"fields": "id,name,size"}})
}

/// `(bytes uploaded, total)` as the progress callback saw them.
type Steps = Arc<Mutex<Vec<(u64, u64)>>>;

fn recorder() -> (Progress, Steps) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let into = seen.clone();
    let progress: Progress = Arc::new(move |sent, total| {
        into.lock().unwrap().push((sent, total));
        Ok(())
    });
    (progress, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resumable_upload_survives_failed_and_dropped_chunks() {
    let gateway = Gateway::start();
    gateway.active_account("uploader").await;
    let actions = gateway.actions();
    let bytes = file_bytes();
    let total = bytes.len() as u64;

    // No faults: five chunks of 256 KiB, progress after each, the file as the provider made it.
    let (progress, seen) = recorder();
    let answer = upload_resumable(
        &actions,
        params("plain.pdf", CHUNK_GRANULE),
        UploadData::Bytes(bytes.clone()),
        Some(progress),
    )
    .await
    .unwrap();
    assert_eq!(answer.status, 200);
    let file: Value = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(file["name"], "plain.pdf");
    assert_eq!(file["mimeType"], "application/pdf");
    assert_eq!(file["size"], total.to_string());
    assert_eq!(file["sha256Checksum"], sha256_hex(&bytes));
    let steps = seen.lock().unwrap().clone();
    assert_eq!(steps.len(), 5, "{steps:?}");
    assert_eq!(steps.last(), Some(&(total, total)));
    assert!(steps.windows(2).all(|w| w[0].0 < w[1].0), "progress only grows: {steps:?}");

    // The provider fails the second chunk (503) and the connection drops in the middle of the
    // fourth: the upload asks where it stands and resumes, from a file read chunk by chunk.
    faults(&gateway, &[1], &[3]).await;
    let dir = std::env::temp_dir().join(format!("agentkit-upload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("report.pdf");
    std::fs::write(&path, &bytes).unwrap();
    let (progress, seen) = recorder();
    let answer =
        upload_resumable(&actions, params("report.pdf", CHUNK_GRANULE), UploadData::File(path.clone()), Some(progress))
            .await
            .unwrap();
    let file: Value = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(file["sha256Checksum"], sha256_hex(&bytes), "every byte once, in order");
    let steps = seen.lock().unwrap().clone();
    assert!(steps.iter().any(|(sent, _)| sent % CHUNK_GRANULE != 0), "resumed from half a chunk: {steps:?}");
    assert_eq!(steps.last(), Some(&(total, total)));
    faults(&gateway, &[], &[]).await;

    // Bad input is refused before anything is sent.
    for (chunk, field) in
        [(100_000u64, "chunk_size"), (CHUNK_GRANULE * 3 / 2, "chunk_size"), (CHUNK_GRANULE * 128, "chunk_size")]
    {
        let err = upload_resumable(&actions, params("x", chunk), UploadData::Bytes(vec![1]), None).await.unwrap_err();
        assert_eq!((err.kind(), err.field()), (ErrorKind::InvalidInput, Some(field)), "{chunk}: {}", err.message());
    }
    let missing = UploadData::File(dir.join("missing.pdf"));
    let err = upload_resumable(&actions, params("x", CHUNK_GRANULE), missing, None).await.unwrap_err();
    assert_eq!(err.field(), Some("file_path"));
    // A callback that fails stops the upload with its error.
    let refusing: Progress =
        Arc::new(|_, _| Err(agentkit_core::Error::new(ErrorKind::Hook, "the user cancelled the upload")));
    let err = upload_resumable(&actions, params("x", CHUNK_GRANULE), UploadData::Bytes(bytes), Some(refusing))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Hook);
    let _ = std::fs::remove_dir_all(dir);
}

/// Each gives up after about 12 s of backoff: they run side by side, each on its own gateway.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_the_provider_keeps_failing_gives_up_with_its_status() {
    let gateway = Gateway::start();
    gateway.active_account("uploader").await;
    let actions = gateway.actions();
    let bytes = file_bytes();
    faults(&gateway, &(0..40).collect::<Vec<_>>(), &[]).await;
    let started = std::time::Instant::now();
    let err = upload_resumable(&actions, params("never.pdf", CHUNK_GRANULE), UploadData::Bytes(bytes.clone()), None)
        .await
        .unwrap_err();
    assert!(err.message().contains("did not resume after"), "{}", err.message());
    assert_eq!(err.status(), 503);
    assert!(started.elapsed() < std::time::Duration::from_secs(90));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_the_provider_never_finishes_ends_instead_of_spinning() {
    let gateway = Gateway::start();
    gateway.active_account("uploader").await;
    let actions = gateway.actions();
    let bytes = file_bytes();
    // A provider that holds every byte but never says done.
    let url = format!("{}/sandbox/settings", gateway.env["AGENTKIT_SANDBOX_URL"]);
    let knobs = json!({"upload_fail_chunks": [], "upload_never_finish": true});
    reqwest::Client::new().post(&url).json(&knobs).send().await.unwrap();
    let started = std::time::Instant::now();
    let err = upload_resumable(&actions, params("spin.pdf", CHUNK_GRANULE), UploadData::Bytes(bytes.clone()), None)
        .await
        .unwrap_err();
    assert!(err.message().contains("took nothing new"), "{}", err.message());
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
}
