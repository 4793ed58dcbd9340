//! OAuth 2.0 client side of the gateway: the authorization-code flow with PKCE (S256), token
//! exchange, refresh and revocation, for one connection's OAuth app.

use std::time::Duration;

use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use agentkit_core::model::{AuthorizationDetails, OauthToken};
use agentkit_core::{Error, ErrorKind, Result};

use crate::catalog::connectors::AuthDef;
use crate::config::ConnectionConfig;

const TOKEN_ENDPOINT_TIMEOUT: Duration = Duration::from_secs(20);
/// Longest token lifetime believed (ten years); a larger `expires_in` is cut to it.
const MAX_EXPIRES_IN_SECS: i64 = 10 * 366 * 24 * 3600;

/// A connection's OAuth app: the connector's endpoints with the connection's overrides.
#[derive(Debug, Clone)]
pub struct OAuthApp {
    pub client_id: String,
    client_secret: String,
    pub authorize_url: String,
    pub token_url: String,
    pub revoke_url: String,
    pub scopes: Vec<String>,
    basic_auth: bool,
    params: Vec<(String, String)>,
    /// Fields every token request carries besides the grant's (a remote MCP server's RFC 8707
    /// `resource`).
    token_params: Vec<(String, String)>,
    egress: crate::egress::Egress,
}

/// What a token endpoint answered.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenSet {
    /// May be absent when only a user token was granted (Slack with user scopes only).
    #[serde(default)]
    pub access_token: String,
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub expires_in: Option<i64>,
    #[serde(default)]
    pub scope: Option<String>,
    /// Provider extras (Salesforce's `instance_url`, ...); the connector lists the ones to keep.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl TokenSet {
    /// The stored credential; a refresh that returns no new refresh token keeps the old one.
    pub fn into_credentials(
        self,
        previous_refresh: Option<&str>,
        default_scopes: &[String],
    ) -> (AuthorizationDetails, Option<DateTime<Utc>>) {
        // A provider's expires_in beyond what a date can hold means "does not expire soon".
        let expires_at = self
            .expires_in
            .map(|s| {
                chrono::Duration::try_seconds(s.clamp(0, MAX_EXPIRES_IN_SECS))
                    .and_then(|d| Utc::now().checked_add_signed(d))
            })
            .map(|t| t.unwrap_or(DateTime::<Utc>::MAX_UTC));
        let scopes = match &self.scope {
            Some(s) if !s.is_empty() => s.split([' ', ',']).filter(|p| !p.is_empty()).map(String::from).collect(),
            _ => default_scopes.to_vec(),
        };
        let refresh_token = self.refresh_token.or_else(|| previous_refresh.map(String::from)).unwrap_or_default();
        // Slack: the person's token sits in `authed_user`, next to the bot token.
        let user_access_token = self
            .extra
            .get("authed_user")
            .and_then(|u| u.get("access_token"))
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_string();
        let access_token = if self.access_token.is_empty() { user_access_token.clone() } else { self.access_token };
        let token = OauthToken { access_token, refresh_token, scopes, domain: String::new(), user_access_token };
        (AuthorizationDetails { oauth_token: Some(token), static_auth: None }, expires_at)
    }
}

/// Why a token request failed: the grant is dead (re-authorize) or the failure may pass.
#[derive(Debug)]
pub enum TokenError {
    /// `invalid_grant` and other definitive refusals.
    Rejected(String),
    /// Network errors, timeouts, 5xx, 429.
    Transient(String),
}

impl TokenError {
    pub fn message(&self) -> &str {
        match self {
            TokenError::Rejected(m) | TokenError::Transient(m) => m,
        }
    }
}

