//! Signing operators in and out, and who is signed in on a request.

use std::collections::HashMap;
use std::str::FromStr;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use serde_json::json;

use agentkit_core::{Error, ErrorKind, Result};

use super::pages::{error_page, login_form, once_form};
use crate::config::sha256_hex;
use crate::permissions::OperatorRole;
use crate::state::SharedState;
use crate::store::ChangeRecords;

/// The session cookie's name.
const COOKIE: &str = "agentkit_console";
/// How long a sign-in lasts.
const SESSION_HOURS: i64 = 12;
/// Longest operator name or password the sign-in form looks at.
const MAX_FIELD_LEN: usize = 256;

/// An argon2id hash (PHC string) of `password`, for `agentkit admin add-user`.
pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| Error::new(ErrorKind::Server, format!("salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| Error::new(ErrorKind::Server, format!("hashing the password: {e}")))
}

/// Whether `password` matches `hash`; off the async threads (argon2 is slow on purpose). A
/// hash that is no password (an operator who signs in through the provider) costs a check
/// against the decoy, so its name takes as long to refuse as any other.
async fn password_matches(password: String, hash: String) -> bool {
    let decoy = decoy_hash().to_string();
    tokio::task::spawn_blocking(move || {
        let (hash, real) = match PasswordHash::new(&hash) {
            Ok(_) => (hash, true),
            Err(_) => (decoy, false),
        };
        let matches = PasswordHash::new(&hash)
            .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok());
        real && matches
    })
    .await
    .unwrap_or(false)
}

/// A hash nobody's password matches, verified against for unknown names so that a wrong name
/// takes as long as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        let random = B64.encode(rand::random::<[u8; 24]>());
        hash_password(&random).unwrap_or_default()
    })
}

/// 32 random bytes, URL-safe: a session id or a CSRF token.
fn random_token() -> String {
    B64.encode(rand::random::<[u8; 32]>())
}

/// Constant-time equality of two tokens.
fn tokens_equal(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether the console is reached on loopback over plain HTTP (`agentkit dev`), where a
/// browser keeps no `Secure` cookie.
fn plain_loopback(state: &SharedState) -> bool {
    url::Url::parse(&state.console_url).is_ok_and(|url| {
        url.scheme() == "http"
            && match url.host() {
                Some(url::Host::Domain(host)) => host == "localhost",
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            }
    })
}

/// Every cookie the console sets, in one place: HttpOnly, `Secure` unless on plain loopback;
/// an empty `value` clears it.
fn cookie(state: &SharedState, name: &str, value: &str, max_age_secs: i64, path: &str, same_site: &str) -> String {
    let max_age = if value.is_empty() { 0 } else { max_age_secs };
    let secure = if plain_loopback(state) { "" } else { "; Secure" };
    format!("{name}={value}; Max-Age={max_age}; Path={path}; HttpOnly; SameSite={same_site}{secure}")
}

/// The value of the request's cookie `name`, if it sent one.
fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|pair| {
        let (key, value) = pair.trim().split_once('=')?;
        (key == name && !value.is_empty()).then(|| value.to_string())
    })
}

/// The operator signed in on this request. Pages take it as an argument: without a live
/// session the request is sent to the sign-in page.
pub struct SignedIn {
    pub operator: String,
    pub role: OperatorRole,
    /// The session's CSRF token (every form carries it).
    pub csrf: String,
    session_sha256: String,
    /// The request came from another site (its `Origin` or `Sec-Fetch-Site` says so).
    cross_site: bool,
}

/// A change posted from the console's own form by an operator allowed to make it: extracting it
/// is the one check every change passes ([`SignedIn::authorize_change`]); a change that fails it
/// gets the error page and reaches no handler.
pub struct ConsoleChange {
    pub signed_in: SignedIn,
    /// The form's fields.
    pub form: HashMap<String, String>,
}

impl axum::extract::FromRequest<SharedState> for ConsoleChange {
    type Rejection = Response;

