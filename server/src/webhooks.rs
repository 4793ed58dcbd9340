//! The published `connected_account.*` webhooks: each event becomes one outbox row per
//! subscribed endpoint (config-file endpoints and those registered with
//! `POST /api/v1/webhook_endpoints`), delivered at least once by a worker on every replica —
//! signed in the Standard Webhooks style (`agentkit_core::webhooks`), through the egress policy,
//! retried on `[webhooks] retry_schedule_secs`, deduplicable by `webhook-id` (the event id,
//! the same on every try). The outbox is in the database, so a restart loses nothing queued.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde_json::{json, Value};

use agentkit_core::{Error, ErrorKind, Result};

use crate::config::WebhooksConfig;
use crate::store::{AccountRecord, ChangeRecords, DeliveryOutcome, Store, WebhookDelivery};

/// The events of the published OpenAPI's `webhooks:` section.
pub const EVENT_TYPES: &[&str] = &[
    "connected_account.created",
    "connected_account.updated",
    "connected_account.status_updated",
    "connected_account.deleted",
    "connected_account.magic_link_generated",
    "connected_account.oauth_tokens_fetched",
    "connected_account.token_refresh_succeeded",
    "connected_account.token_refresh_failed",
    "connected_account.oauth_succeeded",
];

/// An endpoint to deliver to.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub secret: String,
}

/// The id prefix of the config file's endpoints.
const CONFIGURED_ID_PREFIX: &str = "whe_config_";

impl Endpoint {
    /// Comes from the config file (changed there, not through the API).
    pub fn is_configured(id: &str) -> bool {
        id.starts_with(CONFIGURED_ID_PREFIX)
    }

    fn wants(&self, event_type: &str) -> bool {
        let any_trigger = |e: &String| e == "trigger.*" && event_type.starts_with(TRIGGER_EVENT_PREFIX);
        self.events.is_empty() || self.events.iter().any(|e| e == event_type || any_trigger(e))
    }
}

/// Trigger events are typed `trigger.<trigger name>`; an endpoint may ask for all of them with
/// `trigger.*`.
pub const TRIGGER_EVENT_PREFIX: &str = "trigger.";

