//! The Gmail API subset: seeded mailboxes, search, get, send, modify, labels, the profile and
//! the mailbox history (what `gmail_new_message` polls: `messageAdded` records after a history id).

use std::collections::HashMap;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::{URL_SAFE as B64URL_PAD, URL_SAFE_NO_PAD as B64URL};
use base64::Engine;
use serde_json::{json, Value};

use agentkit_core::model::query::QueryMap;

use crate::{google_error, user_of, Shared};

#[derive(Clone)]
pub(crate) struct Message {
    id: String,
    thread_id: String,
    labels: Vec<String>,
    from: String,
    to: String,
    subject: String,
    date: String,
    internal_date: i64,
    body: String,
    /// The mailbox's history id when the message was filed.
    history_id: u64,
}

impl Message {
    pub(crate) fn snippet(&self) -> String {
        self.body.chars().take(100).collect()
    }

    pub(crate) fn headers(&self) -> Vec<(&'static str, &str)> {
        vec![("From", &self.from), ("To", &self.to), ("Subject", &self.subject), ("Date", &self.date)]
    }

    /// The Gmail `Message` resource in the requested format.
    pub(crate) fn resource(&self, format: &str, metadata_headers: &[String]) -> Value {
        let mut v = json!({
            "id": self.id,
            "threadId": self.thread_id,
            "labelIds": self.labels,
            "snippet": self.snippet(),
            "internalDate": self.internal_date.to_string(),
            "sizeEstimate": self.body.len() + 200,
            "historyId": self.history_id.to_string(),
        });
        let headers = |only: &[String]| -> Vec<Value> {
            self.headers()
                .into_iter()
                .filter(|(n, _)| only.is_empty() || only.iter().any(|o| o.eq_ignore_ascii_case(n)))
                .map(|(n, val)| json!({"name": n, "value": val}))
                .collect()
        };
        match format {
            "minimal" => {}
            "raw" => {
                let raw = format!(
                    "From: {}\r\nTo: {}\r\nSubject: {}\r\nDate: {}\r\n\r\n{}",
                    self.from, self.to, self.subject, self.date, self.body
                );
                v["raw"] = json!(B64URL.encode(raw));
            }
            "metadata" => v["payload"] = json!({"mimeType": "text/plain", "headers": headers(metadata_headers)}),
            _ => {
                v["payload"] = json!({
                    "mimeType": "text/plain",
                    "headers": headers(&[]),
                    "body": {"size": self.body.len(), "data": B64URL.encode(&self.body)},
                })
            }
        }
        v
    }
}

pub(crate) struct Mailbox {
    messages: Vec<Message>,
    next_id: u64,
    /// The mailbox's current history id: every change takes the next one.
    history_id: u64,
    /// `messageAdded` records, oldest first: (history id, message id, thread id, labels when filed).
    added: Vec<(u64, String, String, Vec<String>)>,
    /// The oldest start a history list still takes; older ones answer 404, as Gmail does once
    /// it has dropped the records (`POST /sandbox/settings {"expire_gmail_history": "u"}`).
    history_floor: u64,
}

/// The history id of a seeded mailbox.
const SEEDED_HISTORY_ID: u64 = 1000;

pub(crate) const SEED: &[(&str, &str, &str, bool)] = &[
    (
        "Priya Raman <priya@acme.test>",
        "Q3 roadmap review moved to Thursday",
        "Hi! The Q3 roadmap review is now Thursday 10:00. Please bring the updated capacity numbers.",
        true,
    ),
    (
        "GitHub <noreply@github.test>",
        "[agentkit] CI passed on main",
        "All checks have passed for commit 4f2a9c1 on main. 212 tests, 0 failures.",
        true,
    ),
    (
        "Marco Bianchi <marco@supplier.test>",
        "Invoice #4471 for October",
        "Please find attached invoice #4471 for October services, due in 30 days.",
        true,
    ),
    (
        "Dana Lee <dana@acme.test>",
        "Lunch on Friday?",
        "Want to try the new ramen place on Friday at 12:30? I can book a table for four.",
        true,
    ),
    (
        "Security <security@bank.test>",
        "New sign-in to your account",
        "We noticed a new sign-in from Chrome on Linux. If this was you, no action is needed.",
        true,
    ),
    (
        "Alex Kim <alex@acme.test>",
        "Draft of the launch blog post",
        "Here is the first draft of the launch post. Comments welcome before Wednesday.",
        true,
    ),
    (
        "Newsletter <news@weekly.test>",
        "This week in Rust",
        "Rust 1.95 is out, plus async closures in practice and a new crate of the week.",
        false,
    ),
    (
        "Priya Raman <priya@acme.test>",
        "Re: hiring plan",
        "Thanks, the hiring plan looks good to me. Let's finalise it next week.",
        false,
    ),
];

