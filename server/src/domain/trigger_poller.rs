//! The trigger poller, on every replica: takes due subscriptions under a lease, runs each one's
//! poll tool as its account, and commits the new watermark with the events of the ids it had not
//! seen, in one transaction (`Store::finish_trigger_poll`): a crash in between polls again and
//! never skips; a re-poll makes the same event ids, so receivers deduplicate by `webhook-id`.
//! Failures back off; a provider 429 makes the subscription THROTTLED on a longer interval; a
//! refused credential pauses it (PAUSED_CREDENTIAL) until the account is authorized again.

use std::collections::HashSet;
use std::sync::{Arc, Weak};
use std::time::Duration;

use chrono::Utc;
use serde_json::{json, Map, Value};

use agentkit_core::model::{ConnectorStatus, TriggerPollErrorCode, TriggerSubscriptionStatus};
use agentkit_core::{Error, ErrorKind};

use crate::catalog::templates::Scope;
use crate::catalog::triggers::{TriggerDef, MAX_INTERVAL_SECS};
use crate::state::AppState;
use crate::store::{AccountRecord, ChangeRecords, PollOutcome, StoredSubscription};

/// Who runs the poll tools, in execution records.
pub const POLLER_CLIENT: &str = "agentkit:triggers";
/// A poll is cut off at three quarters of its lease (`[triggers] poll_lease_secs`), so no other
/// replica takes the subscription while the poll still runs.
fn poll_timeout(state: &AppState) -> Duration {
    Duration::from_secs(u64::from(state.config.triggers.poll_lease_secs)).mul_f64(0.75)
}
/// Polls one replica runs at once: a slow provider holds one slot, not the others' turns.
const MAX_IN_FLIGHT: usize = 64;
/// How often the poller looks for due subscriptions (the resolution of "on time").
const TICK: Duration = Duration::from_millis(250);
/// Ids kept per subscription: well beyond the poll tool's page, so an item that reappears in
/// the list is still known.
const WATERMARK_IDS: usize = 1000;
/// The longest backoff after failures.
const MAX_BACKOFF_SECS: u32 = 3600;

/// Polls due subscriptions until the gateway stops: up to [`MAX_IN_FLIGHT`] at a time, each
/// taken (leased) only when a slot is free for it.
pub async fn run_poller(state: Weak<AppState>) {
    let worker = crate::leased_work::Worker {
        name: "trigger poller",
        max_in_flight: MAX_IN_FLIGHT,
        idle: TICK,
        look_again_when_one_finishes: false,
    };
    let Some(lease_secs) = state.upgrade().map(|s| i64::from(s.config.triggers.poll_lease_secs)) else { return };
    let lease = chrono::Duration::seconds(lease_secs);
    let claim = move |live: Arc<AppState>, room: u32| async move {
        live.store.claim_due_trigger_subscriptions(lease, room).await
    };
    worker.run(state, None, claim, |live, sub| async move { poll_and_commit(&live, &sub).await }).await;
}

/// What one poll found: the new items (oldest first) and the watermark to keep.
struct Found {
    new_items: Vec<(String, Value)>,
    watermark: Vec<String>,
    cursor: Option<String>,
}

/// Why a poll failed, and what it means for the subscription.
struct Failed {
    code: TriggerPollErrorCode,
    message: String,
}

