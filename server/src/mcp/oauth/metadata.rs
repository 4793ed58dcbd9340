//! Where a client learns how to sign in: the protected-resource metadata of a config URL
//! (RFC 9728) and this authorization server's metadata (RFC 8414).

use super::*;

/// RFC 9728: the protected-resource metadata of a config URL.
pub async fn protected_resource(State(state): State<SharedState>, Path(config_id): Path<String>) -> Response {
    if settings(&state).is_none() {
        return not_configured();
    }
    if !matches!(state.store.mcp_config(&config_id).await, Ok(Some(_))) {
        return oauth_error(StatusCode::NOT_FOUND, "not_found", "unknown MCP config");
    }
    Json(json!({
        "resource": resource_url(&state, &config_id),
        "authorization_servers": [issuer(&state)],
        "bearer_methods_supported": ["header"],
        "resource_name": "AgentKit MCP config",
    }))
    .into_response()
}

/// RFC 8414: this authorization server's metadata.
pub async fn server_metadata(State(state): State<SharedState>) -> Response {
    if settings(&state).is_none() {
        return not_configured();
    }
    let base = issuer(&state);
    Json(json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/mcp/oauth/authorize"),
        "token_endpoint": format!("{base}/mcp/oauth/token"),
        "registration_endpoint": format!("{base}/mcp/oauth/register"),
        "revocation_endpoint": format!("{base}/mcp/oauth/revoke"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none"],
        "authorization_response_iss_parameter_supported": true,
        "client_id_metadata_document_supported": true,
    }))
    .into_response()
}
