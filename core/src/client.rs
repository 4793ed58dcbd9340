//! The authenticated HTTP client for the AgentKit REST API.
//!
//! * Client-credentials token from `POST /oauth/token`, cached, fetched again once on a 401.
//! * One pooled `reqwest` client per process (see [`crate::runtime::http_client`]).
//! * Timeouts: 20 s for the control plane, 60 s for tool calls.
//! * Idempotent calls retry on 429/502/503/504 and transport errors with jittered exponential
//!   backoff, honouring `Retry-After`. `execute_tool` is retried only when the request provably
//!   never reached the server (connection refused), never blindly.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::Mutex;

use crate::error::{Error, ErrorKind, Result};
use crate::model::query::QueryPairs;
use crate::model::{OAuthErrorBody, TokenResponse};

/// Per-client settings; the defaults match the official SDKs.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Deadline for control-plane calls (connected accounts, links, listing).
    pub timeout: Duration,
    /// Deadline for tool calls and the proxy.
    pub tool_timeout: Duration,
    /// Extra attempts for idempotent calls on retryable failures.
    pub max_retries: u32,
    /// Base delay of the exponential backoff.
    pub backoff_base: Duration,
    /// Upper bound of one backoff sleep.
    pub backoff_max: Duration,
    /// Sent as `x-sdk-version` / `user-agent`.
    pub sdk_version: String,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout: Duration::from_secs(20),
            tool_timeout: Duration::from_secs(60),
            max_retries: 2,
            backoff_base: Duration::from_millis(250),
            backoff_max: Duration::from_secs(30),
            sdk_version: format!("AgentKit-Rust/{}", env!("CARGO_PKG_VERSION")),
        }
    }
}

/// Whether a call may be sent again after it may have reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Reads and idempotent writes: retry on retryable statuses and transport errors.
    Idempotent,
    /// Side-effecting calls (tool execution): retry only when the connection was never made.
    ConnectOnly,
}

/// Which deadline applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deadline {
    /// [`ClientOptions::timeout`]: connected accounts, links, listings and other management calls.
    ControlPlane,
    /// [`ClientOptions::tool_timeout`]: tool execution, tool listings and search.
    Tool,
}

/// A raw HTTP answer (used by the proxy and by callers that want the body untouched).
#[derive(Debug, Clone)]
pub struct RawResponse {
    /// The HTTP status, as received: a 4xx or 5xx is not turned into an error here.
    pub status: u16,
    /// The answer's headers (names lowercase, repeats kept); `x-request-id` is added when the
    /// server did not echo the one sent.
    pub headers: Vec<(String, String)>,
    /// The body, unparsed.
    pub body: Vec<u8>,
}

/// A fully described outgoing call.
#[derive(Debug, Clone)]
pub struct Call {
    /// The HTTP method.
    pub method: Method,
    /// Path appended to the client's `env_url`, e.g. `/api/v1/tools`.
    pub path: String,
    /// Query string pairs, in order; a name may repeat.
    pub query: QueryPairs,
    /// Headers sent besides the client's own (bearer token, `x-sdk-version`, request id).
    pub headers: Vec<(String, String)>,
    /// The body and how it is encoded, if any.
    pub body: Option<CallBody>,
    /// Whether the call may be sent again after it may have reached the server.
    pub retry: Retry,
    /// Deadline of each attempt; a retry gets a new one.
    pub timeout: Duration,
    /// For relayed answers (the proxy), a 401 may be the provider's: re-authenticate only when the
    /// gateway marked the 401 as its own with [`GATEWAY_AUTH_ERROR_HEADER`].
    pub relayed: bool,
}

/// Header the gateway puts on 401s about its own bearer token (never relayed from a provider).
pub const GATEWAY_AUTH_ERROR_HEADER: &str = "x-agentkit-auth-error";

/// A call's body and its encoding.
#[derive(Debug, Clone)]
pub enum CallBody {
    /// Sent as JSON.
    Json(serde_json::Value),
    /// Fields sent urlencoded (`application/x-www-form-urlencoded`).
    Form(Vec<(String, String)>),
    /// Bytes sent as-is; the caller sets `Content-Type` in the call's headers.
    Raw(Vec<u8>),
}

struct ClientInner {
    env_url: String,
    client_id: String,
    client_secret: String,
    options: ClientOptions,
    token: Mutex<Option<Arc<str>>>,
}

/// Authenticated client for one AgentKit environment. Cheap to clone.
#[derive(Clone)]
pub struct ScalekitClient {
    inner: Arc<ClientInner>,
}

impl std::fmt::Debug for ScalekitClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret is deliberately not printed.
        f.debug_struct("ScalekitClient")
            .field("env_url", &self.inner.env_url)
            .field("client_id", &self.inner.client_id)
            .finish()
    }
}

