//! The sandbox upstream: a local, stateful stand-in for the Gmail REST endpoints the Gmail tools
//! call, for offline agent development and CI. It is its own HTTP service; the gateway reaches it
//! only through a connection's `base_url`, exactly as it reaches Google.
//!
//! * `POST /sandbox/tokens` `{"user": "...", "expires_in": 3600}` mints an access token for a user
//!   (a stand-in for that user's consent); each user gets a seeded mailbox with unread mail.
//! * Gmail API subset: `GET /gmail/v1/users/me/messages` (`q` with `is:unread`, `is:read`,
//!   `from:`, `to:`, `subject:`, `label:` and free words; `maxResults`, `pageToken`, `labelIds`),
//!   `GET …/messages/{id}` (`format`, `metadataHeaders`), `POST …/messages/send`,
//!   `POST …/messages/{id}/modify`, `GET …/labels`. Bad tokens get Google's 401 body.
//! * `x-sandbox-delay-ms` on any request delays the answer (a slow provider on demand).
//! * An OAuth 2.0 authorization server: `GET /oauth2/authorize` (PKCE S256 required, consent
//!   auto-approved for the `login_hint` user; users named `deny…` refuse), `POST /oauth2/token`
//!   (authorization_code, refresh_token with rotation), `POST /oauth2/revoke`; knobs
//!   `POST /sandbox/settings` (`token_extras` adds provider-shaped fields to token answers) and
//!   counters `GET /sandbox/stats?user=`.
//! * `POST /sandbox/service_accounts {"user": "u"}` registers a service account acting as `u` and
//!   returns its key file; the token endpoint accepts its RS256 assertions (JWT bearer, RFC 7523).
//! * `GET|POST /sandbox/echo` answers with the request's headers and query (what a connector sent).
//! * `GET /oauth/token/accessible-resources` answers like Atlassian's: the token's user has one
//!   site, `cloud-<user>` (what connectors with a connect-time account lookup read).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::{URL_SAFE as B64URL_PAD, URL_SAFE_NO_PAD as B64URL};
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::net::TcpListener;

use agentkit_core::model::query::QueryMap;

#[derive(Clone)]
struct Message {
    id: String,
    thread_id: String,
    labels: Vec<String>,
    from: String,
    to: String,
    subject: String,
    date: String,
    internal_date: i64,
    body: String,
}

impl Message {
    fn snippet(&self) -> String {
        self.body.chars().take(100).collect()
    }

    fn headers(&self) -> Vec<(&'static str, &str)> {
        vec![("From", &self.from), ("To", &self.to), ("Subject", &self.subject), ("Date", &self.date)]
    }