/// Error codes with which token endpoints refuse the client itself (RFC 6749 §5.2, and GitHub's and
/// Slack's own words for it).
const CLIENT_REFUSED_ERRORS: &[&str] = &[
    "invalid_client",
    "unauthorized_client",
    "incorrect_client_credentials",
    "invalid_client_id",
    "bad_client_secret",
];
/// Error codes that refuse only the code: the client got past authentication (RFC 6749's
/// `invalid_grant`; GitHub's and Slack's words for it).
const CODE_REFUSED_ERRORS: &[&str] = &["invalid_grant", "bad_verification_code", "invalid_code"];

/// What a token endpoint said to the app's own client credentials (see `OAuthApp::check_client`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientCheck {
    /// The client authenticated; only the made-up code was refused.
    Accepted(String),
    /// The provider refused the client id or secret.
    Refused(String),
    /// The provider refused the gateway's redirect URI: it is not registered on the app.
    RedirectUriRefused(String),
    /// The token endpoint could not be reached or read (the transport step says why).
    Unreachable(String),
    /// An answer that says neither (a provider that accepted the made-up code, a 5xx, a page).
    Unclear(String),
}

/// An OAuth error answer (RFC 6749 §5.2); some providers send it with HTTP 200.
#[derive(Deserialize)]
struct OAuthErrorAnswer {
    error: String,
    #[serde(default)]
    error_description: String,
}

impl OAuthErrorAnswer {
    fn of(body: &[u8]) -> Option<OAuthErrorAnswer> {
        serde_json::from_slice::<OAuthErrorAnswer>(body).ok().filter(|e| !e.error.is_empty())
    }

    fn reason(&self) -> String {
        if self.error_description.is_empty() {
            self.error.clone()
        } else {
            format!("{}: {}", self.error, self.error_description)
        }
    }
}

/// A PKCE pair: the secret verifier and its S256 challenge.
pub fn pkce_pair() -> (String, String) {
    let bytes: [u8; 32] = rand::random();
    let verifier = B64URL.encode(bytes);
    let challenge = pkce_challenge(&verifier);
    (verifier, challenge)
}

/// The S256 challenge of a PKCE verifier (RFC 7636).
pub fn pkce_challenge(verifier: &str) -> String {
    B64URL.encode(Sha256::digest(verifier.as_bytes()))
}

/// An `Authorization: Basic` value for client credentials, each form-encoded first (RFC 6749 §2.3.1).
pub fn basic_client_auth(client_id: &str, client_secret: &str) -> String {
    format!("Basic {}", B64.encode(format!("{}:{}", urlencode(client_id), urlencode(client_secret))))
}

/// The OAuth app users of `connection` sign in with: the connector's endpoints with the
/// connection's overrides, or, for a remote MCP server whose authorization server the gateway
/// discovers, the one learned from it (discovered and registered on first use).
pub async fn connection_app(
    store: &crate::store::Store,
    egress: &crate::egress::Egress,
    redirect_uri: &str,
    connection: &ConnectionConfig,
    connector: &crate::catalog::connectors::ConnectorDef,
) -> Result<OAuthApp> {
    if !connector.oauth_discovered() {
        return OAuthApp::new(&connector.auth, connection, egress.clone());
    }
    let (learned, secret) =
        crate::credentials::upstream_oauth::learned(store, egress, redirect_uri, connection, connector).await?;
    OAuthApp::for_upstream(&learned, secret, &connector.auth, connection, egress.clone())
}

