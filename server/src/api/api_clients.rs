//! `/api/v1/api_clients`: API clients as data — create (the secret is in that answer only),
//! list, rotate the secret, revoke. Stored clients sign in at `/oauth/token` at once, on every
//! replica; the config file's clients are listed and stay read-only.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

use agentkit_core::{Error, ErrorKind};

use super::openapi_schemas::{BadRequest, Forbidden, NotFound, Unauthorized, Unavailable};
use super::{ApiResult, Caller, JsonBody, SortedKeys};
use crate::config::sha256_hex;
use crate::permissions::Grants;
use crate::state::SharedState;
use crate::store::{ChangeRecords, StoredApiClient};
use agentkit_core::model::Empty;

/// Longest name a client may be given.
const MAX_NAME_CHARS: usize = 128;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiClient {
    #[serde(default)]
    pub(crate) name: String,
    /// Required: a client gets exactly what it is given (`tools`, `accounts`, `admin`,
    /// `credentials:read`), never more than its creator holds.
    #[schema(required = true)]
    pub(crate) scopes: Option<Vec<String>>,
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

#[utoipa::path(
    post,
    path = "/api/v1/api_clients",
    operation_id = "Gateway_CreateApiClient",
    tag = "Administration",
    summary = "Create an API client",
    description = "Needs `admin`; `scopes` may only name scopes the caller holds (403 otherwise). The answer carries `client_secret` once.",
    request_body = NewApiClient,
    responses(
        (status = 201, description = "Created; holds `client_id` and `client_secret` (shown once).", body = NewApiClientAnswer),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn create(
    State(state): State<SharedState>,
    caller: Caller,
    JsonBody(req): JsonBody<NewApiClient>,
) -> ApiResult<(StatusCode, Json<SortedKeys<NewApiClientAnswer>>)> {
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
    let answer = NewApiClientAnswer { client: listed(&client), client_secret: secret };
    Ok((StatusCode::CREATED, Json(SortedKeys(answer))))
}

#[utoipa::path(
    get,
    path = "/api/v1/api_clients",
    operation_id = "Gateway_ListApiClients",
    tag = "Administration",
    summary = "List API clients (never a secret)",
    description = "Config-file clients have `source: config`.",
    responses(
        (status = 200, description = "Success.", body = ApiClientList),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn list(State(state): State<SharedState>, _caller: Caller) -> ApiResult<Json<SortedKeys<ApiClientList>>> {
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
    Ok(Json(SortedKeys(ApiClientList { api_clients: clients })))
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

#[utoipa::path(
    post,
    path = "/api/v1/api_clients/{client_id}/rotate",
    operation_id = "Gateway_RotateApiClientSecret",
    tag = "Administration",
    summary = "Rotate an API client's secret",
    description = "The new `client_secret` is in the answer only; the old one and tokens issued before stop working. 400 for a config-file client.",
    params(
        ("client_id" = String, Path, description = "The client."),
    ),
    responses(
        (status = 200, description = "Success.", body = RotatedSecret),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn rotate(
    State(state): State<SharedState>,
    _caller: Caller,
    Path(client_id): Path<String>,
) -> ApiResult<Json<SortedKeys<RotatedSecret>>> {
    refuse_configured(&state, &client_id)?;
    let (_, secret) = new_id_and_secret();
    let row = crate::audit::change_row("api_client.rotated", &client_id, crate::audit::SUCCESS, Value::Null);
    if !state.store.rotate_api_client(&client_id, &sha256_hex(&secret), &ChangeRecords::audited(row)).await? {
        return Err(Error::not_found(format!("API client {client_id:?} not found")).into());
    }
    state.api_clients.reload(&state.store).await?;
    Ok(Json(SortedKeys(RotatedSecret { client_id, client_secret: secret })))
}

#[utoipa::path(
    delete,
    path = "/api/v1/api_clients/{client_id}",
    operation_id = "Gateway_RevokeApiClient",
    tag = "Administration",
    summary = "Revoke an API client",
    description = "Its tokens stop working at once. 400 for a config-file client.",
    params(
        ("client_id" = String, Path, description = "The client."),
    ),
    responses(
        (status = 200, description = "Success.", body = Empty),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn revoke(
    State(state): State<SharedState>,
    _caller: Caller,
    Path(client_id): Path<String>,
) -> ApiResult<Json<Empty>> {
    refuse_configured(&state, &client_id)?;
    let row = crate::audit::change_row("api_client.revoked", &client_id, crate::audit::SUCCESS, Value::Null);
    if !state.store.delete_api_client(&client_id, &ChangeRecords::audited(row)).await? {
        return Err(Error::not_found(format!("API client {client_id:?} not found")).into());
    }
    state.api_clients.reload(&state.store).await?;
    Ok(Json(Empty {}))
}
