//! Trigger subscriptions: what a connection offers (its connector's declared triggers), and
//! connected accounts subscribed to them. The poller (`domain::trigger_poller`) works the table.

use std::collections::BTreeMap;

use chrono::Utc;
use serde_json::json;

use agentkit_core::model::{
    AccountHealth, AccountHealthAction, AccountHealthState, AvailableTrigger, BatchSubscribeOutcome, ConnectorStatus,
    ListAvailableTriggersResponse, TriggerMode, TriggerPollState, TriggerSubscription, TriggerSubscriptionStatus,
};
use agentkit_core::{Error, ErrorKind, Result};

use crate::catalog::triggers::{TriggerDef, MAX_INTERVAL_SECS};
use crate::config::ConnectionConfig;
use crate::state::AppState;
use crate::store::{AccountRecord, ChangeRecords, StoredSubscription, WebhookDelivery};

/// Most config values of one subscription, and the longest.
const MAX_CONFIG_FIELDS: usize = 32;
const MAX_CONFIG_VALUE_BYTES: usize = 1024;

/// The connection a `connection_id` names: `conn_<name>` as the wire writes it, or the name.
pub fn connection_named(state: &AppState, connection_id: &str) -> Result<std::sync::Arc<ConnectionConfig>> {
    state.connection(connection_id.strip_prefix("conn_").unwrap_or(connection_id))
}

/// The scopes a connection's users grant: its own, else its connector's.
fn connection_scopes(state: &AppState, connection: &ConnectionConfig) -> Result<Vec<String>> {
    let connector = state.registry().connector_of(connection)?;
    Ok(if connection.scopes.is_empty() { connector.auth.scopes.clone() } else { connection.scopes.clone() })
}

/// Why a trigger cannot be used on this connection, with the remedy: a scope it needs that the
/// connection does not ask users for.
fn unavailable(trigger: &TriggerDef, scopes: &[String]) -> Option<(String, String)> {
    let missing: Vec<&str> =
        trigger.required_scopes.iter().map(|r| r.scope.as_str()).filter(|s| !scopes.iter().any(|c| c == s)).collect();
    let first = missing.first()?;
    Some((
        format!("the connection does not ask users for {first}"),
        format!("add {} to the connection's scopes, then have users authorize again", missing.join(", ")),
    ))
}

/// `GET /api/v1/connections/{connection_id}/triggers`.
pub fn available_triggers(state: &AppState, connection_id: &str) -> Result<ListAvailableTriggersResponse> {
    let connection = connection_named(state, connection_id)?;
    let connector = state.registry().connector_of(&connection)?;
    let scopes = connection_scopes(state, &connection)?;
    let triggers = connector
        .triggers
        .iter()
        .map(|t| {
            let why_not = unavailable(t, &scopes);
            AvailableTrigger {
                name: t.name.clone(),
                display_name: t.display_name.clone(),
                description: t.description.clone(),
                provider: connector.slug.to_ascii_uppercase(),
                mode: t.mode,
                required_scopes: t.required_scopes.clone(),
                min_interval_seconds: t.min_interval_seconds,
                default_interval_seconds: t.default_interval_seconds,
                config_fields: t.config_fields.clone(),
                available: why_not.is_none(),
                reason: why_not.as_ref().map(|(r, _)| r.clone()).unwrap_or_default(),
                remedy: why_not.map(|(_, r)| r).unwrap_or_default(),
                delivery_scope: t.delivery_scope,
                requires_signing_secret: t.push.is_some(),
                register_hint: t.push.as_ref().map(|p| p.register_hint.clone()).unwrap_or_default(),
                secret_hint: t.push.as_ref().map(|p| p.secret_hint.clone()).unwrap_or_default(),
            }
        })
        .collect();
    Ok(ListAvailableTriggersResponse { triggers, connection_uses_shared_app: false })
}

/// The trigger `name` of the connection's connector.
pub fn trigger_of(state: &AppState, connection: &ConnectionConfig, name: &str) -> Result<TriggerDef> {
    let connector = state.registry().connector_of(connection)?;
    connector.triggers.iter().find(|t| t.name == name).cloned().ok_or_else(|| {
        let known: Vec<&str> = connector.triggers.iter().map(|t| t.name.as_str()).collect();
        Error::not_found(format!(
            "connection {:?} has no trigger {name:?}; it has: {}",
            connection.name,
            if known.is_empty() { "none".to_string() } else { known.join(", ") }
        ))
        .with_field("trigger_name")
    })
}

