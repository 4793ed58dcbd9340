//! Process-wide resources: one tokio runtime (for bindings that need to own one) and one pooled
//! HTTP client. Both are rebuilt in a forked child, whose inherited copies would hold the parent's
//! threads and sockets.

use std::sync::{Mutex, OnceLock};
use std::time::Duration;

struct PerProcess<T> {
    pid: u32,
    value: T,
}

static HTTP: OnceLock<Mutex<Option<PerProcess<reqwest::Client>>>> = OnceLock::new();
static RUNTIME: OnceLock<Mutex<Option<PerProcess<std::sync::Arc<tokio::runtime::Runtime>>>>> = OnceLock::new();

/// The shared, pooled HTTP client (rustls, HTTP/1.1 and HTTP/2).
pub fn http_client() -> reqwest::Client {
    let cell = HTTP.get_or_init(|| Mutex::new(None));
    let mut guard = cell.lock().unwrap_or_else(|p| p.into_inner());
    let pid = std::process::id();
    match &*guard {
        Some(entry) if entry.pid == pid => entry.value.clone(),
        _ => {
            let client = reqwest::Client::builder()
                .pool_idle_timeout(Duration::from_secs(90))
                .tcp_nodelay(true)
                .connect_timeout(Duration::from_secs(10))
                .build()
                .expect("TLS backend available");
            *guard = Some(PerProcess { pid, value: client.clone() });
            client
        }
    }
}

/// The shared multi-thread runtime, created on first use.
pub fn runtime() -> std::sync::Arc<tokio::runtime::Runtime> {
    let cell = RUNTIME.get_or_init(|| Mutex::new(None));
    let mut guard = cell.lock().unwrap_or_else(|p| p.into_inner());
    let pid = std::process::id();
    match &*guard {
        Some(entry) if entry.pid == pid => entry.value.clone(),
        _ => {
            if let Some(inherited) = guard.take() {
                // A forked child must not drive (or join) the parent's threads: leak its runtime.
                std::mem::forget(inherited);
            }
            let rt = std::sync::Arc::new(
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("agentkit-rt")
                    .enable_all()
                    .build()
                    .expect("tokio runtime"),
            );
            *guard = Some(PerProcess { pid, value: rt.clone() });
            rt
        }
    }
}

/// Stops the shared runtime: pending tasks are dropped and worker threads are joined (bounded).
/// Bindings call this at interpreter exit so no tokio thread outlives the host language.
pub fn shutdown() {
    let Some(cell) = RUNTIME.get() else { return };
    let taken = cell.lock().unwrap_or_else(|p| p.into_inner()).take();
    if let Some(entry) = taken {
        if entry.pid != std::process::id() {
            std::mem::forget(entry.value);
            return;
        }
        if let Ok(rt) = std::sync::Arc::try_unwrap(entry.value) {
            rt.shutdown_timeout(Duration::from_secs(2));
        }
    }
    if let Some(http) = HTTP.get() {
        http.lock().unwrap_or_else(|p| p.into_inner()).take();
    }
}