impl Mailbox {
    /// Files a new message (newest); its id and thread id.
    fn file(
        &mut self,
        thread_id: Option<String>,
        labels: Vec<String>,
        from: &str,
        to: &str,
        subject: &str,
        body: String,
    ) -> (String, String) {
        self.next_id += 1;
        self.history_id += 1;
        let id = format!("18d{:013x}", self.next_id);
        let thread_id = thread_id.unwrap_or_else(|| id.clone());
        let now = chrono::Utc::now();
        self.added.push((self.history_id, id.clone(), thread_id.clone(), labels.clone()));
        self.messages.push(Message {
            history_id: self.history_id,
            id: id.clone(),
            thread_id: thread_id.clone(),
            labels,
            from: from.to_string(),
            to: to.to_string(),
            subject: subject.to_string(),
            date: now.to_rfc2822(),
            internal_date: now.timestamp_millis(),
            body,
        });
        (id, thread_id)
    }

    pub(crate) fn seeded(user: &str) -> Mailbox {
        let base = 1_764_000_000_000i64; // 2025-11-24, newest message last in SEED order reversed below
        let messages = SEED
            .iter()
            .enumerate()
            .map(|(i, (from, subject, body, unread))| {
                let internal_date = base - (i as i64) * 3_600_000;
                let date = chrono::DateTime::from_timestamp_millis(internal_date).unwrap_or_default().to_rfc2822();
                let mut labels = vec!["INBOX".to_string(), "CATEGORY_PERSONAL".to_string()];
                if *unread {
                    labels.push("UNREAD".into());
                }
                Message {
                    id: format!("18c{:013x}", 0xa11ce000 + i as u64),
                    thread_id: format!("18c{:013x}", 0x7e7ead00 + i as u64),
                    labels,
                    from: from.to_string(),
                    to: format!(
                        "{user} <{}>",
                        if user.contains('@') { user.to_string() } else { format!("{user}@example.test") }
                    ),
                    subject: subject.to_string(),
                    date,
                    internal_date,
                    body: body.to_string(),
                    history_id: SEEDED_HISTORY_ID,
                }
            })
            .collect();
        Mailbox {
            messages,
            next_id: 1,
            history_id: SEEDED_HISTORY_ID,
            added: Vec::new(),
            history_floor: SEEDED_HISTORY_ID,
        }
    }

    /// Gmail drops history records after a while: lists from before now answer 404.
    pub(crate) fn expire_history(&mut self) {
        self.history_floor = self.history_id;
        self.added.clear();
    }

    /// Messages matching a Gmail search query, newest first.
    pub(crate) fn search(&self, q: &str, label_ids: &[String], include_spam_trash: bool) -> Vec<&Message> {
        // Newest first, as Gmail lists; messages filed in the same millisecond, last filed first.
        let mut found: Vec<&Message> = self
            .messages
            .iter()
            .rev()
            .filter(|m| include_spam_trash || !m.labels.iter().any(|l| l == "SPAM" || l == "TRASH"))
            .filter(|m| label_ids.iter().all(|l| m.labels.contains(l)))
            .filter(|m| q.split_whitespace().all(|term| matches_term(m, term)))
            .collect();
        found.sort_by_key(|m| std::cmp::Reverse(m.internal_date));
        found
    }
}

pub(crate) fn matches_term(m: &Message, term: &str) -> bool {
    let lower = term.to_lowercase();
    let has = |hay: &str, needle: &str| hay.to_lowercase().contains(needle);
    match lower.split_once(':') {
        Some(("is", "unread")) => m.labels.iter().any(|l| l == "UNREAD"),
        Some(("is", "read")) => !m.labels.iter().any(|l| l == "UNREAD"),
        Some(("from", v)) => has(&m.from, v),
        Some(("to", v)) => has(&m.to, v),
        Some(("subject", v)) => has(&m.subject, v),
        Some(("label" | "in", v)) => m.labels.iter().any(|l| l.eq_ignore_ascii_case(v)),
        // Epoch seconds (Gmail also takes dates; the trigger's filter sends seconds).
        Some(("after", v)) => v.parse::<i64>().is_ok_and(|after| m.internal_date / 1000 > after),
        _ => has(&m.subject, &lower) || has(&m.body, &lower) || has(&m.from, &lower),
    }
}

