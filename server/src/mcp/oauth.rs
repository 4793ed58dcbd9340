//! The OAuth 2.1 authorization server for MCP clients (the MCP authorization spec): claude.ai,
//! ChatGPT, Cursor or VS Code add a config URL, get `401` with `WWW-Authenticate` pointing at the
//! config's protected-resource metadata (RFC 9728), find this server's metadata (RFC 8414),
//! identify themselves by a Client ID Metadata Document URL or register (RFC 7591, public
//! clients), and run the authorization code flow with PKCE S256 and
//! the config URL as `resource` (RFC 8707). The user signs in at the app (`[mcp_oauth]
//! login_url`), sees the config's tools on a consent page, and the client gets an access token
//! valid for that one config URL, acting as that user, plus a refresh token that rotates on
//! every use (a replayed one revokes the grant); revocation per RFC 7009. The authorization
//! answer carries `iss` (RFC 9207).
//!
//! Off unless `[mcp_oauth]` is configured; secret instance URLs and session tokens keep working.

use axum::extract::{Form, Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::domain::mcp::{metadata_url, oauth_issuer as issuer, resource_url};

use crate::config::McpOAuthConfig;
use crate::credentials::oauth::pkce_challenge;
use crate::credentials::oidc_sign_in::{authorization_url, identify, pkce_verifier, OidcClient};
use crate::credentials::tokens::{now_unix, Claims, TokenKind};
use crate::html::{html_escape, page};
use crate::state::{AppState, SharedState};
use crate::store::{AuthorizationCode, OAuthGrant, RefreshTokenUse};

/// How long a user has to sign in and consent.
const REQUEST_TTL_SECS: i64 = 600;
/// How long an authorization code stays redeemable.
const CODE_TTL_SECS: i64 = 60;
/// How long a refresh token stays usable (each use replaces it).
const REFRESH_TOKEN_TTL_DAYS: i64 = 30;
/// Most redirect URIs one client may register.
const MAX_REDIRECT_URIS: usize = 10;
/// Longest user identifier the app may sign in.
const MAX_IDENTIFIER_LEN: usize = 256;
/// Largest client metadata document a registration may send.
const MAX_CLIENT_METADATA_BYTES: usize = 16 * 1024;

/// An access token for one config URL, acting as one user.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct McpAccessClaims {
    /// The user (the app's identifier).
    pub sub: String,
    /// The config id.
    pub cfg: String,
    /// The config URL the token is for (RFC 8707 resource).
    pub aud: String,
    /// The client it was issued to.
    pub cid: String,
    /// The grant (consent) it was issued from: revoking the grant ends it.
    pub gid: String,
    pub exp: i64,
}

impl Claims for McpAccessClaims {
    const KIND: TokenKind = TokenKind::McpOAuthAccess;
}

/// An authorization request waiting for the user's sign-in and consent (travels through the
/// app's sign-in page and back, signed).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct PendingRequest {
    cid: String,
    ruri: String,
    cc: String,
    res: String,
    cfg: String,
    #[serde(default)]
    st: Option<String>,
    exp: i64,
    /// So two requests never sign the same.
    n: String,
}

impl Claims for PendingRequest {
    const KIND: TokenKind = TokenKind::McpOAuthRequest;
}

fn settings(state: &AppState) -> Option<&McpOAuthConfig> {
    state.config.mcp_oauth.as_ref()
}

/// The `401` of a config URL without a valid token: where an MCP client starts signing in.
pub fn challenge(state: &AppState, config_id: &str, token_presented: bool) -> Option<HeaderValue> {
    settings(state)?;
    let error = if token_presented { ", error=\"invalid_token\"" } else { "" };
    HeaderValue::from_str(&format!("Bearer resource_metadata=\"{}\"{error}", metadata_url(state, config_id))).ok()
}

