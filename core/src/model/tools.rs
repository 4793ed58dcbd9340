//! Tools: catalog listing and execution.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::query::{QueryMap, QueryPairs};
use crate::error::{Error, Result};

/// A tool of the catalog. `definition` holds `name`, `description`, `input_schema` and `annotations`.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tool {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub provider: String,
    #[serde(default)]
    pub definition: Value,
    #[serde(default)]
    pub metadata: Value,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default, alias = "isDefault", skip_serializing_if = "Option::is_none")]
    pub is_default: Option<bool>,
    #[serde(default, alias = "updatedAt", skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
}

impl Tool {
    pub fn name(&self) -> &str {
        self.definition.get("name").and_then(Value::as_str).unwrap_or_default()
    }
}

/// A tool as seen by one user: which connected account would run it.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScopedTool {
    #[serde(default)]
    pub tool: Tool,
    #[serde(default)]
    pub identifier: String,
    #[serde(default, alias = "connectedAccountId")]
    pub connected_account_id: String,
}

/// `GET /api/v1/tools` filter.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ToolFilter {
    #[serde(default)]
    pub summary: Option<bool>,
    #[serde(default)]
    pub provider: String,
    #[serde(default)]
    pub identifier: String,
    #[serde(default, alias = "toolName")]
    pub tool_name: Vec<String>,
    #[serde(default)]
    pub query: String,
    #[serde(default, alias = "connectionName", alias = "connection_name")]
    pub connector: String,
    #[serde(default, alias = "organizationId")]
    pub organization_id: String,
    #[serde(default, alias = "userId")]
    pub user_id: String,
    #[serde(default, alias = "connectedAccountId")]
    pub connected_account_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListToolsRequest {
    #[serde(default)]
    pub filter: ToolFilter,
    #[serde(default, alias = "pageSize")]
    pub page_size: Option<u32>,
    #[serde(default, alias = "pageToken")]
    pub page_token: String,
}

impl ListToolsRequest {
    pub fn to_query(&self) -> QueryPairs {
        let f = &self.filter;
        let mut q = QueryPairs::default();
        q.opt("filter.summary", f.summary)
            .opt("filter.provider", Some(&f.provider))
            .opt("filter.identifier", Some(&f.identifier))
            .all("filter.tool_name", &f.tool_name)
            .opt("filter.query", Some(&f.query))
            .opt("filter.connector", Some(&f.connector))
            .opt("filter.organization_id", Some(&f.organization_id))
            .opt("filter.user_id", Some(&f.user_id))
            .opt("filter.connected_account_id", Some(&f.connected_account_id))
            .opt("page_size", self.page_size)
            .opt("page_token", Some(&self.page_token));
        q
    }

