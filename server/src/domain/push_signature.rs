//! The providers' own signatures on what they push (`SignatureScheme`): each check recomputes
//! the HMAC-SHA256 with every secret the ingress accepts and compares in constant time, and
//! refuses a push signed too long ago where the scheme signs a time (Slack, Stripe, Linear).

use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::catalog::triggers::SignatureScheme;

/// How old (or how far ahead) a signed time may be, in seconds: Slack's and Stripe's five
/// minutes, Linear's one.
const SLACK_WINDOW_SECS: i64 = 300;
const STRIPE_WINDOW_SECS: i64 = 300;
const LINEAR_WINDOW_MS: i64 = 60_000;
/// Most signatures one `Stripe-Signature` header may carry that are tried.
const MAX_STRIPE_SIGNATURES: usize = 8;

/// Why a push was refused: its signature (absent, wrong), or its age.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The header the scheme signs with is missing or unreadable.
    Unsigned(String),
    /// No accepted secret makes this signature.
    Forged,
    /// Signed correctly, too long ago (or in the future): a replay.
    Stale(String),
}

impl Refusal {
    pub fn reason(&self) -> String {
        match self {
            Refusal::Unsigned(why) => why.clone(),
            Refusal::Forged => "the signature matches no signing secret of this ingress".into(),
            Refusal::Stale(why) => why.clone(),
        }
    }

    /// The audit outcome's detail: `unsigned`, `forged` or `replayed`.
    pub fn kind(&self) -> &'static str {
        match self {
            Refusal::Unsigned(_) => "unsigned",
            Refusal::Forged => "forged",
            Refusal::Stale(_) => "replayed",
        }
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Result<&'a str, Refusal> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Refusal::Unsigned(format!("the push has no {name} header")))
}

