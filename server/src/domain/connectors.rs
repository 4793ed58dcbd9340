//! Connectors made from an OpenAPI description, for every entry point (`connectors:import`, the
//! console's import form): the import proven to load, and, when asked, installed on every replica.

use axum::http::header;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

use agentkit_core::{Error, ErrorKind, Result};

use crate::catalog::openapi_import::{import_openapi, ImportOptions, SkippedOperation, MAX_DESCRIPTION_BYTES};
use crate::state::AppState;
use crate::store::{ChangeRecords, InstalledConnector};

/// Largest import request body: a description of [`MAX_DESCRIPTION_BYTES`] written as a JSON
/// string (or a form field) grows where it is escaped — a newline or quote takes two bytes — so
/// twice the description, plus room for the other fields. Anything larger could only hold a
/// description the importer refuses.
pub const IMPORT_BODY_LIMIT: usize = 2 * MAX_DESCRIPTION_BYTES + 64 * 1024;

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

/// Imports `request`'s description (off the async workers) and installs it when asked: refused
/// when a connector of its slug exists (409) or the egress policy refuses its `base_url`.
pub async fn import(state: &AppState, request: ImportConnector) -> Result<ConnectorImported> {
    let install = request.install;
    let checked = tokio::task::spawn_blocking(move || import_and_check(request))
        .await
        .map_err(|e| Error::new(ErrorKind::Server, format!("the import did not finish: {e}")))??;
    let CheckedImport { mut answer, slug, base_url, file_text } = checked;
    if install {
        if state.registry().catalog.connector(&slug).is_some() {
            return Err(Error::new(ErrorKind::Conflict, format!("a connector with slug {slug:?} already exists")));
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
    Ok(answer)
}
