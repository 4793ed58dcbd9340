//! The token endpoint: authorization codes (with the PKCE verifier) and rotating refresh tokens
//! for access tokens to one config URL.

use super::*;

#[derive(Debug, Deserialize)]
pub struct TokenRequest {
    #[serde(default)]
    grant_type: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    refresh_token: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    code_verifier: String,
    resource: Option<String>,
}

/// The token endpoint: an authorization code (with its PKCE verifier) or a refresh token → a
/// short-lived access token for one config URL and a new refresh token (rotation).
pub async fn token(State(state): State<SharedState>, Form(req): Form<TokenRequest>) -> Response {
    let Some(oauth) = settings(&state) else { return not_configured() };
    let invalid_grant = |text: &str| oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", text);
    let unavailable =
        |e: agentkit_core::Error| oauth_error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", e.message());
    let grant = match req.grant_type.as_str() {
        "authorization_code" => {
            let code = match state.store.consume_mcp_oauth_code(&req.code).await {
                Ok(Some(code)) => code,
                Ok(None) => return invalid_grant("the authorization code is unknown or was already used"),
                Err(e) => return unavailable(e),
            };
            if code.expires_at < chrono::Utc::now() {
                return invalid_grant("the authorization code expired");
            }
            if code.client_id != req.client_id || code.redirect_uri != req.redirect_uri {
                return invalid_grant("client_id or redirect_uri differ from the authorization request");
            }
            if req.code_verifier.len() < 43 || pkce_challenge(&req.code_verifier) != code.code_challenge {
                return invalid_grant("the PKCE code_verifier does not match the code_challenge");
            }
            if req.resource.as_deref().is_some_and(|r| r.trim_end_matches('/') != code.resource) {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_target",
                    "resource differs from the authorization request",
                );
            }
            let grant = OAuthGrant {
                grant_id: format!("grant_{}", uuid::Uuid::new_v4().simple()),
                client_id: code.client_id,
                config_id: code.config_id,
                resource: code.resource,
                user_identifier: code.user_identifier,
            };
            if let Err(e) = state.store.create_mcp_oauth_grant(&grant).await {
                return unavailable(e);
            }
            let details = json!({"client_id": grant.client_id, "config_id": grant.config_id});
            let user = format!("mcp:{}", grant.user_identifier);
            audit(&state, &user, "mcp_oauth.grant_created", &grant.grant_id, crate::audit::SUCCESS, details).await;
            grant
        }
        "refresh_token" => {
            let grant = match state.store.use_mcp_oauth_refresh_token(&req.refresh_token).await {
                Ok(RefreshTokenUse::Taken(grant)) => grant,
                Ok(RefreshTokenUse::Refused) => {
                    let details =
                        json!({"reason": "unknown, expired, revoked or replayed (a replay revokes the grant)"});
                    let refused = crate::audit::REFUSED;
                    audit(&state, "anonymous", "mcp_oauth.refresh_refused", &req.client_id, refused, details).await;
                    return invalid_grant("the refresh token is unknown, expired, revoked or was already used");
                }
                Err(e) => return unavailable(e),
            };
            if grant.client_id != req.client_id {
                return invalid_grant("the refresh token was issued to another client");
            }
            if req.resource.as_deref().is_some_and(|r| r.trim_end_matches('/') != grant.resource) {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_target", "resource differs from the grant's");
            }
            grant
        }
        _ => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "grant_type must be authorization_code or refresh_token",
            )
        }
    };
    let refresh_token = random_token();
    let refresh_expires = chrono::Utc::now() + chrono::Duration::days(REFRESH_TOKEN_TTL_DAYS);
    if let Err(e) = state.store.save_mcp_oauth_refresh_token(&refresh_token, &grant.grant_id, refresh_expires).await {
        return unavailable(e);
    }
    let ttl = i64::try_from(oauth.access_token_ttl_secs).unwrap_or(3600).clamp(60, 86_400);
    let claims = McpAccessClaims {
        sub: grant.user_identifier,
        cfg: grant.config_id,
        aud: grant.resource,
        cid: grant.client_id,
        gid: grant.grant_id,
        exp: now_unix().saturating_add(ttl),
    };
    let mut response = Json(json!({
        "access_token": state.signer.sign(&claims),
        "token_type": "Bearer",
        "expires_in": ttl,
        "refresh_token": refresh_token,
    }))
    .into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
