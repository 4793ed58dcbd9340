//! Signing a person in through an organisation's OpenID Connect provider: discovery (cached),
//! the code flow with PKCE, and the userinfo claim that names them — for MCP clients' users
//! (`[mcp_oauth.oidc]`) and console operators (`[console.oidc]`) alike. Every call goes out
//! through the egress policy, and every answer is read bounded.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Digest;

use agentkit_core::{Error, ErrorKind, Result};

use crate::credentials::oauth::{basic_client_auth, pkce_challenge};
use crate::credentials::tokens::{Claims, Signer, TokenKind};

/// How long a provider's discovery document is reused.
const DISCOVERY_TTL: Duration = Duration::from_secs(300);
/// Bytes a discovery, token or userinfo answer may have.
const ANSWER_BYTES: usize = 256 * 1024;
/// Longest identifier a provider's claim may give.
const MAX_IDENTIFIER_LEN: usize = 256;
/// Most issuers whose discovery is kept (the config names one or two).
const MAX_ISSUERS: usize = 16;

/// What an OIDC provider's discovery document says about where to send users and codes.
#[derive(Debug, Deserialize)]
pub struct OidcProvider {
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub userinfo_endpoint: String,
}

/// The relying party: who we are at the provider, and where it sends the browser back.
pub struct OidcClient<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a str,
    /// The userinfo claim that names the person (`sub`, `email`, …).
    pub identifier_claim: &'a str,
    pub redirect_uri: String,
}

/// How long a failed discovery is remembered: while a provider is down, sign-ins fail at once
/// instead of each waiting out its own fetch in turn.
const DISCOVERY_FAILURE_TTL: Duration = Duration::from_secs(10);

/// Discovery documents by issuer, each fetched at most once per [`DISCOVERY_TTL`] (a failure is
/// kept for [`DISCOVERY_FAILURE_TTL`]), so a flood of sign-ins is not a flood of requests to the
/// provider: one fetch at a time per gateway, the others wait for its answer.
#[derive(Default)]
pub struct Discovery(tokio::sync::Mutex<HashMap<String, (Instant, DiscoveryOutcome)>>);

/// A provider's discovery document, or why it could not be had.
type DiscoveryOutcome = std::result::Result<Arc<OidcProvider>, String>;

impl Discovery {
    pub async fn provider(&self, egress: &crate::egress::Egress, issuer: &str) -> Result<Arc<OidcProvider>> {
        let unavailable =
            |why: &str| Error::new(ErrorKind::Unavailable, format!("the sign-in provider's discovery document: {why}"));
        let mut cached = self.0.lock().await;
        match cached.get(issuer) {
            Some((at, Ok(provider))) if at.elapsed() < DISCOVERY_TTL => return Ok(provider.clone()),
            Some((at, Err(why))) if at.elapsed() < DISCOVERY_FAILURE_TTL => return Err(unavailable(why)),
            _ => {}
        }
        let fetched = fetch_discovery(egress, issuer).await;
        if cached.len() >= MAX_ISSUERS {
            cached.clear();
        }
        let kept = fetched.as_ref().map(Arc::clone).map_err(|e| e.message().to_string());
        cached.insert(issuer.to_string(), (Instant::now(), kept));
        fetched
    }
}

async fn fetch_discovery(egress: &crate::egress::Egress, issuer: &str) -> Result<Arc<OidcProvider>> {
    let url = format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'));
    let answer = egress.get(&url).send().await?;
    if !answer.status().is_success() {
        let status = answer.status().as_u16();
        return Err(Error::new(ErrorKind::Unavailable, format!("{url} answered HTTP {status}")));
    }
    let body = crate::egress::read_bounded(answer, ANSWER_BYTES).await?;
    Ok(Arc::new(serde_json::from_slice(&body)?))
}

/// The PKCE verifier of one sign-in, derived from its nonce with the gateway's key: it never
/// travels through the browser and needs no storage.
pub fn pkce_verifier(signer: &Signer, nonce: &str) -> String {
    #[derive(Serialize, Deserialize)]
    struct PkceSeed {
        pkce: String,
    }
    impl Claims for PkceSeed {
        const KIND: TokenKind = TokenKind::McpOAuthRequest;
    }
    let seed = signer.sign(&PkceSeed { pkce: nonce.to_string() });
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(seed.as_bytes()))
}

/// Where to send the browser: the provider's authorization endpoint with our request.
pub fn authorization_url(
    provider: &OidcProvider,
    client: &OidcClient,
    state: &str,
    nonce: &str,
    verifier: &str,
) -> Result<url::Url> {
    let mut url = url::Url::parse(&provider.authorization_endpoint).map_err(|_| {
        Error::new(ErrorKind::Unavailable, "the sign-in provider's authorization endpoint is not a URL")
    })?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client.client_id)
        .append_pair("redirect_uri", &client.redirect_uri)
        .append_pair("scope", "openid email")
        .append_pair("state", state)
        .append_pair("nonce", nonce)
        .append_pair("code_challenge", &pkce_challenge(verifier))
        .append_pair("code_challenge_method", "S256");
    Ok(url)
}

/// The person the provider signed in: the code exchanged at its token endpoint (with our PKCE
/// verifier), then the client's claim of its userinfo, read straight from the provider. An
/// `email` claim names a person only once the provider has verified it.
pub async fn identify(
    egress: &crate::egress::Egress,
    provider: &OidcProvider,
    client: &OidcClient<'_>,
    code: &str,
    verifier: &str,
) -> Result<String> {
    let tokens = egress
        .post(&provider.token_endpoint)
        .header("authorization", basic_client_auth(client.client_id, client.client_secret))
        .header("accept", "application/json")
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &client.redirect_uri),
            ("code_verifier", verifier),
        ])
        .send()
        .await?;
    let tokens: Value = serde_json::from_slice(&crate::egress::read_bounded(tokens, ANSWER_BYTES).await?)?;
    let access_token = tokens["access_token"]
        .as_str()
        .ok_or_else(|| Error::new(ErrorKind::Unauthorized, "the provider issued no access token"))?;
    let info = egress
        .get(&provider.userinfo_endpoint)
        .header("authorization", format!("Bearer {access_token}"))
        .send()
        .await?;
    let info: Value = serde_json::from_slice(&crate::egress::read_bounded(info, ANSWER_BYTES).await?)?;
    // Anyone can register an account with someone else's address at many providers.
    if client.identifier_claim == "email" && !matches!(info.get("email_verified"), Some(Value::Bool(true))) {
        return Err(Error::new(
            ErrorKind::Unauthorized,
            "the provider has not verified this account's email (email_verified is not true), so it cannot name the user",
        ));
    }
    info[client.identifier_claim]
        .as_str()
        .filter(|id| !id.is_empty() && id.len() <= MAX_IDENTIFIER_LEN)
        .map(String::from)
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Unauthorized,
                format!("the provider's userinfo has no {:?} claim", client.identifier_claim),
            )
        })
}
