//! MCP configs (which tools of which connections a server exposes) and per-user instances.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::query::{QueryMap, QueryPairs};
use crate::error::Result;

/// Tools of one connection exposed by a config; an empty `tools` list means all of them.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct McpConfigConnectionToolMapping {
    #[serde(default, alias = "connectionId")]
    pub connection_id: String,
    #[serde(default, alias = "connectionName")]
    pub connection_name: String,
    #[serde(default)]
    pub provider: String,
    #[serde(default)]
    pub tools: Vec<String>,
    #[serde(default, alias = "connectedAccountId", skip_serializing_if = "String::is_empty")]
    pub connected_account_id: String,
    #[serde(default, alias = "connectedAccountStatus", skip_serializing_if = "String::is_empty")]
    pub connected_account_status: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct McpConfig {
    #[serde(default)]
    pub id: String,
    #[cfg_attr(feature = "openapi", schema(required = true))]
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default, alias = "connectionToolMappings")]
    pub connection_tool_mappings: Vec<McpConfigConnectionToolMapping>,
    #[serde(default, alias = "mcpServerUrl")]
    pub mcp_server_url: String,
    /// Where MCP clients that sign in with OAuth start (RFC 9728 metadata of `mcp_server_url`);
    /// empty unless the gateway has OAuth for MCP clients on.
    #[serde(default, alias = "oauthMetadataUrl", skip_serializing_if = "String::is_empty")]
    pub oauth_metadata_url: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct McpInstance {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, alias = "userIdentifier")]
    pub user_identifier: String,
    #[serde(default)]
    pub config: McpConfig,
    #[serde(default, alias = "lastUsedAt", skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<DateTime<Utc>>,
    #[serde(default, alias = "updatedAt", skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub url: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct McpConfigResponse {
    #[serde(default)]
    pub config: McpConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct McpInstanceResponse {
    #[serde(default)]
    pub instance: McpInstance,
}

/// `PUT /api/v1/mcp/configs/{id}`: absent fields keep their value.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateMcpConfigRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, alias = "connectionToolMappings", skip_serializing_if = "Option::is_none")]
    pub connection_tool_mappings: Option<Vec<McpConfigConnectionToolMapping>>,
}

/// `POST /api/v1/mcp/instances`: get-or-create the instance of a config for a user.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnsureMcpInstanceRequest {
    #[cfg_attr(feature = "openapi", schema(required = true))]
    #[serde(default, alias = "configName")]
    pub config_name: String,
    #[cfg_attr(feature = "openapi", schema(required = true))]
    #[serde(default, alias = "userIdentifier")]
    pub user_identifier: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
}

/// `PATCH /api/v1/mcp/instances/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateMcpInstanceRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, alias = "configName", skip_serializing_if = "Option::is_none")]
    pub config_name: Option<String>,
}

/// Filters and paging of config and instance lists (`filter.*`, `search`, paging).
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct McpListRequest {
    #[serde(default, alias = "filterId")]
    pub filter_id: String,
    #[serde(default, alias = "filterName")]
    pub filter_name: String,
    #[serde(default, alias = "filterProvider")]
    pub filter_provider: String,
    #[serde(default, alias = "filterConfigName")]
    pub filter_config_name: String,
    #[serde(default, alias = "filterUserIdentifier")]
    pub filter_user_identifier: String,
    /// Configs whose MCP server URL is this one (trailing `/` ignored).
    #[serde(default, alias = "filterMcpServerUrl")]
    pub filter_mcp_server_url: String,
    #[serde(default)]
    pub search: String,
    #[serde(default, alias = "pageSize")]
    pub page_size: Option<u32>,
    #[serde(default, alias = "pageToken")]
    pub page_token: String,
}

impl McpListRequest {
    pub fn to_query(&self) -> QueryPairs {
        let mut q = QueryPairs::default();
        q.opt("filter.id", Some(&self.filter_id))
            .opt("filter.name", Some(&self.filter_name))
            .opt("filter.provider", Some(&self.filter_provider))
            .opt("filter.config_name", Some(&self.filter_config_name))
            .opt("filter.user_identifier", Some(&self.filter_user_identifier))
            .opt("filter.mcp_server_url", Some(&self.filter_mcp_server_url))
            .opt("search", Some(&self.search))
            .opt("page_size", self.page_size)
            .opt("page_token", Some(&self.page_token));
        q
    }

    pub fn from_query(q: &QueryMap) -> Result<Self> {
        Ok(McpListRequest {
            filter_id: q.get("filter.id").unwrap_or_default(),
            filter_name: q.get("filter.name").unwrap_or_default(),
            filter_provider: q.get("filter.provider").unwrap_or_default(),
            filter_config_name: q.get("filter.config_name").unwrap_or_default(),
            filter_user_identifier: q.get("filter.user_identifier").unwrap_or_default(),
            filter_mcp_server_url: q.get("filter.mcp_server_url").unwrap_or_default(),
            search: q.get("search").unwrap_or_default(),
            page_size: q.get_u32("page_size")?,
            page_token: q.get("page_token").unwrap_or_default(),
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListMcpConfigsResponse {
    #[serde(default)]
    pub configs: Vec<McpConfig>,
    #[serde(default, alias = "totalSize")]
    pub total_size: u32,
    #[serde(default, alias = "nextPageToken")]
    pub next_page_token: String,
    #[serde(default, alias = "prevPageToken")]
    pub prev_page_token: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListMcpInstancesResponse {
    #[serde(default)]
    pub instances: Vec<McpInstance>,
    #[serde(default, alias = "totalSize")]
    pub total_size: u32,
    #[serde(default, alias = "nextPageToken")]
    pub next_page_token: String,
    #[serde(default, alias = "prevPageToken")]
    pub prev_page_token: String,
}

/// Authorization state of one connection of an instance (or config, for a user).
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct McpConnectionAuthState {
    #[serde(default, alias = "connectionId")]
    pub connection_id: String,
    #[serde(default, alias = "connectionName")]
    pub connection_name: String,
    #[serde(default)]
    pub provider: String,
    #[serde(default, alias = "connectedAccountId")]
    pub connected_account_id: String,
    #[serde(default, alias = "connectedAccountStatus")]
    pub connected_account_status: String,
    #[serde(default, alias = "authenticationLink")]
    pub authentication_link: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct McpAuthStateResponse {
    #[serde(default)]
    pub connections: Vec<McpConnectionAuthState>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct McpConnectedAccountsRequest {
    #[cfg_attr(feature = "openapi", schema(required = true))]
    #[serde(default)]
    pub identifier: String,
    #[serde(default, alias = "includeAuthLink")]
    pub include_auth_link: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct McpConnectedAccountsResponse {
    #[serde(default, alias = "connectedAccounts")]
    pub connected_accounts: Vec<McpConnectionAuthState>,
}

/// `POST /api/v1/mcp/configs/{id}/tokens`: a bearer session token for the config's MCP URL.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct McpSessionTokenRequest {
    #[cfg_attr(feature = "openapi", schema(required = true))]
    #[serde(default)]
    pub identifier: String,
    /// Lifetime as a protobuf Duration string (`"3600s"`); 60 s – 24 h, default 1 h.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub expiry: String,
    /// `""`, `"FULL"` or `"READ_ONLY"`.
    #[serde(default, alias = "accessLevel", skip_serializing_if = "String::is_empty")]
    pub access_level: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct McpSessionTokenResponse {
    #[serde(default)]
    pub token: String,
    #[serde(default, alias = "expiresAt", skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
}
