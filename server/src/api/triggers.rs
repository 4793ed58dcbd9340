//! Triggers (accounts scope), on the official contract's REST paths: a connection's available
//! triggers, and its trigger subscriptions listed, created (one, or a batch with an outcome per
//! account) and deleted. `{connection_id}` is `conn_<name>` or the connection's name.

use axum::extract::{Path, RawQuery, State};
use axum::Json;
use serde_json::json;

use agentkit_core::model::query::QueryMap;
use agentkit_core::model::{
    BatchCreateTriggerSubscriptionResult, BatchCreateTriggerSubscriptionsRequest,
    BatchCreateTriggerSubscriptionsResponse, CreateTriggerSubscriptionRequest, EligibleAccount, Empty,
    ListAvailableTriggersResponse, ListEligibleAccountsResponse, ListTriggerSubscriptionsResponse, TriggerSubscription,
    TriggerSubscriptionStatus,
};
use agentkit_core::Error;

use super::openapi_schemas::{BadRequest, Conflict, Forbidden, NotFound, Unauthorized, Unavailable};
use super::{keyset_tokens, keyset_window, ApiResult, Caller, JsonBody};
use crate::domain::triggers::{
    account_health, available_triggers, connection_named, subscribe, to_wire, trigger_of, SubscriptionRequest,
};
use crate::state::SharedState;
use crate::store::{AccountFilter, ChangeRecords};

/// Most accounts one batch subscribes, and most subscriptions one page lists.
const MAX_BATCH: usize = 100;
const MAX_PAGE: u32 = 100;

#[utoipa::path(
    get,
    path = "/api/v1/connections/{name}/triggers",
    operation_id = "TriggerService_ListAvailableTriggers",
    tag = "Triggers",
    summary = "The triggers a connection offers, and whether each can be used there",
    params(("name" = String, Path, description = "The connection: `conn_<name>` or its name.")),
    responses(
        (status = 200, description = "Success.", body = ListAvailableTriggersResponse),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
)]
pub async fn list_available(
    State(state): State<SharedState>,
    _caller: Caller,
    Path(connection_id): Path<String>,
) -> ApiResult<Json<ListAvailableTriggersResponse>> {
    Ok(Json(available_triggers(&state, &connection_id)?))
}

