//! The MCP management API: configs (connection → tools), per-user instances with their server
//! URLs, authorization state and config session tokens.

use reqwest::Method;

use crate::actions::Actions;
use crate::client::{Deadline, Retry};
use crate::error::{Error, Result};
use crate::model::query::QueryPairs;
use crate::model::*;

/// A path segment id (`cfg_…`, `inst_…`): non-empty and URL-safe, so it can be placed in a path.
fn path_id<'a>(field: &str, id: &'a str) -> Result<&'a str> {
    let id = id.trim();
    if id.is_empty() {
        return Err(Error::invalid_field(field, format!("{field} is required")));
    }
    if !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(Error::invalid_field(field, format!("{field} {id:?} is not a valid id")));
    }
    Ok(id)
}

impl Actions {
    async fn mcp_call<B: serde::Serialize, R: serde::de::DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: QueryPairs,
        body: Option<&B>,
    ) -> Result<R> {
        let retry = if method == Method::GET || method == Method::PUT || method == Method::DELETE {
            Retry::Idempotent
        } else {
            Retry::ConnectOnly
        };
        self.client().call_json(method, path, query, body, retry, Deadline::ControlPlane).await
    }

    /// Creates an MCP config (`name` required): which tools of which connections its server
    /// exposes. `Conflict` when the name is taken; not retried once sent.
    pub async fn mcp_create_config(&self, config: McpConfig) -> Result<McpConfigResponse> {
        if config.name.trim().is_empty() {
            return Err(Error::invalid_field("name", "name is required"));
        }
        self.mcp_call(Method::POST, "/api/v1/mcp/configs", QueryPairs::default(), Some(&config)).await
    }

    /// A page of MCP configs matching the request's filters.
    pub async fn mcp_list_configs(&self, req: McpListRequest) -> Result<ListMcpConfigsResponse> {
        self.mcp_call::<(), _>(Method::GET, "/api/v1/mcp/configs", req.to_query(), None).await
    }

    /// The config `config_id`.
    pub async fn mcp_get_config(&self, config_id: &str) -> Result<McpConfigResponse> {
        let id = path_id("config_id", config_id)?;
        self.mcp_call::<(), _>(Method::GET, &format!("/api/v1/mcp/configs/{id}"), QueryPairs::default(), None).await
    }

    /// Updates config `config_id`: the fields `req` gives are replaced, the others kept.
    pub async fn mcp_update_config(&self, config_id: &str, req: UpdateMcpConfigRequest) -> Result<McpConfigResponse> {
        let id = path_id("config_id", config_id)?;
        self.mcp_call(Method::PUT, &format!("/api/v1/mcp/configs/{id}"), QueryPairs::default(), Some(&req)).await
    }

    /// Deletes config `config_id` and its instances.
    pub async fn mcp_delete_config(&self, config_id: &str) -> Result<Empty> {
        let id = path_id("config_id", config_id)?;
        self.mcp_call::<(), _>(Method::DELETE, &format!("/api/v1/mcp/configs/{id}"), QueryPairs::default(), None).await
    }

    /// Get-or-create: call it on every session, it is idempotent.
    pub async fn mcp_ensure_instance(&self, req: EnsureMcpInstanceRequest) -> Result<McpInstanceResponse> {
        if req.config_name.trim().is_empty() {
            return Err(Error::invalid_field("config_name", "config_name is required"));
        }
        if req.user_identifier.trim().is_empty() {
            return Err(Error::invalid_field("user_identifier", "user_identifier is required"));
        }
        self.mcp_call(Method::POST, "/api/v1/mcp/instances", QueryPairs::default(), Some(&req)).await
    }

    /// A page of MCP instances matching the request's filters.
    pub async fn mcp_list_instances(&self, req: McpListRequest) -> Result<ListMcpInstancesResponse> {
        self.mcp_call::<(), _>(Method::GET, "/api/v1/mcp/instances", req.to_query(), None).await
    }

    /// The instance `instance_id`, with its server URL.
    pub async fn mcp_get_instance(&self, instance_id: &str) -> Result<McpInstanceResponse> {
        let id = path_id("instance_id", instance_id)?;
        self.mcp_call::<(), _>(Method::GET, &format!("/api/v1/mcp/instances/{id}"), QueryPairs::default(), None).await
    }

    /// Renames instance `instance_id` or moves it to another config (at least one of the two).
    pub async fn mcp_update_instance(
        &self,
        instance_id: &str,
        req: UpdateMcpInstanceRequest,
    ) -> Result<McpInstanceResponse> {
        let id = path_id("instance_id", instance_id)?;
        if req.name.is_none() && req.config_name.is_none() {
            return Err(Error::invalid_field("name", "name or config_name is required"));
        }
        self.mcp_call(Method::PATCH, &format!("/api/v1/mcp/instances/{id}"), QueryPairs::default(), Some(&req)).await
    }

    /// Deletes instance `instance_id`; its URL stops working.
    pub async fn mcp_delete_instance(&self, instance_id: &str) -> Result<Empty> {
        let id = path_id("instance_id", instance_id)?;
        self.mcp_call::<(), _>(Method::DELETE, &format!("/api/v1/mcp/instances/{id}"), QueryPairs::default(), None)
            .await
    }

    /// The authorization state of each of the instance's connections; with `include_auth_links`,
    /// missing accounts are created and their authorization links returned.
    pub async fn mcp_get_instance_auth_state(
        &self,
        instance_id: &str,
        include_auth_links: bool,
    ) -> Result<McpAuthStateResponse> {
        let id = path_id("instance_id", instance_id)?;
        let mut query = QueryPairs::default();
        query.opt("include_auth_links", include_auth_links.then_some("true"));
        self.mcp_call::<(), _>(Method::POST, &format!("/api/v1/mcp/instances/{id}:get_auth_state"), query, None).await
    }

    /// `req.identifier`'s account on each connection of config `config_id`; with
    /// `include_auth_link`, missing accounts are created (pending authorization).
    pub async fn mcp_list_connected_accounts(
        &self,
        config_id: &str,
        req: McpConnectedAccountsRequest,
    ) -> Result<McpConnectedAccountsResponse> {
        let id = path_id("config_id", config_id)?;
        if req.identifier.trim().is_empty() {
            return Err(Error::invalid_field("identifier", "identifier is required"));
        }
        let path = format!("/api/v1/mcp/configs/{id}/connected_accounts");
        self.mcp_call(Method::POST, &path, QueryPairs::default(), Some(&req)).await
    }

    /// A bearer session token for `req.identifier` on config `config_id`'s MCP URL.
    pub async fn mcp_create_session_token(
        &self,
        config_id: &str,
        req: McpSessionTokenRequest,
    ) -> Result<McpSessionTokenResponse> {
        let id = path_id("mcp_config_id", config_id)?;
        if req.identifier.trim().is_empty() {
            return Err(Error::invalid_field("identifier", "identifier is required"));
        }
        self.mcp_call(Method::POST, &format!("/api/v1/mcp/configs/{id}/tokens"), QueryPairs::default(), Some(&req))
            .await
    }

    /// A session token for a connection's own MCP server (every tool of the connection, as
    /// `identifier`), at `<gateway>/mcp/v3/connections/<connection_name>`.
    pub async fn mcp_create_connection_session_token(
        &self,
        connection_name: &str,
        req: McpSessionTokenRequest,
    ) -> Result<McpSessionTokenResponse> {
        let name = path_id("connection_name", connection_name)?;
        if req.identifier.trim().is_empty() {
            return Err(Error::invalid_field("identifier", "identifier is required"));
        }
        let path = format!("/api/v1/mcp/connections/{name}/tokens");
        self.mcp_call(Method::POST, &path, QueryPairs::default(), Some(&req)).await
    }
}
