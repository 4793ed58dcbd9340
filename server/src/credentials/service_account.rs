//! Service accounts: the JWT bearer grant (RFC 7523). The account's stored credential is a
//! service-account key (Google's JSON key format: `client_email`, `private_key` PEM, `token_uri`);
//! the gateway signs a short-lived RS256 assertion and trades it for an access token, which it
//! caches next to the key until it nears expiry.

use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};

use agentkit_core::model::AuthorizationDetails;
use agentkit_core::{Error, Result};

use crate::credentials::oauth::{TokenError, TokenSet};

/// The grant type of RFC 7523 §2.1.
pub const JWT_BEARER: &str = agentkit_core::model::auth::JWT_BEARER_GRANT;
/// Lifetime of a signed assertion.
const ASSERTION_TTL_SECS: i64 = 300;

/// A service-account key as stored in `static_auth.details`.
#[derive(Debug, Clone, Deserialize)]
pub struct ServiceAccountKey {
    pub client_email: String,
    pub private_key: String,
    #[serde(default)]
    pub private_key_id: String,
    pub token_uri: String,
    /// The user to act as (domain-wide delegation); the service account itself when empty.
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub scopes: Vec<String>,
}

impl ServiceAccountKey {
    /// The key held by an account's credentials, if it is a service account.
    pub fn of(details: Option<&AuthorizationDetails>) -> Option<ServiceAccountKey> {
        let static_details = &details?.static_auth.as_ref()?.details;
        if static_details.get("type").and_then(Value::as_str) != Some("service_account") {
            return None;
        }
        serde_json::from_value(static_details.clone()).ok()
    }

    /// Validates a key when an account is created, naming the bad field.
    /// `declared_token_urls` are the connection's token endpoints, the only other places (next to
    /// Google's) a key may be traded at.
    pub fn check(details: &Value, declared_token_urls: &[&str]) -> Result<()> {
        let key: ServiceAccountKey = serde_json::from_value(details.clone()).map_err(|e| {
            Error::invalid_field("authorization_details.static_auth.details", format!("not a service-account key: {e}"))
        })?;
        url::Url::parse(&key.token_uri).map_err(|_| {
            Error::invalid_field("authorization_details.static_auth.details.token_uri", "token_uri is not a URL")
        })?;

        signing_key(&key.private_key)?;
        if !token_uri_allowed(&key.token_uri, declared_token_urls) {
            return Err(Error::invalid_field(
                "authorization_details.static_auth.details.token_uri",
                "token_uri is not a token endpoint of this connection (Google's, or the connection's token_url)",
            ));
        }
        Ok(())
    }

    /// A signed RS256 assertion for this key, scopes defaulting to the connection's.
    pub fn assertion(&self, default_scopes: &[String]) -> Result<String> {
        let now = chrono::Utc::now().timestamp();
        let scopes = if self.scopes.is_empty() { default_scopes } else { &self.scopes };
        let header = json!({"alg": "RS256", "typ": "JWT", "kid": self.private_key_id});
        let claims = json!({
            "iss": self.client_email,
            "sub": if self.subject.is_empty() { &self.client_email } else { &self.subject },
            "aud": self.token_uri,
            "scope": scopes.join(" "),
            "iat": now,
            "exp": now + ASSERTION_TTL_SECS,
        });
        sign_rs256(&signing_key(&self.private_key)?, &header, &claims)
    }

    /// Trades a fresh assertion for an access token at `token_uri`.
    pub async fn exchange(
        &self,
        egress: &crate::egress::Egress,
        default_scopes: &[String],
    ) -> std::result::Result<TokenSet, TokenError> {
        let assertion = self.assertion(default_scopes).map_err(|e| TokenError::Rejected(e.message().to_string()))?;
        let form = [("grant_type", JWT_BEARER), ("assertion", assertion.as_str())];
        let request = egress.post(&self.token_uri).timeout(std::time::Duration::from_secs(20)).form(&form);
        let (status, body) = crate::credentials::oauth::token_endpoint_answer(request).await?;
        match status {
            200..=299 => serde_json::from_slice(&body)
                .map_err(|e| TokenError::Transient(format!("malformed token response: {e}"))),
            429 | 500.. => Err(TokenError::Transient(format!("token endpoint answered HTTP {status}"))),
            // Only the OAuth error code, never the body: the endpoint is not ours to quote.
            _ => Err(TokenError::Rejected(format!("token endpoint answered HTTP {status}{}", oauth_error_code(&body)))),
        }
    }
}

/// `": invalid_grant"` when the answer carries a well-formed OAuth `error` code, else nothing.
fn oauth_error_code(body: &[u8]) -> String {
    let code = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("error").and_then(Value::as_str).map(String::from))
        .filter(|c| c.len() <= 64 && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_'));
    code.map(|c| format!(": {c}")).unwrap_or_default()
}

/// Is `token_uri` one of the token endpoints this connection may trade keys at: Google's, the
/// connector's token URL or the connection's override (same scheme, host and port)?
pub fn token_uri_allowed(token_uri: &str, declared: &[&str]) -> bool {
    let Ok(uri) = url::Url::parse(token_uri) else { return false };
    std::iter::once(GOOGLE_TOKEN_URI)
        .chain(declared.iter().copied())
        .filter_map(|d| url::Url::parse(d).ok())
        .any(|d| d.origin() == uri.origin())
}