async fn poll_and_commit(state: &Arc<AppState>, sub: &StoredSubscription) {
    let started = std::time::Instant::now();
    let late = (Utc::now() - sub.next_poll_at).to_std().unwrap_or_default();
    crate::telemetry::metrics::trigger_poll_lag(&sub.trigger_name, late);
    let account = state.store.account_by_id(&sub.account_id).await.ok().flatten();
    let trigger = state
        .connection(&sub.connection_name)
        .and_then(|c| crate::domain::triggers::trigger_of(state, &c, &sub.trigger_name));
    let polled = match (&account, &trigger) {
        (None, _) => Err(Failed {
            code: TriggerPollErrorCode::CredentialRevoked,
            message: "the connected account no longer exists".into(),
        }),
        (Some(a), _) if a.status != ConnectorStatus::Active => Err(Failed {
            code: TriggerPollErrorCode::CredentialRevoked,
            message: format!("the connected account is {}: authorize it again", a.status.as_str()),
        }),
        (_, Err(e)) => {
            Err(Failed { code: TriggerPollErrorCode::InvalidConfiguration, message: e.message().to_string() })
        }
        (Some(a), Ok(t)) => match tokio::time::timeout(poll_timeout(state), poll(state, sub, t, a.clone())).await {
            Ok(polled) => polled,
            Err(_) => Err(Failed {
                code: TriggerPollErrorCode::TimedOut,
                message: format!("the poll took longer than {} s", poll_timeout(state).as_secs()),
            }),
        },
    };
    let (outcome, records) = match polled {
        Ok(found) => {
            let queued = match (&account, &trigger) {
                (Some(account), Ok(trigger)) => {
                    crate::domain::triggers::event_deliveries(state, sub, account, trigger, &found.new_items).await
                }
                _ => Ok(Vec::new()),
            };
            match queued {
                // The endpoints could not be read: nothing is committed, the next poll tries again.
                Err(e) => (
                    failed_outcome(
                        sub,
                        Failed { code: TriggerPollErrorCode::DeliveryFailed, message: e.message().to_string() },
                    ),
                    ChangeRecords::default(),
                ),
                Ok(deliveries) => {
                    let interval = sub.requested_interval_secs;
                    let outcome = PollOutcome {
                        status: TriggerSubscriptionStatus::Active,
                        effective_interval_secs: interval,
                        next_poll_at: after_secs(interval),
                        watermark: Some(found.watermark),
                        cursor: found.cursor,
                        error: None,
                        backoff_until: None,
                    };
                    (outcome, ChangeRecords { audit: Vec::new(), deliveries })
                }
            }
        }
        Err(failed) => (failed_outcome(sub, failed), ChangeRecords::default()),
    };
    let events = records.deliveries.len();
    if let Some((code, message)) = &outcome.error {
        tracing::info!(subscription = %sub.id, code = ?code, error = %message, "trigger poll failed");
    }
    match state.store.finish_trigger_poll(&sub.id, &outcome, &records).await {
        Ok(()) if events > 0 => state.webhooks.wake(),
        Ok(()) => {}
        // The lease lapses and the subscription is polled again: nothing is skipped.
        Err(e) => tracing::warn!(subscription = %sub.id, error = %e.message(), "trigger poll not recorded"),
    }
    crate::telemetry::metrics::trigger_poll(&sub.trigger_name, outcome.error.is_none(), events, started.elapsed());
}