/// The claims of an access token presented on config URL `config_id`: issued for that URL, not
/// expired, its grant not revoked.
pub async fn verify_access_token(state: &AppState, token: &str, config_id: &str) -> Option<McpAccessClaims> {
    settings(state)?;
    let claims: McpAccessClaims = state.signer.verify(token).ok()?;
    let for_this_url =
        claims.exp > now_unix() && claims.cfg == config_id && claims.aud == resource_url(state, config_id);
    (for_this_url && state.store.mcp_oauth_grant_live(&claims.gid).await.ok()?).then_some(claims)
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut response = (status, Json(json!({"error": error, "error_description": description}))).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn not_configured() -> Response {
    oauth_error(StatusCode::NOT_FOUND, "not_found", "OAuth sign-in for MCP clients is not configured on this gateway")
}

/// RFC 9728: the protected-resource metadata of a config URL.
pub async fn protected_resource(State(state): State<SharedState>, Path(config_id): Path<String>) -> Response {
    if settings(&state).is_none() {
        return not_configured();
    }
    if !matches!(state.store.mcp_config(&config_id).await, Ok(Some(_))) {
        return oauth_error(StatusCode::NOT_FOUND, "not_found", "unknown MCP config");
    }
    Json(json!({
        "resource": resource_url(&state, &config_id),
        "authorization_servers": [issuer(&state)],
        "bearer_methods_supported": ["header"],
        "resource_name": "AgentKit MCP config",
    }))
    .into_response()
}

/// RFC 8414: this authorization server's metadata.
pub async fn server_metadata(State(state): State<SharedState>) -> Response {
    if settings(&state).is_none() {
        return not_configured();
    }
    let base = issuer(&state);
    Json(json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/mcp/oauth/authorize"),
        "token_endpoint": format!("{base}/mcp/oauth/token"),
        "registration_endpoint": format!("{base}/mcp/oauth/register"),
        "revocation_endpoint": format!("{base}/mcp/oauth/revoke"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none"],
        "authorization_response_iss_parameter_supported": true,
        "client_id_metadata_document_supported": true,
    }))
    .into_response()
}

/// A redirect URI a client may register: https, or http on a loopback host (native apps,
/// RFC 8252); never a fragment.
fn acceptable_redirect_uri(uri: &str) -> bool {
    let Ok(url) = url::Url::parse(uri) else { return false };
    let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    url.fragment().is_none() && (url.scheme() == "https" || (url.scheme() == "http" && loopback))
}

/// RFC 7591 dynamic registration of a public client.
pub async fn register(
    State(state): State<SharedState>,
    peer: crate::throttle::Peer,
    body: axum::body::Bytes,
) -> Response {
    if settings(&state).is_none() {
        return not_configured();
    }
    if let Err(wait) = state.mcp_oauth.register.admit(crate::throttle::address_of(peer)) {
        let text = "too many client registrations from this address; try again later";
        return crate::throttle::with_retry_after(
            oauth_error(StatusCode::TOO_MANY_REQUESTS, "invalid_client_metadata", text),
            wait,
        );
    }
    let invalid = |error: &str, text: &str| oauth_error(StatusCode::BAD_REQUEST, error, text);
    if body.len() > MAX_CLIENT_METADATA_BYTES {
        return invalid("invalid_client_metadata", "client metadata is limited to 16 KiB");
    }
    let Ok(Value::Object(mut metadata)) = serde_json::from_slice::<Value>(&body) else {
        return invalid("invalid_client_metadata", "the body must be a JSON object of client metadata");
    };
    let uris: Vec<String> = match metadata.get("redirect_uris").and_then(Value::as_array) {
        Some(uris) if !uris.is_empty() && uris.len() <= MAX_REDIRECT_URIS => {
            uris.iter().filter_map(Value::as_str).map(String::from).collect()
        }
        _ => return invalid("invalid_redirect_uri", "redirect_uris must list 1 to 10 URIs"),
    };
    if let Some(bad) = uris.iter().find(|u| !acceptable_redirect_uri(u)) {
        return invalid(
            "invalid_redirect_uri",
            &format!("redirect_uris: {bad:?} must be https, or http on localhost, without a fragment"),
        );
    }
    match metadata.get("token_endpoint_auth_method").and_then(Value::as_str) {
        None | Some("none") => {}
        Some(other) => {
            return invalid(
                "invalid_client_metadata",
                &format!("token_endpoint_auth_method {other:?} is not supported: public clients (\"none\") with PKCE"),
            )
        }
    }
    let client_id = format!("mcp_{}", uuid::Uuid::new_v4().simple());
    metadata.insert("client_id".into(), json!(client_id));
    metadata.insert("client_id_issued_at".into(), json!(now_unix()));
    metadata.insert("redirect_uris".into(), json!(uris));
    metadata.insert("token_endpoint_auth_method".into(), json!("none"));
    metadata.insert("grant_types".into(), json!(["authorization_code", "refresh_token"]));
    metadata.insert("response_types".into(), json!(["code"]));
    let metadata = Value::Object(metadata);
    if let Err(e) = state.store.save_mcp_oauth_client(&client_id, &metadata).await {
        return oauth_error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", e.message());
    }
    let details = json!({"client_name": metadata.get("client_name"), "redirect_uris": metadata.get("redirect_uris")});
    audit(&state, "anonymous", "mcp_oauth.client_registered", &client_id, crate::audit::SUCCESS, details).await;
    (StatusCode::CREATED, Json(metadata)).into_response()
}

