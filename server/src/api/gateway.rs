//! The gateway's own operational endpoints: liveness, readiness, reloading the connectors.

use super::openapi_schemas::{BadRequest, Forbidden, Unauthorized, Unavailable};
use crate::state::SharedState;

/// Re-reads the connector directory (and custom providers) without a restart; a broken file is
/// a 400 naming it, and the running catalog stays as it was.
#[utoipa::path(
    post,
    path = "/api/v1/connectors:reload",
    operation_id = "Gateway_ReloadConnectors",
    tag = "Connectors",
    summary = "Re-read the connector directory",
    description = "Needs `admin`. 400 names a broken file; the running catalog stays as it was. Remote MCP connections' tools are listed again before the answer.",
    responses(
        (status = 200, description = "`{connectors, tools}` counts and each remote MCP connection's discovery.", body = ConnectorsReloaded),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn reload_connectors(
    axum::extract::State(state): axum::extract::State<SharedState>,
    _caller: super::Caller,
) -> super::ApiResult<axum::Json<ConnectorsReloaded>> {
    state.reload_connectors().await?;
    // Remote MCP servers' tools are read again too (after a failure the last tools stay).
    let remote_mcp = crate::domain::remote_mcp::discover_all(&state)
        .await
        .into_iter()
        .map(|(connection, outcome)| match outcome {
            Ok(tools) => RemoteMcpDiscovery { connection, tools: Some(tools), error: None },
            Err(e) => RemoteMcpDiscovery { connection, tools: None, error: Some(e.message().to_string()) },
        })
        .collect();
    let registry = state.registry();
    let (connectors, tools) = (registry.catalog.connectors().count(), registry.catalog.tools().count());
    Ok(axum::Json(ConnectorsReloaded { connectors, tools, remote_mcp }))
}

/// What `POST /api/v1/connectors:reload` loaded: how many connectors and tools.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ConnectorsReloaded {
    connectors: usize,
    tools: usize,
    /// Each remote MCP connection's discovery: how many tools it lists, or why it failed.
    remote_mcp: Vec<RemoteMcpDiscovery>,
}

/// One remote MCP connection's discovery during a reload.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct RemoteMcpDiscovery {
    connection: String,
    /// Tools kept (absent when the discovery failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    tools: Option<usize>,
    /// Why the discovery failed (the connection keeps the tools of its last good one).
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Alive: the process answers (no dependency is checked; see `/readyz`).
#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "Health_Live",
    tag = "Operations",
    summary = "Liveness",
    responses(
        (status = 200, description = "`ok`.", body = String, content_type = "text/plain"),
    ),
    security(()),
)]
pub async fn healthz() -> &'static str {
    "ok"
}

/// Ready to serve: the database answers with the schema this build expects, and the catalog is
/// loaded. 503 naming what is not (a load balancer keeps traffic away meanwhile).
#[utoipa::path(
    get,
    path = "/readyz",
    operation_id = "Health_Ready",
    tag = "Operations",
    summary = "Readiness: the database answers with this build's schema and a catalog is loaded",
    responses(
        (status = 200, description = r#"`{status: "ready", checks}`; 503 with `status: "not ready"` names the failing check."#, body = Object),
        (status = 503, response = Unavailable),
    ),
    security(()),
)]
pub async fn readyz(axum::extract::State(state): axum::extract::State<SharedState>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let database = state.store.readiness().await;
    let connectors = state.registry().catalog.connectors().count();
    let catalog = if connectors > 0 { Ok(()) } else { Err("no connector loaded".to_string()) };
    let text = |check: &std::result::Result<(), String>| match check {
        Ok(()) => "ok".to_string(),
        Err(why) => why.clone(),
    };
    let body = serde_json::json!({
        "status": if database.is_ok() && catalog.is_ok() { "ready" } else { "not ready" },
        "checks": {"database": text(&database), "catalog": text(&catalog), "connectors": connectors},
    });
    let status = if database.is_ok() && catalog.is_ok() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(body)).into_response()
}