/// The interval a subscription asks for, checked: 0 is the trigger's default; below its minimum
/// only where `[triggers] short_intervals` allows (`agentkit dev`), and never above a day.
fn interval(state: &AppState, trigger: &TriggerDef, requested: u32) -> Result<u32> {
    if trigger.mode == TriggerMode::Webhook {
        return match requested {
            0 => Ok(0),
            n => Err(Error::invalid_field(
                "interval_seconds",
                format!(
                    "{} is pushed by the provider, not polled: interval_seconds must be 0 or absent, not {n}",
                    trigger.name
                ),
            )),
        };
    }
    let floor = if state.config.triggers.short_intervals { 1 } else { trigger.min_interval_seconds };
    match requested {
        0 => Ok(trigger.default_interval_seconds),
        n if n < floor || n > MAX_INTERVAL_SECS => Err(Error::invalid_field(
            "interval_seconds",
            format!("interval_seconds {n} must be between {floor} and {MAX_INTERVAL_SECS} for {}", trigger.name),
        )),
        n => Ok(n),
    }
}

/// A subscription's `config`, checked against the trigger's declared fields.
fn check_config(trigger: &TriggerDef, config: &BTreeMap<String, String>) -> Result<()> {
    if config.len() > MAX_CONFIG_FIELDS {
        return Err(Error::invalid_field(
            "config",
            format!("config has {} fields; at most {MAX_CONFIG_FIELDS}", config.len()),
        ));
    }
    for (key, value) in config {
        if !trigger.config_fields.iter().any(|f| &f.key == key) {
            let known: Vec<&str> = trigger.config_fields.iter().map(|f| f.key.as_str()).collect();
            return Err(Error::invalid_field(
                format!("config.{key}"),
                format!(
                    "{} takes no config {key:?}; it takes: {}",
                    trigger.name,
                    if known.is_empty() { "none".into() } else { known.join(", ") }
                ),
            ));
        }
        if value.len() > MAX_CONFIG_VALUE_BYTES || value.contains('\0') {
            return Err(Error::invalid_field(
                format!("config.{key}"),
                format!("config.{key} must be text of at most {MAX_CONFIG_VALUE_BYTES} bytes"),
            ));
        }
    }
    if let Some(missing) = trigger.config_fields.iter().find(|f| f.required && !config.contains_key(&f.key)) {
        return Err(Error::invalid_field(
            format!("config.{}", missing.key),
            format!("config.{} is required", missing.key),
        ));
    }
    Ok(())
}

/// What a subscription needs to be made, checked once for a batch.
pub struct SubscriptionRequest<'a> {
    pub connection: &'a ConnectionConfig,
    pub trigger: &'a TriggerDef,
    pub interval_secs: u32,
    pub config: &'a BTreeMap<String, String>,
}

impl<'a> SubscriptionRequest<'a> {
    pub fn checked(
        state: &AppState,
        connection: &'a ConnectionConfig,
        trigger: &'a TriggerDef,
        requested_interval: u32,
        config: &'a BTreeMap<String, String>,
    ) -> Result<SubscriptionRequest<'a>> {
        if let Some((reason, remedy)) = unavailable(trigger, &connection_scopes(state, connection)?) {
            return Err(Error::failed_precondition(format!("{} is not available: {reason}; {remedy}", trigger.name)));
        }
        check_config(trigger, config)?;
        Ok(SubscriptionRequest {
            connection,
            trigger,
            interval_secs: interval(state, trigger, requested_interval)?,
            config,
        })
    }
}

