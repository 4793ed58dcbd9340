//! MCP URLs as every entry point names them: the scope of a connection's own MCP server's
//! session tokens, a config URL, and where its OAuth metadata lives (RFC 9728).

use crate::state::AppState;

/// The session-token scope of a connection's own MCP server; config ids never contain `:`.
pub fn connection_scope(connection_name: &str) -> String {
    format!("connection:{connection_name}")
}

/// The issuer of OAuth for MCP clients: this gateway's public URL (also what clients build the
/// metadata URL from).
pub fn oauth_issuer(state: &AppState) -> String {
    state.public_url.trim_end_matches('/').to_string()
}

/// The config URL a token is for.
pub fn resource_url(state: &AppState, config_id: &str) -> String {
    format!("{}/mcp/v1/configs/{config_id}", oauth_issuer(state))
}

/// The RFC 9728 metadata URL of a config URL.
pub fn metadata_url(state: &AppState, config_id: &str) -> String {
    format!("{}/.well-known/oauth-protected-resource/mcp/v1/configs/{config_id}", oauth_issuer(state))
}

/// The metadata URL a config shows, when OAuth for MCP clients is on.
pub fn protected_resource_metadata_url(state: &AppState, config_id: &str) -> Option<String> {
    state.config.mcp_oauth.as_ref().map(|_| metadata_url(state, config_id))
}
