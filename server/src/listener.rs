//! The gateway's HTTP listener: what a client may hold before it has even authenticated.
//!
//! `axum::serve` has no header-read timeout and no connection cap, so a few hundred half-sent
//! requests could hold every file descriptor. Here each connection needs a permit (at most
//! `server.max_connections`; further clients wait in the kernel's backlog, and one address holds
//! at most `server.max_connections_per_ip`, beyond which its new connections are closed at once).
//! A connection must send its first request within `server.header_read_timeout_secs` — whatever
//! the protocol: nothing at all, or only an HTTP/2 preface, counts as not sending — and one that
//! has no request in flight for `server.idle_timeout_secs` is closed (HTTP/2 peers are also
//! pinged, so a vanished one is noticed). An HTTP/1 request's headers must arrive within the
//! header timeout of its first byte; request bodies within `server.request_body_timeout_secs` (a
//! tower-http layer on the router). At start the open-file limit is raised to its hard maximum.
//!
//! The header clock is ours, not hyper's: hyper's runs from the end of the previous answer, so
//! it closed every kept-alive HTTP/1 connection after the header timeout, and a client that
//! reused one just then lost its request with the connection (a client may not resend a
//! request it has sent). Ours starts at a request's first byte, so a kept-alive connection
//! stays usable for the whole idle timeout.
//!
//! Stopping is graceful: once `stop` fires, no new connection is accepted, every open one is
//! told to finish the request in flight and close (hyper's graceful shutdown), and the listener
//! returns when they have — or after `drain` at the latest.

use std::collections::HashMap;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// The listener's limits (from `[server]`).
#[derive(Debug, Clone, Copy)]
pub struct ListenerLimits {
    pub max_connections: usize,
    /// Connections one client address may hold at once.
    pub max_connections_per_ip: usize,
    /// Time to a connection's first request, and to a request's complete headers.
    pub header_read_timeout: Duration,
    pub request_body_timeout: Duration,
    /// Time a connection may stay open with no request in flight.
    pub idle_timeout: Duration,
}

/// Open connections per client address.
#[derive(Default)]
struct PerAddress(Mutex<HashMap<IpAddr, usize>>);

/// One address's claim on a connection slot; given back on drop.
struct AddressSlot {
    table: Arc<PerAddress>,
    ip: IpAddr,
}