#[derive(Debug, Deserialize)]
pub struct AuthorizeQuery {
    #[serde(default)]
    response_type: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    code_challenge: String,
    #[serde(default)]
    code_challenge_method: String,
    state: Option<String>,
    #[serde(default)]
    resource: String,
}

/// `redirect_uri` with `params` (and `iss`) added to its query.
fn back_to_client(state: &AppState, redirect_uri: &str, params: &[(&str, &str)]) -> Response {
    let Ok(mut url) = url::Url::parse(redirect_uri) else {
        return page(StatusCode::BAD_REQUEST, "Invalid redirect", "The client's redirect URI is not valid.")
            .into_response();
    };
    {
        let mut query = url.query_pairs_mut();
        for (k, v) in params {
            query.append_pair(k, v);
        }
        query.append_pair("iss", &issuer(state));
    }
    (StatusCode::FOUND, [(header::LOCATION, url.to_string())]).into_response()
}

/// The config id a `resource` names, when it is one of this gateway's config URLs.
async fn config_of_resource(state: &AppState, resource: &str) -> Option<String> {
    let prefix = format!("{}/mcp/v1/configs/", issuer(state));
    let id = resource.strip_prefix(&prefix)?.trim_end_matches('/');
    (!id.is_empty() && !id.contains('/') && matches!(state.store.mcp_config(id).await, Ok(Some(_))))
        .then(|| id.to_string())
}

/// The redirect URIs of a client: registered here (RFC 7591), or, for a client whose id is the
/// https URL of its metadata document (Client ID Metadata Documents), listed in that document,
/// fetched through the egress policy and kept (for the consent page's client name).
async fn registered_redirect_uris(state: &AppState, client_id: &str) -> Option<Vec<String>> {
    let metadata = match client_metadata_document_url(client_id) {
        Some(url) => {
            let document = fetch_client_metadata_document(state, &url).await?;
            state.store.save_mcp_oauth_client(client_id, &document).await.ok()?;
            document
        }
        None => state.store.mcp_oauth_client(client_id).await.ok()??,
    };
    Some(metadata["redirect_uris"].as_array()?.iter().filter_map(Value::as_str).map(String::from).collect())
}

/// A client id that is a metadata document URL: https, with a path.
fn client_metadata_document_url(client_id: &str) -> Option<url::Url> {
    let url = url::Url::parse(client_id).ok()?;
    (url.scheme() == "https" && url.path() != "/" && url.fragment().is_none()).then_some(url)
}