    async fn from_request(request: axum::extract::Request, state: &SharedState) -> std::result::Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let signed_in = SignedIn::from_request_parts(&mut parts, state).await?;
        let request = axum::extract::Request::from_parts(parts, body);
        let Form(form) =
            Form::<HashMap<String, String>>::from_request(request, state).await.map_err(IntoResponse::into_response)?;
        signed_in.authorize_change(&form).map_err(|e| error_page(&e))?;
        Ok(ConsoleChange { signed_in, form })
    }
}

impl SignedIn {
    /// The one check of every change made through the console: from the gateway's own pages
    /// (see [`SignedIn::check_form`]), by an operator allowed to change things.
    pub fn authorize_change(&self, form: &HashMap<String, String>) -> Result<()> {
        self.check_form(form)?;
        self.role.require_change(&self.operator)
    }

    /// The request came from the console's own form: the same origin, the session's CSRF token.
    pub fn check_form(&self, form: &HashMap<String, String>) -> Result<()> {
        let token = form.get("csrf").map(String::as_str).unwrap_or("");
        if self.cross_site || !tokens_equal(token, &self.csrf) {
            return Err(Error::new(
                ErrorKind::Forbidden,
                "this change did not come from the console's own form (missing or wrong CSRF token): reload the page",
            ));
        }
        Ok(())
    }

    /// The operator as an API caller, for reusing the API's handlers.
    pub fn caller(&self) -> crate::permissions::Caller {
        crate::permissions::Caller { client_id: format!("console:{}", self.operator), grants: self.role.grants() }
    }
}

/// Whether the request says it comes from another origin than the gateway's.
fn cross_site(headers: &HeaderMap, console_url: &str) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if !matches!(site, "same-origin" | "none") {
            return true;
        }
    }
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        Some(origin) => {
            let ours = url::Url::parse(console_url).map(|u| u.origin().ascii_serialization()).unwrap_or_default();
            origin != ours
        }
        None => false,
    }
}

impl FromRequestParts<SharedState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &SharedState) -> std::result::Result<SignedIn, Response> {
        let to_sign_in = || Redirect::to("/console/login").into_response();
        let Some(cookie) = cookie_value(&parts.headers, COOKIE) else { return Err(to_sign_in()) };
        let session_sha256 = sha256_hex(&cookie);
        let session = match state.store.console_session(&session_sha256).await {
            Ok(Some(session)) => session,
            Ok(None) => return Err(to_sign_in()),
            Err(e) => return Err(error_page(&e)),
        };
        // An operator from the organisation's provider holds the role the config lists now:
        // taken off the lists, their sessions end.
        let role = if session.from_provider {
            provider_role(state, &session.operator).ok_or_else(to_sign_in)?
        } else {
            OperatorRole::from_str(&session.role).map_err(|e| error_page(&e))?
        };
        crate::telemetry::record_actor(&format!("console:{}", session.operator));
        let cross_site = parts.method != Method::GET && cross_site(&parts.headers, &state.console_url);
        Ok(SignedIn { operator: session.operator, role, csrf: session.csrf, session_sha256, cross_site })
    }
}

/// Whether operators may sign in through the organisation's provider.
fn with_provider(state: &SharedState) -> bool {
    state.config.console.oidc.is_some()
}

pub async fn login_page(State(state): State<SharedState>) -> Response {
    login_form(None, StatusCode::OK, with_provider(&state))
}

