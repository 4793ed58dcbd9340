//! Process-wide resources: one tokio runtime (for bindings that own theirs, i.e. Python) and one
//! pooled HTTP client. Both are rebuilt in a forked child, whose inherited copies would refer to
//! the parent's threads and sockets.
//!
//! The runtime is owned here and lent out as [`Handle`]s, so [`shutdown`] really stops it (tasks
//! dropped, workers joined) even while a caller is blocked in `Handle::block_on`. After shutdown no
//! new runtime is created: the host is exiting.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use tokio::runtime::{Handle, Runtime};

struct PerProcess<T> {
    pid: u32,
    value: T,
}

static HTTP: OnceLock<Mutex<Option<PerProcess<reqwest::Client>>>> = OnceLock::new();
static RUNTIME: OnceLock<Mutex<Option<PerProcess<Runtime>>>> = OnceLock::new();
static SHUT_DOWN: AtomicBool = AtomicBool::new(false);

/// The shared, pooled HTTP client (rustls, HTTP/1.1 and HTTP/2).
pub fn http_client() -> reqwest::Client {
    let cell = HTTP.get_or_init(|| Mutex::new(None));
    let mut guard = cell.lock().unwrap_or_else(|p| p.into_inner());
    let pid = std::process::id();
    match &*guard {
        Some(entry) if entry.pid == pid => entry.value.clone(),
        _ => {
            #[allow(clippy::expect_used, reason = "fails only without a TLS backend, which is built in")]
            let client = reqwest::Client::builder()
                // The gateway relays a provider's 3xx through `/proxy` as the answer; following it
                // here would send the caller's request to wherever the provider pointed.
                .redirect(reqwest::redirect::Policy::none())
                // Well below the gateway's keep-alive limit (`server.idle_timeout_secs`, 60 s by
                // default) and a proxy's in front of it: the client must let an idle connection
                // go first, or a request it sends just as the server closes the connection is lost
                // with it (and a tool call is not resent).
                .pool_idle_timeout(Duration::from_secs(5))
                .tcp_nodelay(true)
                .connect_timeout(Duration::from_secs(10))
                .build()
                .expect("TLS backend available");
            *guard = Some(PerProcess { pid, value: client.clone() });
            client
        }
    }
}

/// A handle to the shared multi-thread runtime (created on first use), or `None` once
/// [`shutdown`] has run.
pub fn handle() -> Option<Handle> {
    if SHUT_DOWN.load(Ordering::Acquire) {
        return None;
    }
    let cell = RUNTIME.get_or_init(|| Mutex::new(None));
    let mut guard = cell.lock().unwrap_or_else(|p| p.into_inner());
    let pid = std::process::id();
    if let Some(entry) = &*guard {
        if entry.pid == pid {
            return Some(entry.value.handle().clone());
        }
    }
    if let Some(inherited) = guard.take() {
        // A forked child must not drive (or join) the parent's threads: leak its runtime.
        std::mem::forget(inherited);
    }
    // Fails only when the OS refuses threads: then there is no runtime, as after a shutdown.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("agentkit-rt")
        .enable_all()
        .build()
        .ok()?;
    let handle = rt.handle().clone();
    *guard = Some(PerProcess { pid, value: rt });
    Some(handle)
}

/// True once [`shutdown`] has run.
pub fn is_shut_down() -> bool {
    SHUT_DOWN.load(Ordering::Acquire)
}

/// Stops the shared runtime: pending tasks are dropped and worker threads joined (bounded wait).
/// Bindings call this when the host language exits so no runtime thread outlives it.
pub fn shutdown() {
    SHUT_DOWN.store(true, Ordering::Release);
    let taken = RUNTIME.get().and_then(|cell| cell.lock().unwrap_or_else(|p| p.into_inner()).take());
    if let Some(entry) = taken {
        if entry.pid == std::process::id() {
            entry.value.shutdown_timeout(Duration::from_secs(2));
        } else {
            std::mem::forget(entry.value);
        }
    }
    if let Some(http) = HTTP.get() {
        http.lock().unwrap_or_else(|p| p.into_inner()).take();
    }
}
