//! Providers (`/api/v1/providers`) and custom providers (`/api/v1/custom-providers`): a custom
//! provider is a connector created at runtime from its proxy URL and auth pattern, optionally
//! with declarative tools.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A provider of the catalog (built-in connector or custom provider).
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProviderResponse {
    #[serde(default)]
    pub provider: Provider,
}

/// `GET /api/v1/providers`: `filter.provider_type` is `DEFAULT`, `CUSTOM` or `ALL`.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListProvidersRequest {
    #[serde(default)]
    pub identifier: String,
    #[serde(default, alias = "providerType", deserialize_with = "provider_type_name")]
    pub provider_type: String,
    #[serde(default, alias = "pageSize")]
    pub page_size: Option<u32>,
    #[serde(default, alias = "pageToken")]
    pub page_token: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

/// Which providers a listing covers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ProviderType {
    /// Built-in and custom (also `PROVIDER_TYPE_UNSPECIFIED` or empty).
    #[default]
    All,
    /// The catalog's built-in connectors.
    Default,
    /// Providers created through the API.
    Custom,
}

impl ProviderType {
    /// Does a listing of this type include built-in / custom providers?
    pub fn includes(self) -> (bool, bool) {
        match self {
            ProviderType::All => (true, true),
            ProviderType::Default => (true, false),
            ProviderType::Custom => (false, true),
        }
    }
}

impl std::str::FromStr for ProviderType {
    type Err = crate::Error;

    fn from_str(s: &str) -> crate::Result<ProviderType> {
        match s.to_ascii_uppercase().as_str() {
            "" | "ALL" | "PROVIDER_TYPE_UNSPECIFIED" => Ok(ProviderType::All),
            "DEFAULT" => Ok(ProviderType::Default),
            "CUSTOM" => Ok(ProviderType::Custom),
            other => Err(crate::Error::invalid_field(
                "filter.provider_type",
                format!("provider_type {other:?} is not DEFAULT, CUSTOM or ALL"),
            )),
        }
    }
}

/// `provider_type` as a name, or as the official SDK's enum number (0 DEFAULT, 1 CUSTOM, 2 ALL).
fn provider_type_name<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    use serde::de::Error;
    match Value::deserialize(d)? {
        Value::Null => Ok(String::new()),
        Value::String(s) => Ok(s),
        Value::Number(n) => match n.as_u64() {
            Some(0) => Ok("DEFAULT".into()),
            Some(1) => Ok("CUSTOM".into()),
            Some(2) => Ok("ALL".into()),
            _ => Err(D::Error::custom(format!("provider_type {n} is not 0 (DEFAULT), 1 (CUSTOM) or 2 (ALL)"))),
        },
        other => Err(D::Error::custom(format!("provider_type must be a name or a number, not {other}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_type_takes_names_and_enum_numbers() {
        let parse = |v: Value| serde_json::from_value::<ListProvidersRequest>(serde_json::json!({"provider_type": v}));
        assert_eq!(parse(serde_json::json!(1)).unwrap().provider_type, "CUSTOM");
        assert_eq!(parse(serde_json::json!("ALL")).unwrap().provider_type, "ALL");
        assert!(parse(serde_json::json!(7)).is_err());
    }
}