pub async fn login(
    State(state): State<SharedState>,
    peer: crate::throttle::Peer,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    // Signing someone in from another site (login CSRF) is refused like any cross-site change.
    if cross_site(&headers, &state.console_url) {
        return login_form(Some("Sign in from the console's own page."), StatusCode::FORBIDDEN, with_provider(&state));
    }
    // Counted before the password is checked, so attempts sent at once cannot outrun the limit;
    // the console's own count, so its sign-ins never lock API clients out of /oauth/token.
    let source = crate::throttle::address_of(peer);
    if let Err(wait) = state.console_sign_ins.admit(source) {
        let secs = crate::throttle::retry_after_secs(wait);
        let text = format!("Too many sign-ins from this address. Try again in {secs} s.");
        return crate::throttle::with_retry_after(
            login_form(Some(&text), StatusCode::TOO_MANY_REQUESTS, with_provider(&state)),
            wait,
        );
    }
    let Ok(_checking) = state.password_checks.try_acquire() else {
        let busy = login_form(
            Some("The console is busy checking other sign-ins. Try again in a moment."),
            StatusCode::SERVICE_UNAVAILABLE,
            with_provider(&state),
        );
        return crate::throttle::with_retry_after(busy, std::time::Duration::from_secs(1));
    };
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or("");
    let (name, password) = (field("name").trim(), field("password"));
    if name.is_empty() || password.is_empty() || name.len() > MAX_FIELD_LEN || password.len() > MAX_FIELD_LEN {
        return login_form(
            Some("Enter your operator name and password."),
            StatusCode::BAD_REQUEST,
            with_provider(&state),
        );
    }
    let operator = match state.store.operator(name).await {
        Ok(operator) => operator,
        Err(e) => return error_page(&e),
    };
    let hash = operator.as_ref().map_or_else(|| decoy_hash().to_string(), |o| o.password_hash.clone());
    let matches = password_matches(password.to_string(), hash).await;
    let Some(operator) = operator.filter(|_| matches) else {
        crate::telemetry::record_actor(&format!("console:{name}"));
        let details = json!({"reason": "unknown operator or wrong password"});
        crate::audit::record(&state.store, "console.sign_in_failed", name, crate::audit::REFUSED, details).await;
        return login_form(
            Some("Unknown operator or wrong password."),
            StatusCode::UNAUTHORIZED,
            with_provider(&state),
        );
    };
    start_session(&state, &operator, "password").await
}

/// Signs `operator` in: a new session, its cookie, and on to the console.
async fn start_session(state: &SharedState, operator: &crate::store::Operator, how: &str) -> Response {
    let (session, csrf) = (random_token(), random_token());
    let expires_at = chrono::Utc::now() + chrono::Duration::hours(SESSION_HOURS);
    crate::telemetry::record_actor(&format!("console:{}", operator.name));
    let details = json!({"role": operator.role, "with": how});
    let row = crate::audit::change_row("console.signed_in", &operator.name, crate::audit::SUCCESS, details);
    let stored = state
        .store
        .insert_console_session(&sha256_hex(&session), &operator.name, &csrf, expires_at, &ChangeRecords::audited(row))
        .await;
    if let Err(e) = stored {
        return error_page(&e);
    }
    let cookie = cookie(state, COOKIE, &session, SESSION_HOURS * 3600, "/console", "Strict");
    ([(header::SET_COOKIE, cookie)], Redirect::to("/console/connections")).into_response()
}

/// How long a one-time sign-in link stays usable.
const TICKET_HOURS: i64 = 24;

/// A one-time sign-in link for `operator` (`agentkit dev` prints one): `/console/login/once/…`.
pub async fn sign_in_link(state: &SharedState, operator: &str) -> Result<String> {
    let token = random_token();
    let expires_at = chrono::Utc::now() + chrono::Duration::hours(TICKET_HOURS);
    state.store.insert_console_ticket(&sha256_hex(&token), operator, expires_at).await?;
    Ok(format!("{}/console/login/once/{token}", state.console_url))
}

/// Follows a one-time sign-in link: signed in the first time, refused after.
/// A one-time sign-in link, opened: a page whose button signs in. Opening it uses nothing, so a
/// link preview or a mail scanner cannot burn it.
pub async fn login_once_page(axum::extract::Path(token): axum::extract::Path<String>) -> Response {
    once_form(&token)
}

