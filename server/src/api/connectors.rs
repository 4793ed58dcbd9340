//! `/api/v1/connectors`: the catalog's connectors with where each comes from, importing an
//! OpenAPI description as a connector (`connectors:import`, optionally installed as data on every
//! replica) and deleting an installed one.

use axum::extract::{Path, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use agentkit_core::model::Empty;
use agentkit_core::{Error, ErrorKind};

use super::openapi_schemas::{BadRequest, Conflict, Forbidden, NotFound, Unauthorized, Unavailable};
use super::{ApiError, ApiResult, Caller, JsonBody};
pub use crate::domain::connectors::{oversized, ConnectorImported, ImportConnector, SkippedAnswer, IMPORT_BODY_LIMIT};
use crate::state::{ConnectorSource, SharedState};
use crate::store::ChangeRecords;

/// Refuses an import request whose declared length is over [`IMPORT_BODY_LIMIT`] before a byte of
/// it is read (a 400 naming `description`); a body without a length is cut at the same limit by
/// the route's `DefaultBodyLimit` while it is read.
pub async fn refuse_oversized_import(request: Request, next: Next) -> Response {
    match oversized(request.headers()) {
        Some(e) => ApiError(e).into_response(),
        None => next.run(request).await,
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/connectors:import",
    operation_id = "Gateway_ImportConnector",
    tag = "Connectors",
    summary = "Import an OpenAPI description as a connector",
    description = "Needs `admin`. Turns an OpenAPI 3.0 / 3.1 or Swagger 2.0 description (JSON or YAML, at most \
32 MiB) into a connector, like `agentkit connectors import openapi`. With `install: true` the connector is stored and \
every replica loads it at once (403 when the egress policy refuses its `base_url`; 409 when a connector of its slug \
exists). A body over the limit is a 400 naming `description`, refused before it is read.",
    request_body = ImportConnector,
    responses(
        (status = 200, description = "The connector, its tool count, the operations left out and why, notes.", body = ConnectorImported),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn import(
    State(state): State<SharedState>,
    _caller: Caller,
    JsonBody(request): JsonBody<ImportConnector>,
) -> ApiResult<Json<ConnectorImported>> {
    Ok(Json(crate::domain::connectors::import(&state, request).await?))
}

/// One connector of the catalog.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectorSummary {
    slug: String,
    display_name: String,
    /// How many tools it holds.
    tools: usize,
    source: ConnectorSource,
}

/// `GET /api/v1/connectors`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectorList {
    connectors: Vec<ConnectorSummary>,
}

#[utoipa::path(
    get,
    path = "/api/v1/connectors",
    operation_id = "Gateway_ListConnectors",
    tag = "Connectors",
    summary = "List the catalog's connectors and where each comes from",
    description = "`source`: `built_in`, `file` (the connector directory), `installed` (imported through the API) or `custom_provider`.",
    responses(
        (status = 200, description = "Every connector, in slug order.", body = ConnectorList),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    ),
)]
pub async fn list(State(state): State<SharedState>, _caller: Caller) -> ApiResult<Json<ConnectorList>> {
    let registry = state.registry();
    let connectors = registry
        .catalog
        .connectors()
        .map(|c| ConnectorSummary {
            slug: c.slug.clone(),
            display_name: c.display_name.clone(),
            tools: c.tools.len(),
            source: registry.connector_sources.get(&c.slug).copied().unwrap_or(ConnectorSource::File),
        })
        .collect();
    Ok(Json(ConnectorList { connectors }))
}

#[utoipa::path(
    delete,
    path = "/api/v1/connectors/{slug}",
    operation_id = "Gateway_DeleteConnector",
    tag = "Connectors",
    summary = "Delete an installed connector",
    description = "Needs `admin`. Only connectors installed through `connectors:import` (400 for built-in, file and \
custom-provider connectors). 409 while a connection uses it (delete the connection first).",
    params(
        ("slug" = String, Path, description = "The connector slug."),
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
    Path(slug): Path<String>,
) -> ApiResult<Json<Empty>> {
    let registry = state.registry();
    if registry.catalog.connector(&slug).is_none() {
        return Err(Error::not_found(format!("connector {slug:?} not found")).into());
    }
    let managed_elsewhere = |where_: &str| -> ApiError {
        Error::new(ErrorKind::FailedPrecondition, format!("connector {slug:?} {where_}")).with_field("slug").into()
    };
    match registry.connector_sources.get(&slug) {
        Some(ConnectorSource::Installed) => {}
        Some(ConnectorSource::CustomProvider) => {
            return Err(managed_elsewhere("belongs to a custom provider: delete it through /api/v1/custom-providers"))
        }
        Some(ConnectorSource::BuiltIn) => return Err(managed_elsewhere("is built into the gateway")),
        _ => return Err(managed_elsewhere("is a file of the connector directory: remove the file and reload")),
    }
    let mut users: Vec<&str> =
        registry.connections.values().filter(|c| c.connector == slug).map(|c| c.name.as_str()).collect();
    if !users.is_empty() {
        users.sort_unstable();
        return Err(Error::new(
            ErrorKind::Conflict,
            format!("connector {slug:?} is used by connection(s) {users:?}: delete them first"),
        )
        .with_error_code("FAILED_PRECONDITION")
        .into());
    }
    let row = crate::audit::change_row("connector.deleted", &slug, crate::audit::SUCCESS, Value::Null);
    if !state.remove_installed_connector(&slug, &ChangeRecords::audited(row)).await? {
        return Err(Error::not_found(format!("connector {slug:?} is not installed")).into());
    }
    tracing::info!(connector = %slug, "installed connector deleted");
    Ok(Json(Empty {}))
}
