//! Pushed triggers: a connection's ingress endpoint (the URL its provider posts to) with the
//! provider's signing secret and its two-step rotation, and what a push becomes. A push is
//! checked against the provider's own signature scheme, refused (and audited) when forged,
//! unsigned or replayed, and otherwise turned into one event per subscription it matches; its
//! receipt commits with those events, so a provider's redelivery queues nothing twice.

use std::collections::BTreeMap;

use axum::http::HeaderMap;
use chrono::Utc;
use serde_json::{json, Value};

use agentkit_core::model::{TriggerIngressEndpoint, TriggerMode, TriggerSubscriptionStatus};
use agentkit_core::{Error, ErrorKind, Result};

use crate::catalog::triggers::{PushDef, TriggerDef};
use crate::domain::push_signature::{self, Refusal};
use crate::domain::triggers::{connection_named, event_deliveries};
use crate::state::AppState;
use crate::store::{ChangeRecords, StoredIngress, StoredSubscription};

/// The path an ingress endpoint's URL ends in, before its id.
pub const INGRESS_PATH: &str = "/api/v1/trigger-delivery/wb/";
/// How long the previous signing secret stays valid after a new one is set, unless the
/// rotation is confirmed sooner: time to change the secret at the provider.
const PREVIOUS_SECRET_HOURS: i64 = 24;
/// A signing secret's length bounds, in bytes.
const MIN_SECRET_BYTES: usize = 8;
const MAX_SECRET_BYTES: usize = 256;
/// Subscriptions read a page at a time; most a push is delivered to, and most bytes of events
/// (payload × endpoints) one push may queue: a large push for many subscribers is refused
/// (413, audited as `fanout`), never an unbounded transaction.
const PAGE: u32 = 500;
const MAX_MATCHED: usize = 10_000;
const MAX_FANOUT_BYTES: usize = 64 * 1024 * 1024;
/// Most bytes of a provider's delivery id kept (longer ones are hashed).
const MAX_DELIVERY_ID_BYTES: usize = 200;

/// The pushed triggers of the connection's connector, or why it has none.
fn pushed_triggers(state: &AppState, connection_name: &str) -> Result<Vec<TriggerDef>> {
    let connection = state.connection(connection_name)?;
    let connector = state.registry().connector_of(&connection)?;
    let pushed: Vec<TriggerDef> =
        connector.triggers.iter().filter(|t| t.mode == TriggerMode::Webhook).cloned().collect();
    if pushed.is_empty() {
        return Err(Error::failed_precondition(format!(
            "connection {connection_name:?} ({}) has no pushed triggers: its triggers are polled and need no ingress URL",
            connector.slug
        )));
    }
    Ok(pushed)
}

/// The wire form: the URL, and of the secret only whether it is set and its last characters.
pub fn to_wire(state: &AppState, ingress: &StoredIngress) -> TriggerIngressEndpoint {
    let now = Utc::now();
    TriggerIngressEndpoint {
        id: ingress.id.clone(),
        connection_id: format!("conn_{}", ingress.connection_name),
        url: format!("{}{INGRESS_PATH}{}", state.public_url, ingress.id),
        signing_secret_configured: ingress.signing_secret.is_some(),
        masked_signing_secret: ingress.signing_secret.as_deref().map(masked).unwrap_or_default(),
        rotation_in_progress: ingress.rotation_in_progress(now),
        previous_signing_secret_expires_at: ingress.previous_expires_at.filter(|_| ingress.rotation_in_progress(now)),
        signing_secret_rotation_id: ingress.rotation_id,
    }
}

/// `••••` and the last four characters, for secrets long enough that four say nothing useful.
fn masked(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() < 16 {
        return "••••".into();
    }
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("••••{tail}")
}

/// The connection's ingress endpoint; 404 when it has none yet.
pub async fn ingress_of(state: &AppState, connection_id: &str) -> Result<StoredIngress> {
    let connection = connection_named(state, connection_id)?;
    state.store.connection_trigger_ingress(&connection.name).await?.ok_or_else(|| {
        Error::not_found(format!(
            "connection {:?} has no trigger ingress endpoint yet: create one with POST …/trigger-ingress",
            connection.name
        ))
    })
}

/// Creates the connection's ingress endpoint (once; again answers the same one).
pub async fn create_ingress(state: &AppState, connection_id: &str) -> Result<StoredIngress> {
    let connection = connection_named(state, connection_id)?;
    pushed_triggers(state, &connection.name)?;
    let ingress = StoredIngress {
        id: format!("tig_{}", uuid::Uuid::new_v4().simple()),
        connection_name: connection.name.clone(),
        signing_secret: None,
        previous_signing_secret: None,
        previous_expires_at: None,
        rotation_id: 0,
        created_at: Utc::now(),
    };
    let row = crate::audit::change_row(
        "trigger_ingress.created",
        &ingress.id,
        crate::audit::SUCCESS,
        json!({"connection_name": connection.name}),
    );
    state.store.create_trigger_ingress(&ingress, &ChangeRecords::audited(row)).await
}

