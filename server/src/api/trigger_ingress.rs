//! Pushed triggers on the official contract's REST paths: a connection's ingress endpoint and its
//! signing secret (set, then confirm), the public URL providers post to, what triggers did
//! lately (`/api/v1/trigger-activity`) and an endpoint's delivery attempts.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use agentkit_core::model::query::QueryMap;
use agentkit_core::model::{
    ConfirmTriggerSigningSecretRotationRequest, GetTriggerActivityResponse,
    ListTriggerDeliveryAttemptsByEndpointResponse, SetTriggerSigningSecretRequest, TriggerDeliveryAttempt,
    TriggerDeliveryAttemptStatus, TriggerIngressEndpoint,
};
use agentkit_core::Error;

use super::openapi_schemas::{BadRequest, Conflict, Forbidden, NotFound, TooManyRequests, Unauthorized, Unavailable};
use super::{ApiError, ApiResult, Caller, JsonBody};
use crate::domain::trigger_ingress::{self, PushAnswer};
use crate::state::SharedState;

/// The window `trigger-activity` counts over.
const ACTIVITY_WINDOW_HOURS: u32 = 24;
/// Most attempts one listing returns.
const MAX_ATTEMPTS_PAGE: u32 = 100;

#[utoipa::path(
    get,
    path = "/api/v1/connections/{name}/trigger-ingress",
    operation_id = "TriggerService_GetTriggerIngressEndpoint",
    tag = "Triggers",
    summary = "The URL the connection's provider posts pushed events to, and its signing secret's state",
    params(("name" = String, Path, description = "The connection: `conn_<name>` or its name.")),
    responses(
        (status = 200, description = "Success.", body = TriggerIngressEndpoint),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
)]
pub async fn get(
    State(state): State<SharedState>,
    _caller: Caller,
    Path(connection_id): Path<String>,
) -> ApiResult<Json<TriggerIngressEndpoint>> {
    let ingress = trigger_ingress::ingress_of(&state, &connection_id).await?;
    Ok(Json(trigger_ingress::to_wire(&state, &ingress)))
}

