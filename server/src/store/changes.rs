//! Telling the other replicas what changed (PostgreSQL only; one SQLite process needs nobody
//! told). A write sends `NOTIFY agentkit_changes` with `account:<identifier>` (drop that
//! identifier from the account cache) or `catalog` (custom providers changed: rebuild the
//! registry); every replica LISTENs. A replica whose listening connection breaks empties its
//! account cache and asks for a catalog rebuild once it is back, since it may have missed
//! something; until then the cache's ttl bounds what it can miss.

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
    pub fn payload(&self) -> String {
        match self {
            Change::Account(identifier) => format!("{ACCOUNT_PREFIX}{identifier}"),
            Change::Catalog => CATALOG.to_string(),
        }
    }

    fn parse(payload: &str) -> Option<Change> {
        if payload == CATALOG {
            return Some(Change::Catalog);
        }
        payload.strip_prefix(ACCOUNT_PREFIX).map(|identifier| Change::Account(identifier.to_string()))
    }
}

/// Listens on `url` for as long as the process lives: account changes drop cache entries,
/// catalog changes go to `catalog` (the app rebuilds its registry).
pub fn listen(url: String, cache: Arc<AccountCache>, catalog: broadcast::Sender<()>) {
    tokio::spawn(async move {
        let mut backoff = Duration::from_millis(200);
        loop {
            match PgListener::connect(&url).await {
                Ok(mut listener) => {
                    if let Err(e) = listener.listen(CHANNEL).await {
                        tracing::warn!(error = %e, "LISTEN failed");
                    } else {
                        backoff = Duration::from_millis(200);
                        // Whatever happened while we were not listening is unknown: start clean.
                        cache.clear();
                        let _ = catalog.send(());
                        loop {
                            match listener.recv().await {
                                Ok(notification) => match Change::parse(notification.payload()) {
                                    Some(Change::Account(identifier)) => cache.invalidate(&identifier),
                                    Some(Change::Catalog) => {
                                        let _ = catalog.send(());
                                    }
                                    None => {}
                                },
                                Err(e) => {
                                    tracing::warn!(error = %e, "change notifications interrupted; reconnecting");
                                    break;
                                }
                            }
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot listen for changes; retrying"),
            }
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
        for change in [Change::Account("user:1".into()), Change::Catalog] {
            assert_eq!(Change::parse(&change.payload()), Some(change));
        }
        assert_eq!(Change::parse("something-else"), None);
    }
}
