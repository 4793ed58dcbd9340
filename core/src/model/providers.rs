//! Providers (`/api/v1/providers`) and custom providers (`/api/v1/custom-providers`): a custom
//! provider is a connector created at runtime from its proxy URL and auth pattern, optionally
//! with declarative tools.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A provider of the catalog (built-in connector or custom provider).
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct Provider {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub identifier: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub categories: Vec<String>,
    /// `{type: OAUTH|BASIC|BEARER|API_KEY, fields, oauth_config, auth_header_key_override, …}`.
    #[serde(default)]
    pub auth_patterns: Vec<Value>,
    #[serde(default)]
    pub icon_src: String,
    #[serde(default)]
    pub display_priority: i32,
    #[serde(default)]
    pub coming_soon: bool,
    #[serde(default)]
    pub proxy_url: String,
    #[serde(default)]
    pub proxy_enabled: bool,
    #[serde(default)]
    pub is_custom: bool,
    #[serde(default)]
    pub is_custom_mcp: bool,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// Declarative tools of a custom provider (this gateway's extension; the connector-file
    /// tool format). Without tools a custom provider is reached through the proxy.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<Value>,
}

/// The body of create and update: absent fields are left as they are on update.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct CustomProviderInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
    #[serde(default, alias = "displayName", skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, alias = "authPatterns", skip_serializing_if = "Option::is_none")]
    pub auth_patterns: Option<Vec<Value>>,
    #[serde(default, alias = "proxyUrl", skip_serializing_if = "Option::is_none")]
    pub proxy_url: Option<String>,
    #[serde(default, alias = "proxyEnabled", skip_serializing_if = "Option::is_none")]
    pub proxy_enabled: Option<bool>,
    #[serde(default, alias = "iconSrc", skip_serializing_if = "Option::is_none")]
    pub icon_src: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Value>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct ProviderResponse {
    #[serde(default)]
    pub provider: Provider,
}

/// `GET /api/v1/providers`: `filter.provider_type` is `DEFAULT`, `CUSTOM` or `ALL`.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct ListProvidersRequest {
    #[serde(default)]
    pub identifier: String,
    #[serde(default, alias = "providerType")]
    pub provider_type: String,
    #[serde(default, alias = "pageSize")]
    pub page_size: Option<u32>,
    #[serde(default, alias = "pageToken")]
    pub page_token: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct ListProvidersResponse {
    #[serde(default)]
    pub providers: Vec<Provider>,
    #[serde(default)]
    pub next_page_token: String,
    #[serde(default)]
    pub prev_page_token: String,
    #[serde(default)]
    pub total_size: u32,
}
