//! Tool catalog listing and `execute_tool`.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::Json;

use agentkit_core::model::query::QueryMap;
use agentkit_core::model::*;
use agentkit_core::Error;

use super::openapi_schemas::{
    BadGateway, BadRequest, Conflict, ExecuteToolBody, Forbidden, GatewayTimeout, Internal, NotFound, TooManyRequests,
    Unauthorized, Unavailable,
};
use super::{page_tokens, page_window, ApiResult, Caller, JsonBody};
use crate::catalog::connectors::CatalogTool;
use crate::domain::accounts::resolve_account;
use crate::state::{Registry, SharedState};

/// Page size when the caller gives none.
const DEFAULT_TOOL_PAGE: u32 = 50;

fn page<T: Clone>(items: &[T], offset: u32, limit: u32) -> Vec<T> {
    items.iter().skip(offset as usize).take(limit as usize).cloned().collect()
}

/// Connector slugs of the configured connections (the tools this gateway can run).
fn configured_connectors(registry: &Registry) -> Vec<String> {
    let mut slugs: Vec<String> = registry.connections.values().map(|c| c.connector.clone()).collect();
    slugs.sort();
    slugs.dedup();
    slugs
}

#[utoipa::path(
    get,
    path = "/api/v1/tools",
    operation_id = "ToolService_ListTools",
    tag = "Tool Calling",
    summary = "List catalog tools",
    description = "404: `filter.connector` names no configured connection, or `filter.connected_account_id` no account.",
    params(
        ("filter.provider" = Option<String>, Query, description = "Connector slug."),
        ("filter.identifier" = Option<String>, Query, description = "Only connectors this identifier has accounts on."),
        ("filter.tool_name" = Option<Vec<String>>, Query, style = Form, explode, description = "Tool names (any of)."),
        ("filter.query" = Option<String>, Query, description = "Words of names and descriptions."),
        ("filter.connector" = Option<String>, Query, description = "Connection name."),
        ("filter.connected_account_id" = Option<String>, Query),
        ("filter.summary" = Option<bool>, Query, description = "Leave input schemas out."),
        ("page_size" = Option<u32>, Query, description = "Results per page."),
        ("page_token" = Option<String>, Query, description = "A `next_page_token` / `prev_page_token` of an earlier page."),
    ),
    responses(
        (status = 200, description = "Success.", body = ListToolsResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn list(
    State(state): State<SharedState>,
    _caller: Caller,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<ListToolsResponse>> {
    let req = ListToolsRequest::from_query(&QueryMap::parse(q.as_deref()))?;
    let f = &req.filter;
    let mut connectors: Option<Vec<String>> = None;
    if !f.connector.is_empty() {
        connectors = Some(vec![state.connection(&f.connector)?.connector.clone()]);
    }
    if !f.identifier.is_empty() || !f.connected_account_id.is_empty() {
        let accounts = if f.connected_account_id.is_empty() {
            state.store.accounts_of_identifier(&f.identifier).await?
        } else {
            resolve_account(&state, &AccountSelector::by_id(&f.connected_account_id)).await.map(|a| vec![a])?
        };
        let slugs: Vec<String> = accounts.into_iter().map(|a| a.connector).collect();
        connectors = Some(match connectors {
            Some(existing) => existing.into_iter().filter(|c| slugs.contains(c)).collect(),
            None => slugs,
        });
    }
    let registry = state.registry();
    let matching: Vec<&Arc<CatalogTool>> = registry
        .catalog
        .search(&f.query)
        .into_iter()
        .filter(|t| f.provider.is_empty() || t.connector.slug.eq_ignore_ascii_case(&f.provider))
        .filter(|t| f.tool_name.is_empty() || f.tool_name.contains(&t.def.name))
        .filter(|t| connectors.as_ref().is_none_or(|c| c.contains(&t.connector.slug)))
        // Named a connection: a remote MCP tool of another connection of its connector is not its.
        .filter(|t| f.connector.is_empty() || t.def.remote.as_ref().is_none_or(|r| r.connection == f.connector))
        .collect();
    let (offset, limit) = page_window(req.page_size, &req.page_token, DEFAULT_TOOL_PAGE)?;
    let total = matching.len() as u32;
    let (next_page_token, prev_page_token) = page_tokens(offset, limit, total);
    let summary = f.summary == Some(true);
    let tools = page(&matching, offset, limit)
        .into_iter()
        .map(|t| {
            let mut wire = t.wire.clone();
            if summary {
                // Summary listings omit the (large) input schema.
                if let Some(obj) = wire.definition.as_object_mut() {
                    obj.remove("input_schema");
                }
            }
            wire
        })
        .collect();
    Ok(Json(ListToolsResponse {
        tools,
        tool_names: matching.iter().map(|t| t.def.name.clone()).collect(),
        total_size: total,
        next_page_token,
        prev_page_token,
    }))
}

/// `POST /api/v1/tools:search`: catalog tools ranked for a natural-language query; with an
/// identifier, each says which of the user's connections can run it (`READY`), need an
/// authorization (`NEEDS_CONNECTION`) or a new one (`NEEDS_REAUTH`).
#[utoipa::path(
    post,
    path = "/api/v1/tools:search",
    operation_id = "ToolService_SearchTools",
    tag = "Tool Calling",
    summary = "Tools ranked for a natural-language query",
    request_body = SearchToolsRequest,
    responses(
        (status = 200, description = "Success.", body = SearchToolsResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn search(
    State(state): State<SharedState>,
    _caller: Caller,
    JsonBody(req): JsonBody<SearchToolsRequest>,
) -> ApiResult<Json<SearchToolsResponse>> {
    req.validate()?;
    let accounts = if req.identifier.trim().is_empty() {
        Vec::new()
    } else {
        state.store.accounts_of_identifier(req.identifier.trim()).await?
    };
    let registry = state.registry();
    let tools = registry
        .catalog
        .rank(&req.query, req.limit())
        .into_iter()
        .map(|(tool, score)| SearchedTool {
            name: tool.def.name.clone(),
            provider: tool.wire.provider.clone(),
            description: tool.def.description.clone(),
            score,
            connections: accounts
                .iter()
                .filter(|a| {
                    tool.runs_on(&a.connector, &a.connection_name)
                        && registry.connections.contains_key(&a.connection_name)
                })
                .map(|a| ConnectionReadiness {
                    connection_name: a.connection_name.clone(),
                    connected_account_id: a.id.clone(),
                    readiness_state: ToolReadinessState::of(a.status),
                })
                .collect(),
        })
        .collect();
    Ok(Json(SearchToolsResponse { tools }))
}

#[utoipa::path(
    get,
    path = "/api/v1/tools/scoped",
    operation_id = "ToolService_ListScopedTools",
    tag = "Tool Calling",
    summary = "Tools an identifier can run now",
    description = "404: a `filter.connection_names` entry names no configured connection.",
    params(
        ("identifier" = String, Query, description = "The user's identifier."),
        ("filter.providers" = Option<Vec<String>>, Query, style = Form, explode),
        ("filter.tool_names" = Option<Vec<String>>, Query, style = Form, explode),
        ("filter.connection_names" = Option<Vec<String>>, Query, style = Form, explode),
        ("page_size" = Option<u32>, Query, description = "Results per page."),
        ("page_token" = Option<String>, Query, description = "A `next_page_token` / `prev_page_token` of an earlier page."),
    ),
    responses(
        (status = 200, description = "Success.", body = ListScopedToolsResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn list_scoped(
    State(state): State<SharedState>,
    _caller: Caller,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<ListScopedToolsResponse>> {
    let req = ListScopedToolsRequest::from_query(&QueryMap::parse(q.as_deref()))?;
    if req.identifier.trim().is_empty() {
        return Err(Error::invalid_field("identifier", "identifier is required").into());
    }
    for name in &req.filter.connection_names {
        state.connection(name)?;
    }
    let f = &req.filter;
    let accounts = state.store.accounts_of_identifier(req.identifier.trim()).await?;
    let mut scoped = Vec::new();
    let registry = state.registry();
    for account in accounts.iter().filter(|a| registry.connections.contains_key(&a.connection_name)) {
        if !f.connection_names.is_empty() && !f.connection_names.contains(&account.connection_name) {
            continue;
        }
        if !f.providers.is_empty() && !f.providers.iter().any(|p| p.eq_ignore_ascii_case(&account.connector)) {
            continue;
        }
        for tool in registry.catalog.tools().filter(|t| t.runs_on(&account.connector, &account.connection_name)) {
            if f.tool_names.is_empty() || f.tool_names.contains(&tool.def.name) {
                scoped.push(ScopedTool {
                    tool: tool.wire.clone(),
                    identifier: account.identifier.clone(),
                    connected_account_id: account.id.clone(),
                });
            }
        }
    }
    let (offset, limit) = page_window(req.page_size, &req.page_token, DEFAULT_TOOL_PAGE)?;
    let total = scoped.len() as u32;
    let (next_page_token, prev_page_token) = page_tokens(offset, limit, total);
    Ok(Json(ListScopedToolsResponse {
        tools: page(&scoped, offset, limit),
        total_size: total,
        next_page_token,
        prev_page_token,
    }))
}

#[utoipa::path(
    get,
    path = "/api/v1/tools/available",
    operation_id = "ToolService_ListAvailableTools",
    tag = "Tool Calling",
    summary = "Tools that can be made available to an identifier",
    params(
        ("identifier" = String, Query, description = "The user's identifier."),
        ("page_size" = Option<u32>, Query, description = "Results per page."),
        ("page_token" = Option<String>, Query, description = "A `next_page_token` / `prev_page_token` of an earlier page."),
    ),
    responses(
        (status = 200, description = "Success.", body = ListAvailableToolsResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    ),
)]
pub async fn list_available(
    State(state): State<SharedState>,
    _caller: Caller,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<ListAvailableToolsResponse>> {
    let req = ListAvailableToolsRequest::from_query(&QueryMap::parse(q.as_deref()))?;
    if req.identifier.trim().is_empty() {
        return Err(Error::invalid_field("identifier", "identifier is required").into());
    }
    let registry = state.registry();
    let connectors = configured_connectors(&registry);
    let tools: Vec<Tool> =
        registry.catalog.tools().filter(|t| connectors.contains(&t.connector.slug)).map(|t| t.wire.clone()).collect();
    let (offset, limit) = page_window(req.page_size, &req.page_token, DEFAULT_TOOL_PAGE)?;
    let total = tools.len() as u32;
    let (next_page_token, prev_page_token) = page_tokens(offset, limit, total);
    Ok(Json(ListAvailableToolsResponse {
        tools: page(&tools, offset, limit),
        total_size: total,
        next_page_token,
        prev_page_token,
    }))
}

#[utoipa::path(
    post,
    path = "/api/v1/execute_tool",
    operation_id = "ToolService_ExecuteTool",
    tag = "Tool Calling",
    summary = "Run a tool as a connected account",
    description = "400: the input fails the tool's schema (the field is named), or the account is not ACTIVE (`FAILED_PRECONDITION`, with an authorization link). 403: a missing scope or a provider address the egress policy refuses. 404: no such tool, connection or account. 409: the identifier matches several accounts. A provider failure is a tool error (`error_code` `TOOL_ERROR`) with the provider's status for 400/401/403/404/409/429 (a 429 keeps the provider's `Retry-After`, and the connector's rate limit answers 429 with `Retry-After` too) and 502 otherwise; 503: the provider could not be reached or dropped the connection; 504: it did not answer within the connector's `timeout_secs`. The body's `code` follows the status.",
    request_body = ExecuteToolBody,
    responses(
        (status = 200, description = "Success.", body = ExecuteToolResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 429, response = TooManyRequests),
        (status = 500, response = Internal),
        (status = 502, response = BadGateway),
        (status = 503, response = Unavailable),
        (status = 504, response = GatewayTimeout),
    ),
)]
pub async fn execute(
    State(state): State<SharedState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    JsonBody(req): JsonBody<ExecuteToolRequest>,
) -> ApiResult<Json<ExecuteToolResponse>> {
    // The caller's trace continues into the execution record.
    let traceparent = headers.get("traceparent").and_then(|v| v.to_str().ok());
    Ok(Json(crate::domain::execution::execute_tool(&state, &caller.client_id, &req, traceparent).await?))
}

/// Recent execution records (no credentials in them), newest first: `?identifier=&limit=`.
#[utoipa::path(
    get,
    path = "/api/v1/executions",
    operation_id = "ToolService_ListExecutions",
    tag = "Tool Calling",
    summary = "Recent execution records (never a credential)",
    description = "A client without `admin` sees only its own calls.",
    params(
        ("identifier" = Option<String>, Query),
        ("limit" = Option<u32>, Query, description = "At most 200 (default 20)."),
    ),
    responses(
        (status = 200, description = "Success.", body = RecentExecutions),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn recent_executions(
    State(state): State<SharedState>,
    caller: Caller,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<super::SortedKeys<RecentExecutions>>> {
    let q = QueryMap::parse(q.as_deref());
    let limit = q.get_u32("limit")?.unwrap_or(20).min(200);
    let of_client = caller.grants.execution_records_of(&caller.client_id);
    let identifier = q.get("identifier").unwrap_or_default();
    let records = state.store.recent_executions(&identifier, of_client, limit).await?;
    Ok(Json(super::SortedKeys(RecentExecutions { executions: records })))
}

/// `GET /api/v1/executions`: execution records, newest first.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct RecentExecutions {
    executions: Vec<crate::store::ExecutionRecord>,
}