impl PerAddress {
    fn claim(table: &Arc<PerAddress>, ip: IpAddr, cap: usize) -> Option<AddressSlot> {
        let mut open = table.0.lock().unwrap_or_else(|p| p.into_inner());
        let count = open.entry(ip).or_insert(0);
        if *count >= cap {
            return None;
        }
        *count += 1;
        Some(AddressSlot { table: table.clone(), ip })
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut open = self.table.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = open.get_mut(&self.ip) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// What a connection is doing: requests in flight (until their answer's body is done — an SSE
/// stream is in flight for as long as it streams), when the last one ended, and whether the
/// next one has begun to arrive.
struct Activity {
    born: Instant,
    /// HTTP/1 (the header clock applies) rather than HTTP/2 (whose pings and window updates
    /// arrive between requests).
    http1: bool,
    in_flight: AtomicUsize,
    requests: AtomicUsize,
    /// Milliseconds after `born` of the last request start or end.
    last_ms: AtomicU64,
    /// Milliseconds after `born` of the first byte of a request whose headers are not complete
    /// yet ([`NOT_STARTED`] when none is arriving).
    header_started_ms: AtomicU64,
    /// Wakes the connection's watch when a request begins to arrive (its clock is shorter).
    header_begun: tokio::sync::Notify,
}

/// [`Activity::header_started_ms`] when no request is arriving.
const NOT_STARTED: u64 = u64::MAX;

/// Why a connection's watch ends it.
enum Overstay {
    /// Quiet for longer than allowed: close it gracefully.
    Idle,
    /// A request's headers did not arrive in time: drop it (nothing is in flight).
    HeadersTooSlow,
}

impl Activity {
    fn new(http1: bool) -> Activity {
        Activity {
            born: Instant::now(),
            http1,
            in_flight: 0.into(),
            requests: 0.into(),
            last_ms: 0.into(),
            header_started_ms: NOT_STARTED.into(),
            header_begun: tokio::sync::Notify::new(),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.born.elapsed().as_millis()).unwrap_or(NOT_STARTED - 1)
    }

    fn touch(&self) {
        self.last_ms.store(self.now_ms(), Ordering::Relaxed);
    }

    /// Bytes arrived: with no request in flight, they begin the next one and start its header clock.
    fn bytes_arrived(&self) {
        if self.http1 && self.in_flight.load(Ordering::Acquire) == 0 {
            let begun = self.header_started_ms.compare_exchange(
                NOT_STARTED,
                self.now_ms(),
                Ordering::AcqRel,
                Ordering::Acquire,
            );
            if begun.is_ok() {
                self.header_begun.notify_one();
            }
        }
    }

    /// How long the connection may go on as it is from now, or why it must end.
    fn time_left(&self, limits: &ListenerLimits) -> Result<Duration, Overstay> {
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return Ok(limits.idle_timeout);
        }
        let since = |ms: u64| self.born.elapsed().saturating_sub(Duration::from_millis(ms));
        let header_started = self.header_started_ms.load(Ordering::Acquire);
        if header_started != NOT_STARTED {
            let left = limits.header_read_timeout.checked_sub(since(header_started));
            return left.filter(|left| !left.is_zero()).ok_or(Overstay::HeadersTooSlow);
        }
        let allowed =
            if self.requests.load(Ordering::Acquire) == 0 { limits.header_read_timeout } else { limits.idle_timeout };
        let left = allowed.checked_sub(since(self.last_ms.load(Ordering::Relaxed)));
        left.filter(|left| !left.is_zero()).ok_or(Overstay::Idle)
    }
}

/// The connection's socket, telling its [`Activity`] when bytes arrive.
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.bytes_arrived();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
}

/// A request in flight on its connection, ended when its answer's body is dropped.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn start(activity: &Arc<Activity>) -> InFlight {
        activity.in_flight.fetch_add(1, Ordering::AcqRel);
        activity.requests.fetch_add(1, Ordering::AcqRel);
        activity.header_started_ms.store(NOT_STARTED, Ordering::Release);
        activity.touch();
        InFlight(activity.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// An answer's body that keeps its request in flight until the body is done. Everything else is
/// the inner body's, the size hint included (so a known length still goes out as
/// `Content-Length`, not chunked).
struct TrackedBody {
    inner: axum::body::Body,
    _in_flight: InFlight,
}

impl axum::body::HttpBody for TrackedBody {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
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
    let max_connections = limits.max_connections.max(1);
    let permits = Arc::new(Semaphore::new(max_connections));
    let per_address = Arc::new(PerAddress::default());
    let mut builder = Builder::new(TokioExecutor::new());
    // The header clock is the connection watch's (see the module's doc), not hyper's.
    builder.http1().timer(TokioTimer::new()).header_read_timeout(None);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(limits.idle_timeout))
        .keep_alive_timeout(limits.header_read_timeout);
    let builder = Arc::new(builder);
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
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // EMFILE and friends: back off briefly instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Some(slot) = PerAddress::claim(&per_address, peer.ip(), limits.max_connections_per_ip.max(1)) else {
            tracing::debug!(peer = %peer.ip(), "connection refused: this address holds max_connections_per_ip");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let builder = builder.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            serve_connection(stream, peer, app, &builder, limits, stop).await;
            drop((slot, permit));
        });
    }
    drop(listener);
    // Every connection holds a permit until it ends: all permits back means all closed.
    let all_closed = permits.acquire_many(u32::try_from(max_connections).unwrap_or(u32::MAX));
    if tokio::time::timeout(drain, all_closed).await.is_err() {
        tracing::warn!(?drain, "connections still open after the drain period; closing them");
    }
}