    /// The Gmail `Message` resource in the requested format.
    fn resource(&self, format: &str, metadata_headers: &[String]) -> Value {
        let mut v = json!({
            "id": self.id,
            "threadId": self.thread_id,
            "labelIds": self.labels,
            "snippet": self.snippet(),
            "internalDate": self.internal_date.to_string(),
            "sizeEstimate": self.body.len() + 200,
            "historyId": "1000",
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

struct Mailbox {
    messages: Vec<Message>,
    next_id: u64,
}

const SEED: &[(&str, &str, &str, bool)] = &[
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
    fn seeded(user: &str) -> Mailbox {
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
                }
            })
            .collect();
        Mailbox { messages, next_id: 1 }
    }

    /// Messages matching a Gmail search query, newest first.
    fn search(&self, q: &str, label_ids: &[String], include_spam_trash: bool) -> Vec<&Message> {
        let mut found: Vec<&Message> = self
            .messages
            .iter()
            .filter(|m| include_spam_trash || !m.labels.iter().any(|l| l == "SPAM" || l == "TRASH"))
            .filter(|m| label_ids.iter().all(|l| m.labels.contains(l)))
            .filter(|m| q.split_whitespace().all(|term| matches_term(m, term)))
            .collect();
        found.sort_by_key(|m| std::cmp::Reverse(m.internal_date));
        found
    }
}

fn matches_term(m: &Message, term: &str) -> bool {
    let lower = term.to_lowercase();
    let has = |hay: &str, needle: &str| hay.to_lowercase().contains(needle);
    match lower.split_once(':') {
        Some(("is", "unread")) => m.labels.iter().any(|l| l == "UNREAD"),
        Some(("is", "read")) => !m.labels.iter().any(|l| l == "UNREAD"),
        Some(("from", v)) => has(&m.from, v),
        Some(("to", v)) => has(&m.to, v),
        Some(("subject", v)) => has(&m.subject, v),
        Some(("label", v)) => m.labels.iter().any(|l| l.eq_ignore_ascii_case(v)),
        _ => has(&m.subject, &lower) || has(&m.body, &lower) || has(&m.from, &lower),
    }
}

/// The OAuth app registered with the sandbox's authorization server (used by `agentkit dev`).
pub const SANDBOX_CLIENT_ID: &str = "agentkit-sandbox-app";
pub const SANDBOX_CLIENT_SECRET: &str = "sandbox-app-secret";

/// An authorization code waiting to be exchanged.
struct PendingCode {
    user: String,
    redirect_uri: String,
    challenge: String,
    scope: String,
    expires: i64,
}

#[derive(Default)]
struct SandboxState {
    /// access token → (user, expiry unix seconds)
    tokens: HashMap<String, (String, i64)>,
    /// live refresh token → user (a used refresh token is removed: rotation)
    refresh_tokens: HashMap<String, String>,
    codes: HashMap<String, PendingCode>,
    /// Lifetime of access tokens issued by the token endpoint.
    access_ttl: i64,
    /// When set, the token endpoint answers 503 (a provider outage).
    token_endpoint_down: bool,
    token_requests: u64,
    stats: HashMap<String, UserStats>,
    /// Registered service accounts: client_email → (PKCS#1 public key, the user it acts as).
    service_accounts: HashMap<String, (Vec<u8>, String)>,
    mailboxes: HashMap<String, Mailbox>,
    /// Extra fields of token answers (a provider's quirks: Salesforce's `instance_url`, Slack's
    /// `authed_user`), set with `POST /sandbox/settings {"token_extras": {...}}`.
    token_extras: serde_json::Map<String, Value>,
}

/// Counters per user, read by tests through `GET /sandbox/stats`.
#[derive(Default, Clone, serde::Serialize)]
struct UserStats {
    authorizations: u64,
    code_exchanges: u64,
    refreshes: u64,
    revocations: u64,
    jwt_grants: u64,
}

impl SandboxState {
    fn issue_access(&mut self, user: &str, ttl: i64) -> String {
        let token = format!("ya29.sandbox-{}", uuid::Uuid::new_v4().simple());
        self.tokens.insert(token.clone(), (user.to_string(), chrono::Utc::now().timestamp() + ttl));
        self.mailboxes.entry(user.to_string()).or_insert_with(|| Mailbox::seeded(user));
        token
    }

