//! The sandbox upstream (crate `agentkit-sandbox`, linked only into `agentkit dev` / `agentkit
//! sandbox`): a local, stateful stand-in for the Gmail and Google Calendar REST endpoints the
//! tools call, for offline agent development and CI. It is its own HTTP service; the gateway
//! reaches it only through a connection's `base_url`, exactly as it reaches Google.
//!
//! * `POST /sandbox/tokens` `{"user": "...", "expires_in": 3600}` mints an access token for a user
//!   (a stand-in for that user's consent); each user gets a seeded mailbox with unread mail.
//! * Gmail API subset: `GET /gmail/v1/users/me/messages` (`q` with `is:unread`, `is:read`,
//!   `from:`, `to:`, `subject:`, `label:` and free words; `maxResults`, `pageToken`, `labelIds`),
//!   `GET …/messages/{id}` (`format`, `metadataHeaders`), `POST …/messages/send`,
//!   `POST …/messages/{id}/modify`, `GET …/labels`, `GET …/profile` (the current `historyId`),
//!   `GET …/history` (`messageAdded` records after `startHistoryId`; `labelId`, `historyTypes`,
//!   `maxResults`, `pageToken`; 404 once `POST /sandbox/settings {"expire_gmail_history": "u"}`
//!   dropped them). Search also takes `after:<epoch seconds>`. Bad tokens get Google's 401 body.
//! * Google Calendar API subset (`calendar.rs`), per user and calendar id (`primary` is the user's;
//!   each new calendar is seeded with two events): `GET|POST /calendar/v3/calendars/{id}/events`
//!   (list with Google's incremental sync: `syncToken`, cancelled tombstones, `410
//!   fullSyncRequired`; `pageToken`, `maxResults`, `showDeleted`, `timeMin`, `timeMax`, `q`,
//!   `orderBy`; insert), `GET|PATCH|DELETE …/events/{eventId}`;
//!   `POST /sandbox/settings {"invalidate_sync_tokens": "u"}` makes every sync token issued so far
//!   for u's calendars answer 410; `POST /sandbox/calendar/event {"user", "calendar_id"?,
//!   "summary"?, "start"?, "end"?}`: someone else invites the user to an event.
//! * `x-sandbox-delay-ms` on any request delays the answer (a slow provider on demand).
//! * An OAuth 2.0 authorization server: `GET /oauth2/authorize` (PKCE S256 required, consent
//!   auto-approved for the `login_hint` user; users named `deny…` refuse), `POST /oauth2/token`
//!   (authorization_code, refresh_token with rotation), `POST /oauth2/revoke`; knobs
//!   `POST /sandbox/settings` (`token_extras` adds provider-shaped fields to token answers;
//!   `rate_limited_users` get 429s from the message list;
//!   `declined_scopes` are left unticked on the consent screen: granted without them) and
//!   counters `GET /sandbox/stats?user=`.
//! * `POST /sandbox/deliver {"user", "from"?, "subject"?}`: a message from someone else arrives
//!   in the user's inbox, unread (what the Gmail trigger watches for).
//! * `POST /sandbox/service_accounts {"user": "u"}` registers a service account acting as `u` and
//!   returns its key file; the token endpoint accepts its RS256 assertions (JWT bearer, RFC 7523).
//! * Google's resumable uploads at `/upload/{any API path}` (`uploads.rs`), with injected faults:
//!   `POST /sandbox/settings {"upload_fail_chunks": [i], "upload_break_chunks": [i]}`.
//! * `GET|POST /sandbox/echo` answers with the request's headers and query (what a connector sent).
//! * `GET /sandbox/redirect?to=URL` answers `302 Location: URL` (what an SDK does with a relayed
//!   redirect: it must not follow it with the app's token).
//! * Pushes (`pushes.rs`): GitHub repositories take webhooks (`POST /repos/{o}/{r}/hooks`) and
//!   post a signed `issues` event when an issue is opened (`POST /repos/{o}/{r}/issues`);
//!   `POST /sandbox/push` signs any body as GitHub, Slack, Linear or Stripe do and posts it.
//! * `GET /oauth/token/accessible-resources` answers like Atlassian's: the token's user has one
//!   site, `cloud-<user>` (what connectors with a connect-time account lookup read).