impl OAuthApp {
    pub fn new(auth: &AuthDef, connection: &ConnectionConfig, egress: crate::egress::Egress) -> Result<OAuthApp> {
        let missing = |what: &str| {
            Error::new(
                ErrorKind::FailedPrecondition,
                format!("connection {:?} has no OAuth {what} configured", connection.name),
            )
        };
        let client_id = connection.client_id.clone().filter(|s| !s.is_empty()).ok_or_else(|| missing("client_id"))?;
        let pick = |over: &Option<String>, base: &str| {
            over.clone().filter(|s| !s.is_empty()).unwrap_or_else(|| base.to_string())
        };
        let authorize_url = pick(&connection.authorize_url, &auth.authorize_url);
        let token_url = pick(&connection.token_url, &auth.token_url);
        if authorize_url.is_empty() || token_url.is_empty() {
            return Err(missing("authorize/token endpoint"));
        }
        let mut params: Vec<(String, String)> =
            auth.authorize_params.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        for (k, v) in &connection.authorize_params {
            params.retain(|(existing, _)| existing != k);
            params.push((k.clone(), v.clone()));
        }
        let basic_auth = match connection.token_auth_method.as_deref() {
            None | Some("client_secret_post") => false,
            Some("client_secret_basic") => true,
            Some(other) => {
                return Err(Error::invalid_field(
                    "connections.token_auth_method",
                    format!(
                        "connection {:?}: token_auth_method {other:?} is not client_secret_post or client_secret_basic",
                        connection.name
                    ),
                ))
            }
        };
        Ok(OAuthApp {
            client_id,
            client_secret: connection.client_secret.clone().unwrap_or_default(),
            authorize_url,
            token_url,
            revoke_url: pick(&connection.revoke_url, &auth.revoke_url),
            scopes: if connection.scopes.is_empty() { auth.scopes.clone() } else { connection.scopes.clone() },
            basic_auth,
            params,
            token_params: Vec::new(),
            egress,
        })
    }

    /// The app that signs users in to a remote MCP server at the authorization server the
    /// gateway discovered (`credentials::upstream_oauth`): its endpoints, the registered client
    /// unless the connection names its own, and the server as the `resource` of every request.
    pub fn for_upstream(
        learned: &crate::credentials::upstream_oauth::UpstreamOAuth,
        registered_secret: Option<String>,
        auth: &AuthDef,
        connection: &ConnectionConfig,
        egress: crate::egress::Egress,
    ) -> Result<OAuthApp> {
        let own = connection.client_id.clone().filter(|id| !id.is_empty());
        let (client_id, client_secret, basic_auth) = match own {
            Some(id) => (
                id,
                connection.client_secret.clone().unwrap_or_default(),
                connection.token_auth_method.as_deref() == Some("client_secret_basic"),
            ),
            None => (
                learned.client_id.clone(),
                registered_secret.unwrap_or_default(),
                learned.token_auth_method == "client_secret_basic",
            ),
        };
        let resource = ("resource".to_string(), learned.resource.clone());
        let mut params: Vec<(String, String)> = auth.authorize_params.clone().into_iter().collect();
        for (k, v) in &connection.authorize_params {
            params.retain(|(existing, _)| existing != k);
            params.push((k.clone(), v.clone()));
        }
        params.retain(|(k, _)| k != "resource");
        params.push(resource.clone());
        url::Url::parse(&learned.authorize_url)
            .map_err(|e| Error::invalid_field("authorization_endpoint", format!("{}: {e}", learned.authorize_url)))?;
        Ok(OAuthApp {
            client_id,
            client_secret,
            authorize_url: learned.authorize_url.clone(),
            token_url: learned.token_url.clone(),
            revoke_url: learned.revoke_url.clone(),
            scopes: crate::credentials::upstream_oauth::scopes_for(learned, connection, auth),
            basic_auth,
            params,
            token_params: vec![resource],
            egress,
        })
    }

