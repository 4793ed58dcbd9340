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

mod authorize;
mod clients;
mod consent;
mod metadata;
mod oidc;
mod revoke;
mod token;

pub use authorize::authorize;
pub use clients::register;
pub use consent::{callback, consent};
pub use metadata::{protected_resource, server_metadata};
pub use oidc::oidc_callback;
pub use revoke::revoke;
pub use token::token;

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