    fn stats(&mut self, user: &str) -> &mut UserStats {
        self.stats.entry(user.to_string()).or_default()
    }
}

type Shared = Arc<Mutex<SandboxState>>;

fn google_error(status: StatusCode, message: &str, reason: &str) -> Response {
    (status, Json(json!({"error": {"code": status.as_u16(), "message": message, "status": reason}}))).into_response()
}

/// The user a bearer token belongs to, or Google's 401.
#[allow(clippy::result_large_err)] // the Err is the HTTP answer itself, built once per failed call
fn user_of(state: &SandboxState, headers: &HeaderMap) -> Result<String, Response> {
    let unauthorized = || {
        google_error(
            StatusCode::UNAUTHORIZED,
            "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
            "UNAUTHENTICATED",
        )
    };
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(unauthorized)?;
    match state.tokens.get(token) {
        Some((user, exp)) if *exp > chrono::Utc::now().timestamp() => Ok(user.clone()),
        _ => Err(unauthorized()),
    }
}

#[derive(Deserialize)]
struct MintRequest {
    user: String,
    #[serde(default = "default_expiry")]
    expires_in: i64,
}

fn default_expiry() -> i64 {
    3600
}

async fn mint_token(State(state): State<Shared>, Json(req): Json<MintRequest>) -> Response {
    if req.user.trim().is_empty() {
        return google_error(StatusCode::BAD_REQUEST, "user is required", "INVALID_ARGUMENT");
    }
    let token = format!("ya29.sandbox-{}", uuid::Uuid::new_v4().simple());
    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
    s.tokens.insert(token.clone(), (req.user.clone(), chrono::Utc::now().timestamp() + req.expires_in));
    s.mailboxes.entry(req.user.clone()).or_insert_with(|| Mailbox::seeded(&req.user));
    Json(json!({"access_token": token, "token_type": "Bearer", "expires_in": req.expires_in})).into_response()
}

async fn list_messages(State(state): State<Shared>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let s = state.lock().unwrap_or_else(|p| p.into_inner());
    let user = match user_of(&s, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
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

async fn get_message(
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
fn parse_raw(raw: &str) -> Option<(HashMap<String, String>, String)> {
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

async fn send_message(State(state): State<Shared>, headers: HeaderMap, Json(req): Json<Value>) -> Response {
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
    let mailbox = s.mailboxes.entry(user.clone()).or_insert_with(|| Mailbox::seeded(&user));
    mailbox.next_id += 1;
    let id = format!("18d{:013x}", mailbox.next_id);
    let thread_id = req.get("threadId").and_then(Value::as_str).map(String::from).unwrap_or_else(|| id.clone());
    let now = chrono::Utc::now();
    mailbox.messages.push(Message {
        id: id.clone(),
        thread_id: thread_id.clone(),
        labels: vec!["SENT".into()],
        from: user.clone(),
        to: mime.get("to").cloned().unwrap_or_default(),
        subject: mime.get("subject").cloned().unwrap_or_default(),
        date: now.to_rfc2822(),
        internal_date: now.timestamp_millis(),
        body,
    });
    Json(json!({"id": id, "threadId": thread_id, "labelIds": ["SENT"]})).into_response()
}

async fn modify_message(
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
    let Some(m) = s.mailboxes.get_mut(&user).and_then(|mb| mb.messages.iter_mut().find(|m| m.id == id)) else {
        return google_error(StatusCode::NOT_FOUND, "Requested entity was not found.", "NOT_FOUND");
    };
    m.labels.retain(|l| !remove.contains(l));
    for l in add {
        if !m.labels.contains(&l) {
            m.labels.push(l);
        }
    }
    Json(json!({"id": m.id, "threadId": m.thread_id, "labelIds": m.labels})).into_response()
}

async fn list_labels(State(state): State<Shared>, headers: HeaderMap) -> Response {
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

/// `x-sandbox-delay-ms: N` makes the sandbox answer N ms late (at most 10 s): a slow provider on
/// demand, for testing timeouts and that callers do not block while they wait.
async fn simulated_latency(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let delay =
        req.headers().get("x-sandbox-delay-ms").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if let Some(ms) = delay {
        tokio::time::sleep(std::time::Duration::from_millis(ms.min(10_000))).await;
    }
    next.run(req).await
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (status, Json(json!({"error": error, "error_description": description}))).into_response()
}

fn redirect(to: &str) -> Response {
    (StatusCode::FOUND, [(axum::http::header::LOCATION, to.to_string())]).into_response()
}

/// The consent step, auto-approved: the user is `login_hint` (a user whose name starts with
/// `deny` refuses). PKCE S256 is required.
async fn authorize(State(state): State<Shared>, RawQuery(q): RawQuery) -> Response {
    let q: HashMap<String, String> =
        url::form_urlencoded::parse(q.unwrap_or_default().as_bytes()).into_owned().collect();
    let get = |k: &str| q.get(k).cloned().unwrap_or_default();
    let redirect_uri = get("redirect_uri");
    if get("client_id") != SANDBOX_CLIENT_ID || url::Url::parse(&redirect_uri).is_err() {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "unknown client_id or bad redirect_uri");
    }
    let back = |params: &[(&str, &str)]| {
        let mut url = url::Url::parse(&redirect_uri).expect("checked above");
        url.query_pairs_mut().extend_pairs(params).append_pair("state", &get("state"));
        redirect(url.as_str())
    };
    if get("response_type") != "code" {
        return back(&[("error", "unsupported_response_type")]);
    }
    if get("code_challenge").is_empty() || get("code_challenge_method") != "S256" {
        return back(&[("error", "invalid_request"), ("error_description", "PKCE with S256 is required")]);
    }
    let user = match get("login_hint") {
        hint if hint.is_empty() => "sandbox-user".to_string(),
        hint => hint,
    };
    if user.starts_with("deny") {
        return back(&[("error", "access_denied"), ("error_description", "the user declined")]);
    }
    let code = format!("sbx-code-{}", uuid::Uuid::new_v4().simple());
    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
    s.stats(&user).authorizations += 1;
    s.codes.insert(
        code.clone(),
        PendingCode {
            user,
            redirect_uri: redirect_uri.clone(),
            challenge: get("code_challenge"),
            scope: get("scope"),
            expires: chrono::Utc::now().timestamp() + 120,
        },
    );
    drop(s);
    back(&[("code", &code)])
}

/// Client authentication by `client_secret_basic` or `client_secret_post`.
fn client_authenticated(headers: &HeaderMap, form: &HashMap<String, String>) -> bool {
    let basic = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok());
    let (id, secret) = match basic.as_deref().and_then(|c| c.split_once(':')) {
        Some((id, secret)) => (id.to_string(), secret.to_string()),
        None => {
            (form.get("client_id").cloned().unwrap_or_default(), form.get("client_secret").cloned().unwrap_or_default())
        }
    };
    id == SANDBOX_CLIENT_ID && secret == SANDBOX_CLIENT_SECRET
}

async fn token_endpoint(State(state): State<Shared>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    {
        let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
        s.token_requests += 1;
        if s.token_endpoint_down {
            return oauth_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                "the token endpoint is down",
            );
        }
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let jwt_grant = form.get("grant_type").map(String::as_str) == Some(crate::service_account::JWT_BEARER);
    if !jwt_grant && !client_authenticated(&headers, &form) {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "client authentication failed");
    }
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
    let (user, scope) = match get("grant_type").as_str() {
        "authorization_code" => {
            let Some(pending) = s.codes.remove(&get("code")) else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "unknown or already used code");
            };
            let challenge = B64URL.encode(<sha2::Sha256 as sha2::Digest>::digest(get("code_verifier").as_bytes()));
            if pending.expires < chrono::Utc::now().timestamp()
                || pending.redirect_uri != get("redirect_uri")
                || challenge != pending.challenge
            {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "code expired, redirect_uri mismatch or PKCE verification failed",
                );
            }
            s.stats(&pending.user).code_exchanges += 1;
            (pending.user, pending.scope)
        }
        crate::service_account::JWT_BEARER => {
            // RFC 7523: a signed assertion from a registered service account.
            let assertion = get("assertion");
            let issuer = assertion
                .split('.')
                .nth(1)
                .and_then(|c| B64URL.decode(c).ok())
                .and_then(|c| serde_json::from_slice::<Value>(&c).ok())
                .and_then(|c| c.get("iss").and_then(Value::as_str).map(String::from))
                .unwrap_or_default();
            let Some((public_key, owner)) = s.service_accounts.get(&issuer).cloned() else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "unknown service account");
            };
            let Some(claims) = crate::service_account::verify_assertion(&assertion, &public_key) else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "assertion signature is invalid");
            };
            let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or_default();
            let fresh = claims.get("exp").and_then(Value::as_i64).is_some_and(|e| e > chrono::Utc::now().timestamp());
            if !fresh
                || claims.get("aud").and_then(Value::as_str) != Some(format!("http://{host}/oauth2/token").as_str())
            {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "assertion expired or meant for another audience",
                );
            }
            let subject = claims.get("sub").and_then(Value::as_str).unwrap_or_default();
            let user = if subject == issuer || subject.is_empty() { owner } else { subject.to_string() };
            s.stats(&user).jwt_grants += 1;
            let ttl = if s.access_ttl > 0 { s.access_ttl } else { 3600 };
            let access = s.issue_access(&user, ttl);
            return Json(json!({"access_token": access, "token_type": "Bearer", "expires_in": ttl})).into_response();
        }
        "refresh_token" => {
            // Rotation: a refresh token works once.
            let Some(user) = s.refresh_tokens.remove(&get("refresh_token")) else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "refresh token is invalid, used or revoked",
                );
            };
            s.stats(&user).refreshes += 1;
            (user, String::new())
        }
        _ => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "grant_type must be authorization_code or refresh_token",
            )
        }
    };
    let ttl = if s.access_ttl > 0 { s.access_ttl } else { 3600 };
    let access = s.issue_access(&user, ttl);
    let refresh = format!("1//sandbox-refresh-{}", uuid::Uuid::new_v4().simple());
    s.refresh_tokens.insert(refresh.clone(), user);
    let mut answer =
        json!({"access_token": access, "token_type": "Bearer", "expires_in": ttl, "refresh_token": refresh});
    if !scope.is_empty() {
        answer["scope"] = json!(scope);
    }
    if let Some(obj) = answer.as_object_mut() {
        obj.extend(s.token_extras.clone());
    }
    Json(answer).into_response()
}