/// A client's metadata document: bounded, its `client_id` its own URL, its redirect URIs safe.
async fn fetch_client_metadata_document(state: &AppState, url: &url::Url) -> Option<Value> {
    let answer =
        state.mcp_oauth.client_metadata.get(url.as_str()).timeout(std::time::Duration::from_secs(5)).send().await;
    let answer = match answer {
        Ok(answer) if answer.status().is_success() => answer,
        Ok(answer) => {
            tracing::warn!(client = %url, status = %answer.status(), "client metadata document not served");
            return None;
        }
        Err(e) => {
            tracing::warn!(client = %url, error = %e.message(), "client metadata document unreachable");
            return None;
        }
    };
    let body = crate::egress::read_bounded(answer, MAX_CLIENT_METADATA_BYTES).await.ok()?;
    let document: Value = serde_json::from_slice(&body).ok()?;
    let uris = document["redirect_uris"].as_array()?;
    let sound = document["client_id"].as_str() == Some(url.as_str())
        && !uris.is_empty()
        && uris.len() <= MAX_REDIRECT_URIS
        && uris.iter().all(|u| u.as_str().is_some_and(acceptable_redirect_uri));
    sound.then_some(document)
}

/// The authorization endpoint: checks the client, its redirect URI, PKCE and the resource, then
/// sends the browser to the app's sign-in page.
pub async fn authorize(
    State(state): State<SharedState>,
    peer: crate::throttle::Peer,
    Query(q): Query<AuthorizeQuery>,
) -> Response {
    let Some(oauth) = settings(&state) else { return not_configured() };
    if let Err(wait) = state.mcp_oauth.authorize.admit(crate::throttle::address_of(peer)) {
        let text = "Too many sign-in attempts from this address. Try again in a minute.";
        return crate::throttle::with_retry_after(
            page(StatusCode::TOO_MANY_REQUESTS, "Too many requests", text).into_response(),
            wait,
        );
    }
    // Until the redirect URI is known to be the client's, errors stay on our page.
    let Some(uris) = registered_redirect_uris(&state, &q.client_id).await else {
        return page(StatusCode::BAD_REQUEST, "Unknown client", "This MCP client is not registered here.")
            .into_response();
    };
    if !uris.contains(&q.redirect_uri) {
        return page(StatusCode::BAD_REQUEST, "Invalid redirect", "redirect_uri is not one the client registered.")
            .into_response();
    }
    let st = q.state.clone().unwrap_or_default();
    // Errors go back to the client only once a user consented to it: a redirect URI anyone can
    // register is not trusted to receive the browser before that (OAuth security BCP 4.11).
    let consented = matches!(state.store.mcp_oauth_client_consented(&q.client_id).await, Ok(true));
    let refuse = |error: &str, text: &str| {
        if consented {
            back_to_client(&state, &q.redirect_uri, &[("error", error), ("error_description", text), ("state", &st)])
        } else {
            page(StatusCode::BAD_REQUEST, "Invalid request", &format!("{text} ({error})")).into_response()
        }
    };
    if q.response_type != "code" {
        return refuse("unsupported_response_type", "response_type must be code");
    }
    if q.code_challenge_method != "S256" || q.code_challenge.len() < 43 || q.code_challenge.len() > 128 {
        return refuse("invalid_request", "PKCE with code_challenge_method S256 is required");
    }
    let Some(config_id) = config_of_resource(&state, &q.resource).await else {
        return refuse("invalid_target", "resource must be one of this gateway's MCP config URLs");
    };
    let pending = PendingRequest {
        cid: q.client_id.clone(),
        ruri: q.redirect_uri.clone(),
        cc: q.code_challenge.clone(),
        // The canonical form: the one access tokens are checked against.
        res: resource_url(&state, &config_id),
        cfg: config_id,
        st: q.state.clone(),
        exp: now_unix().saturating_add(REQUEST_TTL_SECS),
        n: uuid::Uuid::new_v4().simple().to_string(),
    };
    start_sign_in(&state, oauth, &pending).await
}

