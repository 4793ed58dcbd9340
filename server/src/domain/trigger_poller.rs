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
use crate::catalog::triggers::{PollDef, TriggerDef, MAX_INTERVAL_SECS};
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
/// of it; a cursor the provider no longer takes (404 or 410) is a full list again (or, for a
/// cursor with a `start`, a new start and the `relist`), whose items the watermark does not
/// know are events: nothing in between is missed.
async fn poll(
    state: &AppState,
    sub: &StoredSubscription,
    trigger: &TriggerDef,
    account: AccountRecord,
) -> std::result::Result<Found, Failed> {
    let Some(poll) = &trigger.poll else {
        return Err(Failed {
            code: TriggerPollErrorCode::InvalidConfiguration,
            message: format!("{} is not a polled trigger", trigger.name),
        });
    };
    let config: Map<String, Value> = sub.config.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
    let reader = Reader { state, account: &account, config: &config };
    let stored = poll.cursor.as_ref().and(sub.cursor.clone());
    let seen: HashSet<&str> = sub.watermark.iter().flatten().map(String::as_str).collect();
    let known = sub.watermark.as_ref().map(|_| &seen);
    let listed = match stored {
        None if poll.cursor.as_ref().is_some_and(|c| c.start.is_some()) => reader.start_over(poll, known).await,
        cursor => match reader.list(poll, cursor.as_deref(), known).await {
            Err(e) if cursor.is_some() && refuses_cursor(&e) => {
                tracing::info!(subscription = %sub.id, "the provider refused the sync cursor: listing everything again");
                match poll.cursor.as_ref().and_then(|c| c.start.as_ref()) {
                    Some(_) => reader.start_over(poll, known).await,
                    None => reader.list(poll, None, known).await.map(|(items, next)| (items, next, false)),
                }
            }
            other => other.map(|(items, next)| (items, next, poll.cursor.is_none())),
        },
    };
    let (items, next_cursor, newest_first) = listed.map_err(|e| classify(&e))?;
    let with_ids: Vec<(String, Value)> =
        items.into_iter().filter_map(|item| Some((item_id(poll, &item)?, item))).collect();
    let mut taken: HashSet<&str> = seen.clone();
    let mut new_items: Vec<(String, Value)> = Vec::new();
    if sub.watermark.is_some() {
        // Events go oldest first: a newest-first answer is read backwards.
        let in_order: Box<dyn Iterator<Item = &(String, Value)>> =
            if newest_first { Box::new(with_ids.iter().rev()) } else { Box::new(with_ids.iter()) };
        for (id, item) in in_order {
            if taken.insert(id.as_str()) {
                new_items.push((id.clone(), item.clone()));
            }
        }
    }
    if let Some(filter) = poll.filter.as_ref().filter(|f| config.get(&f.when).is_some_and(|v| v != "")) {
        if !new_items.is_empty() {
            let matching = reader.filtered(filter, &new_items).await.map_err(|e| classify(&e))?;
            new_items.retain(|(_, item)| text_at(item, &poll.id).is_some_and(|id| matching.contains(&id)));
        }
    }
    let mut watermark: Vec<String> = with_ids.iter().map(|(id, _)| id.clone()).collect();
    let listed: HashSet<String> = watermark.iter().cloned().collect();
    watermark.extend(sub.watermark.iter().flatten().filter(|id| !listed.contains(*id)).cloned());
    watermark.truncate(WATERMARK_IDS);
    Ok(Found { new_items, watermark, cursor: next_cursor })
}

/// Whether a failed incremental list means the cursor is no longer taken (the provider's own
/// status, which the gateway relays as a 502): Google answers 410 for a sync token, Gmail 404
/// for a history id it no longer keeps.
fn refuses_cursor(e: &Error) -> bool {
    e.tool_error().is_some_and(|t| t.tool_error_code == "410" || t.tool_error_code == "404")
}

/// The lists one poll reads, as the subscription's account, with its config.
struct Reader<'a> {
    state: &'a AppState,
    account: &'a AccountRecord,
    config: &'a Map<String, Value>,
}

