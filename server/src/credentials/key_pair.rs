//! Key-pair authentication: the account holds an RSA private key (PKCS#8 PEM, sealed in the vault
//! with the rest of its credentials) and each call carries a short-lived RS256 JWT signed with it
//! (Snowflake's `KEYPAIR_JWT`). The claims come from the connector file's template, filled from
//! the account's details; `iat` and `exp` are always the gateway's. Minted tokens are cached until
//! shortly before they expire, so a busy account does not sign per call.

use std::collections::HashMap;
use std::sync::Mutex;

use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
use aws_lc_rs::signature::KeyPair;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use agentkit_core::{Error, ErrorKind, Result};

pub use crate::catalog::connectors::KeyPairDef;
use crate::catalog::templates::Scope;
use crate::credentials::service_account::{sign_rs256, signing_key};

/// The details field holding the key; never a claim, never logged or quoted.
pub const PRIVATE_KEY: &str = "private_key";
/// The claim-template name of the key's fingerprint: `SHA256:` and the base64 SHA-256 of the
/// public key's DER SubjectPublicKeyInfo (what Snowflake shows as `RSA_PUBLIC_KEY_FP`).
pub const FINGERPRINT: &str = "public_key_fingerprint";
pub use crate::catalog::connectors::MAX_KEY_PAIR_LIFETIME_SECS as MAX_LIFETIME_SECS;
/// A cached token is replaced this long before it expires (clock skew, slow calls).
const RENEW_BEFORE_SECS: i64 = 120;
/// Most tokens kept (one per account and key); beyond it the soonest to expire goes first.
const MAX_CACHED: usize = 4096;

/// The details fields a connector's claims template reads (each must be a non-empty string).
pub fn fields(def: &KeyPairDef) -> Vec<String> {
    let mut names = Vec::new();
    collect_placeholders(&Value::Object(def.claims.clone()), &mut names);
    names.retain(|n| n != FINGERPRINT);
    names.sort();
    names.dedup();
    names
}

/// Checks an account's details when they are saved: a usable key and every field the claims
/// read; errors name the field (`authorization_details.static_auth.details.private_key`).
pub fn check(def: &KeyPairDef, details: &Value) -> Result<()> {
    let field = |name: &str| format!("authorization_details.static_auth.details.{name}");
    let key = details.get(PRIVATE_KEY).and_then(Value::as_str).ok_or_else(|| {
        Error::invalid_field(field(PRIVATE_KEY), "private_key (a PKCS#8 PEM RSA private key) is required")
    })?;
    signing_key(key)?;
    for name in fields(def) {
        if details.get(&name).and_then(Value::as_str).is_none_or(|v| v.trim().is_empty()) {
            return Err(Error::invalid_field(field(&name), format!("{name} is required (a non-empty string)")));
        }
    }
    Ok(())
}

