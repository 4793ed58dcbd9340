//! Webhook signatures in the Standard Webhooks style, shared by the gateway (which signs its
//! deliveries) and both SDKs (which verify them): `webhook-id`, `webhook-timestamp` (Unix
//! seconds) and `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`,
//! keyed with the bytes of a `whsec_<base64>` secret. A header may carry several
//! space-separated signatures (during a secret rotation); one match is enough.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::{Error, ErrorKind, Result};

/// How far a delivery's timestamp may be from now (replays of old deliveries are refused).
pub const TOLERANCE_SECS: i64 = 5 * 60;
/// The prefix of a secret's text (`whsec_` then the base64 key); optional when verifying.
pub const SECRET_PREFIX: &str = "whsec_";
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn refused(message: &str) -> Error {
    Error::new(ErrorKind::WebhookVerification, message)
}

/// The key bytes of a `whsec_…` secret.
fn key(secret: &str) -> Result<Vec<u8>> {
    let encoded = secret.trim().strip_prefix(SECRET_PREFIX).unwrap_or(secret.trim());
    B64.decode(encoded).map_err(|_| refused("the webhook secret is not a whsec_ secret"))
}

/// A new random secret (24 bytes).
pub fn new_secret() -> String {
    let bytes: [u8; 24] = rand::random();
    format!("{SECRET_PREFIX}{}", B64.encode(bytes))
}

fn mac(key: &[u8], id: &str, timestamp: &str, payload: &[u8]) -> Result<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).map_err(|_| refused("the webhook secret is empty"))?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(payload);
    Ok(mac)
}

/// The `webhook-signature` value for one delivery.
pub fn sign(secret: &str, id: &str, timestamp: i64, payload: &[u8]) -> Result<String> {
    let signature = mac(&key(secret)?, id, &timestamp.to_string(), payload)?.finalize().into_bytes();
    Ok(format!("v1,{}", B64.encode(signature)))
}

/// Checks a delivery: headers present, timestamp within [`TOLERANCE_SECS`] of `now` (Unix
/// seconds), and one `v1` signature matching (compared in constant time).
pub fn verify(secret: &str, headers: &[(String, String)], payload: &[u8], now: i64) -> Result<()> {
    let header = |name: &str| {
        headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
    };
    let (Some(id), Some(timestamp), Some(signatures)) =
        (header("webhook-id"), header("webhook-timestamp"), header("webhook-signature"))
    else {
        return Err(refused("Missing required headers"));
    };
    let sent_at: i64 = timestamp.parse().map_err(|_| refused("Invalid Signature Headers"))?;
    if sent_at < now.saturating_sub(TOLERANCE_SECS) {
        return Err(refused("Message timestamp too old"));
    }
    if sent_at > now.saturating_add(TOLERANCE_SECS) {
        return Err(refused("Message timestamp too new"));
    }
    let key = key(secret)?;
    for candidate in signatures.split(' ') {
        let Some(("v1", encoded)) = candidate.split_once(',') else { continue };
        let Ok(signature) = B64.decode(encoded.trim()) else { continue };
        if mac(&key, id, timestamp, payload)?.verify_slice(&signature).is_ok() {
            return Ok(());
        }
    }
    Err(refused("Invalid signature"))
}

/// [`verify`] at the current time.
pub fn verify_now(secret: &str, headers: &[(String, String)], payload: &[u8]) -> Result<()> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    verify(secret, headers, payload, now)
}

/// A trigger event (a provider-side event the gateway forwards, signed like its webhooks):
/// checked as [`verify_now`], then its body parsed. The JSON object is returned; anything
/// else fails verification, since a signed event is always an object.
pub fn verify_event(secret: &str, headers: &[(String, String)], payload: &[u8]) -> Result<serde_json::Value> {
    verify_now(secret, headers, payload)?;
    match serde_json::from_slice::<serde_json::Value>(payload) {
        Ok(event @ serde_json::Value::Object(_)) => Ok(event),
        _ => Err(refused("the event payload is not a JSON object")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(id: &str, ts: i64, signature: &str) -> Vec<(String, String)> {
        vec![
            ("webhook-id".into(), id.into()),
            ("Webhook-Timestamp".into(), ts.to_string()),
            ("webhook-signature".into(), signature.into()),
        ]
    }

    #[test]
    fn signs_as_standard_webhooks_and_verifies_within_the_window() {
        // The Standard Webhooks specification's own test vector.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let payload = br#"{"test": 2432232314}"#;
        let signature = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, payload).unwrap();
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        let good = headers("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, &format!("v1,bm90IGl0 {signature}"));
        assert!(verify(secret, &good, payload, 1614265330 + 299).is_ok());
        let kinds = [
            verify(secret, &good, payload, 1614265330 + 301),
            verify(secret, &good, payload, 1614265330 - 301),
            verify(secret, &good, b"{\"test\": 1}", 1614265330),
            verify("whsec_b3RoZXI=", &good, payload, 1614265330),
            verify(secret, &good[..2], payload, 1614265330),
        ];
        for outcome in kinds {
            assert_eq!(outcome.unwrap_err().kind(), ErrorKind::WebhookVerification);
        }
    }

    #[test]
    fn events_verify_then_parse_to_an_object() {
        let secret = new_secret();
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        let signed = |body: &[u8]| headers("evt_1", now, &sign(&secret, "evt_1", now, body).unwrap());
        let body = br#"{"type":"gmail.message.received","data":{"id":"m1"}}"#;
        assert_eq!(verify_event(&secret, &signed(body), body).unwrap()["data"]["id"], "m1");
        assert_eq!(verify_event(&secret, &signed(b"[1]"), b"[1]").unwrap_err().kind(), ErrorKind::WebhookVerification);
        assert_eq!(verify_event(&secret, &signed(body), b"{}").unwrap_err().kind(), ErrorKind::WebhookVerification);
    }
}
