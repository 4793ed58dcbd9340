//! The OAuth 2.0 authorization server: authorize (PKCE S256), token (authorization code, refresh
//! with rotation, JWT bearer), revoke.

use std::collections::HashMap;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use serde_json::{json, Value};

use crate::{PendingCode, Shared, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET};

pub(crate) fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (status, Json(json!({"error": error, "error_description": description}))).into_response()
}

pub(crate) fn redirect(to: &str) -> Response {
    (StatusCode::FOUND, [(axum::http::header::LOCATION, to.to_string())]).into_response()
}

/// The consent step, auto-approved: the user is `login_hint` (a user whose name starts with
/// `deny` refuses). PKCE S256 is required.
pub(crate) async fn authorize(State(state): State<Shared>, RawQuery(q): RawQuery) -> Response {
    let q: HashMap<String, String> =
        url::form_urlencoded::parse(q.unwrap_or_default().as_bytes()).into_owned().collect();
    let get = |k: &str| q.get(k).cloned().unwrap_or_default();
    let redirect_uri = match url::Url::parse(&get("redirect_uri")) {
        Ok(url) if get("client_id") == SANDBOX_CLIENT_ID => url,
        _ => return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "unknown client_id or bad redirect_uri"),
    };
    let back = |params: &[(&str, &str)]| {
        let mut url = redirect_uri.clone();
        url.query_pairs_mut().extend_pairs(params).append_pair("state", &get("state"));
        redirect(url.as_str())
    };
    if get("response_type") != "code" {
        return back(&[("error", "unsupported_response_type")]);
    }
    if get("code_challenge").is_empty() || get("code_challenge_method") != "S256" {
        return back(&[("error", "invalid_request"), ("error_description", "PKCE with S256 is required")]);
    }
    let user = match get("login_hint") {
        hint if hint.is_empty() => "sandbox-user".to_string(),
        hint => hint,
    };
    if user.starts_with("deny") {
        return back(&[("error", "access_denied"), ("error_description", "the user declined")]);
    }
    let code = format!("sbx-code-{}", uuid::Uuid::new_v4().simple());
    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
    s.stats(&user).authorizations += 1;
    let granted = get("scope")
        .split(' ')
        .filter(|w| !w.is_empty() && !s.declined_scopes.iter().any(|d| d == w))
        .collect::<Vec<_>>()
        .join(" ");
    s.codes.insert(
        code.clone(),
        PendingCode {
            user,
            redirect_uri: get("redirect_uri"),
            challenge: get("code_challenge"),
            scope: granted,
            expires: chrono::Utc::now().timestamp() + 120,
        },
    );
    drop(s);
    back(&[("code", &code)])
}

/// Client authentication by `client_secret_basic` or `client_secret_post`.
pub(crate) fn client_authenticated(headers: &HeaderMap, form: &HashMap<String, String>) -> bool {
    let basic = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok());
    let (id, secret) = match basic.as_deref().and_then(|c| c.split_once(':')) {
        Some((id, secret)) => (id.to_string(), secret.to_string()),
        None => {
            (form.get("client_id").cloned().unwrap_or_default(), form.get("client_secret").cloned().unwrap_or_default())
        }
    };
    id == SANDBOX_CLIENT_ID && secret == SANDBOX_CLIENT_SECRET
}

