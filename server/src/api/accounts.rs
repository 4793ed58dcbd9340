//! Connected-account endpoints.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::Json;

use agentkit_core::model::query::QueryMap;
use agentkit_core::model::*;
use agentkit_core::{Error, ErrorKind};

use super::openapi_schemas::{
    BadRequest, Conflict, CreateConnectedAccountRequest, DeleteConnectedAccountRequest, Forbidden, NotFound,
    Unauthorized, Unavailable, UpdateConnectedAccountRequest,
};
use super::{keyset_tokens, keyset_window, ApiResult, Caller, JsonBody};
use crate::domain::accounts::{apply_credentials, create_account, read_account, resolve_account};
use crate::state::SharedState;
use crate::store::AccountFilter;

#[utoipa::path(
    post,
    path = "/api/v1/connected_accounts",
    operation_id = "ConnectedAccountService_CreateConnectedAccount",
    tag = "Connected Accounts",
    summary = "Create a connected account",
    description = "404: the connection is not configured on this gateway. 409: an account for this connection, identifier, organization and user already exists.",
    request_body = CreateConnectedAccountRequest,
    responses(
        (status = 201, description = "Created.", body = ConnectedAccountResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn create(
    State(state): State<SharedState>,
    caller: Caller,
    JsonBody(req): JsonBody<UpsertConnectedAccountRequest>,
) -> ApiResult<(StatusCode, Json<ConnectedAccountResponse>)> {
    if let Some(cfg) = &req.connected_account.api_config {
        let connection = state.connection(req.selector.connector.trim())?;
        state.check_api_config_change(&caller.grants, &caller.client_id, &connection, None, cfg)?;
    }
    let account = create_account(&state, req).await?;
    Ok((StatusCode::CREATED, Json(ConnectedAccountResponse { connected_account: account.to_wire(false) })))
}

#[utoipa::path(
    put,
    path = "/api/v1/connected_accounts",
    operation_id = "ConnectedAccountService_UpdateConnectedAccount",
    tag = "Connected Accounts",
    summary = "Update a connected account's credentials or api_config",
    description = "404: no such account (or connection). 409: `connector` + `identifier` match several accounts (pass `organization_id`, `user_id` or the id). 403 also when the caller may not change where a stored credential is sent (`api_config`).",
    request_body = UpdateConnectedAccountRequest,
    responses(
        (status = 200, description = "Success.", body = ConnectedAccountResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn update(
    State(state): State<SharedState>,
    caller: Caller,
    JsonBody(req): JsonBody<UpsertConnectedAccountRequest>,
) -> ApiResult<Json<ConnectedAccountResponse>> {
    let mut account = resolve_account(&state, &req.selector).await?;
    if let Some(cfg) = req.connected_account.api_config {
        if !cfg.is_object() {
            return Err(Error::invalid_field("api_config", "api_config must be an object").into());
        }
        let connection = state.connection(&account.connection_name)?;
        state.check_api_config_change(
            &caller.grants,
            &caller.client_id,
            &connection,
            account.api_config.as_ref(),
            &cfg,
        )?;
        account.api_config = Some(cfg);
    }
    let credentials_changed = req.connected_account.authorization_details.is_some();
    let old_status = account.status;
    apply_credentials(&state, &mut account, req.connected_account.authorization_details)?;
    let changed = serde_json::json!({"credentials_changed": credentials_changed});
    let audit = crate::audit::account_row("connected_account.updated", &account, crate::audit::SUCCESS, changed);
    let mut events = vec![("connected_account.updated", &account, None)];
    if account.status != old_status {
        events.push(("connected_account.status_updated", &account, Some(old_status.as_str())));
    }
    let records = state.webhooks.change_records(vec![audit], &events).await?;
    state.store.update_account(&account, &records).await?;
    state.webhooks.wake();
    crate::domain::triggers::account_activated(&state, &account).await;
    let account = state
        .store
        .account_by_id(&account.id)
        .await?
        .ok_or_else(|| Error::new(ErrorKind::Conflict, "account deleted concurrently"))?;
    Ok(Json(ConnectedAccountResponse { connected_account: account.to_wire(false) }))
}

#[utoipa::path(
    get,
    path = "/api/v1/connected_accounts/auth",
    operation_id = "ConnectedAccountService_GetConnectedAccountAuth",
    tag = "Connected Accounts",
    summary = "Get a connected account with its credentials",
    description = "Needs the `credentials:read` scope (403 without it). 409: the selector matches several accounts.",
    params(
        ("id" = Option<String>, Query, description = "The connected account's id (`ca_…`); or `connector` + `identifier`. Alias: `connected_account_id`."),
        ("connector" = Option<String>, Query, description = "Connection name, with `identifier`. Alias: `connection_name`."),
        ("identifier" = Option<String>, Query, description = "The user's identifier on that connection."),
        ("organization_id" = Option<String>, Query, description = "Narrows `connector` + `identifier` when several accounts match."),
        ("user_id" = Option<String>, Query, description = "Narrows `connector` + `identifier` when several accounts match."),
    ),
    responses(
        (status = 200, description = "Success.", body = ConnectedAccountResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn get_auth(
    State(state): State<SharedState>,
    _caller: Caller,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<ConnectedAccountResponse>> {
    let sel = AccountSelector::from_query(&QueryMap::parse(q.as_deref()));
    let account = read_account(&state, &sel).await?;
    let none = serde_json::Value::Null;
    crate::audit::account_event(
        &state.store,
        "connected_account.credentials_read",
        &account,
        crate::audit::SUCCESS,
        none,
    )
    .await;
    Ok(Json(ConnectedAccountResponse { connected_account: account.to_wire(true) }))
}

#[utoipa::path(
    get,
    path = "/api/v1/connected_accounts/details",
    operation_id = "ConnectedAccountService_GetConnectedAccountDetails",
    tag = "Connected Accounts",
    summary = "Get a connected account without credentials",
    description = "409: the selector matches several accounts.",
    params(
        ("id" = Option<String>, Query, description = "The connected account's id (`ca_…`); or `connector` + `identifier`. Alias: `connected_account_id`."),
        ("connector" = Option<String>, Query, description = "Connection name, with `identifier`. Alias: `connection_name`."),
        ("identifier" = Option<String>, Query, description = "The user's identifier on that connection."),
        ("organization_id" = Option<String>, Query, description = "Narrows `connector` + `identifier` when several accounts match."),
        ("user_id" = Option<String>, Query, description = "Narrows `connector` + `identifier` when several accounts match."),
    ),
    responses(
        (status = 200, description = "Success.", body = ConnectedAccountResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn get_details(
    State(state): State<SharedState>,
    _caller: Caller,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<ConnectedAccountResponse>> {
    let sel = AccountSelector::from_query(&QueryMap::parse(q.as_deref()));
    let account = read_account(&state, &sel).await?;
    Ok(Json(ConnectedAccountResponse { connected_account: account.to_wire(false) }))
}

#[utoipa::path(
    post,
    path = "/api/v1/connected_accounts:delete",
    operation_id = "ConnectedAccountService_DeleteConnectedAccount",
    tag = "Connected Accounts",
    summary = "Delete a connected account",
    description = "Revokes the grant at the provider where it can. 409: the selector matches several accounts.",
    request_body = DeleteConnectedAccountRequest,
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
    JsonBody(sel): JsonBody<AccountSelector>,
) -> ApiResult<Json<Empty>> {
    crate::domain::accounts::delete_account(&state, &sel).await?;
    Ok(Json(Empty {}))
}

#[utoipa::path(
    get,
    path = "/api/v1/connected_accounts",
    operation_id = "ConnectedAccountService_ListConnectedAccounts",
    tag = "Connected Accounts",
    summary = "List connected accounts",
    params(
        ("connector" = Option<String>, Query, description = "Connection name."),
        ("connection_names" = Option<Vec<String>>, Query, style = Form, explode, description = "Connection names (any of)."),
        ("identifier" = Option<String>, Query, description = "Exact identifier."),
        ("provider" = Option<String>, Query, description = "Connector slug."),
        ("organization_id" = Option<String>, Query),
        ("user_id" = Option<String>, Query),
        ("query" = Option<String>, Query, description = "Text contained in identifier, connection or connector."),
        ("page_size" = Option<u32>, Query, description = "Results per page."),
        ("page_token" = Option<String>, Query, description = "A `next_page_token` / `prev_page_token` of an earlier page."),
    ),
    responses(
        (status = 200, description = "Success.", body = ListConnectedAccountsResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn list(
    State(state): State<SharedState>,
    _caller: Caller,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<ListConnectedAccountsResponse>> {
    let req = ListConnectedAccountsRequest::from_query(&QueryMap::parse(q.as_deref()))?;
    let (page, carried_total, limit) = keyset_window(req.page_size, &req.page_token, 50)?;
    let mut connection_names = req.connection_names.clone();
    if !req.connector.is_empty() {
        connection_names.push(req.connector.clone());
    }
    let filter = AccountFilter {
        connection_names,
        identifier: req.identifier,
        provider: req.provider.to_ascii_lowercase(),
        organization_id: req.organization_id,
        user_id: req.user_id,
        query: req.query,
    };
    Ok(Json(account_page(&state, &filter, page, carried_total, limit).await?))
}

/// `GET /api/v1/connected_accounts:search?query=&page_size=&page_token=&connection_id=`: accounts
/// whose identifier, connection or connector contains `query` (at least 3 characters, any
/// case), 1–30 a page; never their credentials.
#[utoipa::path(
    get,
    path = "/api/v1/connected_accounts:search",
    operation_id = "ConnectedAccountService_SearchConnectedAccounts",
    tag = "Connected Accounts",
    summary = "Search connected accounts",
    params(
        ("query" = String, Query, description = "At least 3 characters contained in identifier, connection or connector (any case)."),
        ("connection_id" = Option<String>, Query, description = "Only accounts of this connection."),
        ("page_size" = Option<u32>, Query, description = "1–30."),
        ("page_token" = Option<String>, Query),
    ),
    responses(
        (status = 200, description = "Success.", body = ListConnectedAccountsResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn search(
    State(state): State<SharedState>,
    _caller: Caller,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<ListConnectedAccountsResponse>> {
    let query = QueryMap::parse(q.as_deref());
    let text = query.get("query").unwrap_or_default().trim().to_string();
    if text.chars().count() < 3 {
        return Err(Error::invalid_field("query", "query must be at least 3 characters").into());
    }
    let page_size = super::page_size_up_to(&query, 30)?;
    let (page, carried_total, limit) = keyset_window(page_size, &query.get("page_token").unwrap_or_default(), 30)?;
    let connection = query.get("connection_id").unwrap_or_default();
    let filter = AccountFilter {
        connection_names: if connection.is_empty() { Vec::new() } else { vec![connection] },
        query: text,
        ..Default::default()
    };
    Ok(Json(account_page(&state, &filter, page, carried_total, limit).await?))
}

/// One keyset page of the accounts `filter` selects, as the list endpoints answer it.
async fn account_page(
    state: &SharedState,
    filter: &AccountFilter,
    page: crate::store::AccountPage,
    carried_total: Option<u32>,
    limit: u32,
) -> agentkit_core::Result<ListConnectedAccountsResponse> {
    let listed = state.store.list_accounts(filter, &page, limit).await?;
    let total = listed.total.or(carried_total).unwrap_or_default();
    let ends = listed.accounts.first().zip(listed.accounts.last()).map(|(f, l)| (f.id.as_str(), l.id.as_str()));
    let (next_page_token, prev_page_token) = keyset_tokens(total, ends, listed.has_next, listed.has_prev);
    Ok(ListConnectedAccountsResponse {
        connected_accounts: listed.accounts.iter().map(|a| a.to_wire(false)).collect(),
        total_size: total,
        next_page_token,
        prev_page_token,
    })
}

/// `GET /api/v1/connections/app`: the configured connections in name order (at most 30 a page).
#[utoipa::path(
    get,
    path = "/api/v1/connections/app",
    operation_id = "ConnectionService_ListAppConnections",
    tag = "Connections",
    summary = "The gateway's configured connections",
    params(
        ("provider" = Option<String>, Query, description = "Connector slug."),
        ("query" = Option<String>, Query, description = "Text in the name or connector."),
        ("page_size" = Option<u32>, Query, description = "Results per page."),
        ("page_token" = Option<String>, Query, description = "A `next_page_token` / `prev_page_token` of an earlier page."),
    ),
    responses(
        (status = 200, description = "Success.", body = ListAppConnectionsResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    ),
)]
pub async fn list_connections(
    State(state): State<SharedState>,
    _caller: Caller,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<ListAppConnectionsResponse>> {
    let req = ListAppConnectionsRequest::from_query(&QueryMap::parse(q.as_deref()))?;
    let query = req.query.trim().to_lowercase();
    let registry = state.registry();
    let mut connections: Vec<AppConnection> = registry
        .connections
        .values()
        .filter(|c| req.provider.is_empty() || c.connector.eq_ignore_ascii_case(req.provider.trim()))
        .filter(|c| query.is_empty() || c.name.to_lowercase().contains(&query) || c.connector.contains(&query))
        .map(|c| AppConnection {
            id: format!("conn_{}", c.name),
            connection_type: registry
                .catalog
                .connector(&c.connector)
                .map_or("INVALID", |d| d.auth.auth_type.connection_type())
                .to_string(),
            status: "COMPLETED".into(),
            enabled: true,
            provider_key: c.connector.to_ascii_uppercase(),
            key_id: c.name.clone(),
            mcp_server_url: format!("{}/mcp/v3/connections/{}", state.public_url, c.name),
        })
        .collect();
    connections.sort_by(|a, b| a.key_id.cmp(&b.key_id));
    let (offset, limit) = super::page_window(req.page_size.map(|n| n.min(30)), &req.page_token, 30)?;
    let total = connections.len() as u32;
    let (next_page_token, prev_page_token) = super::page_tokens(offset, limit, total);
    let connections = connections.into_iter().skip(offset as usize).take(limit as usize).collect();
    Ok(Json(ListAppConnectionsResponse { connections, next_page_token, prev_page_token, total_size: total }))
}
