//! API clients as data, for every entry point (`/api/v1/api_clients`, the console's page):
//! create (the secret is in that answer only), list, rotate the secret, revoke. Stored clients
//! sign in at `/oauth/token` at once, on every replica; the config file's stay read-only.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

use agentkit_core::{Error, ErrorKind, Result};

use crate::config::sha256_hex;
use crate::permissions::{Caller, Grants};
use crate::state::AppState;
use crate::store::{ChangeRecords, StoredApiClient};

/// Longest name a client may be given.
const MAX_NAME_CHARS: usize = 128;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiClient {
    #[serde(default)]
    pub name: String,
    /// Required: a client gets exactly what it is given (`tools`, `accounts`, `admin`,
    /// `credentials:read`), never more than its creator holds.
    #[schema(required = true)]
    pub scopes: Option<Vec<String>>,
}

/// An API client as the list shows it: one the API created, or one of the config file.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum ListedApiClient {
    Stored(StoredClient),
    Configured(ConfiguredClient),
}

/// A client created through the API (`source: api`); no secret, ever.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoredClient {
    client_id: String,
    name: String,
    scopes: Vec<String>,
    created_at: DateTime<Utc>,
    rotated_at: Option<DateTime<Utc>>,
    /// `api`.
    source: &'static str,
}

/// A `[[api_clients]]` entry of the config file (`source: config`): read-only here.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConfiguredClient {
    client_id: String,
    scopes: Vec<String>,
    /// `config`.
    source: &'static str,
}

/// `GET /api/v1/api_clients`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiClientList {
    api_clients: Vec<ListedApiClient>,
}

/// `POST /api/v1/api_clients`: the new client with its secret (shown this once).
#[derive(Debug, Serialize, ToSchema)]
pub struct NewApiClientAnswer {
    #[serde(flatten)]
    client: StoredClient,
    client_secret: String,
}

/// `POST /api/v1/api_clients/{client_id}/rotate`: the new secret (shown this once).
#[derive(Debug, Serialize, ToSchema)]
pub struct RotatedSecret {
    client_id: String,
    client_secret: String,
}

/// `skc_…` / `sks_…`: random, from the operating system's generator.
fn new_id_and_secret() -> (String, String) {
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    (format!("skc_{}", hex(&rand::random::<[u8; 12]>())), format!("sks_{}", hex(&rand::random::<[u8; 32]>())))
}

fn listed(client: &StoredApiClient) -> StoredClient {
    StoredClient {
        client_id: client.client_id.clone(),
        name: client.name.clone(),
        scopes: client.scopes.clone(),
        created_at: client.created_at,
        rotated_at: client.rotated_at,
        source: "api",
    }
}

/// The config file's clients are changed there.
fn refuse_configured(state: &AppState, client_id: &str) -> Result<()> {
    if state.api_clients.is_configured(client_id) {
        return Err(Error::new(
            ErrorKind::FailedPrecondition,
            format!("API client {client_id:?} comes from the config file: change it there"),
        ));
    }
    Ok(())
}

/// A new client with exactly `req.scopes`, never more than `caller` holds.
pub async fn create(state: &AppState, caller: &Caller, req: NewApiClient) -> Result<NewApiClientAnswer> {
    let name = req.name.trim().to_string();
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(Error::invalid_field(
            "name",
            format!("name must be at most {MAX_NAME_CHARS} characters, without control characters"),
        ));
    }
    let scopes = req
        .scopes
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Error::invalid_field("scopes", "scopes is required: e.g. [\"tools\"]"))?;
    let grants = Grants::from_config(Some(&scopes), true).map_err(|e| Error::invalid_field("scopes", e.message()))?;
    caller.grants.may_grant(&caller.client_id, &grants)?;
    let (client_id, secret) = new_id_and_secret();
    let client = StoredApiClient {
        client_id: client_id.clone(),
        name,
        secret_sha256: sha256_hex(&secret),
        scopes: grants.names(),
        created_at: chrono::Utc::now(),
        rotated_at: None,
    };
    let details = json!({"name": client.name, "scopes": client.scopes});
    let row = crate::audit::change_row("api_client.created", &client_id, crate::audit::SUCCESS, details);
    state.store.insert_api_client(&client, &ChangeRecords::audited(row)).await?;
    state.api_clients.reload(&state.store).await?;
    let answer = NewApiClientAnswer { client: listed(&client), client_secret: secret };
    Ok(answer)
}

/// The config file's clients, then the stored ones; never a secret.
pub async fn list(state: &AppState) -> Result<ApiClientList> {
    let mut clients: Vec<ListedApiClient> = state
        .api_clients
        .configured()
        .into_iter()
        .map(|(client_id, grants)| {
            ListedApiClient::Configured(ConfiguredClient {
                client_id: client_id.to_string(),
                scopes: grants.names(),
                source: "config",
            })
        })
        .collect();
    clients.extend(state.store.api_clients().await?.iter().map(|c| ListedApiClient::Stored(listed(c))));
    Ok(ApiClientList { api_clients: clients })
}

/// A new secret for a stored client (the old one stops working at once).
pub async fn rotate(state: &AppState, client_id: String) -> Result<RotatedSecret> {
    refuse_configured(state, &client_id)?;
    let (_, secret) = new_id_and_secret();
    let row = crate::audit::change_row("api_client.rotated", &client_id, crate::audit::SUCCESS, Value::Null);
    if !state.store.rotate_api_client(&client_id, &sha256_hex(&secret), &ChangeRecords::audited(row)).await? {
        return Err(Error::not_found(format!("API client {client_id:?} not found")));
    }
    state.api_clients.reload(&state.store).await?;
    Ok(RotatedSecret { client_id, client_secret: secret })
}

/// Revokes a stored client.
pub async fn revoke(state: &AppState, client_id: &str) -> Result<()> {
    refuse_configured(state, client_id)?;
    let row = crate::audit::change_row("api_client.revoked", client_id, crate::audit::SUCCESS, Value::Null);
    if !state.store.delete_api_client(client_id, &ChangeRecords::audited(row)).await? {
        return Err(Error::not_found(format!("API client {client_id:?} not found")));
    }
    state.api_clients.reload(&state.store).await?;
    Ok(())
}