async fn revoke(State(state): State<Shared>, body: axum::body::Bytes) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let token = form.get("token").cloned().unwrap_or_default();
    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
    let user = s.refresh_tokens.remove(&token).or_else(|| s.tokens.remove(&token).map(|(u, _)| u));
    if let Some(user) = user {
        s.stats(&user).revocations += 1;
    }
    StatusCode::OK.into_response()
}

/// Test knobs: `{"access_ttl": seconds}` for tokens issued from now on; `{"expire_user": "u"}`
/// expires every access token of a user at once; `{"token_endpoint_down": true}` makes the token
/// endpoint answer 503.
async fn settings(State(state): State<Shared>, Json(req): Json<Value>) -> Response {
    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(down) = req.get("token_endpoint_down").and_then(Value::as_bool) {
        s.token_endpoint_down = down;
    }
    if let Some(ttl) = req.get("access_ttl").and_then(Value::as_i64) {
        s.access_ttl = ttl;
    }
    if let Some(extras) = req.get("token_extras").and_then(Value::as_object) {
        s.token_extras = extras.clone();
    }
    if let Some(user) = req.get("expire_user").and_then(Value::as_str) {
        for (owner, exp) in s.tokens.values_mut() {
            if owner == user {
                *exp = 0;
            }
        }
    }
    StatusCode::NO_CONTENT.into_response()
}