impl ScalekitClient {
    /// Validates the settings; no network I/O happens here.
    pub fn new(env_url: &str, client_id: &str, client_secret: &str, options: ClientOptions) -> Result<Self> {
        let env_url = env_url.trim().trim_end_matches('/').to_string();
        if env_url.is_empty() {
            return Err(Error::invalid_field("env_url", "env_url is required"));
        }
        let parsed = url::Url::parse(&env_url)
            .map_err(|e| Error::invalid_field("env_url", format!("env_url is not a valid URL ({e}): {env_url:?}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(Error::invalid_field("env_url", format!("env_url must be http(s), got {:?}", parsed.scheme())));
        }
        if client_id.trim().is_empty() {
            return Err(Error::invalid_field("client_id", "client_id is required"));
        }
        if client_secret.is_empty() {
            return Err(Error::invalid_field("client_secret", "client_secret is required"));
        }
        if options.timeout.is_zero() || options.tool_timeout.is_zero() {
            return Err(Error::invalid_field("timeout", "timeouts must be greater than zero"));
        }
        Ok(ScalekitClient {
            inner: Arc::new(ClientInner {
                env_url,
                client_id: client_id.trim().to_string(),
                client_secret: client_secret.to_string(),
                options,
                token: Mutex::new(None),
            }),
        })
    }

    /// The environment's base URL, without a trailing `/`; call paths are appended to it.
    pub fn env_url(&self) -> &str {
        &self.inner.env_url
    }

    /// The settings this client was built with.
    pub fn options(&self) -> &ClientOptions {
        &self.inner.options
    }

    /// The deadline a call of kind `deadline` gets from the options.
    pub fn timeout_for(&self, deadline: Deadline) -> Duration {
        match deadline {
            Deadline::ControlPlane => self.inner.options.timeout,
            Deadline::Tool => self.inner.options.tool_timeout,
        }
    }

    /// Fetches a fresh access token and caches it.
    pub async fn authenticate(&self) -> Result<()> {
        let mut guard = self.inner.token.lock().await;
        *guard = Some(self.fetch_token().await?);
        Ok(())
    }

    async fn fetch_token(&self) -> Result<Arc<str>> {
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.inner.client_id.as_str()),
            ("client_secret", self.inner.client_secret.as_str()),
        ];
        let resp = crate::runtime::http_client()
            .post(format!("{}/oauth/token", self.inner.env_url))
            .header("x-sdk-version", &self.inner.options.sdk_version)
            .form(&form)
            .timeout(self.inner.options.timeout)
            .send()
            .await
            .map_err(gateway_error)?;
        let status = resp.status().as_u16();
        let body = resp.bytes().await.map_err(gateway_error)?;
        if status >= 400 {
            // The token endpoint answers OAuth-style; translate it into our error type.
            let message = serde_json::from_slice::<OAuthErrorBody>(&body)
                .map(|b| format!("{}: {}", b.error, b.error_description))
                .unwrap_or_else(|_| String::from_utf8_lossy(&body).chars().take(300).collect());
            let kind = ErrorKind::from_http_status(status);
            return Err(Error::new(kind, format!("authentication failed: {message}")).with_status(status));
        }
        let token: TokenResponse = serde_json::from_slice(&body)?;
        Ok(Arc::from(token.access_token.as_str()))
    }

    /// The cached token, fetched on first use. `stale` forces a new one unless another task already
    /// replaced it (so N concurrent 401s cause one token request).
    async fn token(&self, stale: Option<&Arc<str>>) -> Result<Arc<str>> {
        let mut guard = self.inner.token.lock().await;
        match (&*guard, stale) {
            (Some(current), Some(stale)) if !Arc::ptr_eq(current, stale) => return Ok(current.clone()),
            (Some(current), None) => return Ok(current.clone()),
            _ => {}
        }
        let fresh = self.fetch_token().await?;
        *guard = Some(fresh.clone());
        Ok(fresh)
    }