/// Runs the trigger's poll tool as the account and compares its items with the watermark. The
/// first poll only takes note of what is there: events are for what arrives after subscribing.
/// An incremental poll (`poll.cursor`) asks for what changed since the stored cursor, every page
/// of it; a cursor the provider no longer takes (410) is a full list again, whose items the
/// watermark does not know (changed meanwhile) are events: nothing in between is missed.
async fn poll(
    state: &AppState,
    sub: &StoredSubscription,
    trigger: &TriggerDef,
    account: AccountRecord,
) -> std::result::Result<Found, Failed> {
    let failed = |code, message: String| Failed { code, message };
    let Some(poll) = &trigger.poll else {
        return Err(failed(
            TriggerPollErrorCode::InvalidConfiguration,
            format!("{} is not a polled trigger", trigger.name),
        ));
    };
    let registry = state.registry();
    let Some(tool) = registry.catalog.tool(&poll.tool).cloned() else {
        return Err(failed(TriggerPollErrorCode::InvalidConfiguration, format!("the poll tool {} is gone", poll.tool)));
    };
    let config: Map<String, Value> = sub.config.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
    let rendered = Scope::new(&config).render(&Value::Object(poll.input.clone())).unwrap_or(json!({}));
    let Value::Object(base_input) = rendered else {
        return Err(failed(TriggerPollErrorCode::InvalidConfiguration, "poll.input is not an object".into()));
    };
    let cursor = poll.cursor.as_ref().and(sub.cursor.clone());
    let seen: HashSet<&str> = sub.watermark.iter().flatten().map(String::as_str).collect();
    let known = sub.watermark.as_ref().map(|_| &seen);
    let listed = match list(state, &tool, poll, &account, &base_input, cursor.as_deref(), known).await {
        // The provider's own status (the gateway relays a 410 as a 502).
        Err(e) if cursor.is_some() && e.tool_error().is_some_and(|t| t.tool_error_code == "410") => {
            tracing::info!(subscription = %sub.id, "the provider refused the sync cursor: listing everything again");
            list(state, &tool, poll, &account, &base_input, None, known).await
        }
        other => other,
    };
    let (items, next_cursor) = listed.map_err(|e| classify(&e))?;
    let with_ids: Vec<(String, Value)> =
        items.into_iter().filter_map(|item| Some((item_id(poll, &item)?, item))).collect();
    let unseen = |(id, _): &&(String, Value)| !seen.contains(id.as_str());
    let new_items: Vec<(String, Value)> = match (&sub.watermark, &poll.cursor) {
        (None, _) => Vec::new(),
        // Changes come in the provider's order.
        (Some(_), Some(_)) => with_ids.iter().filter(unseen).cloned().collect(),
        // Newest first in the answer: the events go oldest first.
        (Some(_), None) => with_ids.iter().rev().filter(unseen).cloned().collect(),
    };
    let mut watermark: Vec<String> = with_ids.iter().map(|(id, _)| id.clone()).collect();
    let listed: HashSet<String> = watermark.iter().cloned().collect();
    watermark.extend(sub.watermark.iter().flatten().filter(|id| !listed.contains(*id)).cloned());
    watermark.truncate(WATERMARK_IDS);
    Ok(Found { new_items, watermark, cursor: next_cursor })
}

/// Most pages one poll reads.
const MAX_PAGES: usize = 20;

/// The poll tool's items, page after page: an incremental list (from `cursor`; none: everything)
/// to its last page, whose cursor is returned; a newest-first list while a whole page is news
/// (`seen`: the watermark; none, the first poll, reads one page).
async fn list(
    state: &AppState,
    tool: &crate::catalog::connectors::CatalogTool,
    poll: &crate::catalog::triggers::PollDef,
    account: &AccountRecord,
    base_input: &Map<String, Value>,
    cursor: Option<&str>,
    seen: Option<&HashSet<&str>>,
) -> agentkit_core::Result<(Vec<Value>, Option<String>)> {
    let mut input = base_input.clone();
    if let (Some(def), Some(cursor)) = (&poll.cursor, cursor) {
        input.insert(def.input.clone(), Value::String(cursor.to_string()));
    }
    let mut items = Vec::new();
    for _ in 0..MAX_PAGES {
        let checked = tool.validate_input(Some(&Value::Object(input.clone())))?;
        let answer =
            crate::domain::execution::run_for_account(state, POLLER_CLIENT, tool, account.clone(), checked, None)
                .await?;
        let page: Vec<Value> = match if poll.items.is_empty() {
            Some(&answer.data)
        } else {
            answer.data.pointer(&poll.items)
        } {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(page)) => page.clone(),
            Some(_) => {
                return Err(Error::new(ErrorKind::ToolExecution, format!("{} is not a list in the answer", poll.items)))
            }
        };
        let all_news = match (&poll.cursor, seen) {
            (Some(_), _) => true,
            (None, None) => false,
            (None, Some(seen)) => {
                !page.is_empty()
                    && page.iter().all(|item| item_id(poll, item).is_none_or(|id| !seen.contains(id.as_str())))
            }
        };
        items.extend(page);
        let next_page = poll
            .page
            .as_ref()
            .and_then(|def| Some((def, answer.data.pointer(&def.next)?.as_str()?.to_string())))
            .filter(|(_, token)| !token.is_empty());
        match next_page {
            Some((def, token)) if all_news => {
                input = base_input.clone();
                input.insert(def.input.clone(), Value::String(token));
            }
            _ => {
                let next =
                    poll.cursor.as_ref().and_then(|def| answer.data.pointer(&def.next)?.as_str().map(str::to_string));
                return Ok((items, next));
            }
        }
    }
    match &poll.cursor {
        Some(_) => {
            Err(Error::new(ErrorKind::ToolExecution, format!("more than {MAX_PAGES} pages of changes in one poll")))
        }
        // The newest MAX_PAGES pages are all news: they are sent, older ones are not reached.
        None => {
            tracing::warn!(tool = %tool.def.name, pages = MAX_PAGES, "a poll found more new items than it reads");
            Ok((items, None))
        }
    }
}

