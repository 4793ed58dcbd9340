//! Telling the other replicas what changed (PostgreSQL only; one SQLite process needs nobody
//! told). A write sends `NOTIFY agentkit_changes` with `<replica> account:<identifier>` (drop
//! that identifier from the account cache) or `<replica> catalog` (custom providers changed:
//! rebuild the registry); every replica LISTENs and skips what it sent itself (it acted at once).
//! A replica whose listening connection breaks empties its account cache and rebuilds its catalog
//! once it is back, since it may have missed something; until then the cache's ttl bounds what it
//! can miss.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio::sync::broadcast;

use super::account_cache::AccountCache;

pub const CHANNEL: &str = "agentkit_changes";
const CATALOG: &str = "catalog";
const ACCOUNT_PREFIX: &str = "account:";

/// What another replica (or this one) changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Account(String),
    Catalog,
}

impl Change {
    /// The notification text: who sent it, then what changed.
    pub fn payload(&self, origin: &str) -> String {
        match self {
            Change::Account(identifier) => format!("{origin} {ACCOUNT_PREFIX}{identifier}"),
            Change::Catalog => format!("{origin} {CATALOG}"),
        }
    }

    /// `(origin, change)` of a notification.
    fn parse(payload: &str) -> Option<(&str, Change)> {
        let (origin, what) = payload.split_once(' ')?;
        if what == CATALOG {
            return Some((origin, Change::Catalog));
        }
        what.strip_prefix(ACCOUNT_PREFIX).map(|identifier| (origin, Change::Account(identifier.to_string())))
    }
}

/// Listens on `url` for as long as the process lives: other replicas' account changes drop cache
/// entries, their catalog changes go to `catalog` (the app rebuilds its registry). `origin` is
/// this replica's id in the payloads it sends.
pub fn listen(url: String, origin: String, cache: Arc<AccountCache>, catalog: broadcast::Sender<()>) {
    tokio::spawn(async move {
        let mut backoff = Duration::from_millis(200);
        let mut reconnecting = false;
        loop {
            match PgListener::connect(&url).await {
                Ok(mut listener) => match listener.listen(CHANNEL).await {
                    Err(e) => tracing::warn!(error = %e, "LISTEN failed"),
                    Ok(()) => {
                        backoff = Duration::from_millis(200);
                        if reconnecting {
                            // What happened while we were not listening is unknown: start clean.
                            cache.clear();
                            let _ = catalog.send(());
                        }
                        loop {
                            let notification = match listener.recv().await {
                                Ok(notification) => notification,
                                Err(e) => {
                                    tracing::warn!(error = %e, "change notifications interrupted; reconnecting");
                                    break;
                                }
                            };
                            match Change::parse(notification.payload()) {
                                Some((from, _)) if from == origin => {}
                                Some((_, Change::Account(identifier))) => cache.invalidate(&identifier),
                                Some((_, Change::Catalog)) => {
                                    let _ = catalog.send(());
                                }
                                None => {}
                            }
                        }
                    }
                },
                Err(e) => tracing::warn!(error = %e, "cannot listen for changes; retrying"),
            }
            reconnecting = true;
            cache.clear();
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(10));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip() {
        for change in [Change::Account("user 1:x".into()), Change::Catalog] {
            let payload = change.payload("r1");
            assert_eq!(Change::parse(&payload), Some(("r1", change)));
        }
        assert_eq!(Change::parse("r1 something-else"), None);
        assert_eq!(Change::parse("no-origin"), None);
    }
}