fn hex_bytes(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || text.len() > 256 {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

/// True when HMAC-SHA256(secret, parts…) equals `expected` (hex), for some secret.
fn signed_by_any(secrets: &[&str], parts: &[&[u8]], expected_hex: &str) -> bool {
    let Some(expected) = hex_bytes(expected_hex) else { return false };
    secrets.iter().any(|secret| {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else { return false };
        for part in parts {
            mac.update(part);
        }
        mac.verify_slice(&expected).is_ok()
    })
}

fn within(now: i64, signed_at: i64, window: i64, unit: &str) -> Result<(), Refusal> {
    let age = now.saturating_sub(signed_at);
    if age.saturating_abs() > window {
        return Err(Refusal::Stale(format!(
            "the push was signed {age} {unit} from now; at most {window} {unit} are accepted"
        )));
    }
    Ok(())
}

/// Checks a push against the secrets the ingress accepts now (`now_ms`: the clock, ms).
pub fn verify(
    scheme: SignatureScheme,
    secrets: &[&str],
    headers: &HeaderMap,
    body: &[u8],
    now_ms: i64,
) -> Result<(), Refusal> {
    let now = now_ms.div_euclid(1000);
    match scheme {
        SignatureScheme::Github => {
            let signature = header(headers, "x-hub-signature-256")?;
            let hex = signature.strip_prefix("sha256=").ok_or(Refusal::Forged)?;
            if !signed_by_any(secrets, &[body], hex) {
                return Err(Refusal::Forged);
            }
            Ok(())
        }
        SignatureScheme::Slack => {
            let timestamp = header(headers, "x-slack-request-timestamp")?;
            let signature = header(headers, "x-slack-signature")?;
            let hex = signature.strip_prefix("v0=").ok_or(Refusal::Forged)?;
            if !signed_by_any(secrets, &[b"v0:", timestamp.as_bytes(), b":", body], hex) {
                return Err(Refusal::Forged);
            }
            let signed_at = timestamp.parse::<i64>().map_err(|_| Refusal::Forged)?;
            within(now, signed_at, SLACK_WINDOW_SECS, "s")
        }
        SignatureScheme::Stripe => {
            let signature = header(headers, "stripe-signature")?;
            let mut signed_at = None;
            let mut candidates = Vec::new();
            for part in signature.split(',') {
                match part.trim().split_once('=') {
                    Some(("t", t)) => signed_at = t.parse::<i64>().ok(),
                    Some(("v1", v)) if candidates.len() < MAX_STRIPE_SIGNATURES => candidates.push(v),
                    _ => {}
                }
            }
            let signed_at = signed_at.ok_or(Refusal::Forged)?;
            let t = signed_at.to_string();
            if !candidates.iter().any(|hex| signed_by_any(secrets, &[t.as_bytes(), b".", body], hex)) {
                return Err(Refusal::Forged);
            }
            within(now, signed_at, STRIPE_WINDOW_SECS, "s")
        }
        SignatureScheme::Linear => {
            let hex = header(headers, "linear-signature")?;
            if !signed_by_any(secrets, &[body], hex) {
                return Err(Refusal::Forged);
            }
            let signed_at = serde_json::from_slice::<serde_json::Value>(body)
                .ok()
                .and_then(|v| v.get("webhookTimestamp").and_then(serde_json::Value::as_i64))
                .ok_or_else(|| Refusal::Stale("the push has no webhookTimestamp".into()))?;
            within(now_ms, signed_at, LINEAR_WINDOW_MS, "ms")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hmac_hex(secret: &str, parts: &[&[u8]]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        for p in parts {
            mac.update(p);
        }
        mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }

    fn headers(pairs: &[(&'static str, String)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (axum::http::HeaderName::from_static(k), v.parse().unwrap())).collect()
    }

    const NOW_MS: i64 = 1_800_000_000_000;

    #[test]
    fn github_takes_either_secret_during_rotation_and_refuses_others() {
        let body = br#"{"action":"opened"}"#;
        let signed = |secret| headers(&[("x-hub-signature-256", format!("sha256={}", hmac_hex(secret, &[body])))]);
        assert_eq!(verify(SignatureScheme::Github, &["new", "old"], &signed("old"), body, NOW_MS), Ok(()));
        assert_eq!(verify(SignatureScheme::Github, &["new"], &signed("old"), body, NOW_MS), Err(Refusal::Forged));
        let tampered = br#"{"action":"closed"}"#;
        assert_eq!(verify(SignatureScheme::Github, &["old"], &signed("old"), tampered, NOW_MS), Err(Refusal::Forged));
        assert!(matches!(
            verify(SignatureScheme::Github, &["old"], &HeaderMap::new(), body, NOW_MS),
            Err(Refusal::Unsigned(_))
        ));
    }

    #[test]
    fn slack_and_stripe_refuse_an_old_signature_even_when_it_is_right() {
        let body = br#"{"type":"event_callback"}"#;
        let slack = |at: i64| {
            let ts = at.to_string();
            headers(&[
                ("x-slack-request-timestamp", ts.clone()),
                ("x-slack-signature", format!("v0={}", hmac_hex("s", &[b"v0:", ts.as_bytes(), b":", body]))),
            ])
        };
        let now = NOW_MS / 1000;
        assert_eq!(verify(SignatureScheme::Slack, &["s"], &slack(now - 10), body, NOW_MS), Ok(()));
        assert!(matches!(
            verify(SignatureScheme::Slack, &["s"], &slack(now - 301), body, NOW_MS),
            Err(Refusal::Stale(_))
        ));
        let stripe = |at: i64| {
            let t = at.to_string();
            let v1 = hmac_hex("whsec_x", &[t.as_bytes(), b".", body]);
            headers(&[("stripe-signature", format!("t={t},v1=00ff,v1={v1}"))])
        };
        assert_eq!(verify(SignatureScheme::Stripe, &["whsec_x"], &stripe(now), body, NOW_MS), Ok(()));
        assert!(matches!(
            verify(SignatureScheme::Stripe, &["whsec_x"], &stripe(now - 3600), body, NOW_MS),
            Err(Refusal::Stale(_))
        ));
    }

    #[test]
    fn linear_reads_its_signed_time_from_the_body() {
        let body = format!(r#"{{"action":"create","webhookTimestamp":{}}}"#, NOW_MS - 5_000);
        let signed = headers(&[("linear-signature", hmac_hex("lin", &[body.as_bytes()]))]);
        assert_eq!(verify(SignatureScheme::Linear, &["lin"], &signed, body.as_bytes(), NOW_MS), Ok(()));
        assert!(matches!(
            verify(SignatureScheme::Linear, &["lin"], &signed, body.as_bytes(), NOW_MS + 120_000),
            Err(Refusal::Stale(_))
        ));
        let odd = headers(&[("linear-signature", "zz".repeat(32))]);
        assert_eq!(verify(SignatureScheme::Linear, &["lin"], &odd, body.as_bytes(), NOW_MS), Err(Refusal::Forged));
    }
}
