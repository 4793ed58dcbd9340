//! The request being served, as code inside it sees it: its id — the caller's `x-request-id`
//! when it is a sane one, else a new one — (for error bodies, execution records, audit rows),
//! who it acts as, and audit events noted on the way. `api::observe` sets it up per request.

use std::sync::{Arc, Mutex, OnceLock};

use axum::http::HeaderValue;

pub use agentkit_core::client::REQUEST_ID_HEADER;

/// The request being served, for code that runs inside it.
pub struct RequestContext {
    id: Arc<str>,
    client_id: OnceLock<String>,
    /// Who acts, when not an API client (an MCP user).
    actor: OnceLock<String>,
    /// Audit events noted by code that has no store at hand, written when the request ends.
    pending_audit: Mutex<Vec<AuditNote>>,
}

/// An audit event noted inside a request (see [`note_audit`]).
#[derive(Debug, Clone)]
pub struct AuditNote {
    pub action: &'static str,
    pub target: String,
    pub outcome: &'static str,
    pub details: serde_json::Value,
}

impl RequestContext {
    /// The request's id: the caller's when it sent a sane one, else a new one.
    pub fn new(headers: &axum::http::HeaderMap) -> Arc<RequestContext> {
        let id = headers.get(REQUEST_ID_HEADER).and_then(acceptable).unwrap_or_else(new_request_id);
        Arc::new(RequestContext {
            id,
            client_id: OnceLock::new(),
            actor: OnceLock::new(),
            pending_audit: Mutex::new(Vec::new()),
        })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// The API client the request authenticated as, `-` when none.
    pub fn client_id(&self) -> &str {
        self.client_id.get().map(String::as_str).unwrap_or("-")
    }

    /// The audit events noted so far (taken: each is written once).
    pub fn take_audit_notes(&self) -> Vec<AuditNote> {
        std::mem::take(&mut *self.pending_audit.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Runs `work` as this request's code (what the functions below read).
    pub async fn scope<F: std::future::Future>(self: &Arc<Self>, work: F) -> F::Output {
        CURRENT.scope(self.clone(), work).await
    }
}

tokio::task_local! {
    static CURRENT: Arc<RequestContext>;
}

/// The id of the request this code runs for (`None` outside a request, e.g. background work).
pub fn current_request_id() -> Option<String> {
    CURRENT.try_with(|r| r.id.to_string()).ok()
}

/// Notes which API client the request authenticated as (its log line and audit actor).
pub fn record_client_id(client_id: &str) {
    let _ = CURRENT.try_with(|r| r.client_id.set(client_id.to_string()));
}

/// Notes who acts when it is not an API client (`mcp:<user>` for an MCP user).
pub fn record_actor(actor: &str) {
    let _ = CURRENT.try_with(|r| r.actor.set(actor.to_string()));
}

/// Who the request acts as: the MCP user or API client, `None` when nobody authenticated.
pub fn current_actor() -> Option<String> {
    CURRENT.try_with(|r| r.actor.get().or(r.client_id.get()).cloned()).ok().flatten()
}

/// Notes an audit event for the end of the current request (code without the store at hand,
/// such as the egress policy). Outside a request it is only logged.
pub fn note_audit(note: AuditNote) {
    let noted = CURRENT.try_with(|r| r.pending_audit.lock().unwrap_or_else(|p| p.into_inner()).push(note.clone()));
    if noted.is_err() {
        tracing::info!(action = note.action, target = %note.target, outcome = note.outcome, "audit event outside a request");
    }
}

/// A caller's id is kept when it is 1–128 characters of letters, digits and `-_.:/+=@`: enough
/// for UUIDs, ULIDs and trace-style ids, nothing that could forge a log line or bloat a record.
fn acceptable(value: &HeaderValue) -> Option<Arc<str>> {
    let text = value.to_str().ok()?.trim();
    let sane =
        (1..=128).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:/+=@".contains(&b));
    sane.then(|| Arc::from(text))
}

fn new_request_id() -> Arc<str> {
    Arc::from(agentkit_core::client::new_request_id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_sane_caller_ids_and_replaces_the_rest() {
        for good in ["req_0123abcd", "3f2c9a1e-7d4b-4c1a-9e0f-1a2b3c4d5e6f", "01J9Z8:abc/def+g=@x"] {
            assert_eq!(acceptable(&HeaderValue::from_static(good)).as_deref(), Some(good));
        }
        let long = "a".repeat(129);
        for bad in ["", "has space", "quote\"s", "tab\there", long.as_str(), "{json}"] {
            let value = HeaderValue::from_str(bad).unwrap_or(HeaderValue::from_static(""));
            assert_eq!(acceptable(&value), None, "{bad:?}");
        }
        let minted = new_request_id();
        assert!(minted.starts_with("req_") && minted.len() == 28);
        assert!(acceptable(&HeaderValue::from_str(&minted).unwrap_or(HeaderValue::from_static(""))).is_some());
    }
}
