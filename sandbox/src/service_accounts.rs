//! Service accounts: registration (a key file for a user) and the RS256 assertions the token
//! endpoint accepts.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD as B64;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use serde_json::{json, Value};

use crate::gmail::Mailbox;
use crate::Shared;

/// Registers a service account acting as `user`; answers with its key file (Google's JSON format).
pub(crate) async fn create_service_account(
    State(state): State<Shared>,
    headers: HeaderMap,
    Json(req): Json<Value>,
) -> Response {
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::signature::KeyPair;
    let user = req.get("user").and_then(Value::as_str).unwrap_or("sandbox-user").to_string();
    let Ok(pair) = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let Ok(der) = pair.as_der() else { return StatusCode::INTERNAL_SERVER_ERROR.into_response() };
    let email = format!("sa-{}@sandbox.iam.test", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
    let key = json!({
        "type": "service_account",
        "client_email": email,
        "private_key_id": "sbx-key-1",
        "private_key": crate::service_accounts::pem_private_key(der.as_ref()),
        "token_uri": format!("http://{host}/oauth2/token"),
    });
    state
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .service_accounts
        .insert(email, (pair.public_key().as_ref().to_vec(), user.clone()));
    state
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .mailboxes
        .entry(user.clone())
        .or_insert_with(|| Mailbox::seeded(&user));
    Json(key).into_response()
}

/// PKCS#8 DER → PEM, as key files carry it.
pub fn pem_private_key(der: &[u8]) -> String {
    let b64 = B64.encode(der);
    // Base64 is ASCII: every 64 characters are one line.
    let lines: Vec<String> = b64.as_bytes().chunks(64).map(|c| String::from_utf8_lossy(c).into_owned()).collect();
    format!("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n", lines.join("\n"))
}

/// Checks an RS256 JWT against a PKCS#1 RSA public key; returns its claims (used by the sandbox).
pub fn verify_assertion(jwt: &str, public_key: &[u8]) -> Option<Value> {
    let (signing_input, signature) = jwt.rsplit_once('.')?;
    let signature = B64URL.decode(signature).ok()?;
    aws_lc_rs::signature::UnparsedPublicKey::new(&aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256, public_key)
        .verify(signing_input.as_bytes(), &signature)
        .ok()?;
    let claims = signing_input.split('.').nth(1)?;
    serde_json::from_slice(&B64URL.decode(claims).ok()?).ok()
}