/// Checks event type names (empty: all).
pub fn check_events(events: &[String], field: &str) -> Result<()> {
    let known = |e: &String| {
        EVENT_TYPES.contains(&e.as_str())
            || e.strip_prefix(TRIGGER_EVENT_PREFIX).is_some_and(|name| {
                name == "*"
                    || (!name.is_empty()
                        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
            })
    };
    match events.iter().find(|e| !known(e)) {
        Some(unknown) => Err(Error::invalid_field(
            field,
            format!(
                "unknown event type {unknown:?}; known: {}, and trigger.<trigger name> or trigger.*",
                EVENT_TYPES.join(", ")
            ),
        )),
        None => Ok(()),
    }
}

/// The config file's endpoints, with stable ids ([`CONFIGURED_ID_PREFIX`] and their position).
fn configured(config: &WebhooksConfig) -> Vec<Endpoint> {
    config
        .endpoints
        .iter()
        .enumerate()
        .map(|(n, e)| Endpoint {
            id: format!("{CONFIGURED_ID_PREFIX}{n}"),
            url: e.url.clone(),
            events: e.events.clone(),
            secret: e.secret.clone(),
        })
        .collect()
}

/// The outbox side the rest of the gateway sees: emit an event, wake the worker.
pub struct Webhooks {
    config: WebhooksConfig,
    store: Store,
    wakeup: Arc<tokio::sync::Notify>,
    egress: crate::egress::Egress,
}

impl Webhooks {
    pub fn new(config: WebhooksConfig, store: Store, egress: crate::egress::Egress) -> Webhooks {
        Webhooks { config, store, wakeup: Arc::default(), egress }
    }

    pub fn egress(&self) -> &crate::egress::Egress {
        &self.egress
    }

    /// Every endpoint: the config file's, then the registered ones.
    pub async fn endpoints(&self) -> Result<Vec<Endpoint>> {
        let mut all = configured(&self.config);
        all.extend(self.store.webhook_endpoints().await?.into_iter().map(|e| Endpoint {
            id: e.id,
            url: e.url,
            events: e.events,
            secret: e.secret,
        }));
        Ok(all)
    }

    /// Queues `event_type` about `account` for every endpoint that wants it, for an event that
    /// changes nothing stored (a link was issued, tokens were fetched). A failure to queue is
    /// logged, never the caller's error. Events of a change go with it instead
    /// ([`Webhooks::deliveries`] into `store::ChangeRecords`).
    pub async fn emit(&self, event_type: &'static str, account: &AccountRecord, old_status: Option<&str>) {
        let queued = match self.deliveries(&[(event_type, account, old_status)]).await {
            Ok(deliveries) if deliveries.is_empty() => Ok(()),
            Ok(deliveries) => self.store.enqueue_webhook_deliveries(&deliveries).await.map(|()| self.wake()),
            Err(e) => Err(e),
        };
        if let Err(e) = queued {
            tracing::error!(event_type, account = %account.id, error = %e.message(), "a webhook event could not be queued");
        }
    }

    /// The outbox rows of `events` (type, account, old status), one per event and endpoint that
    /// wants it, to be written in the transaction of the change they report; then
    /// [`Webhooks::wake`].
    pub async fn deliveries(
        &self,
        events: &[(&'static str, &AccountRecord, Option<&str>)],
    ) -> Result<Vec<WebhookDelivery>> {
        let endpoints = self.endpoints().await?;
        let now = Utc::now();
        let mut deliveries = Vec::new();
        for (event_type, account, old_status) in events {
            let wanting: Vec<&Endpoint> = endpoints.iter().filter(|e| e.wants(event_type)).collect();
            if wanting.is_empty() {
                continue;
            }
            let event_id = format!("evt_{}", uuid::Uuid::new_v4().simple());
            let payload = payload(&event_id, event_type, account, *old_status, now).to_string();
            deliveries.extend(outbox_rows(wanting, &event_id, event_type, &payload, now, None));
        }
        Ok(deliveries)
    }

    /// The outbox rows of one event given whole (a trigger's: its id stable across polls, so a
    /// receiver deduplicates a re-poll by `webhook-id`), one per endpoint that wants its type.
    /// `ordered` (a key and this event's place): each endpoint receives the events of one key
    /// in that order, each after the one before it was delivered or given up on.
    pub async fn event_deliveries(
        &self,
        event_id: &str,
        event_type: &str,
        payload: &Value,
        ordered: Option<(&str, i64)>,
    ) -> Result<Vec<WebhookDelivery>> {
        let endpoints = self.endpoints().await?;
        let wanting = endpoints.iter().filter(|e| e.wants(event_type)).collect();
        Ok(outbox_rows(wanting, event_id, event_type, &payload.to_string(), Utc::now(), ordered))
    }

    /// The records of one account change: its `audit` rows and the deliveries of its `events`,
    /// for the store to commit with the change (then [`Webhooks::wake`]).
    pub async fn change_records(
        &self,
        audit: Vec<crate::store::AuditRecord>,
        events: &[(&'static str, &AccountRecord, Option<&str>)],
    ) -> Result<ChangeRecords> {
        Ok(ChangeRecords { audit, deliveries: self.deliveries(events).await? })
    }

    /// Wakes the worker (deliveries or a redelivery were queued).
    pub fn wake(&self) {
        self.wakeup.notify_one();
    }
}

/// One pending outbox row per endpoint for one event (ordered per endpoint under `ordered`'s key).
fn outbox_rows(
    endpoints: Vec<&Endpoint>,
    event_id: &str,
    event_type: &str,
    payload: &str,
    now: chrono::DateTime<Utc>,
    ordered: Option<(&str, i64)>,
) -> Vec<WebhookDelivery> {
    endpoints
        .into_iter()
        .map(|endpoint| WebhookDelivery {
            id: format!("whd_{}", uuid::Uuid::new_v4().simple()),
            event_id: event_id.to_string(),
            event_type: event_type.to_string(),
            endpoint_id: endpoint.id.clone(),
            payload: payload.to_string(),
            status: "pending".into(),
            attempts: 0,
            next_attempt_at: now,
            last_status: None,
            last_error: None,
            created_at: now,
            delivered_at: None,
            ordering_key: ordered.map(|(key, _)| format!("{key}|{}", endpoint.id)),
            sequence: ordered.map(|(_, place)| place).unwrap_or(0),
        })
        .collect()
}

/// The published payload: `spec_version`, `id`, `type`, `object`, `occurred_at`,
/// `environment_id`, and the account (never its credentials) in `data`.
fn payload(
    event_id: &str,
    event_type: &str,
    account: &AccountRecord,
    old_status: Option<&str>,
    now: chrono::DateTime<Utc>,
) -> Value {
    let mut data = json!({
        "id": account.id,
        "identifier": account.identifier,
        "provider": account.connector.to_ascii_uppercase(),
        "connection_id": format!("conn_{}", account.connection_name),
        "connection_name": account.connection_name,
        "status": account.status.as_str(),
        "authorization_type": account.authorization_type.as_str(),
    });
    if let Some(old) = old_status {
        data["old_status"] = json!(old);
    }
    if let Some(at) = account.token_expires_at {
        data["token_expires_at"] = json!(at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true));
    }
    if let Some(at) = account.last_used_at {
        data["last_used_at"] = json!(at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true));
    }
    json!({
        "spec_version": "1",
        "id": event_id,
        "type": event_type,
        "object": "ConnectedAccount",
        "occurred_at": now.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
        "environment_id": "env_agentkit",
        "data": data,
    })
}

/// How long a claimed delivery is this worker's; a try takes at most [`DELIVERY_TIMEOUT`].
const LEASE_SECS: i64 = 20;
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(15);
/// The longest wait between two tries a schedule can ask for (a year): longer entries are
/// clamped, so no setting can overflow the clock arithmetic.
const MAX_RETRY_WAIT_SECS: u64 = 366 * 24 * 3600;
/// How often the worker looks for due deliveries when nothing wakes it.
const POLL: Duration = Duration::from_millis(500);
/// Most of a receiver's answer read (it is not used; reading lets the connection be reused).
const ANSWER_MAX_BYTES: usize = 64 * 1024;

/// Deliveries in flight at once, at most: a receiver that is slow to answer holds one slot.
const MAX_IN_FLIGHT: usize = 64;

/// Delivers due events until the gateway stops.
pub async fn run_worker(webhooks: std::sync::Weak<Webhooks>) {
    let Some(wakeup) = webhooks.upgrade().map(|w| w.wakeup.clone()) else { return };
    let worker = crate::leased_work::Worker {
        name: "webhook outbox",
        max_in_flight: MAX_IN_FLIGHT,
        idle: POLL,
        look_again_when_one_finishes: true,
    };
    let claim = |live: Arc<Webhooks>, room: u32| async move {
        let due = live.store.claim_webhook_deliveries(chrono::Duration::seconds(LEASE_SECS), room).await?;
        // Endpoints that cannot be read are not "gone": the claimed deliveries wait for their
        // lease to lapse and are tried again (an empty list here once gave them up for good).
        let endpoints = Arc::new(if due.is_empty() { Vec::new() } else { live.endpoints().await? });
        Ok(due.into_iter().map(|delivery| (delivery, endpoints.clone())).collect())
    };
    let work = |live: Arc<Webhooks>, (delivery, endpoints): (WebhookDelivery, Arc<Vec<Endpoint>>)| async move {
        deliver(&live, &endpoints, &delivery).await
    };
    worker.run(webhooks, Some(wakeup), claim, work).await;
}

async fn deliver(webhooks: &Webhooks, endpoints: &[Endpoint], delivery: &WebhookDelivery) {
    let response: String;
    let outcome = match endpoints.iter().find(|e| e.id == delivery.endpoint_id) {
        None => {
            response = "the endpoint no longer exists".into();
            DeliveryOutcome::GaveUp { status: None, error: response.clone() }
        }
        Some(endpoint) => match send(webhooks, endpoint, delivery).await {
            Ok((status, answer)) if (200..300).contains(&status) => {
                response = answer;
                DeliveryOutcome::Delivered { status }
            }
            failed => {
                let (status, error) = match failed {
                    Ok((status, answer)) => {
                        response = answer;
                        (Some(status), format!("the receiver answered {status}"))
                    }
                    Err(e) => {
                        response = e.message().to_string();
                        (None, e.message().to_string())
                    }
                };
                // The wait after the n-th failed try is the schedule's n-th entry (`attempts`
                // counts the tries before this one).
                let earlier_tries = usize::try_from(delivery.attempts).unwrap_or(usize::MAX);
                match webhooks.config.retry_schedule_secs.get(earlier_tries) {
                    Some(secs) => {
                        let wait =
                            chrono::Duration::seconds(i64::try_from((*secs).min(MAX_RETRY_WAIT_SECS)).unwrap_or(0));
                        let at = Utc::now().checked_add_signed(wait).unwrap_or_else(Utc::now);
                        DeliveryOutcome::RetryAt { at, status, error }
                    }
                    None => DeliveryOutcome::GaveUp { status, error },
                }
            }
        },
    };
    let counted = match &outcome {
        DeliveryOutcome::Delivered { .. } => "delivered",
        DeliveryOutcome::RetryAt { .. } => "retrying",
        DeliveryOutcome::GaveUp { .. } => "gave_up",
    };
    crate::telemetry::metrics::webhook_delivery(delivery.event_type.starts_with(TRIGGER_EVENT_PREFIX), counted);
    if let DeliveryOutcome::GaveUp { error, .. } = &outcome {
        tracing::warn!(delivery = %delivery.id, event = %delivery.event_id, error, "webhook delivery failed for good");
    }
    if let Err(e) = webhooks.store.finish_webhook_delivery(delivery, &outcome, &response).await {
        // The lease lapses and the delivery is tried again: at least once.
        tracing::warn!(delivery = %delivery.id, error = %e.message(), "webhook delivery outcome not recorded");
    }
}

/// One signed POST; the receiver's status and the start of its answer.
async fn send(webhooks: &Webhooks, endpoint: &Endpoint, delivery: &WebhookDelivery) -> Result<(u16, String)> {
    let timestamp = Utc::now().timestamp();
    let body = delivery.payload.as_bytes();
    let signature = agentkit_core::webhooks::sign(&endpoint.secret, &delivery.event_id, timestamp, body)
        .map_err(|e| Error::new(ErrorKind::Server, format!("cannot sign: {}", e.message())))?;
    let answer = webhooks
        .egress
        .post(&endpoint.url)
        .timeout(DELIVERY_TIMEOUT)
        .header("content-type", "application/json")
        .header("webhook-id", delivery.event_id.as_str())
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(delivery.payload.clone())
        .send()
        .await?;
    let status = answer.status().as_u16();
    let body = crate::egress::read_bounded(answer, ANSWER_MAX_BYTES).await.unwrap_or_default();
    Ok((status, answer_excerpt(&body)))
}

/// Most characters of a receiver's answer kept with an attempt.
const ANSWER_EXCERPT_CHARS: usize = 512;

/// The start of a receiver's answer, as text without control characters.
fn answer_excerpt(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .chars()
        .take(ANSWER_EXCERPT_CHARS)
        .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
        .collect()
}
