//! The MCP management API: configs, per-user instances (with their secret server URLs),
//! authorization state and config session tokens.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{Duration, Utc};

use agentkit_core::model::query::QueryMap;
use agentkit_core::model::*;
use agentkit_core::{Error, Result};

use super::openapi_schemas::{
    BadRequest, Conflict, Forbidden, NotFound, Unauthorized, Unavailable, UpdateMcpInstanceBody,
};
use super::{ApiResult, Caller, JsonBody};
use crate::credentials::tokens::now_unix;
use crate::credentials::tokens::SessionClaims;
use crate::domain::accounts::get_or_create;
use crate::domain::mcp::{config_wire, instance_wire};
use crate::state::{AppState, SharedState};
use crate::store::mcp::{ConfigRecord, InstanceRecord};
use crate::store::ChangeRecords;

/// At most this many connections per config (as the published validation rules).
const MAX_MAPPINGS: usize = 25;

fn check_name(name: &str) -> Result<()> {
    let valid = !name.is_empty()
        && name.len() <= 100
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if !valid {
        return Err(Error::invalid_field(
            "name",
            format!("name {name:?} must be 1–100 characters of a-z, 0-9, _ and -"),
        ));
    }
    Ok(())
}

/// Validates mappings against the configured connections and their tools; fills the output-only
/// fields (connection id, provider).
fn resolve_mappings(
    state: &AppState,
    mappings: Vec<McpConfigConnectionToolMapping>,
) -> Result<Vec<McpConfigConnectionToolMapping>> {
    if mappings.len() > MAX_MAPPINGS {
        return Err(Error::invalid_field(
            "connection_tool_mappings",
            format!("at most {MAX_MAPPINGS} connections per config"),
        ));
    }
    mappings
        .into_iter()
        .enumerate()
        .map(|(i, m)| {
            let connection = state.connection(m.connection_name.trim()).map_err(|_| {
                Error::invalid_field(
                    format!("connection_tool_mappings[{i}].connection_name"),
                    format!("connection {:?} is not configured on this gateway", m.connection_name),
                )
            })?;
            for (j, tool) in m.tools.iter().enumerate() {
                let known =
                    state.registry().catalog.tool(tool).is_some_and(|t| t.connector.slug == connection.connector);
                if !known {
                    return Err(Error::invalid_field(
                        format!("connection_tool_mappings[{i}].tools[{j}]"),
                        format!("tool {tool:?} does not belong to connection {:?}", connection.name),
                    ));
                }
            }
            Ok(McpConfigConnectionToolMapping {
                connection_id: format!("conn_{}", connection.name),
                connection_name: connection.name.clone(),
                provider: connection.connector.clone(),
                tools: m.tools,
                connected_account_id: String::new(),
                connected_account_status: String::new(),
            })
        })
        .collect()
}

async fn config_or_404(state: &AppState, id: &str) -> Result<ConfigRecord> {
    state.store.mcp_config(id).await?.ok_or_else(|| Error::not_found(format!("MCP config {id:?} not found")))
}

async fn instance_or_404(state: &AppState, id: &str) -> Result<InstanceRecord> {
    state.store.mcp_instance(id).await?.ok_or_else(|| Error::not_found(format!("MCP instance {id:?} not found")))
}

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
    check_name(req.name.trim())?;
    let record = ConfigRecord {
        id: format!("cfg_{}", uuid::Uuid::new_v4().simple()),
        name: req.name.trim().to_string(),
        description: req.description,
        mappings: resolve_mappings(&state, req.connection_tool_mappings)?,
    };
    state.store.insert_mcp_config(&record, &config_records("mcp_config.created", &record)).await?;
    Ok((StatusCode::CREATED, Json(McpConfigResponse { config: config_wire(&state, &record) })))
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
    let mut config = config_or_404(&state, &id).await?;
    if let Some(description) = req.description {
        config.description = description;
    }
    if let Some(mappings) = req.connection_tool_mappings {
        config.mappings = resolve_mappings(&state, mappings)?;
    }
    state.store.update_mcp_config(&config, &config_records("mcp_config.updated", &config)).await?;
    Ok(Json(McpConfigResponse { config: config_wire(&state, &config) }))
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
    let config = config_or_404(&state, &id).await?;
    state.store.delete_mcp_config(&config.id, &config_records("mcp_config.deleted", &config)).await?;
    Ok(Json(Empty {}))
}

/// The audit row of an MCP config change: its id, name and the tools it exposes.
fn config_records(action: &str, config: &ConfigRecord) -> ChangeRecords {
    let tools: Vec<&String> = config.mappings.iter().flat_map(|m| m.tools.iter()).collect();
    let details = serde_json::json!({"name": config.name, "tools": tools});
    ChangeRecords::audited(crate::audit::change_row(action, &config.id, crate::audit::SUCCESS, details))
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
    if req.user_identifier.trim().is_empty() {
        return Err(Error::invalid_field("user_identifier", "user_identifier is required").into());
    }
    let config = config_or_404(&state, req.config_name.trim()).await?;
    let user = req.user_identifier.trim();
    let name = if req.name.is_empty() { format!("{}-{user}", config.name) } else { req.name };
    let created = |id: &str| {
        let details = serde_json::json!({"config_id": config.id, "user_identifier": user, "name": name});
        ChangeRecords::audited(crate::audit::change_row("mcp_instance.created", id, crate::audit::SUCCESS, details))
    };
    let instance = state.store.ensure_mcp_instance(&config.id, user, &name, created).await?;
    Ok(Json(McpInstanceResponse { instance: instance_wire(&state, &instance).await? }))
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
    let mut instance = instance_or_404(&state, &id).await?;
    if req.name.is_none() && req.config_name.is_none() {
        return Err(Error::invalid_field("name", "name or config_name is required").into());
    }
    if let Some(name) = req.name {
        instance.name = name;
    }
    if let Some(config_name) = req.config_name {
        instance.config_id = config_or_404(&state, &config_name).await?.id;
    }
    let details = serde_json::json!({"config_id": instance.config_id, "name": instance.name});
    let row = crate::audit::change_row("mcp_instance.updated", &instance.id, crate::audit::SUCCESS, details);
    state.store.update_mcp_instance(&instance, &ChangeRecords::audited(row)).await?;
    Ok(Json(McpInstanceResponse { instance: instance_wire(&state, &instance).await? }))
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
    let instance = instance_or_404(&state, &id).await?;
    let details = serde_json::json!({"config_id": instance.config_id, "user_identifier": instance.user_identifier});
    let row = crate::audit::change_row("mcp_instance.deleted", &instance.id, crate::audit::SUCCESS, details);
    state.store.delete_mcp_instance(&instance.id, &ChangeRecords::audited(row)).await?;
    Ok(Json(Empty {}))
}

