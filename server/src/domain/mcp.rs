//! MCP URLs as every entry point names them: the scope of a connection's own MCP server's
//! session tokens, a config URL, and where its OAuth metadata lives (RFC 9728); configs and
//! instances as the API and the console show them.

use agentkit_core::model::{ListMcpConfigsResponse, ListMcpInstancesResponse, McpConfig, McpInstance, McpListRequest};
use agentkit_core::{Error, Result};

use crate::domain::paging::{page_tokens, page_window};
use crate::state::AppState;
use crate::store::mcp::{ConfigRecord, InstanceRecord};

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

pub fn config_url(state: &AppState, config: &ConfigRecord) -> String {
    format!("{}/mcp/v1/configs/{}", state.public_url, config.id)
}

pub fn config_wire(state: &AppState, c: &ConfigRecord) -> McpConfig {
    McpConfig {
        id: c.id.clone(),
        name: c.name.clone(),
        description: c.description.clone(),
        connection_tool_mappings: c.mappings.clone(),
        mcp_server_url: config_url(state, c),
        oauth_metadata_url: crate::domain::mcp::protected_resource_metadata_url(state, &c.id).unwrap_or_default(),
    }
}

/// The instance URL: unguessable (256-bit key), revoked with the instance or its config.
pub fn instance_url(state: &AppState, i: &InstanceRecord) -> String {
    format!("{}/mcp/v1/{}", state.public_url, i.url_key)
}

pub async fn instance_wire(state: &AppState, i: &InstanceRecord) -> Result<McpInstance> {
    let config = state
        .store
        .mcp_config(&i.config_id)
        .await?
        .ok_or_else(|| Error::not_found("the instance's config no longer exists"))?;
    Ok(McpInstance {
        id: i.id.clone(),
        name: i.name.clone(),
        user_identifier: i.user_identifier.clone(),
        config: config_wire(state, &config),
        last_used_at: i.last_used_at,
        updated_at: Some(i.updated_at),
        url: instance_url(state, i),
    })
}

/// Configs matching the request's filters (`filter_id`, `filter_name`, `filter_provider`,
/// `search`, `filter_mcp_server_url`), one page of them (30 unless asked otherwise).
pub async fn list_configs(state: &AppState, req: &McpListRequest) -> Result<ListMcpConfigsResponse> {
    let matching: Vec<ConfigRecord> = state
        .store
        .mcp_configs()
        .await?
        .into_iter()
        .filter(|c| req.filter_id.is_empty() || c.id == req.filter_id)
        .filter(|c| req.filter_name.is_empty() || c.name == req.filter_name)
        .filter(|c| {
            req.filter_provider.is_empty()
                || c.mappings.iter().any(|m| m.provider.eq_ignore_ascii_case(&req.filter_provider))
        })
        .filter(|c| req.search.is_empty() || c.name.contains(&req.search.to_lowercase()))
        .filter(|c| {
            req.filter_mcp_server_url.is_empty()
                || config_url(state, c).trim_end_matches('/') == req.filter_mcp_server_url.trim_end_matches('/')
        })
        .collect();
    let (offset, limit) = page_window(req.page_size, &req.page_token, 30)?;
    let total = matching.len() as u32;
    let (next_page_token, prev_page_token) = page_tokens(offset, limit, total);
    let configs = matching.iter().skip(offset as usize).take(limit as usize).map(|c| config_wire(state, c)).collect();
    Ok(ListMcpConfigsResponse { configs, total_size: total, next_page_token, prev_page_token })
}

/// Instances matching the request's filters (`filter_id`, `filter_name`, `filter_user_identifier`,
/// `filter_config_name`, `search`), one page of them (30 unless asked otherwise).
pub async fn list_instances(state: &AppState, req: &McpListRequest) -> Result<ListMcpInstancesResponse> {
    let config_filter = if req.filter_config_name.is_empty() {
        None
    } else {
        Some(state.store.mcp_config(&req.filter_config_name).await?.map(|c| c.id).unwrap_or_default())
    };
    let matching: Vec<InstanceRecord> = state
        .store
        .mcp_instances()
        .await?
        .into_iter()
        .filter(|i| req.filter_id.is_empty() || i.id == req.filter_id)
        .filter(|i| req.filter_name.is_empty() || i.name == req.filter_name)
        .filter(|i| req.filter_user_identifier.is_empty() || i.user_identifier == req.filter_user_identifier)
        .filter(|i| config_filter.as_ref().is_none_or(|c| &i.config_id == c))
        .filter(|i| req.search.is_empty() || i.name.contains(&req.search))
        .collect();
    let (offset, limit) = page_window(req.page_size, &req.page_token, 30)?;
    let total = matching.len() as u32;
    let (next_page_token, prev_page_token) = page_tokens(offset, limit, total);
    let mut instances = Vec::new();
    for i in matching.iter().skip(offset as usize).take(limit as usize) {
        instances.push(instance_wire(state, i).await?);
    }
    Ok(ListMcpInstancesResponse { instances, total_size: total, next_page_token, prev_page_token })
}
