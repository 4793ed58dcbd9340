//! Telling the other replicas what changed (PostgreSQL only; one SQLite process needs nobody
//! told). A write sends `NOTIFY agentkit_changes` with `<replica> account:<identifier>` (drop
//! that identifier from the account cache), `<replica> catalog` (custom providers or connector
//! files changed: rebuild the registry), `<replica> vault` (a key rotation: read the key file
//! again, so every replica seals with the new key) or `<replica> api_clients` (an API client was
//! created, rotated or revoked: reread them) or `<replica> mcp` (an MCP config or instance was
//! written, or a session ended: empty the MCP cache); every replica LISTENs and skips what it sent
//! itself (it acted at once). A replica whose listening connection breaks empties its account
//! cache, rebuilds its catalog and rereads its keys once it is back, since it may have missed
//! something; until then the cache's ttl bounds what it can miss.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio::sync::broadcast;

use super::account_cache::AccountCache;
use super::mcp_cache::McpCache;
use crate::store::vault::Vault;

pub const CHANNEL: &str = "agentkit_changes";
const CATALOG: &str = "catalog";
const VAULT: &str = "vault";
const API_CLIENTS: &str = "api_clients";
const MCP: &str = "mcp";
const ACCOUNT_PREFIX: &str = "account:";

/// What another replica (or this one) changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Account(String),
    Catalog,
    Vault,
    ApiClients,
    Mcp,
}

impl Change {
    /// The notification text: who sent it, then what changed.
    pub fn payload(&self, origin: &str) -> String {
        match self {
            Change::Account(identifier) => format!("{origin} {ACCOUNT_PREFIX}{identifier}"),
            Change::Catalog => format!("{origin} {CATALOG}"),
            Change::Vault => format!("{origin} {VAULT}"),
            Change::ApiClients => format!("{origin} {API_CLIENTS}"),
            Change::Mcp => format!("{origin} {MCP}"),
        }
    }

    /// `(origin, change)` of a notification.
    fn parse(payload: &str) -> Option<(&str, Change)> {
        let (origin, what) = payload.split_once(' ')?;
        match what {
            CATALOG => return Some((origin, Change::Catalog)),
            VAULT => return Some((origin, Change::Vault)),
            API_CLIENTS => return Some((origin, Change::ApiClients)),
            MCP => return Some((origin, Change::Mcp)),
            _ => {}
        }
        what.strip_prefix(ACCOUNT_PREFIX).map(|identifier| (origin, Change::Account(identifier.to_string())))
    }
}

/// What a replica keeps in memory that other replicas' changes make stale.
pub struct Listeners {
    pub cache: Arc<AccountCache>,
    pub mcp: Arc<McpCache>,
    /// The app rebuilds its registry on each message.
    pub catalog: broadcast::Sender<()>,
    pub vault: Arc<Vault>,
    /// The app rereads its stored API clients on each message.
    pub api_clients: broadcast::Sender<()>,
}

impl Listeners {
    fn reload_vault(&self) {
        if let Err(e) = self.vault.reload() {
            tracing::warn!(error = %e.message(), "rereading the vault key file failed; the current keys stay");
        }
    }
}

/// Listens on `url` for as long as the process lives: other replicas' account changes drop cache
/// entries, their MCP writes empty the MCP cache, their catalog changes rebuild the registry, their key rotations reread the key file.
/// `origin` is this replica's id in the payloads it sends.
pub fn listen(url: String, origin: String, listeners: Listeners) {
    let Listeners { cache, catalog, .. } = &listeners;
    let (cache, catalog) = (cache.clone(), catalog.clone());
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
                            listeners.mcp.clear();
                            let _ = catalog.send(());
                            listeners.reload_vault();
                            let _ = listeners.api_clients.send(());
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
                                Some((_, Change::Vault)) => listeners.reload_vault(),
                                Some((_, Change::ApiClients)) => {
                                    let _ = listeners.api_clients.send(());
                                }
                                Some((_, Change::Mcp)) => listeners.mcp.clear(),
                                None => {}
                            }
                        }
                    }
                },
                Err(e) => tracing::warn!(error = %e, "cannot listen for changes; retrying"),
            }
            reconnecting = true;
            cache.clear();
            listeners.mcp.clear();
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
        for change in
            [Change::Account("user 1:x".into()), Change::Catalog, Change::Vault, Change::ApiClients, Change::Mcp]
        {
            let payload = change.payload("r1");
            assert_eq!(Change::parse(&payload), Some(("r1", change)));
        }
        assert_eq!(Change::parse("r1 something-else"), None);
        assert_eq!(Change::parse("no-origin"), None);
    }
}