/// The one-time link's button: from the console's own page, the link used (once), signed in.
pub async fn login_once(
    State(state): State<SharedState>,
    headers: HeaderMap,
    axum::extract::Path(token): axum::extract::Path<String>,
) -> Response {
    if cross_site(&headers, &state.console_url) {
        return login_form(Some("Sign in from the console's own page."), StatusCode::FORBIDDEN, with_provider(&state));
    }
    let operator = match state.store.take_console_ticket(&sha256_hex(&token)).await {
        Ok(Some(name)) => state.store.operator(&name).await,
        Ok(None) => Ok(None),
        Err(e) => Err(e),
    };
    match operator {
        Ok(Some(operator)) => start_session(&state, &operator, "one-time link").await,
        Ok(None) => login_form(
            Some("This sign-in link was used already or has expired."),
            StatusCode::UNAUTHORIZED,
            with_provider(&state),
        ),
        Err(e) => error_page(&e),
    }
}

pub async fn logout(
    State(state): State<SharedState>,
    signed_in: SignedIn,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    // Any operator may sign out, but only from the console's own form.
    if let Err(e) = signed_in.check_form(&form) {
        return error_page(&e);
    }
    let row = crate::audit::change_row("console.signed_out", &signed_in.operator, crate::audit::SUCCESS, json!({}));
    if let Err(e) = state.store.delete_console_session(&signed_in.session_sha256, &ChangeRecords::audited(row)).await {
        return error_page(&e);
    }
    let cookie = cookie(&state, COOKIE, "", 0, "/console", "Strict");
    ([(header::SET_COOKIE, cookie)], Redirect::to("/console/login")).into_response()
}

/// The cookie that ties a provider sign-in to the browser that started it (login CSRF).
const SIGN_IN_COOKIE: &str = "agentkit_console_signin";
/// How long a provider sign-in may take.
const SIGN_IN_SECS: i64 = 600;

/// A sign-in at the organisation's provider, in flight: its nonce (also in the browser's
/// cookie) and when it expires.
#[derive(serde::Serialize, serde::Deserialize)]
struct ProviderSignIn {
    n: String,
    exp: i64,
}

impl crate::credentials::tokens::Claims for ProviderSignIn {
    const KIND: crate::credentials::tokens::TokenKind = crate::credentials::tokens::TokenKind::ConsoleSignIn;
}

fn provider_client<'a>(
    state: &SharedState,
    oidc: &'a crate::config::ConsoleOidcConfig,
) -> crate::credentials::oidc_sign_in::OidcClient<'a> {
    crate::credentials::oidc_sign_in::OidcClient {
        issuer: &oidc.issuer,
        client_id: &oidc.client_id,
        client_secret: &oidc.client_secret,
        identifier_claim: &oidc.identifier_claim,
        redirect_uri: format!("{}/console/login/oidc/callback", state.console_url),
    }
}

/// The role `[console.oidc]` gives `identifier`, if it lists them.
fn provider_role(state: &SharedState, identifier: &str) -> Option<OperatorRole> {
    let oidc = state.config.console.oidc.as_ref()?;
    if oidc.admins.iter().any(|a| a == identifier) {
        Some(OperatorRole::Admin)
    } else if oidc.viewers.iter().any(|v| v == identifier) {
        Some(OperatorRole::Viewer)
    } else {
        None
    }
}

/// Sends the browser to the organisation's provider.
pub async fn oidc_start(State(state): State<SharedState>) -> Response {
    let Some(oidc) = &state.config.console.oidc else {
        return error_page(&Error::not_found("signing in through a provider is not configured ([console.oidc])"));
    };
    let provider = match state.oidc_discovery.provider(&state.egress, &oidc.issuer).await {
        Ok(provider) => provider,
        Err(e) => {
            tracing::warn!(error = %e.message(), "the console's sign-in provider cannot be reached");
            let unreachable =
                Error::new(ErrorKind::Unavailable, "the organisation's sign-in provider cannot be reached");
            return error_page(&unreachable);
        }
    };
    let nonce = random_token();
    let exp = crate::credentials::tokens::now_unix().saturating_add(SIGN_IN_SECS);
    let signed = state.signer.sign(&ProviderSignIn { n: nonce.clone(), exp });
    let verifier = crate::credentials::oidc_sign_in::pkce_verifier(&state.signer, &nonce);
    let client = provider_client(&state, oidc);
    match crate::credentials::oidc_sign_in::authorization_url(&provider, &client, &signed, &nonce, &verifier) {
        Ok(url) => {
            // Lax: the provider sends the browser back with a top-level navigation.
            let cookie = cookie(&state, SIGN_IN_COOKIE, &nonce, SIGN_IN_SECS, "/console/login/oidc", "Lax");
            ([(header::SET_COOKIE, cookie)], Redirect::to(url.as_str())).into_response()
        }
        Err(e) => error_page(&e),
    }
}

