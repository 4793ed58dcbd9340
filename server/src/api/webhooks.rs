//! Webhook endpoints at runtime (admin scope): `POST /api/v1/webhook_endpoints {"url", "events"}`
//! answers the endpoint with its `whsec_` secret (shown once); `GET` lists them (no secrets);
//! `DELETE /api/v1/webhook_endpoints/{id}`; `GET …/{id}/deliveries` is the delivery log;
//! `POST /api/v1/webhook_deliveries/{id}/redeliver` queues one again.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

use agentkit_core::{Error, ErrorKind};

use super::openapi_schemas::{BadRequest, Forbidden, NotFound, Unauthorized, Unavailable};
use super::{ApiResult, Caller, JsonBody, SortedKeys};
use crate::domain::webhooks;
pub use crate::domain::webhooks::{ListedWebhookEndpoint, WebhookDeliveries, WebhookEndpointList};
use crate::state::SharedState;
use crate::store::ChangeRecords;
use crate::store::StoredWebhookEndpoint;
use crate::webhooks::Endpoint;
use agentkit_core::model::Empty;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEndpoint {
    #[serde(default)]
    #[schema(required = true)]
    url: String,
    #[serde(default)]
    events: Vec<String>,
}

/// `POST /api/v1/webhook_endpoints`: the new endpoint with its `whsec_` secret (shown this once).
#[derive(Debug, Serialize, ToSchema)]
pub struct NewWebhookEndpoint {
    id: String,
    url: String,
    events: Vec<String>,
    secret: String,
    created_at: DateTime<Utc>,
}

#[utoipa::path(
    post,
    path = "/api/v1/webhook_endpoints",
    operation_id = "Gateway_CreateWebhookEndpoint",
    tag = "Webhooks",
    summary = "Add a webhook endpoint",
    description = "Needs `admin`. 403 also when the egress policy refuses the URL.",
    request_body = NewEndpoint,
    responses(
        (status = 201, description = "Created; holds the `whsec_` secret once.", body = NewWebhookEndpoint),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn create(
    State(state): State<SharedState>,
    _caller: Caller,
    JsonBody(req): JsonBody<NewEndpoint>,
) -> ApiResult<(StatusCode, Json<SortedKeys<NewWebhookEndpoint>>)> {
    let url = req.url.trim().to_string();
    let parsed =
        url::Url::parse(&url).map_err(|_| Error::invalid_field("url", "url must be an absolute http(s) URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Error::invalid_field("url", "url must be an absolute http(s) URL").into());
    }
    // A receiver the egress policy refuses would never get anything: refused now, naming why.
    state.webhooks.egress().check_url(&url).map_err(|e| {
        Error::new(e.kind(), format!("url: {}", e.message())).with_error_code(e.error_code().to_string())
    })?;
    crate::webhooks::check_events(&req.events, "events")?;
    let endpoint = StoredWebhookEndpoint {
        id: format!("whe_{}", uuid::Uuid::new_v4().simple()),
        url,
        events: req.events,
        secret: agentkit_core::webhooks::new_secret(),
        created_at: chrono::Utc::now(),
    };
    let details = json!({"url": endpoint.url, "events": endpoint.events});
    let row = crate::audit::change_row("webhook_endpoint.created", &endpoint.id, crate::audit::SUCCESS, details);
    state.store.insert_webhook_endpoint(&endpoint, &ChangeRecords::audited(row)).await?;
    let answer = NewWebhookEndpoint {
        id: endpoint.id,
        url: endpoint.url,
        events: endpoint.events,
        secret: endpoint.secret,
        created_at: endpoint.created_at,
    };
    Ok((StatusCode::CREATED, Json(SortedKeys(answer))))
}

#[utoipa::path(
    get,
    path = "/api/v1/webhook_endpoints",
    operation_id = "Gateway_ListWebhookEndpoints",
    tag = "Webhooks",
    summary = "List webhook endpoints (never their secrets)",
    responses(
        (status = 200, description = "Success.", body = WebhookEndpointList),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn list(
    State(state): State<SharedState>,
    _caller: Caller,
) -> ApiResult<Json<SortedKeys<WebhookEndpointList>>> {
    Ok(Json(SortedKeys(webhooks::list_endpoints(&state).await?)))
}

#[utoipa::path(
    delete,
    path = "/api/v1/webhook_endpoints/{id}",
    operation_id = "Gateway_DeleteWebhookEndpoint",
    tag = "Webhooks",
    summary = "Remove a webhook endpoint",
    description = "400: endpoints from the config file are removed there.",
    params(
        ("id" = String, Path),
    ),
    responses(
        (status = 200, description = "Success.", body = Empty),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn delete(
    State(state): State<SharedState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Empty>> {
    if Endpoint::is_configured(&id) {
        return Err(Error::new(
            ErrorKind::FailedPrecondition,
            "this endpoint comes from the config file: remove it there",
        )
        .into());
    }
    let row = crate::audit::change_row("webhook_endpoint.deleted", &id, crate::audit::SUCCESS, Value::Null);
    if !state.store.delete_webhook_endpoint(&id, &ChangeRecords::audited(row)).await? {
        return Err(Error::not_found(format!("webhook endpoint {id:?} not found")).into());
    }
    Ok(Json(Empty {}))
}

#[utoipa::path(
    get,
    path = "/api/v1/webhook_endpoints/{id}/deliveries",
    operation_id = "Gateway_ListWebhookDeliveries",
    tag = "Webhooks",
    summary = "Recent deliveries to an endpoint",
    params(
        ("id" = String, Path),
    ),
    responses(
        (status = 200, description = "Success.", body = WebhookDeliveries),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn deliveries(
    State(state): State<SharedState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<SortedKeys<WebhookDeliveries>>> {
    Ok(Json(SortedKeys(webhooks::deliveries(&state, &id).await?)))
}

#[utoipa::path(
    post,
    path = "/api/v1/webhook_deliveries/{id}/redeliver",
    operation_id = "Gateway_RedeliverWebhook",
    tag = "Webhooks",
    summary = "Send a delivery again",
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
pub async fn redeliver(
    State(state): State<SharedState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Empty>> {
    webhooks::redeliver_delivery(&state, &id, None).await?;
    Ok(Json(Empty {}))
}