/// One connection, from its first byte to its end: closed when it sends nothing in time, when it
/// stays idle too long, or (gracefully) when the server stops.
async fn serve_connection(
    stream: TcpStream,
    peer: std::net::SocketAddr,
    app: Router,
    builder: &Builder<TokioExecutor>,
    limits: ListenerLimits,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    // Before hyper reads a protocol preface, which it would wait for forever. The HTTP/2
    // preface begins `PRI`, which no HTTP/1 method does: three bytes tell them apart.
    let peeked = tokio::time::timeout(limits.header_read_timeout, async {
        let mut first = [0u8; 3];
        loop {
            match stream.peek(&mut first).await {
                Ok(0) | Err(_) => return None,
                Ok(n) if n >= first.len() => return Some(first != *b"PRI"),
                // Fewer bytes so far: wait for more rather than spin on the same ones.
                Ok(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    })
    .await;
    let Ok(Some(http1)) = peeked else { return };
    let activity = Arc::new(Activity::new(http1));
    let tracked = activity.clone();
    let service = tower::service_fn(move |mut req: hyper::Request<Incoming>| {
        // Handlers that throttle per client address read it as axum's `ConnectInfo`.
        req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
        // In flight from its arrival until its answer has been sent in full.
        let in_flight = InFlight::start(&tracked);
        let app = app.clone();
        async move {
            let res = app.oneshot(req.map(axum::body::Body::new)).await?;
            Ok::<_, std::convert::Infallible>(
                res.map(move |inner| axum::body::Body::new(TrackedBody { inner, _in_flight: in_flight })),
            )
        }
    });
    let watched = Watched { inner: stream, activity: activity.clone() };
    let connection = builder.serve_connection_with_upgrades(TokioIo::new(watched), TowerToHyperService::new(service));
    tokio::pin!(connection);
    let mut phase = Phase::Open;
    loop {
        let wake = match phase {
            Phase::Open => Some(tokio::time::Instant::now() + activity.time_left(&limits).unwrap_or(Duration::ZERO)),
            Phase::Stopping => None,
            Phase::ClosingIdle { grace_ends } => Some(grace_ends),
        };
        tokio::select! {
            ended = connection.as_mut() => {
                if let Err(e) = ended {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            _ = stop_requested(&mut stop), if matches!(phase, Phase::Open) => {
                connection.as_mut().graceful_shutdown();
                phase = Phase::Stopping;
            }
            // A request began to arrive: its header clock may end sooner than the current wake.
            _ = activity.header_begun.notified(), if matches!(phase, Phase::Open) => {}
            // A disabled branch's future is built but never polled: `now` is a placeholder.
            _ = tokio::time::sleep_until(wake.unwrap_or_else(tokio::time::Instant::now)), if wake.is_some() => {
                if matches!(phase, Phase::ClosingIdle { .. }) {
                    return;
                }
                match activity.time_left(&limits) {
                    Ok(_) => {}
                    Err(Overstay::HeadersTooSlow) => return,
                    Err(Overstay::Idle) => {
                        connection.as_mut().graceful_shutdown();
                        phase = Phase::ClosingIdle { grace_ends: tokio::time::Instant::now() + limits.header_read_timeout };
                    }
                }
            }
        }
    }
}

/// Where a connection is in its life, for the loop that watches it.
enum Phase {
    /// Serving; closed when it stays quiet too long.
    Open,
    /// Told to finish and close because the server stops (the listener's drain period bounds it).
    Stopping,
    /// Told to close for being idle; dropped if it has not gone by `grace_ends`.
    ClosingIdle { grace_ends: tokio::time::Instant },
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
        #[allow(unsafe_code, reason = "the open-file limit has no safe interface in std")]
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