/// Sends the browser to where the user signs in: the app's `login_url`, or its OIDC provider.
async fn start_sign_in(state: &AppState, oauth: &McpOAuthConfig, pending: &PendingRequest) -> Response {
    let unavailable = |text: &str| page(StatusCode::BAD_GATEWAY, "Sign-in unavailable", text).into_response();
    let request = state.signer.sign(pending);
    let target = match (&oauth.oidc, &oauth.login_url) {
        (Some(oidc), _) => {
            let Ok(provider) = state.oidc_discovery.provider(&state.egress, &oidc.issuer).await else {
                return unavailable("The app's sign-in provider cannot be reached.");
            };
            let verifier = pkce_verifier(&state.signer, &pending.n);
            match authorization_url(&provider, &oidc_client(state, oidc), &request, &pending.n, &verifier) {
                Ok(url) => Ok(url),
                Err(_) => return unavailable("The sign-in page is misconfigured."),
            }
        }
        (None, Some(login_url)) => url::Url::parse(login_url).map(|mut url| {
            url.query_pairs_mut()
                .append_pair("request", &request)
                .append_pair("return_to", &format!("{}/mcp/oauth/callback", issuer(state)));
            url
        }),
        (None, None) => return unavailable("No sign-in is configured."),
    };
    match target {
        Ok(url) => (StatusCode::FOUND, [(header::LOCATION, url.to_string())]).into_response(),
        Err(_) => unavailable("The sign-in page is misconfigured."),
    }
}

/// We, at the app's OIDC provider: its client, our redirect URI.
fn oidc_client<'a>(state: &AppState, oidc: &'a crate::config::McpOidcConfig) -> OidcClient<'a> {
    OidcClient {
        issuer: &oidc.issuer,
        client_id: &oidc.client_id,
        client_secret: &oidc.client_secret,
        identifier_claim: &oidc.identifier_claim,
        redirect_uri: format!("{}/mcp/oauth/oidc/callback", issuer(state)),
    }
}

#[derive(Debug, Deserialize)]
pub struct OidcCallback {
    #[serde(default)]
    code: String,
    #[serde(default)]
    state: String,
    error: Option<String>,
}

/// Back from the app's OIDC provider: the code is exchanged (with our PKCE verifier), the
/// provider's userinfo names the user, and the consent page follows.
pub async fn oidc_callback(State(state): State<SharedState>, Query(answer): Query<OidcCallback>) -> Response {
    let Some(oidc) = settings(&state).and_then(|o| o.oidc.as_ref()) else { return not_configured() };
    let bad = |text: &str| page(StatusCode::BAD_REQUEST, "Sign-in failed", text).into_response();
    let Ok(pending) = state.signer.verify::<PendingRequest>(&answer.state) else {
        return bad("The sign-in request is not valid.");
    };
    if pending.exp < now_unix() {
        return bad("The sign-in request expired; start again from your MCP client.");
    }
    if answer.error.is_some() {
        let st = pending.st.clone().unwrap_or_default();
        return back_to_client(
            &state,
            &pending.ruri,
            &[("error", "access_denied"), ("error_description", "the user did not sign in"), ("state", &st)],
        );
    }
    let identifier = match oidc_identifier(&state, oidc, &pending, &answer.code).await {
        Ok(identifier) => identifier,
        Err(e) => {
            tracing::warn!(error = %e.message(), "MCP OAuth sign-in through OIDC failed");
            return page(
                StatusCode::BAD_GATEWAY,
                "Sign-in failed",
                "The sign-in provider did not confirm who you are.",
            )
            .into_response();
        }
    };
    consent_page(&state, pending, identifier).await
}

/// The user's identifier, as the app's OIDC provider names them (see [`identify`]).
async fn oidc_identifier(
    state: &AppState,
    oidc: &crate::config::McpOidcConfig,
    pending: &PendingRequest,
    code: &str,
) -> agentkit_core::Result<String> {
    let provider = state.oidc_discovery.provider(&state.egress, &oidc.issuer).await?;
    identify(&state.egress, &provider, &oidc_client(state, oidc), code, &pkce_verifier(&state.signer, &pending.n)).await
}