#[derive(serde::Deserialize)]
pub struct ProviderAnswer {
    #[serde(default)]
    code: String,
    #[serde(default)]
    state: String,
    error: Option<String>,
}

/// Back from the provider: the same browser, in time, a person the provider vouches for, who is
/// listed as an operator — then signed in.
pub async fn oidc_callback(
    State(state): State<SharedState>,
    headers: HeaderMap,
    axum::extract::Query(answer): axum::extract::Query<ProviderAnswer>,
) -> Response {
    let Some(oidc) = &state.config.console.oidc else {
        return error_page(&Error::not_found("signing in through a provider is not configured ([console.oidc])"));
    };
    let refuse = |text: &str| login_form(Some(text), StatusCode::BAD_REQUEST, true);
    let Ok(sign_in) = state.signer.verify::<ProviderSignIn>(&answer.state) else {
        return refuse("The sign-in request is not valid. Start again.");
    };
    let browser_nonce = cookie_value(&headers, SIGN_IN_COOKIE);
    if sign_in.exp < crate::credentials::tokens::now_unix()
        || !browser_nonce.is_some_and(|nonce| tokens_equal(&nonce, &sign_in.n))
    {
        return refuse("The sign-in expired or was started in another browser. Start again.");
    }
    if answer.error.is_some() {
        return refuse("The organisation's provider did not sign you in.");
    }
    let provider = match state.oidc_discovery.provider(&state.egress, &oidc.issuer).await {
        Ok(provider) => provider,
        Err(e) => return error_page(&e),
    };
    let verifier = crate::credentials::oidc_sign_in::pkce_verifier(&state.signer, &sign_in.n);
    let client = provider_client(&state, oidc);
    let identifier =
        match crate::credentials::oidc_sign_in::identify(&state.egress, &provider, &client, &answer.code, &verifier)
            .await
        {
            Ok(identifier) => identifier,
            Err(e) => {
                tracing::warn!(error = %e.message(), "a console sign-in through the provider failed");
                let details = json!({"reason": e.message(), "with": "oidc"});
                crate::audit::record(&state.store, "console.sign_in_failed", "oidc", crate::audit::REFUSED, details)
                    .await;
                return refuse("The organisation's provider did not confirm who you are.");
            }
        };
    let Some(role) = provider_role(&state, &identifier) else {
        crate::telemetry::record_actor(&format!("console:{identifier}"));
        let details = json!({"reason": "not listed in [console.oidc] admins or viewers", "with": "oidc"});
        crate::audit::record(&state.store, "console.sign_in_failed", &identifier, crate::audit::REFUSED, details).await;
        let text =
            format!("{identifier} is not an operator of this gateway. Ask an admin to list you in [console.oidc].");
        return login_form(Some(&text), StatusCode::FORBIDDEN, true);
    };
    let audit = |previous: Option<&str>| {
        let details = serde_json::json!({"role": role.as_str(), "previous_role": previous, "via": "oidc"});
        let action = if previous.is_some() { "console.operator_role_changed" } else { "console.operator_set" };
        ChangeRecords::audited(crate::audit::change_row_by("oidc", action, &identifier, details))
    };
    match state.store.operator_from_provider(&identifier, role.as_str(), audit).await {
        Ok(operator) => {
            let mut signed_in = start_session(&state, &operator, "oidc").await;
            let clear = cookie(&state, SIGN_IN_COOKIE, "", 0, "/console/login/oidc", "Lax");
            if let Ok(value) = axum::http::HeaderValue::from_str(&clear) {
                signed_in.headers_mut().append(header::SET_COOKIE, value);
            }
            signed_in
        }
        Err(e) => error_page(&e),
    }
}