mod calendar;
mod gmail;
mod oauth;
mod pushes;
mod service_accounts;
mod uploads;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::net::TcpListener;

use agentkit_core::model::query::QueryMap;

use gmail::*;
use oauth::*;
use service_accounts::*;
pub use service_accounts::{pem_private_key, verify_assertion};

/// The OAuth app registered with the sandbox's authorization server (used by `agentkit dev`).
pub const SANDBOX_CLIENT_ID: &str = "agentkit-sandbox-app";
pub const SANDBOX_CLIENT_SECRET: &str = "sandbox-app-secret";
/// The key the sandbox's stand-in for an app's sign-in page signs its users with (the gateway's
/// `[mcp_oauth] login_secret` in `agentkit dev`).
pub const SANDBOX_APP_LOGIN_SECRET: &str = "sandbox-app-login-secret-0123456789abcdef";

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
    /// used refresh token → (user, when it was used): still accepted for
    /// `refresh_reuse_grace_secs`, as providers with a reuse interval do (Auth0, Okta, Atlassian).
    used_refresh_tokens: HashMap<String, (String, i64)>,
    /// 0 (the default): a used refresh token is `invalid_grant` at once.
    refresh_reuse_grace_secs: i64,
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
    /// Scopes the consenting user leaves unticked (Google's granular consent): the grant and the
    /// token answer's `scope` omit them. Set with `POST /sandbox/settings {"declined_scopes": [...]}`.
    declined_scopes: Vec<String>,
    /// Resumable upload sessions by upload id, and the faults to inject into their chunks.
    uploads: HashMap<String, uploads::Upload>,
    upload_faults: uploads::UploadFaults,
    /// Users whose message lists answer 429 (a provider's rate limit), set with
    /// `POST /sandbox/settings {"rate_limited_users": [...]}`.
    rate_limited_users: Vec<String>,
    /// GitHub repositories' webhooks and issue counters (`pushes.rs`).
    repositories: pushes::Repositories,
    /// Users' calendars, their events and change sequences (`calendar.rs`).
    calendars: calendar::Calendars,
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