/// What the watermark knows an item by: its id, and its version when the trigger has one.
fn item_id(poll: &crate::catalog::triggers::PollDef, item: &Value) -> Option<String> {
    let text = |pointer: &str| match item.pointer(pointer)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let id = text(&poll.id)?;
    Some(if poll.version.is_empty() { id } else { format!("{id}@{}", text(&poll.version).unwrap_or_default()) })
}

/// What a failed poll tool call means.
fn classify(e: &Error) -> Failed {
    let code = match (e.kind(), e.status()) {
        (ErrorKind::RateLimited, _) | (_, 429) => TriggerPollErrorCode::RateLimited,
        (ErrorKind::Unauthorized, _) | (_, 401) => TriggerPollErrorCode::CredentialRevoked,
        (ErrorKind::FailedPrecondition, _) => TriggerPollErrorCode::CredentialRevoked,
        (ErrorKind::Timeout, _) => TriggerPollErrorCode::TimedOut,
        (ErrorKind::ToolExecution, _) => TriggerPollErrorCode::ProviderError,
        _ => TriggerPollErrorCode::PollFailed,
    };
    Failed { code, message: e.message().to_string() }
}

fn after_secs(secs: u32) -> chrono::DateTime<Utc> {
    let now = Utc::now();
    now.checked_add_signed(chrono::Duration::seconds(i64::from(secs))).unwrap_or(now)
}

/// The subscription after a failed poll: a refused credential pauses it until the account is
/// authorized again; a 429 throttles it (twice the interval, up to a day); anything else backs
/// off exponentially (up to an hour) and stays ACTIVE.
fn failed_outcome(sub: &StoredSubscription, failed: Failed) -> PollOutcome {
    let failures = sub.consecutive_failures.saturating_add(1);
    let (status, interval, wait) = match failed.code {
        TriggerPollErrorCode::CredentialRevoked => {
            (TriggerSubscriptionStatus::PausedCredential, sub.effective_interval_secs, MAX_BACKOFF_SECS)
        }
        TriggerPollErrorCode::RateLimited => {
            let longer =
                sub.effective_interval_secs.saturating_mul(2).clamp(sub.requested_interval_secs, MAX_INTERVAL_SECS);
            (TriggerSubscriptionStatus::Throttled, longer, longer)
        }
        _ => {
            let wait = sub.requested_interval_secs.saturating_mul(1 << failures.min(12)).min(MAX_BACKOFF_SECS);
            (sub.status, sub.effective_interval_secs, wait.max(sub.requested_interval_secs))
        }
    };
    let until = after_secs(wait);
    PollOutcome {
        status,
        effective_interval_secs: interval,
        next_poll_at: until,
        watermark: None,
        cursor: None,
        error: Some((failed.code, failed.message)),
        backoff_until: Some(until),
    }
}
