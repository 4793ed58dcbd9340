//! The API clients a bearer token may belong to: the config file's (fixed for the process's
//! life) and those created through `/api/v1/api_clients` (stored; reread whenever any replica
//! changes one, and every [`REFRESH`] as a backstop). Looked up on every API request, so the set
//! is held in memory behind an `Arc` swapped whole.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use agentkit_core::Result;

use crate::permissions::Grants;
use crate::store::Store;

/// How often the stored clients are reread even without a change notification (a replica that
/// missed one — its listening connection was down — is stale at most this long).
pub const REFRESH: Duration = Duration::from_secs(10);

/// One API client: its secret's digest and what it may do.
#[derive(Debug, Clone)]
pub struct ApiClient {
    pub secret_sha256: String,
    pub grants: Grants,
    /// From the config file (listed, never changed through the API).
    pub configured: bool,
    /// When the secret was last rotated (Unix seconds): tokens issued before are refused.
    pub secret_rotated_at: Option<i64>,
}

/// Every API client, by id.
pub struct ApiClients {
    configured: HashMap<String, Arc<ApiClient>>,
    stored: RwLock<Arc<HashMap<String, Arc<ApiClient>>>>,
}

impl ApiClients {
    /// The config file's clients; the stored ones come with [`ApiClients::reload`].
    pub fn new(configured: HashMap<String, ApiClient>) -> ApiClients {
        ApiClients {
            configured: configured.into_iter().map(|(id, c)| (id, Arc::new(c))).collect(),
            stored: RwLock::default(),
        }
    }

    /// The client `client_id`, config file first.
    pub fn get(&self, client_id: &str) -> Option<Arc<ApiClient>> {
        if let Some(client) = self.configured.get(client_id) {
            return Some(client.clone());
        }
        self.stored.read().unwrap_or_else(|p| p.into_inner()).get(client_id).cloned()
    }

    /// Whether `client_id` is the config file's.
    pub fn is_configured(&self, client_id: &str) -> bool {
        self.configured.contains_key(client_id)
    }

    /// The config file's client ids with their grants, in id order.
    pub fn configured(&self) -> Vec<(String, Grants)> {
        let mut all: Vec<(String, Grants)> =
            self.configured.iter().map(|(id, c)| (id.clone(), c.grants.clone())).collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }

    /// Rereads the stored clients (a stored row whose scopes no longer parse is skipped, and
    /// logged: it cannot sign in until fixed).
    pub async fn reload(&self, store: &Store) -> Result<()> {
        let mut stored = HashMap::new();
        for client in store.api_clients().await? {
            match Grants::from_config(Some(&client.scopes), true) {
                Ok(grants) => {
                    let entry = ApiClient {
                        secret_sha256: client.secret_sha256,
                        grants,
                        configured: false,
                        secret_rotated_at: client.rotated_at.map(|at| at.timestamp()),
                    };
                    stored.insert(client.client_id, Arc::new(entry));
                }
                Err(e) => {
                    tracing::error!(client = %client.client_id, error = %e.message(), "stored API client skipped")
                }
            }
        }
        *self.stored.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(stored);
        Ok(())
    }
}
