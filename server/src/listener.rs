//! The gateway's HTTP listener: what a client may hold before it has even authenticated.
//!
//! `axum::serve` has no header-read timeout and no connection cap, so a few hundred half-sent
//! requests could hold every file descriptor. Here each connection needs a permit (at most
//! `server.max_connections`; further clients wait in the kernel's backlog), headers must arrive
//! within `server.header_read_timeout_secs`, and request bodies within
//! `server.request_body_timeout_secs` (a tower-http layer on the router). At start the open-file
//! limit is raised to its hard maximum.
//!
//! Stopping is graceful: once `stop` fires, no new connection is accepted, every open one is
//! told to finish the request in flight and close (hyper's graceful shutdown), and the listener
//! returns when they have — or after `drain` at the latest.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// The listener's limits (from `[server]`).
#[derive(Debug, Clone, Copy)]
pub struct ListenerLimits {
    pub max_connections: usize,
    pub header_read_timeout: Duration,
    pub request_body_timeout: Duration,
}

/// Serves `app` on `listener` until `stop` turns true (then drains, at most `drain`).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ListenerLimits,
    mut stop: tokio::sync::watch::Receiver<bool>,
    drain: Duration,
) {
    let app = app.layer(tower_http::timeout::RequestBodyTimeoutLayer::new(limits.request_body_timeout));
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut builder = Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);
    let connections = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        // Waiting here leaves new clients in the backlog rather than failing requests in flight.
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit { Ok(p) => p, Err(_) => break },
            _ = stop_requested(&mut stop) => break,
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop_requested(&mut stop) => break,
        };
        let (stream, _peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // EMFILE and friends: back off briefly instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let service = app.clone().map_request(|req: hyper::Request<Incoming>| req.map(axum::body::Body::new));
        let builder = builder.clone();
        let watcher = connections.watcher();
        tokio::spawn(async move {
            let connection =
                builder.serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(service));
            if let Err(e) = watcher.watch(connection).await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(drain, connections.shutdown()).await.is_err() {
        tracing::warn!(?drain, "connections still open after the drain period; closing them");
    }
}

/// Resolves once a stop is asked for; never if nobody can ask any more (the `RunningServer` was
/// dropped: the server then runs for as long as the runtime does, as before there was a stop).
async fn stop_requested(stop: &mut tokio::sync::watch::Receiver<bool>) {
    if stop.wait_for(|stopped| *stopped).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Raises the soft open-file limit to the hard one, so the connection cap, not the kernel's
/// default of 1024, decides how many clients are held. Returns the limit now in force.
pub fn raise_open_file_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: getrlimit/setrlimit only read and write the struct passed by pointer.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
                return None;
            }
            if limit.rlim_cur < limit.rlim_max {
                let raised = libc::rlimit { rlim_cur: limit.rlim_max, rlim_max: limit.rlim_max };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                    limit = raised;
                }
            }
        }
        // rlim_t is u64 on Linux but not everywhere.
        #[allow(clippy::unnecessary_cast)]
        Some(limit.rlim_cur as u64)
    }
    #[cfg(not(unix))]
    None
}
