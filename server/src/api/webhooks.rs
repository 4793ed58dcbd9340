//! Webhook endpoints at runtime (admin scope): `POST /api/v1/webhook_endpoints {"url", "events"}`
//! answers the endpoint with its `whsec_` secret (shown once); `GET` lists them (no secrets);
//! `DELETE /api/v1/webhook_endpoints/{id}`; `GET …/{id}/deliveries` is the delivery log;
//! `POST /api/v1/webhook_deliveries/{id}/redeliver` queues one again.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use agentkit_core::{Error, ErrorKind};

use super::{ApiResult, Caller, JsonBody};
use crate::state::SharedState;
use crate::store::ChangeRecords;
use crate::store::StoredWebhookEndpoint;
use crate::webhooks::Endpoint;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewEndpoint {
    #[serde(default)]
    url: String,
    #[serde(default)]
    events: Vec<String>,
}

pub async fn create(
    State(state): State<SharedState>,
    _caller: Caller,
    JsonBody(req): JsonBody<NewEndpoint>,
) -> ApiResult<(StatusCode, Json<Value>)> {
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
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "id": endpoint.id, "url": endpoint.url, "events": endpoint.events,
            "secret": endpoint.secret, "created_at": endpoint.created_at,
        })),
    ))
}

pub async fn list(State(state): State<SharedState>, _caller: Caller) -> ApiResult<Json<Value>> {
    let endpoints: Vec<Value> = state
        .webhooks
        .endpoints()
        .await?
        .iter()
        .map(|e| {
            let source = if Endpoint::is_configured(&e.id) { "config" } else { "api" };
            json!({"id": e.id, "url": e.url, "events": e.events, "source": source})
        })
        .collect();
    Ok(Json(json!({"webhook_endpoints": endpoints})))
}

pub async fn delete(
    State(state): State<SharedState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
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
    Ok(Json(json!({})))
}

pub async fn deliveries(
    State(state): State<SharedState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let deliveries = state.store.webhook_deliveries(&id, 100).await?;
    Ok(Json(json!({"deliveries": deliveries})))
}

pub async fn redeliver(
    State(state): State<SharedState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    if !state.store.redeliver_webhook(&id).await? {
        return Err(Error::not_found(format!("webhook delivery {id:?} not found")).into());
    }
    crate::audit::record(&state.store, "webhook_delivery.redelivered", &id, crate::audit::SUCCESS, Value::Null).await;
    state.webhooks.wake();
    Ok(Json(json!({})))
}