pub(crate) async fn list_messages(State(state): State<Shared>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let s = state.lock().unwrap_or_else(|p| p.into_inner());
    let user = match user_of(&s, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    if let Some(r) = rate_limited(&s, &user) {
        return r;
    }
    let q = QueryMap::parse(q.as_deref());
    let max = match q.get_u32("max_results") {
        Ok(v) => v.unwrap_or(100).clamp(1, 500) as usize,
        Err(_) => return google_error(StatusCode::BAD_REQUEST, "Invalid maxResults", "INVALID_ARGUMENT"),
    };
    let offset: usize = q.get("page_token").and_then(|t| t.parse().ok()).unwrap_or(0);
    let include_spam = q.get_bool("include_spam_trash").ok().flatten().unwrap_or(false);
    let Some(mailbox) = s.mailboxes.get(&user) else {
        return Json(json!({"resultSizeEstimate": 0})).into_response();
    };
    let found = mailbox.search(&q.get("q").unwrap_or_default(), &q.all("label_ids"), include_spam);
    let page: Vec<Value> =
        found.iter().skip(offset).take(max).map(|m| json!({"id": m.id, "threadId": m.thread_id})).collect();
    let mut body = json!({"resultSizeEstimate": found.len()});
    if !page.is_empty() {
        body["messages"] = json!(page);
    }
    if offset + max < found.len() {
        body["nextPageToken"] = json!((offset + max).to_string());
    }
    Json(body).into_response()
}

pub(crate) async fn get_message(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let s = state.lock().unwrap_or_else(|p| p.into_inner());
    let user = match user_of(&s, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let q = QueryMap::parse(q.as_deref());
    let format = q.get("format").unwrap_or_else(|| "full".into());
    if !["minimal", "full", "raw", "metadata"].contains(&format.as_str()) {
        return google_error(
            StatusCode::BAD_REQUEST,
            &format!("Invalid value at 'format' ({format})"),
            "INVALID_ARGUMENT",
        );
    }
    match s.mailboxes.get(&user).and_then(|mb| mb.messages.iter().find(|m| m.id == id)) {
        Some(m) => Json(m.resource(&format, &q.all("metadata_headers"))).into_response(),
        None => google_error(StatusCode::NOT_FOUND, "Requested entity was not found.", "NOT_FOUND"),
    }
}

/// Reads the headers and body of a base64url RFC 2822 message.
pub(crate) fn parse_raw(raw: &str) -> Option<(HashMap<String, String>, String)> {
    let bytes = B64URL.decode(raw.trim_end_matches('=')).or_else(|_| B64URL_PAD.decode(raw)).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (head, body) = text.split_once("\r\n\r\n").or_else(|| text.split_once("\n\n"))?;
    let headers = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Some((headers, body.to_string()))
}

pub(crate) async fn send_message(State(state): State<Shared>, headers: HeaderMap, Json(req): Json<Value>) -> Response {
    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
    let user = match user_of(&s, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let Some((mime, body)) = req.get("raw").and_then(Value::as_str).and_then(parse_raw) else {
        return google_error(StatusCode::BAD_REQUEST, "Invalid value for ByteString: raw", "INVALID_ARGUMENT");
    };
    if mime.get("to").is_none_or(|t| t.is_empty()) {
        return google_error(StatusCode::BAD_REQUEST, "Invalid To header", "INVALID_ARGUMENT");
    }
    // Mail to one's own address lands in one's inbox too, unread (as Gmail files it).
    let to = mime.get("to").cloned().unwrap_or_default();
    let mut labels = vec!["SENT".to_string()];
    if to.split(',').any(|a| a.trim().trim_start_matches('<').trim_end_matches('>').eq_ignore_ascii_case(&user)) {
        labels.extend(["INBOX".to_string(), "UNREAD".to_string()]);
    }
    let answer_labels = labels.clone();
    let thread_id = req.get("threadId").and_then(Value::as_str).map(String::from);
    let mailbox = s.mailboxes.entry(user.clone()).or_insert_with(|| Mailbox::seeded(&user));
    let subject = mime.get("subject").cloned().unwrap_or_default();
    let (id, thread_id) = mailbox.file(thread_id, labels, &user, &to, &subject, body);
    Json(json!({"id": id, "threadId": thread_id, "labelIds": answer_labels})).into_response()
}

/// `POST /sandbox/deliver {"user", "from"?, "subject"?, "body"?}`: a message arrives in the
/// user's inbox, unread, from someone else (what a trigger watches for); its id.
pub(crate) async fn deliver(State(state): State<Shared>, Json(req): Json<Value>) -> Response {
    let text = |k: &str, default: &str| req.get(k).and_then(Value::as_str).unwrap_or(default).to_string();
    let user = text("user", "");
    if user.is_empty() {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": "user is required"}))).into_response();
    }
    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
    let mailbox = s.mailboxes.entry(user.clone()).or_insert_with(|| Mailbox::seeded(&user));
    let labels = vec!["INBOX".to_string(), "UNREAD".to_string()];
    let (id, _) = mailbox.file(
        None,
        labels,
        &text("from", "sender@example.com"),
        &user,
        &text("subject", "Hello"),
        text("body", "hello"),
    );
    Json(json!({"id": id})).into_response()
}

pub(crate) async fn modify_message(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(req): Json<Value>,
) -> Response {
    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
    let user = match user_of(&s, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let list = |k: &str| -> Vec<String> {
        req.get(k)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect())
            .unwrap_or_default()
    };
    let (add, remove) = (list("addLabelIds"), list("removeLabelIds"));
    let Some(mailbox) = s.mailboxes.get_mut(&user) else {
        return google_error(StatusCode::NOT_FOUND, "Requested entity was not found.", "NOT_FOUND");
    };
    // A label change is a change of the mailbox: it takes the next history id.
    mailbox.history_id += 1;
    let next_history_id = mailbox.history_id;
    let Some(m) = mailbox.messages.iter_mut().find(|m| m.id == id) else {
        return google_error(StatusCode::NOT_FOUND, "Requested entity was not found.", "NOT_FOUND");
    };
    m.labels.retain(|l| !remove.contains(l));
    m.history_id = next_history_id;
    for l in add {
        if !m.labels.contains(&l) {
            m.labels.push(l);
        }
    }
    Json(json!({"id": m.id, "threadId": m.thread_id, "labelIds": m.labels})).into_response()
}

pub(crate) async fn list_labels(State(state): State<Shared>, headers: HeaderMap) -> Response {
    let s = state.lock().unwrap_or_else(|p| p.into_inner());
    if let Err(r) = user_of(&s, &headers) {
        return r;
    }
    let labels: Vec<Value> =
        ["INBOX", "SENT", "UNREAD", "STARRED", "IMPORTANT", "SPAM", "TRASH", "DRAFT", "CATEGORY_PERSONAL"]
            .iter()
            .map(|l| json!({"id": l, "name": l, "type": "system"}))
            .chain(std::iter::once(json!({"id": "Label_1", "name": "Receipts", "type": "user"})))
            .collect();
    Json(json!({"labels": labels})).into_response()
}

/// The 429 a rate-limited user's reads get (`POST /sandbox/settings {"rate_limited_users"}`).
fn rate_limited(state: &crate::SandboxState, user: &str) -> Option<Response> {
    state.rate_limited_users.iter().any(|u| u == user).then(|| {
        google_error(StatusCode::TOO_MANY_REQUESTS, "Quota exceeded for quota metric 'Queries'", "RESOURCE_EXHAUSTED")
    })
}

/// `GET /gmail/v1/users/me/profile`: the address, totals and the current history id (where a
/// history list starts).
pub(crate) async fn get_profile(State(state): State<Shared>, headers: HeaderMap) -> Response {
    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
    let user = match user_of(&s, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    if let Some(r) = rate_limited(&s, &user) {
        return r;
    }
    let mailbox = s.mailboxes.entry(user.clone()).or_insert_with(|| Mailbox::seeded(&user));
    let threads: std::collections::HashSet<&str> = mailbox.messages.iter().map(|m| m.thread_id.as_str()).collect();
    Json(json!({
        "emailAddress": if user.contains('@') { user.clone() } else { format!("{user}@example.test") },
        "messagesTotal": mailbox.messages.len(),
        "threadsTotal": threads.len(),
        "historyId": mailbox.history_id.to_string(),
    }))
    .into_response()
}

/// `GET /gmail/v1/users/me/history?startHistoryId=`: the `messageAdded` records after it
/// (`historyTypes`, `labelId`, `maxResults` up to 500, `pageToken`), and the current history id.
/// A start older than the records kept answers 404, as Gmail's does.
pub(crate) async fn list_history(State(state): State<Shared>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let s = state.lock().unwrap_or_else(|p| p.into_inner());
    let user = match user_of(&s, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    if let Some(r) = rate_limited(&s, &user) {
        return r;
    }
    let q = QueryMap::parse(q.as_deref());
    let Some(start) = q.get("start_history_id").and_then(|v| v.parse::<u64>().ok()) else {
        return google_error(StatusCode::BAD_REQUEST, "Invalid startHistoryId", "INVALID_ARGUMENT");
    };
    let max = match q.get_u32("max_results") {
        Ok(v) => v.unwrap_or(100).clamp(1, 500) as usize,
        Err(_) => return google_error(StatusCode::BAD_REQUEST, "Invalid maxResults", "INVALID_ARGUMENT"),
    };
    let offset: usize = q.get("page_token").and_then(|t| t.parse().ok()).unwrap_or(0);
    let types = q.all("history_types");
    let label = q.get("label_id");
    let seeded;
    let mailbox = match s.mailboxes.get(&user) {
        Some(m) => m,
        None => {
            seeded = Mailbox::seeded(&user);
            &seeded
        }
    };
    if start < mailbox.history_floor {
        return google_error(StatusCode::NOT_FOUND, "Requested entity was not found.", "NOT_FOUND");
    }
    let wanted = types.is_empty() || types.iter().any(|t| t == "messageAdded");
    let records: Vec<Value> = mailbox
        .added
        .iter()
        .filter(|(id, _, _, labels)| wanted && *id > start && label.as_ref().is_none_or(|l| labels.contains(l)))
        .map(|(id, message, thread, labels)| {
            json!({
                "id": id.to_string(),
                "messages": [{"id": message, "threadId": thread}],
                "messagesAdded": [{"message": {"id": message, "threadId": thread, "labelIds": labels}}],
            })
        })
        .collect();
    let mut body = json!({"historyId": mailbox.history_id.to_string()});
    let page: Vec<Value> = records.iter().skip(offset).take(max).cloned().collect();
    if !page.is_empty() {
        body["history"] = json!(page);
    }
    if offset + max < records.len() {
        body["nextPageToken"] = json!((offset + max).to_string());
    }
    Json(body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(crate) fn search_understands_gmail_terms() {
        let mb = Mailbox::seeded("u");
        assert_eq!(mb.search("is:unread", &[], false).len(), 6);
        assert_eq!(mb.search("is:unread from:priya", &[], false).len(), 1);
        assert_eq!(mb.search("", &["UNREAD".into()], false).len(), 6);
        let newest_first = mb.search("", &[], false);
        assert!(newest_first.windows(2).all(|w| w[0].internal_date >= w[1].internal_date));
    }

    #[test]
    pub(crate) fn history_lists_what_was_filed_after_a_start() {
        let mut mb = Mailbox::seeded("u");
        let start = mb.history_id;
        let (id, _) = mb.file(None, vec!["INBOX".into()], "a@x.test", "u", "hi", "body".into());
        assert_eq!(mb.added.len(), 1);
        assert_eq!(mb.added[0].1, id);
        assert!(mb.added[0].0 > start);
        assert!(mb.search(&format!("after:{}", chrono::Utc::now().timestamp() - 60), &[], false).len() == 1);
        mb.expire_history();
        assert!(mb.added.is_empty() && mb.history_floor > start);
    }

    #[test]
    pub(crate) fn raw_messages_parse() {
        let raw = B64URL.encode("To: a@x.test\r\nSubject: Hi\r\n\r\nbody");
        let (h, b) = parse_raw(&raw).unwrap();
        assert_eq!(h["to"], "a@x.test");
        assert_eq!(b, "body");
    }
}