impl Reader<'_> {
    /// Runs a tool of the catalog as the account with `input` rendered from the config (and
    /// `extra` on top); its answer.
    async fn run(
        &self,
        tool_name: &str,
        input: &Map<String, Value>,
        extra: &[(&str, Value)],
    ) -> agentkit_core::Result<Value> {
        let tool = self.tool(tool_name)?;
        let mut input = self.rendered(input)?;
        input.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
        let checked = tool.validate_input(Some(&Value::Object(input)))?;
        let answer = crate::domain::execution::run_for_account(
            self.state,
            POLLER_CLIENT,
            &tool,
            self.account.clone(),
            checked,
            None,
        )
        .await?;
        Ok(answer.data)
    }

    fn tool(&self, name: &str) -> agentkit_core::Result<Arc<crate::catalog::connectors::CatalogTool>> {
        self.state
            .registry()
            .catalog
            .tool(name)
            .cloned()
            .ok_or_else(|| Error::new(ErrorKind::InvalidInput, format!("the poll tool {name} is gone")))
    }

    fn rendered(&self, input: &Map<String, Value>) -> agentkit_core::Result<Map<String, Value>> {
        match Scope::new(self.config).render(&Value::Object(input.clone())).unwrap_or(json!({})) {
            Value::Object(input) => Ok(input),
            _ => Err(Error::new(ErrorKind::InvalidInput, "poll.input is not an object")),
        }
    }

    /// A cursor with a `start` and none stored (the first poll) or refused: a new cursor from
    /// the start tool first, then the `relist` (newest first), so what arrives in between is
    /// in one of the two and the watermark tells which items are news.
    async fn start_over(
        &self,
        poll: &PollDef,
        known: Option<&HashSet<&str>>,
    ) -> agentkit_core::Result<(Vec<Value>, Option<String>, bool)> {
        let Some(start) = poll.cursor.as_ref().and_then(|c| c.start.as_ref()) else {
            return Ok((Vec::new(), None, false));
        };
        let answer = self.run(&start.tool, &start.input, &[]).await?;
        let cursor = text_at(&answer, &start.at).ok_or_else(|| {
            Error::new(ErrorKind::ToolExecution, format!("{} answered no cursor at {}", start.tool, start.at))
        })?;
        let items = match &poll.relist {
            Some(relist) => self.list(relist, None, known).await?.0,
            None => Vec::new(),
        };
        Ok((items, Some(cursor), true))
    }

    /// The ids of the filter's list since the oldest of `new_items`.
    async fn filtered(
        &self,
        filter: &crate::catalog::triggers::PollFilter,
        new_items: &[(String, Value)],
    ) -> agentkit_core::Result<HashSet<String>> {
        let oldest_ms = new_items
            .iter()
            .filter_map(|(_, item)| text_at(item, &filter.since)?.parse::<i64>().ok())
            .min()
            .unwrap_or(0);
        let since = (oldest_ms / 1000).saturating_sub(1).max(0);
        let mut config = self.config.clone();
        config.insert("since".into(), Value::String(since.to_string()));
        let reader = Reader { config: &config, ..*self };
        let everything = HashSet::new();
        let def = filter.as_poll();
        let (items, _) = reader.list(&def, None, Some(&everything)).await?;
        Ok(items.iter().filter_map(|item| text_at(item, &filter.id)).collect())
    }

    /// The poll tool's items, page after page: an incremental list (from `cursor`; none:
    /// everything) to its last page, whose cursor is returned; a newest-first list while a whole
    /// page is news (`seen`: the watermark; none, the first poll, reads one page).
    async fn list(
        &self,
        poll: &PollDef,
        cursor: Option<&str>,
        seen: Option<&HashSet<&str>>,
    ) -> agentkit_core::Result<(Vec<Value>, Option<String>)> {
        let mut extra: Vec<(&str, Value)> = Vec::new();
        if let (Some(def), Some(cursor)) = (&poll.cursor, cursor) {
            extra.push((def.input.as_str(), Value::String(cursor.to_string())));
        }
        let mut items = Vec::new();
        for _ in 0..MAX_PAGES {
            let answer = self.run(&poll.tool, &poll.input, &extra).await?;
            let page: Vec<Value> = match if poll.items.is_empty() { Some(&answer) } else { answer.pointer(&poll.items) }
            {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(page)) => page.clone(),
                Some(_) => {
                    return Err(Error::new(
                        ErrorKind::ToolExecution,
                        format!("{} is not a list in the answer", poll.items),
                    ))
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
                .and_then(|def| Some((def, text_at(&answer, &def.next)?)))
                .filter(|(_, token)| !token.is_empty());
            match next_page {
                Some((def, token)) if all_news => {
                    extra.retain(|(k, _)| *k != def.input.as_str());
                    extra.push((def.input.as_str(), Value::String(token)));
                }
                _ => {
                    let next = poll.cursor.as_ref().and_then(|def| text_at(&answer, &def.next));
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
                tracing::warn!(tool = %poll.tool, pages = MAX_PAGES, "a poll found more new items than it reads");
                Ok((items, None))
            }
        }
    }
}

/// The text (or number) at `pointer` in `value`, when not empty.
fn text_at(value: &Value, pointer: &str) -> Option<String> {
    match value.pointer(pointer)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Most pages one poll reads.
const MAX_PAGES: usize = 20;

/// What the watermark knows an item by: its id, and its version when the trigger has one.
fn item_id(poll: &PollDef, item: &Value) -> Option<String> {
    let id = text_at(item, &poll.id)?;
    Some(if poll.version.is_empty() {
        id
    } else {
        format!("{id}@{}", text_at(item, &poll.version).unwrap_or_default())
    })
}

/// What a failed poll tool call means.
fn classify(e: &Error) -> Failed {
    let code = match (e.kind(), e.status()) {
        (ErrorKind::RateLimited, _) | (_, 429) => TriggerPollErrorCode::RateLimited,
        (ErrorKind::Unauthorized, _) | (_, 401) => TriggerPollErrorCode::CredentialRevoked,
        (ErrorKind::FailedPrecondition, _) => TriggerPollErrorCode::CredentialRevoked,
        (ErrorKind::Timeout, _) => TriggerPollErrorCode::TimedOut,
        (ErrorKind::ToolExecution, _) => TriggerPollErrorCode::ProviderError,
        // The trigger's declaration or the subscription's config makes no valid call.
        (ErrorKind::InvalidInput, _) => TriggerPollErrorCode::InvalidConfiguration,
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
