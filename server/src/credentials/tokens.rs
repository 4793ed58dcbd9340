//! Signed, expiring, stateless tokens: API access tokens and authorization-link tokens.
//!
//! Format: `<kind>.<base64url(json claims)>.<base64url(hmac-sha256)>`. Stateless so that several
//! gateway replicas sharing the signing key accept each other's tokens.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use sha2::Sha256;

use agentkit_core::{Error, ErrorKind, Result};

type HmacSha256 = Hmac<Sha256>;

/// What a token is for; its prefix, so a token of one kind never verifies as another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// An API client's access token.
    Access,
    /// An end user's authorization link.
    Link,
    /// A session token for a config's MCP URL.
    McpSession,
    /// An access token the MCP authorization server issued for one config URL.
    McpOAuthAccess,
    /// An authorization request of an MCP client, waiting for the user's sign-in and consent.
    McpOAuthRequest,
    /// A user signed in for such a request, on their way through the consent page.
    McpOAuthSignedIn,
    /// An operator's sign-in to the console, on its way through the organisation's provider.
    ConsoleSignIn,
}

impl TokenKind {
    fn prefix(self) -> &'static str {
        match self {
            TokenKind::Access => "at",
            TokenKind::Link => "ln",
            TokenKind::McpSession => "mt",
            TokenKind::McpOAuthAccess => "oa",
            TokenKind::McpOAuthRequest => "or",
            TokenKind::McpOAuthSignedIn => "os",
            TokenKind::ConsoleSignIn => "cs",
        }
    }
}

/// Claims that travel in a signed token of one kind.
pub trait Claims: Serialize + DeserializeOwned {
    const KIND: TokenKind;
}

impl Claims for AccessClaims {
    const KIND: TokenKind = TokenKind::Access;
}

impl Claims for LinkClaims {
    const KIND: TokenKind = TokenKind::Link;
}

impl Claims for SessionClaims {
    const KIND: TokenKind = TokenKind::McpSession;
}

#[derive(Clone)]
pub struct Signer {
    key: Vec<u8>,
}

/// Claims of an API access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    /// API client id.
    pub cid: String,
    /// Expiry, Unix seconds.
    pub exp: i64,
    /// Issued at, Unix seconds: a token issued before its client's secret was rotated is no
    /// longer accepted (0 for tokens minted before this field existed).
    #[serde(default)]
    pub iat: i64,
}

/// Claims of a config session token (`Authorization: Bearer` on the config's MCP URL).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SessionClaims {
    pub cfg: String,
    pub sub: String,
    pub exp: i64,
    #[serde(default)]
    pub lvl: AccessLevel,
}

/// What an MCP session token may run: every exposed tool, or only the read-only ones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccessLevel {
    /// Every tool the config exposes (also written `""`, the API's default).
    #[default]
    #[serde(rename = "FULL", alias = "")]
    Full,
    /// Only tools marked read-only.
    #[serde(rename = "READ_ONLY")]
    ReadOnly,
}

impl std::str::FromStr for AccessLevel {
    type Err = agentkit_core::Error;

    fn from_str(s: &str) -> Result<AccessLevel> {
        match s {
            "" | "FULL" => Ok(AccessLevel::Full),
            "READ_ONLY" => Ok(AccessLevel::ReadOnly),
            other => Err(agentkit_core::Error::invalid_field(
                "access_level",
                format!("access_level {other:?} is not \"\", \"FULL\" or \"READ_ONLY\""),
            )),
        }
    }
}

/// Claims of an authorization link.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LinkClaims {
    /// Connected account id.
    pub acc: String,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub state: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub verify: String,
    /// Random nonce so two links for one account differ.
    pub n: String,
    /// The scopes the link asks for when not the connection's (signed with the rest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<agentkit_core::model::ScopeSelection>,
}

impl Signer {
    pub fn new(key: Vec<u8>) -> Self {
        Signer { key }
    }

    fn mac(&self, data: &[u8]) -> Vec<u8> {
        #[allow(clippy::expect_used, reason = "HMAC takes a key of any length")]
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC accepts any key length");
        mac.update(data);
        mac.finalize().into_bytes().to_vec()
    }

    pub fn sign<C: Claims>(&self, claims: &C) -> String {
        let kind = C::KIND.prefix();
        #[allow(clippy::expect_used, reason = "claims are plain structs of strings and numbers")]
        let payload = B64.encode(serde_json::to_vec(claims).expect("claims serialize"));
        let signed = format!("{kind}.{payload}");
        let sig = B64.encode(self.mac(signed.as_bytes()));
        format!("{signed}.{sig}")
    }

    /// Checks kind, signature (constant time) and returns the claims; expiry is the caller's check.
    pub fn verify<C: Claims>(&self, token: &str) -> Result<C> {
        let kind = C::KIND.prefix();
        let bad = || Error::new(ErrorKind::Unauthorized, "invalid token");
        let (signed, sig) = token.rsplit_once('.').ok_or_else(bad)?;
        let (token_kind, payload) = signed.split_once('.').ok_or_else(bad)?;
        if token_kind != kind {
            return Err(bad());
        }
        let sig = B64.decode(sig).map_err(|_| bad())?;
        #[allow(clippy::expect_used, reason = "HMAC takes a key of any length")]
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC accepts any key length");
        mac.update(signed.as_bytes());
        mac.verify_slice(&sig).map_err(|_| bad())?;
        let json = B64.decode(payload).map_err(|_| bad())?;
        serde_json::from_slice(&json).map_err(|_| bad())
    }
}

pub fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_levels_parse_once_and_old_tokens_still_read() {
        assert_eq!("".parse::<AccessLevel>().unwrap(), AccessLevel::Full);
        assert_eq!("READ_ONLY".parse::<AccessLevel>().unwrap(), AccessLevel::ReadOnly);
        assert_eq!("read-only".parse::<AccessLevel>().unwrap_err().field(), Some("access_level"));
        // Tokens issued before the enum carried "" or "READ_ONLY" as text.
        let old: SessionClaims = serde_json::from_str(r#"{"cfg":"c","sub":"u","exp":1,"lvl":""}"#).unwrap();
        assert_eq!(old.lvl, AccessLevel::Full);
        let ro: SessionClaims = serde_json::from_str(r#"{"cfg":"c","sub":"u","exp":1,"lvl":"READ_ONLY"}"#).unwrap();
        assert_eq!(ro.lvl, AccessLevel::ReadOnly);
    }

    #[test]
    fn tampering_and_wrong_kind_are_rejected() {
        let s = Signer::new(b"k".to_vec());
        let t = s.sign(&AccessClaims { cid: "c".into(), exp: 10, iat: 0 });
        let back: AccessClaims = s.verify(&t).unwrap();
        assert_eq!(back.cid, "c");
        assert!(s.verify::<LinkClaims>(&t).is_err(), "an access token is not a link");
        let mut forged = t.clone();
        forged.replace_range(3..4, if &t[3..4] == "A" { "B" } else { "A" });
        assert!(s.verify::<AccessClaims>(&forged).is_err());
        assert!(Signer::new(b"other".to_vec()).verify::<AccessClaims>(&t).is_err());
    }
}