/// Sets the provider's signing secret. With one set already, both are accepted until the
/// rotation is confirmed (or [`PREVIOUS_SECRET_HOURS`] pass).
pub async fn set_signing_secret(state: &AppState, connection_id: &str, secret: &str) -> Result<StoredIngress> {
    let field = "signing_secret";
    if secret.len() < MIN_SECRET_BYTES || secret.len() > MAX_SECRET_BYTES {
        return Err(Error::invalid_field(
            field,
            format!("signing_secret must be {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes, as the provider shows it"),
        ));
    }
    if secret.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(Error::invalid_field(
            field,
            "signing_secret has spaces or control characters: paste it as the provider shows it",
        ));
    }
    let ingress = ingress_of(state, connection_id).await?;
    let until = Utc::now() + chrono::Duration::hours(PREVIOUS_SECRET_HOURS);
    let row = crate::audit::change_row(
        "trigger_ingress.signing_secret_set",
        &ingress.id,
        crate::audit::SUCCESS,
        json!({"connection_name": ingress.connection_name, "rotation": ingress.signing_secret.is_some()}),
    );
    state
        .store
        .set_trigger_signing_secret(&ingress.id, secret, until, &ChangeRecords::audited(row))
        .await?
        .ok_or_else(|| Error::not_found("the ingress endpoint is gone"))?;
    ingress_of(state, connection_id).await
}

/// Ends a rotation: only the newest secret is accepted from now on.
pub async fn confirm_rotation(state: &AppState, connection_id: &str, rotation_id: u64) -> Result<StoredIngress> {
    let ingress = ingress_of(state, connection_id).await?;
    if rotation_id != ingress.rotation_id || ingress.signing_secret.is_none() {
        return Err(Error::new(
            ErrorKind::Conflict,
            format!(
                "signing_secret_rotation_id {rotation_id} is not the current rotation ({}): set the new secret first, then confirm its rotation id",
                ingress.rotation_id
            ),
        )
        .with_field("signing_secret_rotation_id"));
    }
    let row = crate::audit::change_row(
        "trigger_ingress.rotation_confirmed",
        &ingress.id,
        crate::audit::SUCCESS,
        json!({"connection_name": ingress.connection_name, "rotation_id": rotation_id}),
    );
    if !state.store.confirm_trigger_signing_secret(&ingress.id, rotation_id, &ChangeRecords::audited(row)).await? {
        return Err(Error::new(ErrorKind::Conflict, "another rotation started meanwhile")
            .with_field("signing_secret_rotation_id"));
    }
    ingress_of(state, connection_id).await
}

/// What a push came to.
#[derive(Debug)]
pub enum PushAnswer {
    /// Queued: this many events (0 when no subscription matched).
    Taken { events: usize },
    /// This delivery was taken before: nothing queued again.
    Duplicate,
    /// The provider checks the URL (Slack's `url_verification`): its challenge, answered.
    Challenge(String),
}

