//! The MCP management API: configs, per-user instances (with their secret server URLs),
//! authorization state and config session tokens. Each handler extracts its input and calls
//! `domain::mcp_admin` (or `domain::mcp` for lists).

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::Json;

use agentkit_core::model::query::QueryMap;
use agentkit_core::model::*;
use agentkit_core::Error;

use super::openapi_schemas::{
    BadRequest, Conflict, Forbidden, NotFound, Unauthorized, Unavailable, UpdateMcpInstanceBody,
};
use super::{ApiResult, Caller, JsonBody};
use crate::domain::mcp::{config_wire, instance_wire};
use crate::domain::mcp_admin::{self, config_or_404, instance_or_404};
use crate::state::SharedState;

#[utoipa::path(
    post,
    path = "/api/v1/mcp/configs",
    operation_id = "McpService_CreateMcpConfig",
    tag = "MCP Configurations",
    summary = "Create an MCP configuration",
    description = "400 names the mapping or tool that is not configured here. 409: a config with this name exists.",
    request_body = McpConfig,
    responses(
        (status = 201, description = "Created.", body = McpConfigResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn create_config(
    State(state): State<SharedState>,
    _caller: Caller,
    JsonBody(req): JsonBody<McpConfig>,
) -> ApiResult<(StatusCode, Json<McpConfigResponse>)> {
    let config = mcp_admin::create_config(&state, req).await?;
    Ok((StatusCode::CREATED, Json(McpConfigResponse { config })))
}

#[utoipa::path(
    get,
    path = "/api/v1/mcp/configs",
    operation_id = "McpService_ListMcpConfigs",
    tag = "MCP Configurations",
    summary = "List MCP configurations",
    params(
        ("filter.id" = Option<String>, Query),
        ("filter.name" = Option<String>, Query),
        ("filter.provider" = Option<String>, Query),
        ("filter.mcp_server_url" = Option<String>, Query),
        ("search" = Option<String>, Query),
        ("page_size" = Option<u32>, Query, description = "Results per page."),
        ("page_token" = Option<String>, Query, description = "A `next_page_token` / `prev_page_token` of an earlier page."),
    ),
    responses(
        (status = 200, description = "Success.", body = ListMcpConfigsResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn list_configs(
    State(state): State<SharedState>,
    _caller: Caller,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<ListMcpConfigsResponse>> {
    let req = McpListRequest::from_query(&QueryMap::parse(q.as_deref()))?;
    Ok(Json(crate::domain::mcp::list_configs(&state, &req).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/mcp/configs/{config_id}",
    operation_id = "McpService_GetMcpConfig",
    tag = "MCP Configurations",
    summary = "Get an MCP configuration",
    params(
        ("config_id" = String, Path),
    ),
    responses(
        (status = 200, description = "Success.", body = McpConfigResponse),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn get_config(
    State(state): State<SharedState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<McpConfigResponse>> {
    let config = config_or_404(&state, &id).await?;
    Ok(Json(McpConfigResponse { config: config_wire(&state, &config) }))
}

#[utoipa::path(
    put,
    path = "/api/v1/mcp/configs/{config_id}",
    operation_id = "McpService_UpdateMcpConfig",
    tag = "MCP Configurations",
    summary = "Update an MCP configuration",
    description = "A request without a body is refused (400 naming `body`); `{}` changes nothing.",
    params(
        ("config_id" = String, Path),
    ),
    request_body = UpdateMcpConfigRequest,
    responses(
        (status = 200, description = "Success.", body = McpConfigResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn update_config(
    State(state): State<SharedState>,
    _caller: Caller,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<UpdateMcpConfigRequest>,
) -> ApiResult<Json<McpConfigResponse>> {
    Ok(Json(McpConfigResponse { config: mcp_admin::update_config(&state, &id, req).await? }))
}

#[utoipa::path(
    delete,
    path = "/api/v1/mcp/configs/{config_id}",
    operation_id = "McpService_DeleteMcpConfig",
    tag = "MCP Configurations",
    summary = "Delete an MCP configuration and its instances",
    params(
        ("config_id" = String, Path),
    ),
    responses(
        (status = 200, description = "Success.", body = Empty),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn delete_config(
    State(state): State<SharedState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Empty>> {
    mcp_admin::delete_config(&state, &id).await?;
    Ok(Json(Empty {}))
}

#[utoipa::path(
    post,
    path = "/api/v1/mcp/instances",
    operation_id = "McpService_EnsureMcpInstance",
    tag = "MCP Instances",
    summary = "Get or create a user's instance of a config",
    description = "404: no config of that name.",
    request_body = EnsureMcpInstanceRequest,
    responses(
        (status = 200, description = "Success.", body = McpInstanceResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn ensure_instance(
    State(state): State<SharedState>,
    _caller: Caller,
    JsonBody(req): JsonBody<EnsureMcpInstanceRequest>,
) -> ApiResult<Json<McpInstanceResponse>> {
    Ok(Json(McpInstanceResponse { instance: mcp_admin::ensure_instance(&state, req).await? }))
}

#[utoipa::path(
    get,
    path = "/api/v1/mcp/instances",
    operation_id = "McpService_ListMcpInstances",
    tag = "MCP Instances",
    summary = "List MCP instances",
    params(
        ("filter.config_name" = Option<String>, Query),
        ("filter.user_identifier" = Option<String>, Query),
        ("search" = Option<String>, Query),
        ("page_size" = Option<u32>, Query, description = "Results per page."),
        ("page_token" = Option<String>, Query, description = "A `next_page_token` / `prev_page_token` of an earlier page."),
    ),
    responses(
        (status = 200, description = "Success.", body = ListMcpInstancesResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn list_instances(
    State(state): State<SharedState>,
    _caller: Caller,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<ListMcpInstancesResponse>> {
    let req = McpListRequest::from_query(&QueryMap::parse(q.as_deref()))?;
    Ok(Json(crate::domain::mcp::list_instances(&state, &req).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/mcp/instances/{id}",
    operation_id = "McpService_GetMcpInstance",
    tag = "MCP Instances",
    summary = "Get an MCP instance",
    params(
        ("id" = String, Path),
    ),
    responses(
        (status = 200, description = "Success.", body = McpInstanceResponse),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn get_instance(
    State(state): State<SharedState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<McpInstanceResponse>> {
    let instance = instance_or_404(&state, &id).await?;
    Ok(Json(McpInstanceResponse { instance: instance_wire(&state, &instance).await? }))
}

#[utoipa::path(
    patch,
    path = "/api/v1/mcp/instances/{id}",
    operation_id = "McpService_UpdateMcpInstance",
    tag = "MCP Instances",
    summary = "Rename an instance or move it to another config",
    description = "404: no such instance or config. 409: the user already has an instance of that config.",
    params(
        ("id" = String, Path),
    ),
    request_body = UpdateMcpInstanceBody,
    responses(
        (status = 200, description = "Success.", body = McpInstanceResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn update_instance(
    State(state): State<SharedState>,
    _caller: Caller,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<UpdateMcpInstanceRequest>,
) -> ApiResult<Json<McpInstanceResponse>> {
    Ok(Json(McpInstanceResponse { instance: mcp_admin::update_instance(&state, &id, req).await? }))
}

#[utoipa::path(
    delete,
    path = "/api/v1/mcp/instances/{id}",
    operation_id = "McpService_DeleteMcpInstance",
    tag = "MCP Instances",
    summary = "Delete an instance (its URL stops working)",
    params(
        ("id" = String, Path),
    ),
    responses(
        (status = 200, description = "Success.", body = Empty),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn delete_instance(
    State(state): State<SharedState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Empty>> {
    mcp_admin::delete_instance(&state, &id).await?;
    Ok(Json(Empty {}))
}

/// `POST /api/v1/mcp/instances/{id}:get_auth_state` (the `:verb` suffix is parsed here).
#[utoipa::path(
    post,
    path = "/api/v1/mcp/instances/{id}:get_auth_state",
    operation_id = "McpService_GetMcpInstanceAuthState",
    tag = "MCP Instances",
    summary = "Authorization state of the instance's connections",
    params(
        ("id" = String, Path),
        ("include_auth_links" = Option<bool>, Query, description = "Create missing accounts and return links."),
    ),
    responses(
        (status = 200, description = "Success.", body = McpAuthStateResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn instance_action(
    State(state): State<SharedState>,
    _caller: Caller,
    Path(id_and_verb): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<McpAuthStateResponse>> {
    let Some(id) = id_and_verb.strip_suffix(":get_auth_state") else {
        return Err(Error::not_found("no such endpoint").into());
    };
    let links = QueryMap::parse(q.as_deref()).get_bool("include_auth_links")?.unwrap_or(false);
    Ok(Json(McpAuthStateResponse { connections: mcp_admin::instance_auth_state(&state, id, links).await? }))
}

#[utoipa::path(
    post,
    path = "/api/v1/mcp/configs/{config_id}/connected_accounts",
    operation_id = "McpService_ListMcpConnectedAccounts",
    tag = "MCP Configurations",
    summary = "The config's connections and their accounts for an identifier",
    description = "With `include_auth_link` missing accounts are created (PENDING_AUTH); 409: an identifier matches several.",
    params(
        ("config_id" = String, Path),
    ),
    request_body = McpConnectedAccountsRequest,
    responses(
        (status = 200, description = "Success.", body = McpConnectedAccountsResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn config_connected_accounts(
    State(state): State<SharedState>,
    _caller: Caller,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<McpConnectedAccountsRequest>,
) -> ApiResult<Json<McpConnectedAccountsResponse>> {
    let connected_accounts = mcp_admin::config_auth_state(&state, &id, &req.identifier, req.include_auth_link).await?;
    Ok(Json(McpConnectedAccountsResponse { connected_accounts }))
}

#[utoipa::path(
    post,
    path = "/api/v1/mcp/configs/{mcp_config_id}/tokens",
    operation_id = "McpService_CreateMcpSessionToken",
    tag = "MCP Configurations",
    summary = "Session token for the config's MCP URL",
    params(
        ("mcp_config_id" = String, Path),
    ),
    request_body = McpSessionTokenRequest,
    responses(
        (status = 200, description = "Success.", body = McpSessionTokenResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn create_session_token(
    State(state): State<SharedState>,
    _caller: Caller,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<McpSessionTokenRequest>,
) -> ApiResult<Json<McpSessionTokenResponse>> {
    Ok(Json(mcp_admin::config_session_token(&state, &id, &req).await?))
}

/// `POST /api/v1/mcp/connections/{name}/tokens`: a session token for the connection's own MCP
/// server (`/mcp/v3/connections/{name}`, every tool of the connection). The name matches
/// without regard to case; the token and URL use the name as configured.
#[utoipa::path(
    post,
    path = "/api/v1/mcp/connections/{name}/tokens",
    operation_id = "McpService_CreateConnectionSessionToken",
    tag = "MCP Configurations",
    summary = "Session token for a connection's own MCP URL",
    description = "404: no connection of that name.",
    params(
        ("name" = String, Path, description = "Connection name."),
    ),
    request_body = McpSessionTokenRequest,
    responses(
        (status = 200, description = "Success.", body = McpSessionTokenResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
)]
pub async fn create_connection_session_token(
    State(state): State<SharedState>,
    _caller: Caller,
    Path(name): Path<String>,
    JsonBody(req): JsonBody<McpSessionTokenRequest>,
) -> ApiResult<Json<McpSessionTokenResponse>> {
    Ok(Json(mcp_admin::connection_session_token(&state, &name, &req)?))
}