/// Where Google's service-account keys point.
pub const GOOGLE_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";

/// The one JWT signer of the gateway (service-account assertions, key-pair tokens): `header` and
/// `claims` signed RS256 with `key`, in compact form.
pub(crate) fn sign_rs256(key: &aws_lc_rs::rsa::KeyPair, header: &Value, claims: &Value) -> Result<String> {
    let signing_input = format!("{}.{}", B64URL.encode(header.to_string()), B64URL.encode(claims.to_string()));
    let mut signature = vec![0u8; key.public_modulus_len()];
    key.sign(
        &aws_lc_rs::signature::RSA_PKCS1_SHA256,
        &aws_lc_rs::rand::SystemRandom::new(),
        signing_input.as_bytes(),
        &mut signature,
    )
    .map_err(|_| Error::new(agentkit_core::ErrorKind::Server, "signing a JWT with the account's key failed"))?;
    Ok(format!("{signing_input}.{}", B64URL.encode(signature)))
}

/// Where an account's private key is, for errors (which never quote the key).
const PRIVATE_KEY_FIELD: &str = "authorization_details.static_auth.details.private_key";

/// PEM (PKCS#8 `PRIVATE KEY`) → an RSA signing key; the error says which form was given instead
/// (an encrypted or PKCS#1 key) and how to convert it, never the key.
pub(crate) fn signing_key(pem: &str) -> Result<aws_lc_rs::rsa::KeyPair> {
    let bad = |why: &str| Error::invalid_field(PRIVATE_KEY_FIELD, format!("private_key {why}"));
    // Keys pasted into JSON often keep their line breaks as the two characters `\n`.
    let pem = pem.replace("\\n", "\n");
    if pem.contains("ENCRYPTED PRIVATE KEY") {
        return Err(bad("is encrypted: give an unencrypted PKCS#8 key (openssl pkcs8 -topk8 -nocrypt)"));
    }
    if pem.contains("RSA PRIVATE KEY") {
        return Err(bad("is a PKCS#1 key: convert it to PKCS#8 (openssl pkcs8 -topk8 -nocrypt -in key.pem)"));
    }
    if !pem.trim_start().starts_with("-----BEGIN PRIVATE KEY-----") {
        return Err(bad("is not a PEM-encoded PKCS#8 key (-----BEGIN PRIVATE KEY-----)"));
    }
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).flat_map(|l| l.split_whitespace()).collect();
    let der = B64.decode(body.trim()).map_err(|_| bad("is not a PEM-encoded key (its base64 does not decode)"))?;
    aws_lc_rs::rsa::KeyPair::from_pkcs8(&der).map_err(|_| bad("is not a PKCS#8 RSA key"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentkit_sandbox::{pem_private_key, verify_assertion};
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::signature::KeyPair;

    #[test]
    fn assertions_verify_with_the_public_key_and_carry_the_claims() {
        let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
        let key = ServiceAccountKey {
            client_email: "bot@example.iam".into(),
            private_key: pem_private_key(pair.as_der().unwrap().as_ref()),
            private_key_id: "k1".into(),
            token_uri: "https://oauth.example/token".into(),
            subject: "alice@example.com".into(),
            scopes: vec![],
        };
        ServiceAccountKey::check(&serde_json::to_value(json!({
            "type": "service_account", "client_email": key.client_email, "private_key": key.private_key, "token_uri": key.token_uri
        })).unwrap(), &["https://oauth.example/token"])
        .unwrap();
        // A key pointing anywhere else (an internal service, say) is refused when it is saved.
        let elsewhere = json!({"type": "service_account", "client_email": key.client_email,
                               "private_key": key.private_key, "token_uri": "http://169.254.169.254/token"});
        let refused = ServiceAccountKey::check(&elsewhere, &["https://oauth.example/token"]).unwrap_err();
        assert_eq!(refused.field(), Some("authorization_details.static_auth.details.token_uri"));
        ServiceAccountKey::check(
            &json!({"type": "service_account", "client_email": "x", "private_key": key.private_key,
                                         "token_uri": GOOGLE_TOKEN_URI}),
            &[],
        )
        .unwrap();
        let jwt = key.assertion(&["scope.a".into(), "scope.b".into()]).unwrap();
        let claims = verify_assertion(&jwt, pair.public_key().as_ref()).expect("valid signature");
        assert_eq!(claims["sub"], "alice@example.com");
        assert_eq!(claims["aud"], "https://oauth.example/token");
        assert_eq!(claims["scope"], "scope.a scope.b");
        let mut forged = jwt.clone();
        forged.insert(10, 'x');
        assert!(verify_assertion(&forged, pair.public_key().as_ref()).is_none());
        let bad = ServiceAccountKey::check(
            &json!({"type": "service_account", "client_email": "x", "private_key": "nope", "token_uri": "https://t"}),
            &["https://t"],
        );
        assert_eq!(bad.unwrap_err().field(), Some("authorization_details.static_auth.details.private_key"));
    }
}
