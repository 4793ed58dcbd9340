//! Webhook endpoints and their deliveries as every entry point shows them (the REST API, the
//! console), and redelivering one.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use agentkit_core::{Error, Result};

use crate::state::AppState;
use crate::store::ChangeRecords;
use crate::webhooks::Endpoint;

/// An endpoint as the list shows it (no secret); `source` is `config` or `api`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListedWebhookEndpoint {
    id: String,
    url: String,
    events: Vec<String>,
    source: &'static str,
}

/// `GET /api/v1/webhook_endpoints`.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookEndpointList {
    webhook_endpoints: Vec<ListedWebhookEndpoint>,
}

/// `GET /api/v1/webhook_endpoints/{id}/deliveries`: the newest 100.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookDeliveries {
    deliveries: Vec<crate::store::WebhookDelivery>,
}

/// Every endpoint, the config file's and the API's, without secrets.
pub async fn list_endpoints(state: &AppState) -> Result<WebhookEndpointList> {
    let endpoints: Vec<ListedWebhookEndpoint> = state
        .webhooks
        .endpoints()
        .await?
        .iter()
        .map(|e| {
            let source = if Endpoint::is_configured(&e.id) { "config" } else { "api" };
            ListedWebhookEndpoint { id: e.id.clone(), url: e.url.clone(), events: e.events.clone(), source }
        })
        .collect();
    Ok(WebhookEndpointList { webhook_endpoints: endpoints })
}

/// The newest 100 deliveries to an endpoint.
pub async fn deliveries(state: &AppState, id: &str) -> Result<WebhookDeliveries> {
    let deliveries = state.store.webhook_deliveries(id, 100).await?;
    Ok(WebhookDeliveries { deliveries })
}

/// Queues delivery `id` (of `endpoint_id`, when given) again, audited in the same commit; 404
/// when there is none.
pub async fn redeliver_delivery(state: &AppState, id: &str, endpoint_id: Option<&str>) -> Result<()> {
    let row = crate::audit::change_row("webhook_delivery.redelivered", id, crate::audit::SUCCESS, Value::Null);
    if !state.store.redeliver_webhook(id, endpoint_id, &ChangeRecords::audited(row)).await? {
        return Err(Error::not_found(format!("webhook delivery {id:?} not found")));
    }
    state.webhooks.wake();
    Ok(())
}