/// Subscribes one connected account; the error says why not, with the batch outcome it means.
pub async fn subscribe(
    state: &AppState,
    request: &SubscriptionRequest<'_>,
    account_id: &str,
    actor_details: serde_json::Value,
) -> std::result::Result<(StoredSubscription, AccountRecord), (BatchSubscribeOutcome, Error)> {
    let not_found = || {
        Error::not_found(format!("connection {:?} has no connected account {account_id:?}", request.connection.name))
            .with_field("connected_account_id")
    };
    let account = match state.store.account_by_id(account_id).await {
        Ok(Some(a)) if a.connection_name == request.connection.name => a,
        Ok(_) => return Err((BatchSubscribeOutcome::NotFound, not_found())),
        Err(e) => return Err((BatchSubscribeOutcome::Failed, e)),
    };
    if account.status != ConnectorStatus::Active {
        let refused = Error::failed_precondition(format!(
            "the connected account is {}, not ACTIVE: have the user authorize it first",
            account.status.as_str()
        ));
        return Err((BatchSubscribeOutcome::Refused, refused));
    }
    let now = Utc::now();
    let subscription = StoredSubscription {
        id: format!("tsub_{}", uuid::Uuid::new_v4().simple()),
        account_id: account.id.clone(),
        connection_name: request.connection.name.clone(),
        trigger_name: request.trigger.name.clone(),
        status: TriggerSubscriptionStatus::Active,
        requested_interval_secs: request.interval_secs,
        effective_interval_secs: request.interval_secs,
        config: request.config.clone(),
        created_at: now,
        // A pushed trigger is never polled: its subscription is never due.
        next_poll_at: if request.trigger.mode == TriggerMode::Webhook { never() } else { now },
        watermark: None,
        watermark_updated_at: None,
        cursor: None,
        last_run_at: None,
        last_error: String::new(),
        last_error_code: None,
        consecutive_failures: 0,
        backoff_until: None,
    };
    let mut details = json!({"trigger_name": subscription.trigger_name, "connected_account_id": account.id,
                             "interval_seconds": subscription.requested_interval_secs});
    if let (Some(into), Some(extra)) = (details.as_object_mut(), actor_details.as_object()) {
        into.extend(extra.clone());
    }
    let row =
        crate::audit::change_row("trigger_subscription.created", &subscription.id, crate::audit::SUCCESS, details);
    match state.store.insert_trigger_subscription(&subscription, &ChangeRecords::audited(row)).await {
        Ok(()) => Ok((subscription, account)),
        Err(e) if e.kind() == ErrorKind::Conflict => Err((BatchSubscribeOutcome::AlreadySubscribed, e)),
        Err(e) if e.kind() == ErrorKind::NotFound => Err((BatchSubscribeOutcome::NotFound, e)),
        Err(e) => Err((BatchSubscribeOutcome::Failed, e)),
    }
}

/// The time a pushed trigger's subscription is next due: never (the year 9999).
fn never() -> chrono::DateTime<Utc> {
    use chrono::TimeZone;
    Utc.with_ymd_and_hms(9999, 12, 31, 0, 0, 0).single().unwrap_or(chrono::DateTime::<Utc>::MAX_UTC)
}

/// An account's health for a trigger, in full: the state, why, and the one thing to do.
pub fn account_health(account: &AccountRecord) -> AccountHealth {
    let state = health(Some(account));
    let (reason, remedy, action) = match state {
        AccountHealthState::Ready => (String::new(), String::new(), None),
        AccountHealthState::AwaitingConfirmation => (
            "the user authorized, and the app has not confirmed the user yet".to_string(),
            "call verify_connected_account_user".to_string(),
            Some(AccountHealthAction::CompleteSetup),
        ),
        _ => (
            format!("the account is {}", account.status.as_str()),
            "send the user a new authorization link".to_string(),
            Some(AccountHealthAction::Reconnect),
        ),
    };
    AccountHealth { state, reason, remedy, action, blocks_tool_calls: state != AccountHealthState::Ready }
}

/// How an account's state reads for a trigger.
fn health(account: Option<&AccountRecord>) -> AccountHealthState {
    match account.map(|a| a.status) {
        Some(ConnectorStatus::Active) => AccountHealthState::Ready,
        Some(ConnectorStatus::Expired) => AccountHealthState::NeedsReauthentication,
        Some(ConnectorStatus::PendingVerification) => AccountHealthState::AwaitingConfirmation,
        _ => AccountHealthState::Disconnected,
    }
}