/// Test knobs: `{"access_ttl": seconds}` for tokens issued from now on; `{"expire_user": "u"}`
/// expires every access token of a user at once; `{"token_endpoint_down": true}` makes the token
/// endpoint answer 503; `{"refresh_reuse_grace_secs": n}` lets a used refresh token work again
/// for n seconds (a provider's reuse interval; 0, strictly single use, by default);
/// `{"invalidate_sync_tokens": "u"}` (or a list of users) makes every Calendar sync token issued
/// so far for u's calendars answer 410 (a provider forcing a full resync);
/// `{"expire_gmail_history": "u"}` drops u's Gmail history: lists from an earlier history id
/// answer 404 (what Gmail does a week or so later).
async fn settings(State(state): State<Shared>, Json(req): Json<Value>) -> Response {
    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(down) = req.get("token_endpoint_down").and_then(Value::as_bool) {
        s.token_endpoint_down = down;
    }
    if let Some(ttl) = req.get("access_ttl").and_then(Value::as_i64) {
        s.access_ttl = ttl;
    }
    if let Some(grace) = req.get("refresh_reuse_grace_secs").and_then(Value::as_i64) {
        s.refresh_reuse_grace_secs = grace;
    }
    let indexes = |name: &str| {
        req.get(name).and_then(Value::as_array).map(|list| list.iter().filter_map(Value::as_u64).collect::<Vec<_>>())
    };
    let (fail, broken) = (indexes("upload_fail_chunks"), indexes("upload_break_chunks"));
    if fail.is_some() || broken.is_some() {
        s.upload_faults = uploads::UploadFaults {
            chunks_seen: 0,
            fail: fail.unwrap_or_default(),
            break_after_half: broken.unwrap_or_default(),
            never_finish: req.get("upload_never_finish").and_then(Value::as_bool).unwrap_or(false),
        };
    }
    if let Some(users) = req.get("rate_limited_users").and_then(Value::as_array) {
        s.rate_limited_users = users.iter().filter_map(Value::as_str).map(String::from).collect();
    }
    if let Some(declined) = req.get("declined_scopes").and_then(Value::as_array) {
        s.declined_scopes = declined.iter().filter_map(Value::as_str).map(String::from).collect();
    }
    if let Some(extras) = req.get("token_extras").and_then(Value::as_object) {
        s.token_extras = extras.clone();
    }
    let invalidated = match req.get("invalidate_sync_tokens") {
        Some(Value::String(user)) => vec![user.as_str()],
        Some(Value::Array(users)) => users.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    for user in invalidated {
        s.calendars.invalidate_sync_tokens(user);
    }
    if let Some(user) = req.get("expire_gmail_history").and_then(Value::as_str) {
        let mailbox = s.mailboxes.entry(user.to_string()).or_insert_with(|| Mailbox::seeded(user));
        mailbox.expire_history();
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

/// A stand-in for an app's sign-in page (the MCP authorization server's `login_url`): with
/// `identifier`, "signs that user in" and sends the browser back to `return_to` with the
/// gateway's `request`, the identifier and their HMAC; without, asks for the identifier.
async fn app_login(axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>) -> Response {
    use hmac::Mac;
    let (Some(request), Some(return_to)) = (q.get("request"), q.get("return_to")) else {
        return (StatusCode::BAD_REQUEST, "request and return_to are required").into_response();
    };
    let Some(identifier) = q.get("identifier").filter(|i| !i.is_empty()) else {
        return axum::response::Html(
            "<!doctype html><meta charset=utf-8><title>Sign in</title><form method=get>\
             <label>Who are you? <input name=identifier></label><button>Sign in</button></form>",
        )
        .into_response();
    };
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(SANDBOX_APP_LOGIN_SECRET.as_bytes()) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    mac.update(format!("{request}.{identifier}").as_bytes());
    let signature: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    let Ok(mut back) = url::Url::parse(return_to) else {
        return (StatusCode::BAD_REQUEST, "return_to is not a URL").into_response();
    };
    back.query_pairs_mut()
        .append_pair("request", request)
        .append_pair("identifier", identifier)
        .append_pair("signature", &signature);
    (StatusCode::FOUND, [(axum::http::header::LOCATION, back.to_string())]).into_response()
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

/// A redirect to `to` (302): a provider pointing the caller elsewhere.
async fn redirect(RawQuery(q): RawQuery) -> Response {
    let to = QueryMap::parse(q.as_deref()).get("to").unwrap_or_default();
    match axum::http::HeaderValue::from_str(&to) {
        Ok(location) if !to.is_empty() => {
            (StatusCode::FOUND, [(axum::http::header::LOCATION, location)]).into_response()
        }
        _ => (StatusCode::BAD_REQUEST, "to: a URL").into_response(),
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
        .route("/sandbox/redirect", get(redirect))
        .route("/sandbox/app/login", get(app_login))
        .route("/sandbox/service_accounts", post(create_service_account))
        .route("/sandbox/push", post(pushes::push))
        .route("/sandbox/deliver", post(deliver))
        .route("/repos/{owner}/{repo}/hooks", post(pushes::create_hook))
        .route("/repos/{owner}/{repo}/issues", post(pushes::create_issue))
        .route("/oauth2/authorize", get(authorize))
        .route("/oauth2/token", post(token_endpoint))
        .route("/oauth2/revoke", post(revoke))
        .route("/oauth/token/accessible-resources", get(accessible_resources))
        .route("/gmail/v1/users/me/messages", get(list_messages))
        .route("/gmail/v1/users/me/messages/send", post(send_message))
        .route("/gmail/v1/users/me/messages/{id}", get(get_message))
        .route("/gmail/v1/users/me/messages/{id}/modify", post(modify_message))
        .route("/gmail/v1/users/me/labels", get(list_labels))
        .route("/gmail/v1/users/me/profile", get(get_profile))
        .route("/gmail/v1/users/me/history", get(list_history))
        .route("/calendar/v3/calendars/{calendar_id}/events", get(calendar::list_events).post(calendar::insert_event))
        .route(
            "/calendar/v3/calendars/{calendar_id}/events/{event_id}",
            get(calendar::get_event).patch(calendar::patch_event).delete(calendar::delete_event),
        )
        .route("/sandbox/calendar/event", post(calendar::invite))
        .route(
            "/upload/{*path}",
            axum::routing::any(uploads::upload).layer(axum::extract::DefaultBodyLimit::max(32 * 1024 * 1024)),
        )
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
