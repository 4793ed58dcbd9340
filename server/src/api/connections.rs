//! `/api/v1/connections`: connections as data. The body of a create or update takes exactly the
//! keys of a `[[connections]]` entry; the OAuth client secret is write-only (sealed by the vault,
//! never returned: `client_secret_set` says whether there is one). A new connection serves
//! authorization links and tools at once, on every replica. The config file's connections and
//! those custom providers bring are listed and read-only here.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;

use agentkit_core::model::Empty;
use agentkit_core::Error;

use super::openapi_schemas::{BadRequest, Conflict, Forbidden, NotFound, Unauthorized, Unavailable};
use super::{ApiResult, Caller, JsonBody, SortedKeys};
use crate::config::ConnectionConfig;
use crate::domain::connections;
pub use crate::domain::connections::{ConnectionAnswer, ConnectionList};
use crate::state::SharedState;

#[utoipa::path(
    post,
    path = "/api/v1/connections",
    operation_id = "Gateway_CreateConnection",
    tag = "Administration",
    summary = "Create a connection",
    description = "Needs `admin` (and `credentials:read` for endpoint overrides). The body is a `[[connections]]` entry; `client_secret` is write-only.",
    request_body = ConnectionConfig,
    responses(
        (status = 201, description = "Created; the settings without the secret, `client_secret_set`, `source`, `redirect_uri`.", body = ConnectionAnswer),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn create(
    State(state): State<SharedState>,
    caller: Caller,
    JsonBody(connection): JsonBody<ConnectionConfig>,
) -> ApiResult<(StatusCode, Json<SortedKeys<ConnectionAnswer>>)> {
    Ok((StatusCode::CREATED, Json(SortedKeys(connections::create(&state, &caller, connection).await?))))
}

#[utoipa::path(
    get,
    path = "/api/v1/connections",
    operation_id = "Gateway_ListConnections",
    tag = "Administration",
    summary = "List connections (never a secret)",
    description = "Every connection with its `source`: `config`, `api` or `custom_provider`.",
    responses(
        (status = 200, description = "Success.", body = ConnectionList),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn list(State(state): State<SharedState>, _caller: Caller) -> ApiResult<Json<SortedKeys<ConnectionList>>> {
    Ok(Json(SortedKeys(connections::list(&state))))
}

#[utoipa::path(
    get,
    path = "/api/v1/connections/{name}",
    operation_id = "Gateway_GetConnection",
    tag = "Administration",
    summary = "Get a connection (never its secret)",
    params(
        ("name" = String, Path, description = "The connection name."),
    ),
    responses(
        (status = 200, description = "Success.", body = ConnectionAnswer),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn get(
    State(state): State<SharedState>,
    _caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<SortedKeys<ConnectionAnswer>>> {
    Ok(Json(SortedKeys(connections::get(&state, &name)?)))
}

#[utoipa::path(
    put,
    path = "/api/v1/connections/{name}",
    operation_id = "Gateway_UpdateConnection",
    tag = "Administration",
    summary = "Replace a connection's settings",
    description = "Without `client_secret` the stored one is kept. 400 for connections of the config file or a custom provider.",
    params(
        ("name" = String, Path, description = "The connection name."),
    ),
    request_body = ConnectionConfig,
    responses(
        (status = 200, description = "Success.", body = ConnectionAnswer),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn update(
    State(state): State<SharedState>,
    caller: Caller,
    Path(name): Path<String>,
    JsonBody(connection): JsonBody<ConnectionConfig>,
) -> ApiResult<Json<SortedKeys<ConnectionAnswer>>> {
    Ok(Json(SortedKeys(connections::update(&state, &caller, &name, connection).await?)))
}

#[utoipa::path(
    delete,
    path = "/api/v1/connections/{name}",
    operation_id = "Gateway_DeleteConnection",
    tag = "Administration",
    summary = "Delete a connection",
    description = "409 while it has connected accounts; 400 for connections of the config file or a custom provider.",
    params(
        ("name" = String, Path, description = "The connection name."),
    ),
    responses(
        (status = 200, description = "Success.", body = Empty),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn delete(
    State(state): State<SharedState>,
    _caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<Empty>> {
    connections::delete(&state, &name).await?;
    Ok(Json(Empty {}))
}

/// `POST /api/v1/connections/{name}:test`: does the provider accept the connection's OAuth app?
/// (the `:verb` suffix is parsed here). Stores nothing; 400 for a connector whose credentials all
/// live on the accounts.
#[utoipa::path(
    post,
    path = "/api/v1/connections/{name}:test",
    operation_id = "Gateway_TestConnection",
    tag = "Administration",
    summary = "Test a connection's OAuth app at its provider",
    description = "Asks the provider's token endpoint to trade a made-up code with the connection's client id and \
secret: `invalid_grant` means the client passed, `invalid_client` that the provider refused it. Stores nothing. 400 \
for connectors whose credentials live on each connected account.",
    params(
        ("name" = String, Path, description = "The connection name."),
    ),
    responses(
        (status = 200, description = "Each check, and whether all passed.", body = crate::domain::connections::ConnectionTest),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
)]
pub async fn test(
    State(state): State<SharedState>,
    _caller: Caller,
    Path(name_and_verb): Path<String>,
) -> ApiResult<Json<crate::domain::connections::ConnectionTest>> {
    let Some(name) = name_and_verb.strip_suffix(":test") else {
        return Err(Error::not_found("no such endpoint").into());
    };
    Ok(Json(crate::domain::connections::test_connection(&state, name).await?))
}