    /// The provider's consent URL for one authorization request.
    pub fn authorization_url(&self, state: &str, challenge: &str, redirect_uri: &str, login_hint: &str) -> String {
        #[allow(clippy::expect_used, reason = "authorize_url is checked when the connection is loaded")]
        let mut url = url::Url::parse(&self.authorize_url).expect("authorize_url validated at start-up");
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", "code")
                .append_pair("client_id", &self.client_id)
                .append_pair("redirect_uri", redirect_uri)
                .append_pair("scope", &self.scopes.join(" "))
                .append_pair("state", state)
                .append_pair("code_challenge", challenge)
                .append_pair("code_challenge_method", "S256");
            if !login_hint.is_empty() {
                q.append_pair("login_hint", login_hint);
            }
            for (k, v) in &self.params {
                q.append_pair(k, v);
            }
        }
        url.into()
    }

    /// A token-endpoint request carrying the app's client credentials the way the connection says.
    fn token_call<'a>(&'a self, mut form: Vec<(&'a str, String)>) -> crate::egress::OutboundRequest {
        form.extend(self.token_params.iter().map(|(k, v)| (k.as_str(), v.clone())));
        let mut req =
            self.egress.post(&self.token_url).timeout(TOKEN_ENDPOINT_TIMEOUT).header("accept", "application/json");
        if self.basic_auth {
            req = req.header("authorization", basic_client_auth(&self.client_id, &self.client_secret));
        } else {
            form.push(("client_id", self.client_id.clone()));
            if !self.client_secret.is_empty() {
                form.push(("client_secret", self.client_secret.clone()));
            }
        }
        req.form(&form)
    }

    async fn token_request(&self, form: Vec<(&str, String)>) -> std::result::Result<TokenSet, TokenError> {
        let (status, body) = token_endpoint_answer(self.token_call(form)).await?;
        token_set_of(status, &body)
    }

    /// Asks the token endpoint to exchange a code no provider ever issued, to learn whether it
    /// accepts the app's client id and secret without a user or a real grant: a provider checks the
    /// client before the code, so "bad code" means the client passed.
    pub async fn check_client(&self, redirect_uri: &str) -> ClientCheck {
        let made_up_code = format!("agentkit-connection-test-{}", uuid::Uuid::new_v4().simple());
        let (verifier, _) = pkce_pair();
        let form = vec![
            ("grant_type", "authorization_code".into()),
            ("code", made_up_code),
            ("redirect_uri", redirect_uri.into()),
            ("code_verifier", verifier),
        ];
        let (status, body) = match token_endpoint_answer(self.token_call(form)).await {
            Ok(answer) => answer,
            Err(e) => return ClientCheck::Unreachable(e.message().to_string()),
        };
        let answer = OAuthErrorAnswer::of(&body);
        let error = answer.as_ref().map(|e| e.error.as_str()).unwrap_or_default();
        let reason =
            answer.as_ref().map_or_else(|| format!("HTTP {status}"), |e| format!("HTTP {status}, {}", e.reason()));
        if CLIENT_REFUSED_ERRORS.contains(&error) || (status == 401 && error.is_empty()) {
            ClientCheck::Refused(reason)
        } else if error == "redirect_uri_mismatch" {
            ClientCheck::RedirectUriRefused(reason)
        } else if CODE_REFUSED_ERRORS.contains(&error) {
            ClientCheck::Accepted(reason)
        } else {
            ClientCheck::Unclear(reason)
        }
    }
    /// Exchanges an authorization code (with its PKCE verifier).
    pub async fn exchange_code(
        &self,
        code: &str,
        verifier: &str,
        redirect_uri: &str,
    ) -> std::result::Result<TokenSet, TokenError> {
        self.token_request(vec![
            ("grant_type", "authorization_code".into()),
            ("code", code.into()),
            ("redirect_uri", redirect_uri.into()),
            ("code_verifier", verifier.into()),
        ])
        .await
    }

    /// Uses a refresh token; the answer may rotate it.
    pub async fn refresh(&self, refresh_token: &str) -> std::result::Result<TokenSet, TokenError> {
        self.token_request(vec![("grant_type", "refresh_token".into()), ("refresh_token", refresh_token.into())]).await
    }

    /// Revokes a token at the provider, when it supports revocation (best effort).
    pub async fn revoke(&self, token: &str) {
        if self.revoke_url.is_empty() || token.is_empty() {
            return;
        }
        let mut form = vec![("token", token.to_string()), ("client_id", self.client_id.clone())];
        if !self.client_secret.is_empty() {
            form.push(("client_secret", self.client_secret.clone()));
        }
        let sent = self.egress.post(&self.revoke_url).timeout(TOKEN_ENDPOINT_TIMEOUT).form(&form).send().await;
        if let Err(e) = sent {
            tracing::warn!(error = %e.message(), "token revocation failed");
        }
    }
}