/// Takes one push to ingress `ingress_id`: verified, then queued as events, all in one commit.
pub async fn receive_push(
    state: &AppState,
    source: Option<std::net::IpAddr>,
    ingress_id: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<PushAnswer> {
    let unknown = || Error::not_found("no such trigger ingress endpoint");
    let ingress = state.store.trigger_ingress(ingress_id).await?.ok_or_else(unknown)?;
    let triggers = pushed_triggers(state, &ingress.connection_name).map_err(|_| unknown())?;
    let Some(scheme) = triggers.iter().find_map(|t| t.push.as_ref()).map(|p| p.signature) else {
        return Err(unknown());
    };
    let secrets = ingress.valid_secrets(Utc::now());
    let checked = if secrets.is_empty() {
        Err(Refusal::Unsigned("no signing secret is set for this ingress endpoint yet".into()))
    } else {
        push_signature::verify(scheme, &secrets, headers, body, Utc::now().timestamp_millis())
    };
    if let Err(refusal) = checked {
        refused(state, source, &ingress, refusal.kind(), &refusal.reason()).await;
        return Err(Error::new(ErrorKind::Unauthorized, format!("push refused: {}", refusal.reason())));
    }
    let push: Value =
        serde_json::from_slice(body).map_err(|e| Error::invalid_field("body", format!("the push is not JSON: {e}")))?;
    if push.get("type").and_then(Value::as_str) == Some("url_verification") {
        let challenge = push.get("challenge").and_then(Value::as_str).unwrap_or_default();
        return Ok(PushAnswer::Challenge(challenge.chars().take(512).collect()));
    }
    let Some(first) = triggers.iter().find_map(|t| t.push.as_ref()) else { return Err(unknown()) };
    let delivery_id = delivery_id(first, &push, body);
    let mut deliveries = Vec::new();
    let mut queued_bytes = 0usize;
    for trigger in &triggers {
        let Some(def) = &trigger.push else { continue };
        let Some(event_type) = PushDef::locate(&def.event_type, headers, &push) else { continue };
        if !def.events.contains(&event_type) {
            continue;
        }
        let item =
            if def.item.is_empty() { push.clone() } else { push.pointer(&def.item).cloned().unwrap_or(Value::Null) };
        for sub in matching_subscriptions(state, &ingress.connection_name, trigger, def, &push).await? {
            let Some(account) = state.store.account_by_id(&sub.account_id).await? else { continue };
            if account.status != agentkit_core::model::ConnectorStatus::Active {
                continue;
            }
            let items = [(delivery_id.clone(), item.clone())];
            let rows = event_deliveries(state, &sub, &account, trigger, &items).await?;
            queued_bytes = rows.iter().fold(queued_bytes, |sum, row| sum.saturating_add(row.payload.len()));
            if queued_bytes > MAX_FANOUT_BYTES {
                let why = format!(
                    "this push would queue more than {} MiB of events for the connection's subscriptions: narrow them with config",
                    MAX_FANOUT_BYTES / (1024 * 1024)
                );
                refused(state, source, &ingress, "fanout", &why).await;
                return Err(Error::new(ErrorKind::InvalidInput, why).with_status(413));
            }
            deliveries.extend(rows);
        }
    }
    let events = deliveries.iter().map(|d| d.event_id.as_str()).collect::<std::collections::HashSet<_>>().len();
    let queued = !deliveries.is_empty();
    let records = ChangeRecords { audit: Vec::new(), deliveries };
    if !state.store.take_trigger_push(&ingress.id, &delivery_id, &records).await? {
        refused(state, source, &ingress, "duplicate", &format!("delivery {delivery_id:?} was taken before")).await;
        return Ok(PushAnswer::Duplicate);
    }
    if queued {
        state.webhooks.wake();
    }
    crate::telemetry::metrics::trigger_push(&ingress.connection_name, "accepted");
    Ok(PushAnswer::Taken { events })
}

/// What names this delivery, to take it once: the declared field of the signed body (Slack's
/// `event_id`, Stripe's `id`), else the body's hash. Never a header: headers are outside the
/// signature (GitHub's `X-GitHub-Delivery`), so a replay could change them; a provider's own
/// redelivery resends the same body.
fn delivery_id(def: &PushDef, push: &Value, body: &[u8]) -> String {
    let hashed = |bytes: &[u8]| {
        let digest = <sha2::Sha256 as sha2::Digest>::digest(bytes);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!("sha256:{hex}")
    };
    let declared =
        (!def.delivery_id.is_empty()).then(|| PushDef::locate(&def.delivery_id, &HeaderMap::new(), push)).flatten();
    match declared {
        Some(id) if !id.is_empty() && id.len() <= MAX_DELIVERY_ID_BYTES && !id.chars().any(char::is_control) => id,
        Some(id) => hashed(id.as_bytes()),
        None => hashed(body),
    }
}

/// The subscriptions a push is for: the trigger's on this connection, ACTIVE or THROTTLED, whose
/// matched config values (`match_config`) all equal the push's.
async fn matching_subscriptions(
    state: &AppState,
    connection_name: &str,
    trigger: &TriggerDef,
    def: &PushDef,
    push: &Value,
) -> Result<Vec<StoredSubscription>> {
    let statuses = [TriggerSubscriptionStatus::Active, TriggerSubscriptionStatus::Throttled];
    let pushed: BTreeMap<&str, Option<String>> = def
        .match_config
        .iter()
        .map(|(key, pointer)| (key.as_str(), PushDef::locate(pointer, &HeaderMap::new(), push)))
        .collect();
    let mut matched = Vec::new();
    let mut after = String::new();
    loop {
        let page = state.store.trigger_subscriptions(connection_name, &trigger.name, &statuses, &after, PAGE).await?;
        let more = page.len() > PAGE as usize;
        for sub in page.into_iter().take(PAGE as usize) {
            after = sub.id.clone();
            let wanted = sub.config.iter().all(|(key, value)| match pushed.get(key.as_str()) {
                Some(found) => found.as_deref() == Some(value.as_str()),
                None => true,
            });
            if wanted && matched.len() < MAX_MATCHED {
                matched.push(sub);
            }
        }
        if !more {
            return Ok(matched);
        }
    }
}

/// A refused push, counted, and audited while its source's refusals stay under
/// `[triggers] audited_refusals_per_minute` (a forger's flood is counted, not written out row
/// by row).
async fn refused(
    state: &AppState,
    source: Option<std::net::IpAddr>,
    ingress: &StoredIngress,
    kind: &'static str,
    reason: &str,
) {
    tracing::warn!(ingress = %ingress.id, connection = %ingress.connection_name, kind, reason, "trigger push refused");
    crate::telemetry::metrics::trigger_push(&ingress.connection_name, kind);
    if state.trigger_push_refusals.admit(source).is_err() {
        return;
    }
    crate::audit::append(
        &state.store,
        "provider".into(),
        "trigger_push.refused",
        &ingress.id,
        crate::audit::REFUSED,
        json!({"connection_name": ingress.connection_name, "kind": kind, "reason": reason,
               "source": source.map(|a| a.to_string())}),
    )
    .await;
}