    pub fn from_query(q: &QueryMap) -> Result<Self> {
        Ok(ListToolsRequest {
            filter: ToolFilter {
                summary: q.get_bool("filter.summary")?,
                provider: q.get("filter.provider").unwrap_or_default(),
                identifier: q.get("filter.identifier").unwrap_or_default(),
                tool_name: q.all("filter.tool_name"),
                query: q.get("filter.query").unwrap_or_default(),
                connector: q.get("filter.connector").unwrap_or_default(),
                organization_id: q.get("filter.organization_id").unwrap_or_default(),
                user_id: q.get("filter.user_id").unwrap_or_default(),
                connected_account_id: q.get("filter.connected_account_id").unwrap_or_default(),
            },
            page_size: q.get_u32("page_size")?,
            page_token: q.get("page_token").unwrap_or_default(),
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListToolsResponse {
    #[serde(default)]
    pub tools: Vec<Tool>,
    #[serde(default, alias = "toolNames")]
    pub tool_names: Vec<String>,
    #[serde(default, alias = "totalSize")]
    pub total_size: u32,
    #[serde(default, alias = "nextPageToken")]
    pub next_page_token: String,
    #[serde(default, alias = "prevPageToken")]
    pub prev_page_token: String,
}

/// Narrows a user's scoped tools; every list is optional and empty means "no restriction".
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScopedToolFilter {
    #[serde(default)]
    pub providers: Vec<String>,
    #[serde(default, alias = "toolNames")]
    pub tool_names: Vec<String>,
    #[serde(default, alias = "connectionNames")]
    pub connection_names: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListScopedToolsRequest {
    #[serde(default)]
    pub identifier: String,
    #[serde(default)]
    pub filter: ScopedToolFilter,
    #[serde(default, alias = "pageSize")]
    pub page_size: Option<u32>,
    #[serde(default, alias = "pageToken")]
    pub page_token: String,
}

impl ListScopedToolsRequest {
    pub fn to_query(&self) -> QueryPairs {
        let mut q = QueryPairs::default();
        q.opt("identifier", Some(&self.identifier))
            .all("filter.providers", &self.filter.providers)
            .all("filter.tool_names", &self.filter.tool_names)
            .all("filter.connection_names", &self.filter.connection_names)
            .opt("page_size", self.page_size)
            .opt("page_token", Some(&self.page_token));
        q
    }

    pub fn from_query(q: &QueryMap) -> Result<Self> {
        Ok(ListScopedToolsRequest {
            identifier: q.get("identifier").unwrap_or_default(),
            filter: ScopedToolFilter {
                providers: q.all("filter.providers"),
                tool_names: q.all("filter.tool_names"),
                connection_names: q.all("filter.connection_names"),
            },
            page_size: q.get_u32("page_size")?,
            page_token: q.get("page_token").unwrap_or_default(),
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListScopedToolsResponse {
    #[serde(default)]
    pub tools: Vec<ScopedTool>,
    #[serde(default, alias = "totalSize")]
    pub total_size: u32,
    #[serde(default, alias = "nextPageToken")]
    pub next_page_token: String,
    #[serde(default, alias = "prevPageToken")]
    pub prev_page_token: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListAvailableToolsRequest {
    #[serde(default)]
    pub identifier: String,
    #[serde(default, alias = "pageSize")]
    pub page_size: Option<u32>,
    #[serde(default, alias = "pageToken")]
    pub page_token: String,
}

impl ListAvailableToolsRequest {
    pub fn to_query(&self) -> QueryPairs {
        let mut q = QueryPairs::default();
        q.opt("identifier", Some(&self.identifier))
            .opt("page_size", self.page_size)
            .opt("page_token", Some(&self.page_token));
        q
    }

    pub fn from_query(q: &QueryMap) -> Result<Self> {
        Ok(ListAvailableToolsRequest {
            identifier: q.get("identifier").unwrap_or_default(),
            page_size: q.get_u32("page_size")?,
            page_token: q.get("page_token").unwrap_or_default(),
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListAvailableToolsResponse {
    #[serde(default)]
    pub tools: Vec<Tool>,
    #[serde(default, alias = "totalSize")]
    pub total_size: u32,
    #[serde(default, alias = "nextPageToken")]
    pub next_page_token: String,
    #[serde(default, alias = "prevPageToken")]
    pub prev_page_token: String,
}

/// `POST /api/v1/execute_tool` body. The account is resolved by `connected_account_id`, or by
/// `identifier` + `connector` (the connection name).
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExecuteToolRequest {
    #[cfg_attr(feature = "openapi", schema(required = true))]
    #[serde(default, alias = "toolName")]
    pub tool_name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub identifier: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Value>,
    #[serde(default, alias = "connectedAccountId", skip_serializing_if = "String::is_empty")]
    pub connected_account_id: String,
    #[serde(default, alias = "connectionName", alias = "connection_name", skip_serializing_if = "String::is_empty")]
    pub connector: String,
    #[serde(default, alias = "organizationId", skip_serializing_if = "String::is_empty")]
    pub organization_id: String,
    #[serde(default, alias = "userId", skip_serializing_if = "String::is_empty")]
    pub user_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExecuteToolResponse {
    #[serde(default)]
    pub data: Value,
    #[serde(default, alias = "executionId")]
    pub execution_id: String,
}

/// Default and largest number of results of `POST /api/v1/tools:search`.
pub const SEARCH_TOOLS_DEFAULT_TOP_K: u32 = 10;
pub const SEARCH_TOOLS_MAX_TOP_K: u32 = 50;

/// `POST /api/v1/tools:search` body: catalog tools ranked by relevance to `query`; with an
/// `identifier`, each result says whether that user can run it.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchToolsRequest {
    #[cfg_attr(feature = "openapi", schema(required = true))]
    #[serde(default)]
    pub query: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub identifier: String,
    /// At most this many results (default 10, capped at 50).
    #[serde(default, alias = "topK", skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u32>,
}

impl SearchToolsRequest {
    /// The field checks of the published API (query 1–256 characters, identifier ≤ 100).
    pub fn validate(&self) -> Result<()> {
        let query = self.query.trim();
        if query.is_empty() {
            return Err(Error::invalid_field("query", "query is required"));
        }
        if query.chars().count() > 256 {
            return Err(Error::invalid_field("query", "query must be at most 256 characters"));
        }
        if self.identifier.chars().count() > 100 {
            return Err(Error::invalid_field("identifier", "identifier must be at most 100 characters"));
        }
        Ok(())
    }

    /// The number of results to return.
    pub fn limit(&self) -> usize {
        self.top_k.filter(|k| *k > 0).unwrap_or(SEARCH_TOOLS_DEFAULT_TOP_K).min(SEARCH_TOOLS_MAX_TOP_K) as usize
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchToolsResponse {
    #[serde(default)]
    pub tools: Vec<SearchedTool>,
}

/// One search result; `score` is comparable only within one response (higher is better).
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchedTool {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub provider: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub score: f64,
    /// The identifier's accounts on connections of this tool's provider (empty: none at all).
    #[serde(default)]
    pub connections: Vec<ConnectionReadiness>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectionReadiness {
    #[serde(default, alias = "connectionName")]
    pub connection_name: String,
    #[serde(default, alias = "connectedAccountId")]
    pub connected_account_id: String,
    #[serde(default, alias = "readinessState")]
    pub readiness_state: ToolReadinessState,
}

/// Whether a user can run a tool through one connection (`scalekit.v1.tools.ToolReadinessState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ToolReadinessState {
    #[default]
    #[serde(rename = "TOOL_READINESS_STATE_UNSPECIFIED")]
    Unspecified,
    /// The account is ACTIVE.
    #[serde(rename = "TOOL_READINESS_STATE_READY")]
    Ready,
    /// An account exists but was never (or is no longer) authorized.
    #[serde(rename = "TOOL_READINESS_STATE_NEEDS_CONNECTION")]
    NeedsConnection,
    /// The account's credentials expired; the user must authorize again.
    #[serde(rename = "TOOL_READINESS_STATE_NEEDS_REAUTH")]
    NeedsReauth,
}

impl ToolReadinessState {
    pub fn of(status: super::ConnectorStatus) -> ToolReadinessState {
        use super::ConnectorStatus::*;
        match status {
            Active => ToolReadinessState::Ready,
            Expired => ToolReadinessState::NeedsReauth,
            Unspecified | PendingAuth | PendingVerification | Disconnected => ToolReadinessState::NeedsConnection,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_limits_and_checks() {
        let req = |query: &str, top_k: Option<u32>| SearchToolsRequest {
            query: query.into(),
            identifier: String::new(),
            top_k,
        };
        assert_eq!(req("x", None).limit(), 10);
        assert_eq!(req("x", Some(0)).limit(), 10);
        assert_eq!(req("x", Some(3)).limit(), 3);
        assert_eq!(req("x", Some(5000)).limit(), 50);
        assert_eq!(req(" ", None).validate().unwrap_err().field(), Some("query"));
        assert_eq!(req(&"q".repeat(257), None).validate().unwrap_err().field(), Some("query"));
        let long_id = SearchToolsRequest { identifier: "u".repeat(101), ..req("x", None) };
        assert_eq!(long_id.validate().unwrap_err().field(), Some("identifier"));
        assert!(req("find mails", Some(1)).validate().is_ok());
    }
}
