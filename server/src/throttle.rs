//! Per-source throttles for what unauthenticated callers can repeat: a fixed window of counted
//! events per client address (an IPv6 address counts by its /64, what one host usually holds).
//! The table of sources is bounded: when it is full of live windows, new sources share one
//! overflow window, so spraying addresses throttles the sprayer, not the sources already seen.
//! Behind a reverse proxy every client has the proxy's address, as for
//! `server.max_connections_per_ip`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The client address of a request, as the listener recorded it (absent when the router is
/// driven without the listener): a handler argument.
pub type Peer = Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>;

/// The address of [`Peer`].
pub fn address_of(peer: Peer) -> Option<IpAddr> {
    peer.map(|axum::Extension(axum::extract::ConnectInfo(address))| address.ip())
}

/// Whole seconds to wait (at least one), for `Retry-After` and messages.
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs().saturating_add(u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// `answer` with `Retry-After` set to `wait`.
pub fn with_retry_after(mut answer: axum::response::Response, wait: Duration) -> axum::response::Response {
    answer.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(retry_after_secs(wait)));
    answer
}

/// Most sources one throttle keeps a window for.
const MAX_SOURCES: usize = 65_536;

/// Counts events per source in windows of `window`; a source that reached `limit` in its window
/// is refused until the window ends.
pub struct Throttle {
    limit: u32,
    window: Duration,
    table: Mutex<Table>,
}

#[derive(Default)]
struct Table {
    sources: HashMap<Source, Window>,
    /// When ended windows were last dropped (at most once a window, so a full table of live
    /// windows costs no scan per event).
    purged: Option<Instant>,
}

/// Whom a window counts: an address (IPv6 by its /64), or every source beyond the table's bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Source {
    Address(IpAddr),
    Overflow,
}

struct Window {
    started: Instant,
    count: u32,
}

impl Throttle {
    /// `limit` events per `window` and source; a limit of 0 turns the throttle off.
    pub fn new(limit: u32, window: Duration) -> Throttle {
        Throttle { limit, window, table: Mutex::default() }
    }

    /// `Err(wait)` when `peer` used up its window (the wait is until it ends); counts nothing.
    pub fn check(&self, peer: Option<IpAddr>) -> Result<(), Duration> {
        if self.limit == 0 {
            return Ok(());
        }
        let now = Instant::now();
        let table = self.table.lock().unwrap_or_else(|p| p.into_inner());
        let Some(window) = table.sources.get(&source_of(&table.sources, peer)) else { return Ok(()) };
        let elapsed = now.saturating_duration_since(window.started);
        if elapsed < self.window && window.count >= self.limit {
            return Err(self.window.saturating_sub(elapsed));
        }
        Ok(())
    }

    /// Counts one event of `peer`.
    pub fn count(&self, peer: Option<IpAddr>) {
        if self.limit == 0 {
            return;
        }
        let now = Instant::now();
        let mut table = self.table.lock().unwrap_or_else(|p| p.into_inner());
        let purge_due = table.purged.is_none_or(|at| now.saturating_duration_since(at) >= self.window);
        if table.sources.len() >= MAX_SOURCES && purge_due {
            let length = self.window;
            table.sources.retain(|_, w| now.saturating_duration_since(w.started) < length);
            table.purged = Some(now);
        }
        let source = source_of(&table.sources, peer);
        let window = table.sources.entry(source).or_insert(Window { started: now, count: 0 });
        if now.saturating_duration_since(window.started) >= self.window {
            *window = Window { started: now, count: 0 };
        }
        window.count = window.count.saturating_add(1);
    }

    /// [`Throttle::check`], then [`Throttle::count`] when allowed: for events counted whatever
    /// their outcome.
    pub fn admit(&self, peer: Option<IpAddr>) -> Result<(), Duration> {
        self.check(peer)?;
        self.count(peer);
        Ok(())
    }
}

/// The window `peer` counts in: its own when it has one or there is room for it.
fn source_of(sources: &HashMap<Source, Window>, peer: Option<IpAddr>) -> Source {
    let own = Source::Address(peer.map(prefix).unwrap_or(IpAddr::from([0u8; 4])));
    if sources.len() < MAX_SOURCES || sources.contains_key(&own) {
        own
    } else {
        Source::Overflow
    }
}

/// An IPv4 address as is (also when IPv4-mapped); an IPv6 address by its /64.
fn prefix(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut octets = v6.octets();
                octets[8..].fill(0);
                IpAddr::from(octets)
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_is_refused_after_its_limit_until_the_window_ends() {
        let throttle = Throttle::new(3, Duration::from_millis(200));
        let a = Some("192.0.2.1".parse().unwrap());
        let b = Some("192.0.2.2".parse().unwrap());
        for _ in 0..3 {
            assert!(throttle.check(a).is_ok());
            throttle.count(a);
        }
        let wait = throttle.check(a).unwrap_err();
        assert!(wait <= Duration::from_millis(200) && wait > Duration::ZERO);
        assert!(throttle.check(b).is_ok(), "another source has its own window");
        std::thread::sleep(Duration::from_millis(220));
        assert!(throttle.admit(a).is_ok(), "a new window");
    }

    #[test]
    fn an_ipv6_host_counts_by_its_slash_64() {
        let throttle = Throttle::new(1, Duration::from_secs(60));
        throttle.count(Some("2001:db8:1:2::1".parse().unwrap()));
        assert!(throttle.check(Some("2001:db8:1:2:ffff::9".parse().unwrap())).is_err());
        assert!(throttle.check(Some("2001:db8:1:3::1".parse().unwrap())).is_ok());
        throttle.count(Some("::ffff:198.51.100.7".parse().unwrap()));
        assert!(throttle.check(Some("198.51.100.7".parse().unwrap())).is_err(), "mapped IPv4 is the IPv4 source");
    }

    #[test]
    fn sources_beyond_the_bound_share_one_window() {
        let throttle = Throttle::new(2, Duration::from_secs(60));
        let seen = Some("192.0.2.1".parse().unwrap());
        throttle.count(seen);
        for n in 0..MAX_SOURCES as u32 + 2 {
            throttle.count(Some(IpAddr::from((0x0a00_0000 + n).to_be_bytes())));
        }
        let table = throttle.table.lock().unwrap();
        assert!(table.sources.len() <= MAX_SOURCES + 1, "bounded: {}", table.sources.len());
        drop(table);
        assert!(throttle.check(Some("203.0.113.9".parse().unwrap())).is_err(), "the overflow window is used up");
        assert!(throttle.check(seen).is_ok(), "a source seen before keeps its own window");
    }

    #[test]
    fn a_disabled_throttle_admits_everything() {
        let throttle = Throttle::new(0, Duration::from_secs(60));
        for _ in 0..100 {
            assert!(throttle.admit(None).is_ok());
        }
    }
}
