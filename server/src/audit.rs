//! The audit trail: who did what to what, with what outcome, in which request, when — for API
//! client authentication failures and permission refusals, connected-account changes,
//! authorization links, credential reads, custom provider, MCP config and instance changes,
//! MCP session tokens, the MCP authorization server (registrations, consents, grants,
//! revocations, refused refreshes), webhook endpoints and redeliveries, connector reloads, key
//! rotation and egress refusals. Rows are appended to the database (`audit_events`), never
//! changed, swept after `[retention] audit_days`, and read with `GET /api/v1/audit`.
//! Details never hold a secret.

use chrono::Utc;
use serde_json::Value;

use crate::store::{AuditRecord, Store};
use crate::telemetry::requests::{current_actor, current_request_id, AuditNote};

pub const SUCCESS: &str = "success";
pub const FAILURE: &str = "failure";
pub const REFUSED: &str = "refused";

/// `aud_` + 16 hex digits of microseconds since the epoch + 8 random hex digits: ids sort by time.
fn new_id() -> String {
    let micros = Utc::now().timestamp_micros().max(0);
    let random: u32 = rand::random();
    format!("aud_{micros:016x}{random:08x}")
}

/// Appends one event as the current request's (actor, request id); `system` outside requests.
pub async fn record(store: &Store, action: &'static str, target: &str, outcome: &'static str, details: Value) {
    append(store, current_actor().unwrap_or_else(|| "system".into()), action, target, outcome, details).await;
}

/// Most characters of the actor or target an audit row keeps (longer values are cut, marked).
const MAX_FIELD_CHARS: usize = 256;
/// Most bytes of an audit row's details (larger details are replaced by a note saying so).
const MAX_DETAILS_BYTES: usize = 8 * 1024;

/// `text` cut to [`MAX_FIELD_CHARS`] characters, control characters replaced: audit rows are
/// kept a year, and their fields may come from unauthenticated callers.
fn bounded(text: &str) -> String {
    let mut out: String =
        text.chars().take(MAX_FIELD_CHARS).map(|c| if c.is_control() { '\u{fffd}' } else { c }).collect();
    if text.chars().nth(MAX_FIELD_CHARS).is_some() {
        out.push('…');
    }
    out
}

fn bounded_details(details: Value) -> Value {
    let size = serde_json::to_vec(&details).map(|v| v.len()).unwrap_or(usize::MAX);
    if size <= MAX_DETAILS_BYTES {
        return details;
    }
    serde_json::json!({"truncated": true, "bytes": size})
}

/// Appends one event for `actor` (the command line: `cli`).
pub async fn append(store: &Store, actor: String, action: &str, target: &str, outcome: &str, details: Value) {
    let record = row(actor, action, target, outcome, details);
    // A failed write is an operator's problem to see (log and metric), not the caller's: the
    // request goes on.
    if let Err(e) = store.append_audit(&record).await {
        crate::telemetry::metrics::audit_write_failure();
        tracing::error!(action, target, error = %e.message(), "an audit event could not be written");
    }
}

/// The row of a change, as the current request's (actor, request id): a change commits it in
/// its own transaction (`store::ChangeRecords`).
pub fn change_row(action: &str, target: &str, outcome: &str, details: Value) -> AuditRecord {
    row(current_actor().unwrap_or_else(|| "system".into()), action, target, outcome, details)
}

/// The row of a successful change made by `actor` outside a request (the command line).
pub fn change_row_by(actor: &str, action: &str, target: &str, details: Value) -> AuditRecord {
    row(actor.to_string(), action, target, SUCCESS, details)
}

/// One bounded row, stamped now with the current request's id.
fn row(actor: String, action: &str, target: &str, outcome: &str, details: Value) -> AuditRecord {
    AuditRecord {
        id: new_id(),
        occurred_at: Utc::now(),
        actor: bounded(&actor),
        action: action.to_string(),
        target: bounded(target),
        outcome: outcome.to_string(),
        request_id: current_request_id(),
        details: bounded_details(details),
    }
}

/// Writes the events a request noted on the way (see [`crate::telemetry::requests::note_audit`]).
pub async fn write_notes(store: &Store, notes: Vec<AuditNote>) {
    for note in notes {
        record(store, note.action, &note.target, note.outcome, note.details).await;
    }
}

/// An event about a connected account, appended on its own (a read, a refusal: no change to
/// commit it with).
pub async fn account_event(
    store: &Store,
    action: &'static str,
    account: &crate::store::AccountRecord,
    outcome: &'static str,
    extra: Value,
) {
    if let Err(e) = store.append_audit(&account_row(action, account, outcome, extra)).await {
        crate::telemetry::metrics::audit_write_failure();
        tracing::error!(action, target = %account.id, error = %e.message(), "an audit event could not be written");
    }
}

/// The row of an event about a connected account, as the current request's: its id as target,
/// its connection, identifier and status in the details (plus `extra`). A change commits it in
/// its own transaction (`store::ChangeRecords`).
pub fn account_row(action: &str, account: &crate::store::AccountRecord, outcome: &str, extra: Value) -> AuditRecord {
    let mut details = serde_json::json!({
        "connection_name": account.connection_name,
        "identifier": account.identifier,
        "status": account.status.as_str(),
    });
    if let (Some(details), Value::Object(extra)) = (details.as_object_mut(), extra) {
        details.extend(extra);
    }
    change_row(action, &account.id, outcome, details)
}