#[utoipa::path(
    get,
    path = "/api/v1/connections/{name}/triggers/{trigger_name}/eligible-accounts",
    operation_id = "TriggerService_ListEligibleAccounts",
    tag = "Triggers",
    summary = "The connection's accounts, each eligible for the trigger or not, with its health",
    description = "Query: `query` (text in the identifier), `page_size` (default 50), `page_token`.",
    params(
        ("name" = String, Path, description = "The connection: `conn_<name>` or its name."),
        ("trigger_name" = String, Path, description = "The trigger."),
    ),
    responses(
        (status = 200, description = "Success.", body = ListEligibleAccountsResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn list_eligible_accounts(
    State(state): State<SharedState>,
    _caller: Caller,
    Path((connection_id, trigger_name)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<ListEligibleAccountsResponse>> {
    let connection = connection_named(&state, &connection_id)?;
    trigger_of(&state, &connection, &trigger_name)?;
    let q = QueryMap::parse(query.as_deref());
    let (page, carried_total, limit) =
        keyset_window(q.get_u32("page_size")?, &q.get("page_token").unwrap_or_default(), 50)?;
    let filter = AccountFilter {
        connection_names: vec![connection.name.clone()],
        query: q.get("query").unwrap_or_default(),
        ..AccountFilter::default()
    };
    let listed = state.store.list_accounts(&filter, &page, limit).await?;
    let total_size = listed.total.or(carried_total).unwrap_or_default();
    let ends = listed.accounts.first().zip(listed.accounts.last()).map(|(f, l)| (f.id.as_str(), l.id.as_str()));
    let (next_page_token, prev_page_token) = keyset_tokens(total_size, ends, listed.has_next, listed.has_prev);
    let accounts = listed
        .accounts
        .iter()
        .map(|a| {
            let health = account_health(a);
            EligibleAccount {
                id: a.id.clone(),
                identifier: a.identifier.clone(),
                eligible: !health.blocks_tool_calls,
                reason: health.reason.clone(),
                remedy: health.remedy.clone(),
                health,
            }
        })
        .collect();
    Ok(Json(ListEligibleAccountsResponse { accounts, next_page_token, prev_page_token, total_size }))
}

#[utoipa::path(
    get,
    path = "/api/v1/connections/{name}/trigger-subscriptions",
    operation_id = "TriggerService_ListTriggerSubscriptions",
    tag = "Triggers",
    summary = "A connection's trigger subscriptions, by id, with counts by status",
    description = "Query: `trigger_name`, `statuses` (repeatable), `page_size` (1–100, default 50), `page_token`.",
    params(("name" = String, Path, description = "The connection: `conn_<name>` or its name.")),
    responses(
        (status = 200, description = "Success.", body = ListTriggerSubscriptionsResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn list_subscriptions(
    State(state): State<SharedState>,
    _caller: Caller,
    Path(connection_id): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<ListTriggerSubscriptionsResponse>> {
    let connection = connection_named(&state, &connection_id)?;
    let q = QueryMap::parse(query.as_deref());
    let page_size = match q.get_u32("page_size")? {
        None | Some(0) => 50,
        Some(n) if n <= MAX_PAGE => n,
        Some(n) => return Err(Error::invalid_field("page_size", format!("page_size {n} is over {MAX_PAGE}")).into()),
    };
    let statuses = q
        .all("statuses")
        .iter()
        .map(|s| {
            TriggerSubscriptionStatus::parse(s.trim_start_matches("TRIGGER_SUBSCRIPTION_STATUS_")).ok_or_else(|| {
                Error::invalid_field("statuses", format!("statuses: {s:?} is not a subscription status"))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let trigger_name = q.get("trigger_name").unwrap_or_default();
    let after = q.get("page_token").unwrap_or_default();
    let mut rows =
        state.store.trigger_subscriptions(&connection.name, &trigger_name, &statuses, &after, page_size).await?;
    let more = rows.len() > page_size as usize;
    rows.truncate(page_size as usize);
    let connector = state.registry().connector_of(&connection)?;
    let mut subscriptions = Vec::with_capacity(rows.len());
    for row in &rows {
        let account = state.store.account_by_id(&row.account_id).await?;
        let trigger = connector.triggers.iter().find(|t| t.name == row.trigger_name);
        subscriptions.push(to_wire(row, trigger, account.as_ref()));
    }
    let status_counts = state.store.trigger_status_counts(&connection.name).await?;
    let total_size = status_counts.values().sum();
    Ok(Json(ListTriggerSubscriptionsResponse {
        next_page_token: if more { rows.last().map(|r| r.id.clone()).unwrap_or_default() } else { String::new() },
        prev_page_token: String::new(),
        subscriptions,
        total_size,
        status_counts,
    }))
}

#[utoipa::path(
    post,
    path = "/api/v1/connections/{name}/trigger-subscriptions",
    operation_id = "TriggerService_CreateTriggerSubscription",
    tag = "Triggers",
    summary = "Subscribe a connected account to a trigger",
    description = "400: an interval outside the trigger's bounds, config the trigger does not take, an account that is not ACTIVE, or a trigger the connection's scopes do not allow. 404: no such trigger or account on this connection. 409: the account already has this subscription.",
    params(("name" = String, Path, description = "The connection: `conn_<name>` or its name.")),
    request_body = CreateTriggerSubscriptionRequest,
    responses(
        (status = 200, description = "The new subscription.", body = TriggerSubscription),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn create_subscription(
    State(state): State<SharedState>,
    caller: Caller,
    Path(connection_id): Path<String>,
    JsonBody(req): JsonBody<CreateTriggerSubscriptionRequest>,
) -> ApiResult<Json<TriggerSubscription>> {
    let connection = connection_named(&state, &connection_id)?;
    let trigger = trigger_of(&state, &connection, &req.trigger_name)?;
    let request = SubscriptionRequest::checked(&state, &connection, &trigger, req.interval_seconds, &req.config)?;
    let (created, account) =
        subscribe(&state, &request, req.connected_account_id.trim(), json!({"api_client": caller.client_id}))
            .await
            .map_err(|(_, e)| e)?;
    Ok(Json(to_wire(&created, Some(&trigger), Some(&account))))
}

#[utoipa::path(
    post,
    path = "/api/v1/connections/{name}/trigger-subscriptions:batchCreate",
    operation_id = "TriggerService_BatchCreateTriggerSubscriptions",
    tag = "Triggers",
    summary = "Subscribe up to 100 connected accounts to a trigger, with an outcome for each",
    params(("name" = String, Path, description = "The connection: `conn_<name>` or its name.")),
    request_body = BatchCreateTriggerSubscriptionsRequest,
    responses(
        (status = 200, description = "An outcome per account: CREATED, ALREADY_SUBSCRIBED, REFUSED, NOT_FOUND or FAILED.", body = BatchCreateTriggerSubscriptionsResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn batch_create_subscriptions(
    State(state): State<SharedState>,
    caller: Caller,
    Path(connection_id): Path<String>,
    JsonBody(req): JsonBody<BatchCreateTriggerSubscriptionsRequest>,
) -> ApiResult<Json<BatchCreateTriggerSubscriptionsResponse>> {
    if req.connected_account_ids.is_empty() || req.connected_account_ids.len() > MAX_BATCH {
        return Err(Error::invalid_field(
            "connected_account_ids",
            format!(
                "connected_account_ids must name 1 to {MAX_BATCH} accounts, not {}",
                req.connected_account_ids.len()
            ),
        )
        .into());
    }
    let connection = connection_named(&state, &connection_id)?;
    let trigger = trigger_of(&state, &connection, &req.trigger_name)?;
    let request = SubscriptionRequest::checked(&state, &connection, &trigger, req.interval_seconds, &req.config)?;
    let mut results = Vec::with_capacity(req.connected_account_ids.len());
    let mut created_count = 0;
    for account_id in &req.connected_account_ids {
        let account_id = account_id.trim();
        let result =
            match subscribe(&state, &request, account_id, json!({"api_client": caller.client_id, "batch": true})).await
            {
                Ok((created, account)) => {
                    created_count += 1;
                    BatchCreateTriggerSubscriptionResult {
                        connected_account_id: account_id.to_string(),
                        outcome: agentkit_core::model::BatchSubscribeOutcome::Created,
                        subscription: Some(to_wire(&created, Some(&trigger), Some(&account))),
                        reason: String::new(),
                    }
                }
                Err((outcome, e)) => BatchCreateTriggerSubscriptionResult {
                    connected_account_id: account_id.to_string(),
                    outcome,
                    subscription: None,
                    reason: e.message().to_string(),
                },
            };
        results.push(result);
    }
    Ok(Json(BatchCreateTriggerSubscriptionsResponse { results, created_count }))
}

#[utoipa::path(
    delete,
    path = "/api/v1/connections/{name}/trigger-subscriptions/{subscription_id}",
    operation_id = "TriggerService_DeleteTriggerSubscription",
    tag = "Triggers",
    summary = "Delete a trigger subscription",
    params(
        ("name" = String, Path, description = "The connection: `conn_<name>` or its name."),
        ("subscription_id" = String, Path, description = "The subscription."),
    ),
    responses(
        (status = 200, description = "Deleted.", body = Empty),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn delete_subscription(
    State(state): State<SharedState>,
    caller: Caller,
    Path((connection_id, subscription_id)): Path<(String, String)>,
) -> ApiResult<Json<Empty>> {
    let connection = connection_named(&state, &connection_id)?;
    let details = json!({"connection": connection.name, "api_client": caller.client_id});
    let row =
        crate::audit::change_row("trigger_subscription.deleted", &subscription_id, crate::audit::SUCCESS, details);
    if !state
        .store
        .delete_trigger_subscription(&connection.name, &subscription_id, &ChangeRecords::audited(row))
        .await?
    {
        return Err(Error::not_found(format!(
            "connection {:?} has no subscription {subscription_id:?}",
            connection.name
        ))
        .into());
    }
    Ok(Json(Empty {}))
}