/// Authorization state of each connection of `config` for `user`; with `links`, a fresh
/// authorization link for every connection that is not ACTIVE (creating the pending account).
pub async fn auth_state(
    state: &AppState,
    config: &ConfigRecord,
    user: &str,
    links: bool,
) -> Result<Vec<McpConnectionAuthState>> {
    let mut out = Vec::new();
    for m in &config.mappings {
        let account = match links {
            true => Some(get_or_create(state, &AccountSelector::by_name(&m.connection_name, user)).await?),
            false => state.store.accounts_by_name(&m.connection_name, user, "", "").await?.into_iter().next(),
        };
        let status = account.as_ref().map(|a| a.status.as_str().to_string()).unwrap_or_default();
        let authentication_link = match &account {
            Some(a) if links && a.status != ConnectorStatus::Active => {
                crate::domain::links::issue_link(state, &a.id, String::new(), String::new(), None).link
            }
            _ => String::new(),
        };
        out.push(McpConnectionAuthState {
            connection_id: m.connection_id.clone(),
            connection_name: m.connection_name.clone(),
            provider: m.provider.clone(),
            connected_account_id: account.map(|a| a.id).unwrap_or_default(),
            connected_account_status: status,
            authentication_link,
        });
    }
    Ok(out)
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
    let instance = instance_or_404(&state, id).await?;
    let config = config_or_404(&state, &instance.config_id).await?;
    Ok(Json(McpAuthStateResponse { connections: auth_state(&state, &config, &instance.user_identifier, links).await? }))
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
    if req.identifier.trim().is_empty() {
        return Err(Error::invalid_field("identifier", "identifier is required").into());
    }
    let config = config_or_404(&state, &id).await?;
    let connected_accounts = auth_state(&state, &config, req.identifier.trim(), req.include_auth_link).await?;
    Ok(Json(McpConnectedAccountsResponse { connected_accounts }))
}

/// Parses a protobuf Duration string (`"3600s"`).
fn parse_expiry(text: &str) -> Result<i64> {
    if text.is_empty() {
        return Ok(3600);
    }
    let secs =
        text.strip_suffix('s').and_then(|n| n.parse::<f64>().ok()).filter(|n| n.is_finite()).ok_or_else(|| {
            Error::invalid_field("expiry", format!("expiry {text:?} is not a duration like \"3600s\""))
        })?;
    if !(60.0..=86_400.0).contains(&secs) {
        return Err(Error::invalid_field("expiry", "expiry must be between 60s and 86400s"));
    }
    Ok(secs as i64)
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
    check_session_token_request(&req)?;
    let config = config_or_404(&state, &id).await?;
    Ok(Json(mint_session_token(&state, config.id, &req)?))
}

fn check_session_token_request(req: &McpSessionTokenRequest) -> Result<()> {
    if req.identifier.trim().is_empty() {
        return Err(Error::invalid_field("identifier", "identifier is required"));
    }
    Ok(())
}

/// A signed session token for the MCP server named by `scope` (a config id, or
/// `connection_scope` of a connection), acting as the request's identifier.
fn mint_session_token(
    state: &AppState,
    scope: String,
    req: &McpSessionTokenRequest,
) -> Result<McpSessionTokenResponse> {
    let level: crate::credentials::tokens::AccessLevel = req.access_level.parse()?;
    let ttl = parse_expiry(&req.expiry)?;
    let claims =
        SessionClaims { cfg: scope, sub: req.identifier.trim().to_string(), exp: now_unix() + ttl, lvl: level };
    // Noted now, written when the request ends (this is not async).
    crate::telemetry::requests::note_audit(crate::telemetry::requests::AuditNote {
        action: "mcp_session_token.issued",
        target: claims.cfg.clone(),
        outcome: crate::audit::SUCCESS,
        details: serde_json::json!({"identifier": claims.sub, "access_level": req.access_level, "expires_in_secs": ttl}),
    });
    Ok(McpSessionTokenResponse {
        token: state.signer.sign(&claims),
        expires_at: Some(Utc::now() + Duration::seconds(ttl)),
    })
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
    check_session_token_request(&req)?;
    let registry = state.registry();
    let connection = registry
        .connections
        .values()
        .find(|c| c.name.eq_ignore_ascii_case(name.trim()))
        .ok_or_else(|| Error::not_found(format!("no connection named {name:?}")))?;
    Ok(Json(mint_session_token(&state, crate::domain::mcp::connection_scope(&connection.name), &req)?))
}