/// Registers a service account acting as `user`; answers with its key file (Google's JSON format).
async fn create_service_account(State(state): State<Shared>, headers: HeaderMap, Json(req): Json<Value>) -> Response {
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::signature::KeyPair;
    let user = req.get("user").and_then(Value::as_str).unwrap_or("sandbox-user").to_string();
    let Ok(pair) = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let Ok(der) = pair.as_der() else { return StatusCode::INTERNAL_SERVER_ERROR.into_response() };
    let email = format!("sa-{}@sandbox.iam.test", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
    let key = json!({
        "type": "service_account",
        "client_email": email,
        "private_key_id": "sbx-key-1",
        "private_key": crate::service_account::pem_private_key(der.as_ref()),
        "token_uri": format!("http://{host}/oauth2/token"),
    });
    state
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .service_accounts
        .insert(email, (pair.public_key().as_ref().to_vec(), user.clone()));
    state
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .mailboxes
        .entry(user.clone())
        .or_insert_with(|| Mailbox::seeded(&user));
    Json(key).into_response()
}

/// Atlassian's site list for a token: one site per sandbox user.
async fn accessible_resources(State(state): State<Shared>, headers: HeaderMap) -> Response {
    let s = state.lock().unwrap_or_else(|p| p.into_inner());
    match user_of(&s, &headers) {
        Ok(user) => Json(json!([{"id": format!("cloud-{user}"), "url": format!("https://{user}.atlassian.test"),
                                 "name": user, "scopes": ["read:jira-work", "write:jira-work"]}]))
        .into_response(),
        Err(r) => r,
    }
}

/// Echoes the request's headers and query: lets tests see exactly what a connector sent.
async fn echo(headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let headers: serde_json::Map<String, Value> =
        headers.iter().map(|(k, v)| (k.as_str().to_string(), json!(String::from_utf8_lossy(v.as_bytes())))).collect();
    Json(json!({"headers": headers, "query": q.unwrap_or_default()})).into_response()
}

async fn stats(State(state): State<Shared>, RawQuery(q): RawQuery) -> Response {
    let user = QueryMap::parse(q.as_deref()).get("user").unwrap_or_default();
    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
    let token_requests = s.token_requests;
    let mut stats = serde_json::to_value(s.stats(&user).clone()).unwrap_or_default();
    stats["token_requests"] = json!(token_requests);
    Json(stats).into_response()
}

pub fn router() -> Router {
    Router::new()
        .route("/sandbox/tokens", post(mint_token))
        .route("/sandbox/settings", post(settings))
        .route("/sandbox/stats", get(stats))
        .route("/sandbox/echo", get(echo).post(echo))
        .route("/sandbox/service_accounts", post(create_service_account))
        .route("/oauth2/authorize", get(authorize))
        .route("/oauth2/token", post(token_endpoint))
        .route("/oauth2/revoke", post(revoke))
        .route("/oauth/token/accessible-resources", get(accessible_resources))
        .route("/gmail/v1/users/me/messages", get(list_messages))
        .route("/gmail/v1/users/me/messages/send", post(send_message))
        .route("/gmail/v1/users/me/messages/{id}", get(get_message))
        .route("/gmail/v1/users/me/messages/{id}/modify", post(modify_message))
        .route("/gmail/v1/users/me/labels", get(list_labels))
        .with_state(Arc::new(Mutex::new(SandboxState::default())))
        .layer(axum::middleware::from_fn(simulated_latency))
}

/// Serves the sandbox on `addr`; returns the bound address.
pub async fn start(addr: SocketAddr) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router()).await {
            tracing::error!(error = %e, "sandbox stopped");
        }
    });
    Ok((bound, task))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_understands_gmail_terms() {
        let mb = Mailbox::seeded("u");
        assert_eq!(mb.search("is:unread", &[], false).len(), 6);
        assert_eq!(mb.search("is:unread from:priya", &[], false).len(), 1);
        assert_eq!(mb.search("", &["UNREAD".into()], false).len(), 6);
        let newest_first = mb.search("", &[], false);
        assert!(newest_first.windows(2).all(|w| w[0].internal_date >= w[1].internal_date));
    }

    #[test]
    fn raw_messages_parse() {
        let raw = B64URL.encode("To: a@x.test\r\nSubject: Hi\r\n\r\nbody");
        let (h, b) = parse_raw(&raw).unwrap();
        assert_eq!(h["to"], "a@x.test");
        assert_eq!(b, "body");
    }
}