/// What the app sends back after signing its user in (`login_url`).
#[derive(Debug, Deserialize)]
pub struct AppSignIn {
    #[serde(default)]
    request: String,
    #[serde(default)]
    identifier: String,
    #[serde(default)]
    signature: String,
}

/// A user signed in for a pending request, vouched for by this gateway: the consent form
/// carries it, so the answer to the form is bound to that user and request.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SignedInUser {
    req: PendingRequest,
    sub: String,
}

impl Claims for SignedInUser {
    const KIND: TokenKind = TokenKind::McpOAuthSignedIn;
}

/// The pending request the app signed its user in for, when request and signature check out.
fn app_signed_in(state: &AppState, oauth: &McpOAuthConfig, form: &AppSignIn) -> Result<PendingRequest, &'static str> {
    use hmac::Mac;
    let Ok(pending) = state.signer.verify::<PendingRequest>(&form.request) else {
        return Err("The sign-in request is not valid.");
    };
    if pending.exp < now_unix() {
        return Err("The sign-in request expired; start again from your MCP client.");
    }
    if form.identifier.is_empty() || form.identifier.len() > MAX_IDENTIFIER_LEN {
        return Err("The app did not sign a user in.");
    }
    let secret = oauth.login_secret.as_deref().unwrap_or_default();
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) else {
        return Err("The sign-in is misconfigured.");
    };
    mac.update(format!("{}.{}", form.request, form.identifier).as_bytes());
    let presented: Option<Vec<u8>> = (0..form.signature.len())
        .step_by(2)
        .map(|i| form.signature.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect();
    // Compared in constant time by the MAC itself.
    if secret.is_empty() || presented.is_none_or(|p| mac.verify_slice(&p).is_err()) {
        return Err("The app's signature over the signed-in user is not valid.");
    }
    Ok(pending)
}

/// Back from the app's sign-in page (`login_url`): the consent page.
pub async fn callback(State(state): State<SharedState>, Query(form): Query<AppSignIn>) -> Response {
    let Some(oauth) = settings(&state) else { return not_configured() };
    match app_signed_in(&state, oauth, &form) {
        Ok(pending) => consent_page(&state, pending, form.identifier).await,
        Err(text) => page(StatusCode::BAD_REQUEST, "Sign-in failed", text).into_response(),
    }
}

