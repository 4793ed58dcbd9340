//! Revocation (RFC 7009): a refresh or access token ends its whole grant.

use super::*;

#[derive(Debug, Deserialize)]
pub struct RevocationRequest {
    #[serde(default)]
    token: String,
}

/// RFC 7009 revocation: an access or refresh token ends its whole grant. Unknown tokens are
/// answered 200 as well (the RFC's rule: nothing to learn from the answer).
pub async fn revoke(State(state): State<SharedState>, Form(req): Form<RevocationRequest>) -> Response {
    if settings(&state).is_none() {
        return not_configured();
    }
    let grant = match state.signer.verify::<McpAccessClaims>(&req.token) {
        Ok(claims) => Some(claims.gid),
        Err(_) => state.store.mcp_oauth_grant_of_refresh_token(&req.token).await.ok().flatten(),
    };
    if let Some(grant) = grant {
        if let Err(e) = state.store.revoke_mcp_oauth_grant(&grant).await {
            return oauth_error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", e.message());
        }
        audit(&state, "anonymous", "mcp_oauth.grant_revoked", &grant, crate::audit::SUCCESS, Value::Null).await;
    }
    StatusCode::OK.into_response()
}