    /// Sends a JSON call and decodes a JSON answer.
    pub async fn call_json<B: Serialize, R: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: QueryPairs,
        body: Option<&B>,
        retry: Retry,
        deadline: Deadline,
    ) -> Result<R> {
        let body = match body {
            Some(b) => Some(CallBody::Json(serde_json::to_value(b)?)),
            None => None,
        };
        let call = Call {
            method,
            path: path.to_string(),
            query,
            headers: Vec::new(),
            body,
            retry,
            timeout: self.timeout_for(deadline),
            relayed: false,
        };
        let raw = self.send(&call).await?;
        if raw.status >= 400 {
            return Err(error_from_raw(&raw));
        }
        if raw.body.is_empty() {
            return Ok(serde_json::from_str("{}")?);
        }
        Ok(serde_json::from_slice(&raw.body)?)
    }

    /// Sends a call with authentication and retries; returns the answer whatever its status.
    pub async fn send(&self, call: &Call) -> Result<RawResponse> {
        let opts = &self.inner.options;
        let mut token = self.token(None).await?;
        let mut reauthenticated = false;
        let mut attempt: u32 = 0;
        // One id per logical call, kept across its retries: the gateway logs it, stamps it on
        // the execution record and answers with it, so a failure can be traced on both sides.
        let request_id = new_request_id();
        loop {
            let outcome = self.send_once(call, &token, &request_id).await;
            let retry_delay = match &outcome {
                Ok(raw) if raw.status == 401 && !reauthenticated && is_token_rejection(call, raw) => {
                    // The token may have expired or the server restarted with a new key: one re-auth.
                    reauthenticated = true;
                    token = self.token(Some(&token)).await?;
                    continue;
                }
                Ok(raw) if call.retry == Retry::Idempotent && matches!(raw.status, 429 | 502 | 503 | 504) => {
                    Some(retry_after(&raw.headers))
                }
                Ok(_) => None,
                Err(e) if e.is_connect => Some(None),
                Err(e) if call.retry == Retry::Idempotent && !e.is_timeout => Some(None),
                Err(_) => None,
            };
            match retry_delay {
                Some(server_delay) if attempt < opts.max_retries => {
                    let delay = server_delay.unwrap_or_else(|| backoff(opts, attempt));
                    tracing::debug!(path = %call.path, attempt, ?delay, "retrying");
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                _ => return outcome.map_err(|e| e.error.with_request_id(Some(request_id))),
            }
        }
    }

    async fn send_once(
        &self,
        call: &Call,
        token: &str,
        request_id: &str,
    ) -> std::result::Result<RawResponse, SendError> {
        let url = format!("{}{}", self.inner.env_url, call.path);
        let mut req = crate::runtime::http_client()
            .request(call.method.clone(), url)
            .bearer_auth(token)
            .header("x-sdk-version", &self.inner.options.sdk_version)
            .header(REQUEST_ID_HEADER, request_id)
            .timeout(call.timeout);
        if !call.query.0.is_empty() {
            req = req.query(&call.query.0);
        }
        for (k, v) in &call.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        req = match &call.body {
            Some(CallBody::Json(v)) => req.json(v),
            Some(CallBody::Form(f)) => req.form(f),
            Some(CallBody::Raw(b)) => req.body(b.clone()),
            None => req,
        };
        let resp = req.send().await.map_err(SendError::from)?;
        let status = resp.status().as_u16();
        let mut headers: Vec<(String, String)> = resp
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        // A server (or proxy) that does not echo the id: errors still carry the one we sent.
        if header(&headers, REQUEST_ID_HEADER).is_none() {
            headers.push((REQUEST_ID_HEADER.to_string(), request_id.to_string()));
        }
        let body = resp.bytes().await.map_err(SendError::from)?.to_vec();
        Ok(RawResponse { status, headers, body })
    }
}

/// The header that carries a call's request id, both ways.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// `req_` and 24 random hex digits: the SDK's id for a call, and the gateway's for a request
/// that came without one.
pub fn new_request_id() -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes: [u8; 12] = rand::random();
    let mut id = String::with_capacity(28);
    id.push_str("req_");
    for b in bytes {
        id.push(char::from(HEX[usize::from(b >> 4)]));
        id.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    id
}

/// Turns a non-2xx answer into an [`Error`], keeping status, code, field and request id.
pub fn error_from_raw(raw: &RawResponse) -> Error {
    let request_id = header(&raw.headers, REQUEST_ID_HEADER).map(String::from);
    Error::from_response(raw.status, &raw.body, request_id).with_retry_after(
        header(&raw.headers, "retry-after").and_then(|v| parse_retry_after(v, SystemTime::now())).map(|d| d.as_secs()),
    )
}