fn collect_placeholders(template: &Value, names: &mut Vec<String>) {
    match template {
        Value::String(text) => {
            for piece in text.split("{{").skip(1) {
                if let Some((name, _)) = piece.split_once("}}") {
                    names.push(name.trim().to_string());
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_placeholders(v, names)),
        Value::Object(fields) => fields.values().for_each(|v| collect_placeholders(v, names)),
        _ => {}
    }
}

/// Do these static details hold a key for key-pair authentication?
pub fn holds_key(details: &Value) -> bool {
    details.get(PRIVATE_KEY).is_some() && details.get("type").and_then(Value::as_str) != Some("service_account")
}

/// The account's settings a connector reads (its base URL's `{{api_config.…}}`, Snowflake's
/// warehouse and role): `api_config`, over a key-pair account's text details (its `account`,
/// say) — never the key itself.
pub fn account_settings(
    api_config: Option<&Value>,
    credentials: Option<&agentkit_core::model::AuthorizationDetails>,
) -> Option<Value> {
    let details = credentials
        .and_then(|c| c.static_auth.as_ref())
        .map(|s| &s.details)
        .filter(|d| holds_key(d))
        .and_then(Value::as_object);
    let Some(details) = details else { return api_config.cloned() };
    let mut settings: Map<String, Value> = details
        .iter()
        .filter(|(name, value)| name.as_str() != PRIVATE_KEY && value.is_string())
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    if let Some(config) = api_config.and_then(Value::as_object) {
        settings.extend(config.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    Some(Value::Object(settings))
}

/// `SHA256:<base64>` of the key's public half (DER SubjectPublicKeyInfo).
pub fn fingerprint(key: &aws_lc_rs::rsa::KeyPair) -> Result<String> {
    let der = AsDer::<PublicKeyX509Der>::as_der(key.public_key())
        .map_err(|_| Error::new(ErrorKind::Server, "the account's public key could not be encoded"))?;
    Ok(format!("SHA256:{}", B64.encode(Sha256::digest(der.as_ref()))))
}

/// Minted tokens by account key and claims template (a digest: the cache never holds the key),
/// each with its expiry (Unix seconds).
pub struct KeyPairTokens {
    minted: Mutex<HashMap<[u8; 32], (String, i64)>>,
    capacity: usize,
}

impl Default for KeyPairTokens {
    fn default() -> Self {
        KeyPairTokens { minted: Mutex::default(), capacity: MAX_CACHED }
    }
}

impl std::fmt::Debug for KeyPairTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyPairTokens")
    }
}

impl KeyPairTokens {
    /// A token for `details` under `def`: the cached one while it has more than a couple of
    /// minutes left, else a freshly signed one.
    pub fn token(&self, def: &KeyPairDef, details: &Value) -> Result<String> {
        let now = chrono::Utc::now().timestamp();
        let mut digest = Sha256::new();
        digest.update(details.to_string());
        digest.update([0]);
        digest.update(Value::Object(def.claims.clone()).to_string());
        digest.update(def.lifetime_secs.to_be_bytes());
        let slot: [u8; 32] = digest.finalize().into();
        if let Some((token, _)) = self.lock().get(&slot).filter(|(_, exp)| exp.saturating_sub(RENEW_BEFORE_SECS) > now)
        {
            return Ok(token.clone());
        }
        let (token, exp) = mint(def, details, now)?;
        let mut minted = self.lock();
        if minted.len() >= self.capacity {
            minted.retain(|_, (_, e)| e.saturating_sub(RENEW_BEFORE_SECS) > now);
        }
        if minted.len() >= self.capacity {
            if let Some(soonest) = minted.iter().min_by_key(|(_, (_, e))| *e).map(|(k, _)| *k) {
                minted.remove(&soonest);
            }
        }
        minted.insert(slot, (token.clone(), exp));
        Ok(token)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], (String, i64)>> {
        self.minted.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Signs a token for `details` at `now`; its expiry.
fn mint(def: &KeyPairDef, details: &Value, now: i64) -> Result<(String, i64)> {
    let unusable = |why: String| {
        Error::new(ErrorKind::FailedPrecondition, format!("the connected account's key-pair credentials: {why}"))
    };
    let pem = details.get(PRIVATE_KEY).and_then(Value::as_str).ok_or_else(|| unusable("no private_key".into()))?;
    let key = signing_key(pem).map_err(|e| unusable(e.message().to_string()))?;
    // The template reads the details' text fields (never the key) and the key's fingerprint.
    let mut scope: Map<String, Value> = details
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(name, value)| name.as_str() != PRIVATE_KEY && value.is_string())
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    scope.insert(FINGERPRINT.into(), Value::String(fingerprint(&key)?));
    let mut claims = Map::new();
    for (claim, template) in &def.claims {
        let value =
            Scope::new(&scope).render(template).ok_or_else(|| unusable(format!("claim {claim} has no value")))?;
        claims.insert(claim.clone(), value);
    }
    let lifetime = i64::try_from(def.lifetime_secs.min(MAX_LIFETIME_SECS)).unwrap_or(60);
    let exp = now.saturating_add(lifetime);
    claims.insert("iat".into(), json!(now));
    claims.insert("exp".into(), json!(exp));
    let token = sign_rs256(&key, &json!({"alg": "RS256", "typ": "JWT"}), &Value::Object(claims))?;
    Ok((token, exp))
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentkit_sandbox::{pem_private_key, verify_assertion};

    fn snowflake_def() -> KeyPairDef {
        serde_json::from_value(json!({
            "claims": {
                "iss": {"$join": [{"$upper": "{{account}}", "until": "."}, {"$upper": "{{username}}"}, "{{public_key_fingerprint}}"], "separator": "."},
                "sub": {"$join": [{"$upper": "{{account}}", "until": "."}, {"$upper": "{{username}}"}], "separator": "."}
            },
            "headers": {"X-Snowflake-Authorization-Token-Type": "KEYPAIR_JWT"}
        }))
        .unwrap()
    }

    #[test]
    fn tokens_carry_the_templated_claims_and_are_cached() {
        let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
        let pem = pem_private_key(pair.as_der().unwrap().as_ref());
        let details = json!({"account": "xy12345.eu-west-1", "username": "alice", "private_key": pem});
        let def = snowflake_def();
        assert_eq!(fields(&def), ["account", "username"]);
        check(&def, &details).unwrap();
        let tokens = KeyPairTokens::default();
        let token = tokens.token(&def, &details).unwrap();
        let claims = verify_assertion(&token, pair.public_key().as_ref()).expect("signed with the account's key");
        let fp = fingerprint(&pair).unwrap();
        assert!(fp.starts_with("SHA256:") && fp.len() == "SHA256:".len() + 44, "{fp}");
        assert_eq!(claims["iss"], format!("XY12345.ALICE.{fp}"));
        assert_eq!(claims["sub"], "XY12345.ALICE");
        assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 3600);
        assert_eq!(tokens.token(&def, &details).unwrap(), token, "cached, not signed again");
        assert!(!token.contains("PRIVATE"), "the key is no claim");
    }

    #[test]
    fn bad_details_name_the_field() {
        let def = snowflake_def();
        for (details, field) in [
            (json!({"account": "a", "username": "u"}), "private_key"),
            (json!({"account": "a", "username": "u", "private_key": "not a key"}), "private_key"),
            (
                json!({"account": "a", "username": "u", "private_key": "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----"}),
                "private_key",
            ),
            (
                json!({"account": "a", "username": "u", "private_key": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"}),
                "private_key",
            ),
        ] {
            let err = check(&def, &details).unwrap_err();
            assert_eq!(err.field(), Some(format!("authorization_details.static_auth.details.{field}").as_str()));
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
        }
        let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
        let pem = pem_private_key(pair.as_der().unwrap().as_ref());
        let err = check(&def, &json!({"account": "a", "private_key": pem})).unwrap_err();
        assert_eq!(err.field(), Some("authorization_details.static_auth.details.username"));
        assert!(!err.message().contains(&pem[30..60]), "the key is never quoted");
    }

    #[test]
    fn the_cache_is_bounded() {
        let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
        let pem = pem_private_key(pair.as_der().unwrap().as_ref());
        let tokens = KeyPairTokens { minted: Mutex::default(), capacity: 8 };
        let def = snowflake_def();
        for i in 0..13 {
            let details = json!({"account": format!("a{i}"), "username": "u", "private_key": pem});
            tokens.token(&def, &details).unwrap();
        }
        assert_eq!(tokens.lock().len(), 8);
    }
}