/// The consent page: the config's tools, for the signed-in user to allow or deny.
async fn consent_page(state: &AppState, pending: PendingRequest, identifier: String) -> Response {
    let Ok(Some(config)) = state.store.mcp_config(&pending.cfg).await else {
        return page(StatusCode::NOT_FOUND, "Unknown MCP config", "This MCP config no longer exists.").into_response();
    };
    let client_name = match state.store.mcp_oauth_client(&pending.cid).await {
        Ok(Some(m)) => m["client_name"].as_str().unwrap_or(&pending.cid).to_string(),
        _ => pending.cid.clone(),
    };
    let target = super::tools::Target::for_user(config, identifier.clone(), pending.cfg.clone());
    let tools: String = super::tools::exposed_tools(state, &target)
        .iter()
        .map(|(tool, _)| {
            format!("<li><b>{}</b> — {}</li>", html_escape(&tool.def.name), html_escape(&tool.def.description))
        })
        .collect();
    let signed_in = state.signer.sign(&SignedInUser { req: pending, sub: identifier.clone() });
    let body = format!(
        "<!doctype html><meta charset=utf-8><title>Allow access</title>\
         <h1>Allow {client} to use these tools as {user}?</h1><p>MCP config {config}:</p><ul>{tools}</ul>\
         <form method=post action=\"/mcp/oauth/consent\"><input type=hidden name=signin value=\"{signed_in}\">\
         <button name=decision value=approve>Allow</button> <button name=decision value=deny>Deny</button></form>",
        client = html_escape(&client_name),
        user = html_escape(&identifier),
        config = html_escape(&target.config.name),
        signed_in = html_escape(&signed_in),
    );
    let mut response = Html(body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("frame-ancestors 'none'"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[derive(Debug, Deserialize)]
pub struct ConsentAnswer {
    #[serde(default)]
    signin: String,
    #[serde(default)]
    decision: String,
}

/// The user's answer on the consent page: a code back to the client, or `access_denied`.
pub async fn consent(State(state): State<SharedState>, Form(form): Form<ConsentAnswer>) -> Response {
    if settings(&state).is_none() {
        return not_configured();
    }
    let Ok(SignedInUser { req: pending, sub: identifier }) = state.signer.verify::<SignedInUser>(&form.signin) else {
        return page(StatusCode::BAD_REQUEST, "Sign-in failed", "The consent form is not valid.").into_response();
    };
    if pending.exp < now_unix() {
        return page(
            StatusCode::BAD_REQUEST,
            "Sign-in failed",
            "The sign-in expired; start again from your MCP client.",
        )
        .into_response();
    }
    let st = pending.st.clone().unwrap_or_default();
    let user = format!("mcp:{identifier}");
    let details = json!({"client_id": pending.cid, "config_id": pending.cfg});
    if form.decision != "approve" {
        audit(&state, &user, "mcp_oauth.consent_denied", &pending.cid, crate::audit::REFUSED, details).await;
        return back_to_client(
            &state,
            &pending.ruri,
            &[("error", "access_denied"), ("error_description", "the user denied access"), ("state", &st)],
        );
    }
    let code = random_token();
    let grant = AuthorizationCode {
        client_id: pending.cid.clone(),
        redirect_uri: pending.ruri.clone(),
        code_challenge: pending.cc.clone(),
        resource: pending.res.clone(),
        config_id: pending.cfg.clone(),
        user_identifier: identifier,
        expires_at: chrono::Utc::now() + chrono::Duration::seconds(CODE_TTL_SECS),
    };
    if state.store.save_mcp_oauth_code(&code, &grant).await.is_err() {
        return back_to_client(
            &state,
            &pending.ruri,
            &[("error", "temporarily_unavailable"), ("error_description", "try again"), ("state", &st)],
        );
    }
    audit(&state, &user, "mcp_oauth.consent_granted", &pending.cid, crate::audit::SUCCESS, details).await;
    back_to_client(&state, &pending.ruri, &[("code", &code), ("state", &st)])
}

#[derive(Debug, Deserialize)]
pub struct TokenRequest {
    #[serde(default)]
    grant_type: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    refresh_token: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    code_verifier: String,
    resource: Option<String>,
}

/// The token endpoint: an authorization code (with its PKCE verifier) or a refresh token → a
/// short-lived access token for one config URL and a new refresh token (rotation).
pub async fn token(State(state): State<SharedState>, Form(req): Form<TokenRequest>) -> Response {
    let Some(oauth) = settings(&state) else { return not_configured() };
    let invalid_grant = |text: &str| oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", text);
    let unavailable =
        |e: agentkit_core::Error| oauth_error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", e.message());
    let grant = match req.grant_type.as_str() {
        "authorization_code" => {
            let code = match state.store.consume_mcp_oauth_code(&req.code).await {
                Ok(Some(code)) => code,
                Ok(None) => return invalid_grant("the authorization code is unknown or was already used"),
                Err(e) => return unavailable(e),
            };
            if code.expires_at < chrono::Utc::now() {
                return invalid_grant("the authorization code expired");
            }
            if code.client_id != req.client_id || code.redirect_uri != req.redirect_uri {
                return invalid_grant("client_id or redirect_uri differ from the authorization request");
            }
            if req.code_verifier.len() < 43 || pkce_challenge(&req.code_verifier) != code.code_challenge {
                return invalid_grant("the PKCE code_verifier does not match the code_challenge");
            }
            if req.resource.as_deref().is_some_and(|r| r.trim_end_matches('/') != code.resource) {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_target",
                    "resource differs from the authorization request",
                );
            }
            let grant = OAuthGrant {
                grant_id: format!("grant_{}", uuid::Uuid::new_v4().simple()),
                client_id: code.client_id,
                config_id: code.config_id,
                resource: code.resource,
                user_identifier: code.user_identifier,
            };
            if let Err(e) = state.store.create_mcp_oauth_grant(&grant).await {
                return unavailable(e);
            }
            let details = json!({"client_id": grant.client_id, "config_id": grant.config_id});
            let user = format!("mcp:{}", grant.user_identifier);
            audit(&state, &user, "mcp_oauth.grant_created", &grant.grant_id, crate::audit::SUCCESS, details).await;
            grant
        }
        "refresh_token" => {
            let grant = match state.store.use_mcp_oauth_refresh_token(&req.refresh_token).await {
                Ok(RefreshTokenUse::Taken(grant)) => grant,
                Ok(RefreshTokenUse::Refused) => {
                    let details =
                        json!({"reason": "unknown, expired, revoked or replayed (a replay revokes the grant)"});
                    let refused = crate::audit::REFUSED;
                    audit(&state, "anonymous", "mcp_oauth.refresh_refused", &req.client_id, refused, details).await;
                    return invalid_grant("the refresh token is unknown, expired, revoked or was already used");
                }
                Err(e) => return unavailable(e),
            };
            if grant.client_id != req.client_id {
                return invalid_grant("the refresh token was issued to another client");
            }
            if req.resource.as_deref().is_some_and(|r| r.trim_end_matches('/') != grant.resource) {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_target", "resource differs from the grant's");
            }
            grant
        }
        _ => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "grant_type must be authorization_code or refresh_token",
            )
        }
    };
    let refresh_token = random_token();
    let refresh_expires = chrono::Utc::now() + chrono::Duration::days(REFRESH_TOKEN_TTL_DAYS);
    if let Err(e) = state.store.save_mcp_oauth_refresh_token(&refresh_token, &grant.grant_id, refresh_expires).await {
        return unavailable(e);
    }
    let ttl = i64::try_from(oauth.access_token_ttl_secs).unwrap_or(3600).clamp(60, 86_400);
    let claims = McpAccessClaims {
        sub: grant.user_identifier,
        cfg: grant.config_id,
        aud: grant.resource,
        cid: grant.client_id,
        gid: grant.grant_id,
        exp: now_unix().saturating_add(ttl),
    };
    let mut response = Json(json!({
        "access_token": state.signer.sign(&claims),
        "token_type": "Bearer",
        "expires_in": ttl,
        "refresh_token": refresh_token,
    }))
    .into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[derive(Debug, Deserialize)]
pub struct RevocationRequest {
    #[serde(default)]
    token: String,
}

/// RFC 7009 revocation: an access or refresh token ends its whole grant. Unknown tokens are
/// answered 200 as well (the RFC's rule: nothing to learn from the answer).
pub async fn revoke(State(state): State<SharedState>, Form(req): Form<RevocationRequest>) -> Response {
    if settings(&state).is_none() {
        return not_configured();
    }
    let grant = match state.signer.verify::<McpAccessClaims>(&req.token) {
        Ok(claims) => Some(claims.gid),
        Err(_) => state.store.mcp_oauth_grant_of_refresh_token(&req.token).await.ok().flatten(),
    };
    if let Some(grant) = grant {
        if let Err(e) = state.store.revoke_mcp_oauth_grant(&grant).await {
            return oauth_error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", e.message());
        }
        audit(&state, "anonymous", "mcp_oauth.grant_revoked", &grant, crate::audit::SUCCESS, Value::Null).await;
    }
    StatusCode::OK.into_response()
}

/// An event of the authorization server for the audit trail. Its endpoints are not API calls,
/// so the actor is named here: the signed-in user (`mcp:<identifier>`) or `anonymous`.
async fn audit(state: &AppState, actor: &str, action: &str, target: &str, outcome: &str, details: Value) {
    crate::audit::append(&state.store, actor.to_string(), action, target, outcome, details).await;
}

/// 32 random bytes, URL-safe: authorization codes and refresh tokens.
fn random_token() -> String {
    use base64::Engine;
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
