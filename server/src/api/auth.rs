//! `POST /oauth/token`: the client-credentials grant for API clients.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use agentkit_core::model::{OAuthErrorBody, TokenRequest, TokenResponse};

use crate::config::sha256_hex;
use crate::credentials::tokens::{now_unix, AccessClaims};
use crate::state::SharedState;

/// Longest client id the token endpoint looks at.
const MAX_CLIENT_ID_LEN: usize = 128;

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (status, Json(OAuthErrorBody { error: error.into(), error_description: description.into() })).into_response()
}

/// Constant-time comparison of two hex digests.
fn digest_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[utoipa::path(
    post,
    path = "/oauth/token",
    operation_id = "Auth_IssueToken",
    tag = "Authentication",
    summary = "Client-credentials access token",
    description = "OAuth 2.0 client-credentials grant. Errors use the OAuth body `{error, error_description}`: 400 `unsupported_grant_type` / `invalid_request`, 401 `invalid_client`, 429 when an address sends too many wrong secrets (`server.failed_logins_per_minute`; with `Retry-After`).",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = r#"`{access_token, token_type: "Bearer", expires_in}`."#, body = TokenResponse),
        (status = 400, description = "`unsupported_grant_type` or `invalid_request` (a missing field).", body = OAuthErrorBody),
        (status = 401, description = "Unknown client or wrong secret (`invalid_client`).", body = OAuthErrorBody),
        (status = 429, description = "Too many wrong secrets from this address (`Retry-After`).", body = OAuthErrorBody),
    ),
    security(()),
)]
pub async fn issue_token(State(state): State<SharedState>, peer: crate::throttle::Peer, body: Bytes) -> Response {
    let source = crate::throttle::address_of(peer);
    // Refused before the secret is even looked at: a guesser learns nothing more this minute.
    if let Err(wait) = state.failed_logins.check(source) {
        let secs = crate::throttle::retry_after_secs(wait);
        let text = format!("too many failed sign-ins from this address; try again in {secs} s");
        return crate::throttle::with_retry_after(
            oauth_error(StatusCode::TOO_MANY_REQUESTS, "invalid_client", &text),
            wait,
        );
    }
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("");
    if field("grant_type") != "client_credentials" {
        return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", "grant_type must be client_credentials");
    }
    let (client_id, secret) = (field("client_id"), field("client_secret"));
    if client_id.is_empty() || secret.is_empty() {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "client_id and client_secret are required");
    }
    // Checked before anything logs or records it: an unauthenticated caller chooses this text.
    if client_id.len() > MAX_CLIENT_ID_LEN || client_id.chars().any(char::is_control) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            &format!("client_id must be at most {MAX_CLIENT_ID_LEN} bytes without control characters"),
        );
    }
    crate::telemetry::record_client_id(client_id);
    let valid = state.api_clients.get(client_id).is_some_and(|c| digest_eq(&c.secret_sha256, &sha256_hex(secret)));
    if !valid {
        state.failed_logins.count(source);
        tracing::info!(client_id, "rejected client credentials");
        let details = serde_json::json!({"reason": "unknown client or wrong secret"});
        crate::audit::record(
            &state.store,
            "api_client.authentication_failed",
            client_id,
            crate::audit::REFUSED,
            details,
        )
        .await;
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "unknown client or wrong secret");
    }
    let ttl = state.config.server.token_ttl_secs;
    let now = now_unix();
    let claims = AccessClaims { cid: client_id.to_string(), exp: now.saturating_add(ttl as i64), iat: now };
    let token = state.signer.sign(&claims);
    Json(TokenResponse { access_token: token, token_type: "Bearer".into(), expires_in: ttl, scope: String::new() })
        .into_response()
}
