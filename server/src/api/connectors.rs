//! `/api/v1/connectors`: the catalog's connectors with where each comes from, importing an
//! OpenAPI description as a connector (`connectors:import`, optionally installed as data on every
//! replica) and deleting an installed one.

use axum::extract::{Path, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

use agentkit_core::model::Empty;
use agentkit_core::{Error, ErrorKind, Result};

use super::openapi_schemas::{BadRequest, Conflict, Forbidden, NotFound, Unauthorized, Unavailable};
use super::{ApiError, ApiResult, Caller, JsonBody};
use crate::catalog::openapi_import::{import_openapi, ImportOptions, SkippedOperation, MAX_DESCRIPTION_BYTES};
use crate::state::{ConnectorSource, SharedState};
use crate::store::{ChangeRecords, InstalledConnector};

/// Largest import request body: a description of [`MAX_DESCRIPTION_BYTES`] written as a JSON
/// string (or a form field) grows where it is escaped — a newline or quote takes two bytes — so
/// twice the description, plus room for the other fields. Anything larger could only hold a
/// description the importer refuses.
pub const IMPORT_BODY_LIMIT: usize = 2 * MAX_DESCRIPTION_BYTES + 64 * 1024;

/// Refuses an import request whose declared length is over [`IMPORT_BODY_LIMIT`] before a byte of
/// it is read (a 400 naming `description`); a body without a length is cut at the same limit by
/// the route's `DefaultBodyLimit` while it is read.
pub async fn refuse_oversized_import(request: Request, next: Next) -> Response {
    match oversized(request.headers()) {
        Some(e) => ApiError(e).into_response(),
        None => next.run(request).await,
    }
}

/// The error for a request that declares a body over [`IMPORT_BODY_LIMIT`], if it does.
pub fn oversized(headers: &axum::http::HeaderMap) -> Option<Error> {
    let declared = headers.get(header::CONTENT_LENGTH)?.to_str().ok()?.trim().parse::<u64>().ok()?;
    (declared > IMPORT_BODY_LIMIT as u64).then(|| {
        Error::invalid_field(
            "description",
            format!(
                "the request body is {declared} bytes, over the limit of {IMPORT_BODY_LIMIT} bytes \
                 (descriptions may be at most {MAX_DESCRIPTION_BYTES} bytes)"
            ),
        )
    })
}

/// `POST /api/v1/connectors:import`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportConnector {
    /// The OpenAPI 3.0 / 3.1 or Swagger 2.0 description, JSON or YAML.
    pub description: String,
    /// The connector slug (also the tool-name prefix); derived from `info.title` when absent.
    #[serde(default)]
    pub name: Option<String>,
    /// Keep only operations tagged with one of these.
    #[serde(default)]
    pub include_tags: Vec<String>,
    /// Keep only operations under one of these paths (a segment prefix, or a glob with `*`).
    #[serde(default)]
    pub include_paths: Vec<String>,
    /// Also install the connector: stored, and loaded by every replica at once.
    #[serde(default)]
    pub install: bool,
}

/// An operation of the description that did not become a tool.
#[derive(Debug, Serialize, ToSchema)]
pub struct SkippedAnswer {
    /// `GET /pets/{id}`.
    operation: String,
    reason: String,
}

/// What an import made.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectorImported {
    /// The connector file's JSON (what `agentkit connectors import openapi` writes).
    #[schema(value_type = Object)]
    connector: Value,
    /// How many tools the connector holds.
    tools: usize,
    skipped: Vec<SkippedAnswer>,
    /// What was approximated or needs a reviewer's eye.
    notes: Vec<String>,
    /// Whether the connector was installed.
    installed: bool,
}

/// An import run and checked: the answer, and the connector file's text to install.
struct CheckedImport {
    answer: ConnectorImported,
    slug: String,
    base_url: String,
    file_text: String,
}

/// Imports and proves the connector loads on its own (its tools' schemas compile). Pure and
/// CPU-bound: run it off the async workers.
fn import_and_check(request: ImportConnector) -> Result<CheckedImport> {
    let options =
        ImportOptions { slug: request.name, include_tags: request.include_tags, include_paths: request.include_paths };
    let imported = import_openapi(&request.description, &options)?;
    drop(request.description);
    let file_text = imported.file_text();
    crate::catalog::connectors::Catalog::default().add_file("imported connector", &file_text)?;
    let text = |key: &str| imported.connector.get(key).and_then(Value::as_str).unwrap_or_default().to_string();
    let (slug, base_url) = (text("slug"), text("base_url"));
    let skipped = imported
        .skipped
        .iter()
        .map(|SkippedOperation { operation, reason }| SkippedAnswer {
            operation: operation.clone(),
            reason: reason.clone(),
        })
        .collect();
    let answer = ConnectorImported {
        tools: imported.tool_count(),
        skipped,
        notes: imported.notes,
        connector: imported.connector,
        installed: false,
    };
    Ok(CheckedImport { answer, slug, base_url, file_text })
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
    let install = request.install;
    let checked = tokio::task::spawn_blocking(move || import_and_check(request))
        .await
        .map_err(|e| Error::new(ErrorKind::Server, format!("the import did not finish: {e}")))??;
    let CheckedImport { mut answer, slug, base_url, file_text } = checked;
    if install {
        if state.registry().catalog.connector(&slug).is_some() {
            return Err(
                Error::new(ErrorKind::Conflict, format!("a connector with slug {slug:?} already exists")).into()
            );
        }
        // A templated host is checked per call, on the account's value.
        if !base_url.contains("{{") {
            state.egress.check_url(&base_url).map_err(|e| {
                Error::new(e.kind(), format!("base_url: {}", e.message())).with_error_code(e.error_code().to_string())
            })?;
        }
        let details = json!({"base_url": base_url, "tools": answer.tools, "skipped": answer.skipped.len()});
        let row = crate::audit::change_row("connector.installed", &slug, crate::audit::SUCCESS, details);
        let installed = InstalledConnector { slug: slug.clone(), connector: file_text };
        state.install_connector(&installed, &ChangeRecords::audited(row)).await?;
        tracing::info!(connector = %slug, tools = answer.tools, "connector installed");
        answer.installed = true;
    }
    Ok(Json(answer))
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