/// Whether a 401 is about our bearer token (so a fresh token may help) rather than the provider
/// rejecting the user's credential: a tool error or a relayed provider answer is never re-sent.
fn is_token_rejection(call: &Call, raw: &RawResponse) -> bool {
    if header(&raw.headers, GATEWAY_AUTH_ERROR_HEADER).is_some() {
        return true;
    }
    !call.relayed && Error::from_response(raw.status, &raw.body, None).kind() != ErrorKind::ToolExecution
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// How long the client itself waits on a `Retry-After` before retrying, at most: a hostile or
/// confused header cannot park the caller.
const CLIENT_RETRY_AFTER_CAP: Duration = Duration::from_secs(60);

/// `Retry-After` as the wait before this client retries.
fn retry_after(headers: &[(String, String)]) -> Option<Duration> {
    header(headers, "retry-after")
        .and_then(|v| parse_retry_after(v, SystemTime::now()))
        .map(|wait| wait.min(CLIENT_RETRY_AFTER_CAP))
}

/// The longest wait a `Retry-After` is read as. Whoever sends the header (a provider, a proxy)
/// controls it; a day covers real quota resets, and the number stays small enough for any
/// arithmetic or header that carries it on.
pub const RETRY_AFTER_MAX: Duration = Duration::from_secs(86_400);

/// The wait a `Retry-After` value names (RFC 9110 §10.2.3): delay-seconds, or an HTTP-date
/// (any of its three formats) counted from `now`. Clamped to [`RETRY_AFTER_MAX`]: a number too
/// large to represent is the maximum, a date already past is no wait. `None` when the value is
/// neither a number nor a date.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Only digits: a value past u64 is a very long wait, not a malformed one.
        let secs = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(secs).min(RETRY_AFTER_MAX));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    // Whole seconds, rounded up: the date has one-second resolution and "retry at 12:00:05"
    // must not become a retry at 12:00:04.
    let wait = at.duration_since(now).unwrap_or_default();
    let secs = wait.as_secs().saturating_add(u64::from(wait.subsec_nanos() > 0));
    Some(Duration::from_secs(secs).min(RETRY_AFTER_MAX))
}

/// `min(base × 2^attempt, max) × U(0.5, 1.0)`.
fn backoff(opts: &ClientOptions, attempt: u32) -> Duration {
    let exp = opts.backoff_base.saturating_mul(1u32 << attempt.min(16)).min(opts.backoff_max);
    exp.mul_f64(0.5 + rand::random::<f64>() * 0.5)
}

struct SendError {
    error: Error,
    is_connect: bool,
    is_timeout: bool,
}

/// A failed request to the gateway, naming it and the step that failed (DNS, refused, TLS, …).
fn gateway_error(e: reqwest::Error) -> Error {
    let kind = if e.is_timeout() { ErrorKind::Timeout } else { ErrorKind::Transport };
    Error::new(kind, crate::transport::Failure::about(&e, "the gateway")).with_source(e)
}

impl From<reqwest::Error> for SendError {
    fn from(e: reqwest::Error) -> Self {
        SendError { is_connect: e.is_connect(), is_timeout: e.is_timeout(), error: gateway_error(e) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_settings_naming_the_field() {
        let err = ScalekitClient::new("", "id", "secret", ClientOptions::default()).unwrap_err();
        assert_eq!(err.field(), Some("env_url"));
        let err = ScalekitClient::new("ftp://x", "id", "secret", ClientOptions::default()).unwrap_err();
        assert_eq!(err.field(), Some("env_url"));
        let err = ScalekitClient::new("http://x", " ", "secret", ClientOptions::default()).unwrap_err();
        assert_eq!(err.field(), Some("client_id"));
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates_clamped() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        let secs = |v: &str| parse_retry_after(v, now).map(|d| d.as_secs());
        assert_eq!(secs(" 7 "), Some(7));
        assert_eq!(secs("0"), Some(0));
        assert_eq!(secs("99999999999999999999999"), Some(RETRY_AFTER_MAX.as_secs()), "past u64: the maximum");
        assert_eq!(secs("90000"), Some(RETRY_AFTER_MAX.as_secs()));
        // The three HTTP-date formats of RFC 9110, two minutes after `now`.
        for date in ["Sun, 06 Nov 1994 08:51:37 GMT", "Sunday, 06-Nov-94 08:51:37 GMT", "Sun Nov  6 08:51:37 1994"] {
            assert_eq!(secs(date), Some(120), "{date}");
        }
        assert_eq!(secs("Sun, 06 Nov 1994 08:49:36 GMT"), Some(0), "a date already past is no wait");
        assert_eq!(secs("Fri, 31 Dec 9999 23:59:59 GMT"), Some(RETRY_AFTER_MAX.as_secs()));
        for bad in ["", "soon", "-5", "1.5", "7 s", "Sun, 06 Nov 1994 08:49:37"] {
            assert_eq!(secs(bad), None, "{bad:?}");
        }
        let later = now + Duration::from_millis(1500);
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:40 GMT", later),
            Some(Duration::from_secs(2)),
            "rounded up"
        );
    }

    #[test]
    fn backoff_is_bounded_and_jittered() {
        let opts = ClientOptions::default();
        for attempt in 0..20 {
            let d = backoff(&opts, attempt);
            assert!(d <= opts.backoff_max);
            assert!(d >= opts.backoff_base.mul_f64(0.5).min(opts.backoff_max.mul_f64(0.5)));
        }
    }
}
