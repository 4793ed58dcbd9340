//! `GET /api/v1/audit`: the audit trail, newest first — filtered by `action`, `actor`,
//! `target`, `since` / `until` (RFC 3339), paged (`page_size` ≤ 1000, `page_token`), or
//! exported whole as JSON lines (`format=jsonl`, streamed page by page).

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use chrono::{DateTime, Utc};

use agentkit_core::model::query::QueryMap;
use agentkit_core::Error;

use super::openapi_schemas::{BadRequest, Forbidden, Unauthorized, Unavailable};
use super::{ApiResult, Caller};
use crate::state::SharedState;
use crate::store::AuditFilter;

const DEFAULT_PAGE: u32 = 100;
const MAX_PAGE: u32 = 1000;
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

fn time(query: &QueryMap, field: &str) -> ApiResult<Option<DateTime<Utc>>> {
    match query.get(field) {
        None => Ok(None),
        Some(text) => DateTime::parse_from_rfc3339(&text)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| Error::invalid_field(field, format!("{field} must be an RFC 3339 time")).into()),
    }
}

fn filter(query: &QueryMap) -> ApiResult<AuditFilter> {
    let before_id = match query.get("page_token") {
        None => None,
        Some(token) => {
            let bad = || Error::invalid_field("page_token", "page_token is not a token returned by this API");
            let id = B64.decode(token).ok().and_then(|b| String::from_utf8(b).ok()).ok_or_else(bad)?;
            if !id.starts_with("aud_") {
                return Err(bad().into());
            }
            Some(id)
        }
    };
    Ok(AuditFilter {
        action: query.get("action"),
        actor: query.get("actor"),
        target: query.get("target"),
        since: time(query, "since")?,
        until: time(query, "until")?,
        before_id,
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/audit",
    operation_id = "Gateway_ListAudit",
    tag = "Operations",
    summary = "The audit trail",
    description = "Needs `admin`.",
    params(
        ("since" = Option<String>, Query, description = "RFC 3339."),
        ("until" = Option<String>, Query, description = "RFC 3339."),
        ("action" = Option<String>, Query),
        ("actor" = Option<String>, Query),
        ("target" = Option<String>, Query),
        ("format" = Option<String>, Query, description = "`json` or `jsonl`."),
        ("page_size" = Option<u32>, Query),
        ("page_token" = Option<String>, Query),
    ),
    responses(
        (status = 200, description = "Success.", body = AuditPage),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn list(State(state): State<SharedState>, _caller: Caller, RawQuery(q): RawQuery) -> ApiResult<Response> {
    let query = QueryMap::parse(q.as_deref());
    let filter = filter(&query)?;
    if query.get("format").as_deref() == Some("jsonl") {
        return Ok(export(state, filter));
    }
    let page_size = super::page_size_up_to(&query, MAX_PAGE)?.unwrap_or(DEFAULT_PAGE);
    let events = state.store.audit_events(&filter, page_size).await?;
    let next_page_token = match events.last() {
        Some(last) if events.len() == page_size as usize => B64.encode(&last.id),
        _ => String::new(),
    };
    Ok(Json(super::SortedKeys(AuditPage { events, next_page_token })).into_response())
}

/// `GET /api/v1/audit`: one page of events, newest first; `next_page_token` is empty on the last.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    events: Vec<crate::store::AuditRecord>,
    next_page_token: String,
}

/// Every matching event as one JSON object per line, read a page at a time (memory stays flat).
fn export(state: SharedState, filter: AuditFilter) -> Response {
    let pages = futures::stream::unfold(Some(filter), move |filter| {
        let state = state.clone();
        async move {
            let mut filter = filter?;
            match state.store.audit_events(&filter, MAX_PAGE).await {
                Err(e) => {
                    tracing::warn!(error = %e.message(), "audit export stopped");
                    None
                }
                Ok(events) if events.is_empty() => None,
                Ok(events) => {
                    let mut lines = String::new();
                    for event in &events {
                        lines.push_str(&serde_json::to_string(event).unwrap_or_default());
                        lines.push('\n');
                    }
                    let more = events.len() == MAX_PAGE as usize;
                    filter.before_id = events.last().map(|e| e.id.clone());
                    Some((Ok::<_, std::convert::Infallible>(lines), more.then_some(filter)))
                }
            }
        }
    });
    ([("content-type", "application/x-ndjson")], Body::from_stream(pages)).into_response()
}
