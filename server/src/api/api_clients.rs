//! `/api/v1/api_clients`: API clients as data — create (the secret is in that answer only),
//! list, rotate the secret, revoke. Stored clients sign in at `/oauth/token` at once, on every
//! replica; the config file's clients are listed and stay read-only.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;

use agentkit_core::model::Empty;

use super::openapi_schemas::{BadRequest, Forbidden, NotFound, Unauthorized, Unavailable};
use super::{ApiResult, Caller, JsonBody, SortedKeys};
use crate::domain::api_clients;
pub use crate::domain::api_clients::{
    ApiClientList, ConfiguredClient, ListedApiClient, NewApiClient, NewApiClientAnswer, RotatedSecret, StoredClient,
};
use crate::state::SharedState;

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
    Ok((StatusCode::CREATED, Json(SortedKeys(api_clients::create(&state, &caller, req).await?))))
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
    Ok(Json(SortedKeys(api_clients::list(&state).await?)))
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
    Ok(Json(SortedKeys(api_clients::rotate(&state, client_id).await?)))
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
    api_clients::revoke(&state, &client_id).await?;
    Ok(Json(Empty {}))
}