/// Sends a token-endpoint request and reads its answer within the token budget; a failure to
/// reach or read it is transient (the caller backs off), never a reason to expire an account.
pub(crate) async fn token_endpoint_answer(
    request: crate::egress::OutboundRequest,
) -> std::result::Result<(u16, bytes::Bytes), TokenError> {
    let resp = request
        .send()
        .await
        .map_err(|e| TokenError::Transient(format!("token endpoint unreachable: {}", e.message())))?;
    let status = resp.status().as_u16();
    let body = crate::egress::read_bounded(resp, crate::egress::TOKEN_ANSWER_MAX_BYTES)
        .await
        .map_err(|e| TokenError::Transient(format!("reading token response: {}", e.message())))?;
    Ok((status, body))
}

/// A token endpoint's answer read: a token set, or why not. An OAuth error body is a refusal
/// even under HTTP 200, as GitHub and Slack send theirs: taking it for a token set would store an
/// empty access token as a connected account.
fn token_set_of(status: u16, body: &[u8]) -> std::result::Result<TokenSet, TokenError> {
    if status >= 500 || status == 429 {
        return Err(TokenError::Transient(format!("token endpoint answered HTTP {status}")));
    }
    if let Some(refusal) = OAuthErrorAnswer::of(body) {
        return Err(TokenError::Rejected(refusal.reason()));
    }
    if status >= 400 {
        return Err(TokenError::Rejected(format!("HTTP {status}")));
    }
    serde_json::from_slice(body).map_err(|e| TokenError::Transient(format!("malformed token response: {e}")))
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_challenge_is_s256_of_the_verifier() {
        let (verifier, challenge) = pkce_pair();
        assert!(verifier.len() >= 43);
        assert_eq!(challenge, B64URL.encode(Sha256::digest(verifier.as_bytes())));
    }

    #[test]
    fn an_oauth_error_under_http_200_is_a_refusal_not_an_empty_token() {
        let github =
            br#"{"error":"bad_verification_code","error_description":"The code passed is incorrect or expired."}"#;
        let slack = br#"{"ok":false,"error":"invalid_code"}"#;
        for body in [&github[..], &slack[..]] {
            assert!(
                matches!(token_set_of(200, body), Err(TokenError::Rejected(_))),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        match token_set_of(200, github) {
            Err(TokenError::Rejected(reason)) => assert!(reason.starts_with("bad_verification_code: "), "{reason}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(token_set_of(400, b"<html>"), Err(TokenError::Rejected(r)) if r == "HTTP 400"));
        assert!(matches!(token_set_of(503, b"{}"), Err(TokenError::Transient(_))));
        let ok = token_set_of(200, br#"{"ok":true,"access_token":"xoxb","authed_user":{}}"#).unwrap();
        assert_eq!(ok.access_token, "xoxb");
    }

    #[test]
    fn refresh_without_rotation_keeps_the_old_refresh_token() {
        let set = TokenSet {
            access_token: "a2".into(),
            refresh_token: None,
            expires_in: Some(60),
            scope: Some("x y".into()),
            extra: Default::default(),
        };
        let (details, exp) = set.clone().into_credentials(Some("r1"), &[]);
        let token = details.oauth_token.unwrap();
        // A huge or negative expires_in from a provider is clamped, never a panic.
        for odd in [i64::MAX, i64::MIN, -5] {
            let (_, at) = TokenSet { expires_in: Some(odd), ..set.clone() }.into_credentials(None, &[]);
            assert!(at.is_some());
        }
        assert_eq!(token.refresh_token, "r1");
        assert_eq!(token.scopes, vec!["x", "y"]);
        assert!(exp.unwrap() > Utc::now());
    }
}
