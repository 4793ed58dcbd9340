//! `/api/v1/api_clients`: API clients as data — create (the secret is in that answer only),
//! list, rotate the secret, revoke. Stored clients sign in at `/oauth/token` at once, on every
//! replica; the config file's clients are listed and stay read-only.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use agentkit_core::{Error, ErrorKind};

use super::{ApiResult, Caller, JsonBody};
use crate::config::sha256_hex;
use crate::permissions::Grants;
use crate::state::SharedState;
use crate::store::{ChangeRecords, StoredApiClient};

/// Longest name a client may be given.
const MAX_NAME_CHARS: usize = 128;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewApiClient {
    #[serde(default)]
    pub(crate) name: String,
    /// Required: a client gets exactly what it is given (`tools`, `accounts`, `admin`,
    /// `credentials:read`), never more than its creator holds.
    pub(crate) scopes: Option<Vec<String>>,
}

/// `skc_…` / `sks_…`: random, from the operating system's generator.
fn new_id_and_secret() -> (String, String) {
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    (format!("skc_{}", hex(&rand::random::<[u8; 12]>())), format!("sks_{}", hex(&rand::random::<[u8; 32]>())))
}

fn listed(client: &StoredApiClient) -> Value {
    json!({"client_id": client.client_id, "name": client.name, "scopes": client.scopes,
           "created_at": client.created_at, "rotated_at": client.rotated_at, "source": "api"})
}

pub async fn create(
    State(state): State<SharedState>,
    caller: Caller,
    JsonBody(req): JsonBody<NewApiClient>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let name = req.name.trim().to_string();
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(Error::invalid_field(
            "name",
            format!("name must be at most {MAX_NAME_CHARS} characters, without control characters"),
        )
        .into());
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
    let mut answer = listed(&client);
    answer["client_secret"] = json!(secret);
    Ok((StatusCode::CREATED, Json(answer)))
}

pub async fn list(State(state): State<SharedState>, _caller: Caller) -> ApiResult<Json<Value>> {
    let mut clients: Vec<Value> = state
        .api_clients
        .configured()
        .into_iter()
        .map(|(client_id, grants)| json!({"client_id": client_id, "scopes": grants.names(), "source": "config"}))
        .collect();
    clients.extend(state.store.api_clients().await?.iter().map(listed));
    Ok(Json(json!({"api_clients": clients})))
}

/// The config file's clients are changed there.
fn refuse_configured(state: &SharedState, client_id: &str) -> ApiResult<()> {
    if state.api_clients.is_configured(client_id) {
        return Err(Error::new(
            ErrorKind::FailedPrecondition,
            format!("API client {client_id:?} comes from the config file: change it there"),
        )
        .into());
    }
    Ok(())
}

pub async fn rotate(
    State(state): State<SharedState>,
    _caller: Caller,
    Path(client_id): Path<String>,
) -> ApiResult<Json<Value>> {
    refuse_configured(&state, &client_id)?;
    let (_, secret) = new_id_and_secret();
    let row = crate::audit::change_row("api_client.rotated", &client_id, crate::audit::SUCCESS, Value::Null);
    if !state.store.rotate_api_client(&client_id, &sha256_hex(&secret), &ChangeRecords::audited(row)).await? {
        return Err(Error::not_found(format!("API client {client_id:?} not found")).into());
    }
    state.api_clients.reload(&state.store).await?;
    Ok(Json(json!({"client_id": client_id, "client_secret": secret})))
}

pub async fn revoke(
    State(state): State<SharedState>,
    _caller: Caller,
    Path(client_id): Path<String>,
) -> ApiResult<Json<Value>> {
    refuse_configured(&state, &client_id)?;
    let row = crate::audit::change_row("api_client.revoked", &client_id, crate::audit::SUCCESS, Value::Null);
    if !state.store.delete_api_client(&client_id, &ChangeRecords::audited(row)).await? {
        return Err(Error::not_found(format!("API client {client_id:?} not found")).into());
    }
    state.api_clients.reload(&state.store).await?;
    Ok(Json(json!({})))
}