#[utoipa::path(
    post,
    path = "/api/v1/connections/{name}/trigger-ingress",
    operation_id = "TriggerService_CreateTriggerIngressEndpoint",
    tag = "Triggers",
    summary = "Create the connection's ingress endpoint (again: the same one)",
    description = "400: the connection's connector has no pushed (WEBHOOK) triggers.",
    params(("name" = String, Path, description = "The connection: `conn_<name>` or its name.")),
    responses(
        (status = 200, description = "The ingress endpoint.", body = TriggerIngressEndpoint),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn create(
    State(state): State<SharedState>,
    _caller: Caller,
    Path(connection_id): Path<String>,
) -> ApiResult<Json<TriggerIngressEndpoint>> {
    let ingress = trigger_ingress::create_ingress(&state, &connection_id).await?;
    Ok(Json(trigger_ingress::to_wire(&state, &ingress)))
}

#[utoipa::path(
    put,
    path = "/api/v1/connections/{name}/trigger-ingress/signing-secret",
    operation_id = "TriggerService_SetTriggerSigningSecret",
    tag = "Triggers",
    summary = "Set the provider's signing secret; with one set already, both are accepted until the rotation is confirmed",
    params(("name" = String, Path, description = "The connection: `conn_<name>` or its name.")),
    request_body = SetTriggerSigningSecretRequest,
    responses(
        (status = 200, description = "The ingress endpoint, its new `signing_secret_rotation_id` to confirm.", body = TriggerIngressEndpoint),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn set_signing_secret(
    State(state): State<SharedState>,
    _caller: Caller,
    Path(connection_id): Path<String>,
    JsonBody(req): JsonBody<SetTriggerSigningSecretRequest>,
) -> ApiResult<Json<TriggerIngressEndpoint>> {
    let ingress = trigger_ingress::set_signing_secret(&state, &connection_id, &req.signing_secret).await?;
    Ok(Json(trigger_ingress::to_wire(&state, &ingress)))
}

#[utoipa::path(
    post,
    path = "/api/v1/connections/{name}/trigger-ingress/signing-secret/confirm",
    operation_id = "TriggerService_ConfirmTriggerSigningSecretRotation",
    tag = "Triggers",
    summary = "Confirm a rotation: the previous signing secret is no longer accepted",
    params(("name" = String, Path, description = "The connection: `conn_<name>` or its name.")),
    request_body = ConfirmTriggerSigningSecretRotationRequest,
    responses(
        (status = 200, description = "The ingress endpoint.", body = TriggerIngressEndpoint),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn confirm_rotation(
    State(state): State<SharedState>,
    _caller: Caller,
    Path(connection_id): Path<String>,
    JsonBody(req): JsonBody<ConfirmTriggerSigningSecretRotationRequest>,
) -> ApiResult<Json<TriggerIngressEndpoint>> {
    let ingress = trigger_ingress::confirm_rotation(&state, &connection_id, req.signing_secret_rotation_id).await?;
    Ok(Json(trigger_ingress::to_wire(&state, &ingress)))
}

#[utoipa::path(
    post,
    path = "/api/v1/trigger-delivery/wb/{ingress_id}",
    operation_id = "TriggerService_TriggerWebhookWrapper",
    tag = "Triggers",
    summary = "Where a provider posts pushed events (signed with its own scheme; no token)",
    description = "Answers 200 once the push is queued (or was taken before), Slack's URL check with its challenge; 401 when unsigned, forged or replayed (audited); 404 for an unknown ingress; 413 over `[triggers] push_max_bytes`; 429 over `[triggers] pushes_per_minute` from one address.",
    params(("ingress_id" = String, Path, description = "The ingress endpoint's id, the last segment of its URL.")),
    responses(
        (status = 200, description = "Taken."),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 429, response = TooManyRequests),
        (status = 503, response = Unavailable),
    ),
    security(()),
)]
pub async fn receive(
    State(state): State<SharedState>,
    peer: crate::throttle::Peer,
    Path(ingress_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let source = crate::throttle::address_of(peer);
    if let Err(wait) = state.trigger_pushes.admit(source) {
        let secs = crate::throttle::retry_after_secs(wait);
        let refused = Error::new(
            agentkit_core::ErrorKind::RateLimited,
            format!("too many pushes from this address; try again in {secs} s"),
        );
        return crate::throttle::with_retry_after(ApiError(refused).into_response(), wait);
    }
    match trigger_ingress::receive_push(&state, source, &ingress_id, &headers, &body).await {
        Ok(PushAnswer::Challenge(challenge)) => Json(json!({"challenge": challenge})).into_response(),
        Ok(PushAnswer::Taken { events }) => Json(json!({"received": true, "events": events})).into_response(),
        Ok(PushAnswer::Duplicate) => {
            (StatusCode::OK, Json(json!({"received": true, "duplicate": true, "events": 0}))).into_response()
        }
        Err(e) => ApiError(e).into_response(),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/trigger-activity",
    operation_id = "TriggerService_GetTriggerActivity",
    tag = "Triggers",
    summary = "What triggers did in the last 24 hours, in counts",
    responses(
        (status = 200, description = "Success.", body = GetTriggerActivityResponse),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn activity(
    State(state): State<SharedState>,
    _caller: Caller,
) -> ApiResult<Json<GetTriggerActivityResponse>> {
    let since = chrono::Utc::now() - chrono::Duration::hours(i64::from(ACTIVITY_WINDOW_HOURS));
    let counts = state.store.trigger_activity(since).await?;
    let count = |name: &str| counts.get(name).copied().unwrap_or_default();
    let degraded = count("subscriptions_failing")
        + count("subscriptions_throttled")
        + count("subscriptions_paused_credential")
        + count("delivery_failed")
        > 0;
    Ok(Json(GetTriggerActivityResponse {
        window_hours: ACTIVITY_WINDOW_HOURS,
        signature_banner: !state.store.trigger_ingress_without_secret().await?.is_empty(),
        degraded,
        explains_individual_events: false,
        delivery_details_path: "/api/v1/trigger-delivery/endpoints/{endpoint_id}/attempts".into(),
        counts,
    }))
}

#[utoipa::path(
    get,
    path = "/api/v1/trigger-delivery/endpoints/{endpoint_id}/attempts",
    operation_id = "TriggerService_ListTriggerDeliveryAttemptsByEndpoint",
    tag = "Triggers",
    summary = "A webhook endpoint's newest delivery attempts, each with the receiver's answer",
    description = "Query: `page_size` (1–100, default 50).",
    params(("endpoint_id" = String, Path, description = "The webhook endpoint.")),
    responses(
        (status = 200, description = "Success.", body = ListTriggerDeliveryAttemptsByEndpointResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn attempts(
    State(state): State<SharedState>,
    _caller: Caller,
    Path(endpoint_id): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<ListTriggerDeliveryAttemptsByEndpointResponse>> {
    let q = QueryMap::parse(query.as_deref());
    let page_size = match q.get_u32("page_size")? {
        None | Some(0) => 50,
        Some(n) if n <= MAX_ATTEMPTS_PAGE => n,
        Some(n) => {
            return Err(Error::invalid_field("page_size", format!("page_size {n} is over {MAX_ATTEMPTS_PAGE}")).into())
        }
    };
    if !state.webhooks.endpoints().await?.iter().any(|e| e.id == endpoint_id) {
        return Err(Error::not_found(format!("no webhook endpoint {endpoint_id:?}")).into());
    }
    let attempts = state
        .store
        .webhook_delivery_attempts(&endpoint_id, page_size)
        .await?
        .into_iter()
        .map(|a| TriggerDeliveryAttempt {
            id: a.id,
            endpoint_id: a.endpoint_id,
            msg_id: a.event_id,
            status: if a.succeeded {
                TriggerDeliveryAttemptStatus::Success
            } else {
                TriggerDeliveryAttemptStatus::Fail
            },
            response_status_code: a.response_status.unwrap_or_default(),
            response: a.response,
            timestamp: a.attempted_at,
        })
        .collect();
    Ok(Json(ListTriggerDeliveryAttemptsByEndpointResponse { attempts }))
}