/// The wire form of a stored subscription (`account`: its connected account, when it exists).
pub fn to_wire(
    s: &StoredSubscription,
    trigger: Option<&TriggerDef>,
    account: Option<&AccountRecord>,
) -> TriggerSubscription {
    TriggerSubscription {
        id: s.id.clone(),
        connected_account_id: s.account_id.clone(),
        connection_id: format!("conn_{}", s.connection_name),
        provider: account.map(|a| a.connector.to_ascii_uppercase()).unwrap_or_default(),
        trigger_name: s.trigger_name.clone(),
        status: s.status,
        requested_interval_seconds: s.requested_interval_secs,
        effective_interval_seconds: s.effective_interval_secs,
        config: s.config.clone(),
        delivery_scope: trigger.map(|t| t.delivery_scope).unwrap_or_default(),
        connected_account_identifier: account.map(|a| a.identifier.clone()).unwrap_or_default(),
        created_at: s.created_at,
        poll_state: TriggerPollState {
            last_run_at: s.last_run_at,
            last_error: s.last_error.clone(),
            consecutive_failures: s.consecutive_failures,
            backoff_until: s.backoff_until,
            watermark_updated_at: s.watermark_updated_at,
            last_error_code: s.last_error_code,
        },
        account_health: health(account),
    }
}

/// The account is ACTIVE again (authorized anew, or its credentials replaced): its subscriptions
/// paused for a refused credential are polled again at once. A failure here only delays that
/// until the next activation, so it is logged, not the caller's error.
pub async fn account_activated(state: &AppState, account: &AccountRecord) {
    if account.status != ConnectorStatus::Active {
        return;
    }
    match state.store.resume_credential_paused_subscriptions(&account.id).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(account = %account.id, subscriptions = n, "trigger subscriptions resumed"),
        Err(e) => tracing::warn!(account = %account.id, error = %e.message(), "trigger subscriptions not resumed"),
    }
}

/// The stable id of the event for item `item_id` of a subscription (a provider's id of a polled
/// item, or of a pushed delivery): the same item is the same event, whoever sees it again.
pub fn event_id(subscription_id: &str, item_id: &str) -> String {
    let digest = <sha2::Sha256 as sha2::Digest>::digest(format!("{subscription_id}\n{item_id}").as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("evt_{hex}")
}

/// The outbox rows of a subscription's new items (oldest first; `(provider id, item)`), one
/// per endpoint that wants `trigger.<name>`, to commit with what found them. One
/// subscription's events reach each endpoint in the order they happened: a place after every
/// earlier batch's (microseconds now, then the item).
pub async fn event_deliveries(
    state: &AppState,
    sub: &StoredSubscription,
    account: &AccountRecord,
    trigger: &TriggerDef,
    items: &[(String, serde_json::Value)],
) -> Result<Vec<WebhookDelivery>> {
    let base = Utc::now().timestamp_micros().saturating_mul(1000);
    let event_type = format!("{}{}", crate::webhooks::TRIGGER_EVENT_PREFIX, trigger.name);
    let mut deliveries = Vec::new();
    for (place, (item_id, item)) in (0i64..).zip(items) {
        let id = event_id(&sub.id, item_id);
        let payload = event_payload(&id, &event_type, sub, account, item);
        let ordered = Some((sub.id.as_str(), base.saturating_add(place)));
        deliveries.extend(state.webhooks.event_deliveries(&id, &event_type, &payload, ordered).await?);
    }
    Ok(deliveries)
}

/// The event an app's endpoint receives, signed like every webhook: the subscription, the
/// account (never its credentials) and the provider's item.
fn event_payload(
    id: &str,
    event_type: &str,
    sub: &StoredSubscription,
    account: &AccountRecord,
    item: &serde_json::Value,
) -> serde_json::Value {
    json!({
        "spec_version": "1",
        "id": id,
        "type": event_type,
        "object": "TriggerEvent",
        "occurred_at": Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
        "environment_id": "env_agentkit",
        "data": {
            "subscription_id": sub.id,
            "trigger_name": sub.trigger_name,
            "connection_id": format!("conn_{}", sub.connection_name),
            "connection_name": sub.connection_name,
            "connected_account_id": account.id,
            "identifier": account.identifier,
            "provider": account.connector.to_ascii_uppercase(),
            "item": item,
        },
    })
}