pub(crate) async fn token_endpoint(
    State(state): State<Shared>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    {
        let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
        s.token_requests += 1;
        if s.token_endpoint_down {
            return oauth_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                "the token endpoint is down",
            );
        }
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let jwt_grant = form.get("grant_type").map(String::as_str) == Some(agentkit_core::model::auth::JWT_BEARER_GRANT);
    if !jwt_grant && !client_authenticated(&headers, &form) {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "client authentication failed");
    }
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
    let (user, scope) = match get("grant_type").as_str() {
        "authorization_code" => {
            let Some(pending) = s.codes.remove(&get("code")) else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "unknown or already used code");
            };
            let challenge = B64URL.encode(<sha2::Sha256 as sha2::Digest>::digest(get("code_verifier").as_bytes()));
            if pending.expires < chrono::Utc::now().timestamp()
                || pending.redirect_uri != get("redirect_uri")
                || challenge != pending.challenge
            {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "code expired, redirect_uri mismatch or PKCE verification failed",
                );
            }
            s.stats(&pending.user).code_exchanges += 1;
            (pending.user, pending.scope)
        }
        agentkit_core::model::auth::JWT_BEARER_GRANT => {
            // RFC 7523: a signed assertion from a registered service account.
            let assertion = get("assertion");
            let issuer = assertion
                .split('.')
                .nth(1)
                .and_then(|c| B64URL.decode(c).ok())
                .and_then(|c| serde_json::from_slice::<Value>(&c).ok())
                .and_then(|c| c.get("iss").and_then(Value::as_str).map(String::from))
                .unwrap_or_default();
            let Some((public_key, owner)) = s.service_accounts.get(&issuer).cloned() else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "unknown service account");
            };
            let Some(claims) = crate::service_accounts::verify_assertion(&assertion, &public_key) else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "assertion signature is invalid");
            };
            let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or_default();
            let fresh = claims.get("exp").and_then(Value::as_i64).is_some_and(|e| e > chrono::Utc::now().timestamp());
            if !fresh
                || claims.get("aud").and_then(Value::as_str) != Some(format!("http://{host}/oauth2/token").as_str())
            {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "assertion expired or meant for another audience",
                );
            }
            let subject = claims.get("sub").and_then(Value::as_str).unwrap_or_default();
            let user = if subject == issuer || subject.is_empty() { owner } else { subject.to_string() };
            s.stats(&user).jwt_grants += 1;
            let ttl = if s.access_ttl > 0 { s.access_ttl } else { 3600 };
            let access = s.issue_access(&user, ttl);
            return Json(json!({"access_token": access, "token_type": "Bearer", "expires_in": ttl})).into_response();
        }
        "refresh_token" => {
            // Rotation: a refresh token works once (or again within the reuse grace).
            let presented = get("refresh_token");
            let now = chrono::Utc::now().timestamp();
            let user = match s.refresh_tokens.remove(&presented) {
                Some(user) => {
                    s.used_refresh_tokens.insert(presented, (user.clone(), now));
                    Some(user)
                }
                None => s
                    .used_refresh_tokens
                    .get(&presented)
                    .filter(|(_, used_at)| now.saturating_sub(*used_at) < s.refresh_reuse_grace_secs)
                    .map(|(user, _)| user.clone()),
            };
            let Some(user) = user else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "refresh token is invalid, used or revoked",
                );
            };
            s.stats(&user).refreshes += 1;
            (user, String::new())
        }
        _ => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "grant_type must be authorization_code or refresh_token",
            )
        }
    };
    let ttl = if s.access_ttl > 0 { s.access_ttl } else { 3600 };
    let access = s.issue_access(&user, ttl);
    let refresh = format!("1//sandbox-refresh-{}", uuid::Uuid::new_v4().simple());
    s.refresh_tokens.insert(refresh.clone(), user);
    let mut answer =
        json!({"access_token": access, "token_type": "Bearer", "expires_in": ttl, "refresh_token": refresh});
    if !scope.is_empty() {
        answer["scope"] = json!(scope);
    }
    if let Some(obj) = answer.as_object_mut() {
        obj.extend(s.token_extras.clone());
    }
    Json(answer).into_response()
}

pub(crate) async fn revoke(State(state): State<Shared>, body: axum::body::Bytes) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let token = form.get("token").cloned().unwrap_or_default();
    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
    let user = s.refresh_tokens.remove(&token).or_else(|| s.tokens.remove(&token).map(|(u, _)| u));
    if let Some(user) = user {
        s.stats(&user).revocations += 1;
    }
    StatusCode::OK.into_response()
}
