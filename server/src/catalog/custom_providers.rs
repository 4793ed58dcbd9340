//! Custom providers: connectors created at runtime (`/api/v1/custom-providers`). A provider's
//! proxy URL becomes the connector's base URL and its first auth pattern the connector's auth;
//! optional declarative tools use the connector-file format. Stored as JSON (migration 0004);
//! every change rebuilds the registry.

use serde_json::{json, Value};

use agentkit_core::model::casing::to_camel_case;
use agentkit_core::model::{ConnectorType, CustomProviderInput, Provider};
use agentkit_core::{Error, Result};

use crate::catalog::connectors::{AuthDef, ConnectorDef, ToolDef};

/// An identifier from a display name: `Acme CRM` → `acme_crm`.
pub fn identifier_from(display_name: &str) -> String {
    let mut out = String::new();
    for c in display_name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}

/// Applies `input` over `base` (a new provider starts from the default) and checks the result.
pub fn merge(mut base: Provider, input: CustomProviderInput) -> Result<Provider> {
    let CustomProviderInput {
        identifier,
        display_name,
        description,
        auth_patterns,
        proxy_url,
        proxy_enabled,
        icon_src,
        metadata,
        tools,
    } = input;
    if base.identifier.is_empty() {
        base.identifier = identifier
            .filter(|i| !i.trim().is_empty())
            .unwrap_or_else(|| identifier_from(display_name.as_deref().unwrap_or_default()));
        base.id = format!("prov_{}", uuid::Uuid::new_v4().simple());
        base.is_custom = true;
        base.proxy_enabled = true;
    }
    macro_rules! set {
        ($field:ident) => {
            if let Some(v) = $field {
                base.$field = v;
            }
        };
    }
    set!(display_name);
    set!(description);
    set!(auth_patterns);
    set!(proxy_url);
    set!(proxy_enabled);
    set!(icon_src);
    set!(metadata);
    set!(tools);
    if base.display_name.trim().is_empty() {
        return Err(Error::invalid_field("display_name", "display_name is required"));
    }
    match url::Url::parse(&base.proxy_url.replace("{{", "x").replace("}}", "x")) {
        Ok(u) if matches!(u.scheme(), "https" | "http") => {}
        _ => {
            return Err(Error::invalid_field(
                "proxy_url",
                format!("proxy_url {:?} is not an http(s) URL", base.proxy_url),
            ))
        }
    }
    connector_def(&base)?;
    Ok(base)
}

/// The connector a custom provider defines.
pub fn connector_def(provider: &Provider) -> Result<ConnectorDef> {
    let pattern = match provider.auth_patterns.as_slice() {
        [one] => one,
        [] => return Err(Error::invalid_field("auth_patterns", "auth_patterns needs one auth pattern")),
        _ => return Err(Error::invalid_field("auth_patterns", "auth_patterns may hold one auth pattern")),
    };
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_string();
    // Auth patterns are free-form: read each key in snake_case or, from Node callers, lowerCamel.
    let get = |v: Option<&Value>, key: &str| {
        v.and_then(|v| v.get(key).or_else(|| v.get(to_camel_case(key).as_str()))).cloned()
    };
    let pattern = Some(pattern);
    if get(pattern, "is_mcp").and_then(|v| v.as_bool()) == Some(true) {
        return Err(Error::invalid_field(
            "auth_patterns.is_mcp",
            "MCP custom providers are not supported by this gateway",
        ));
    }
    let header_override = text(get(pattern, "auth_header_key_override").as_ref());
    let (auth_type, header, prefix) = match text(get(pattern, "type").as_ref()).to_ascii_uppercase().as_str() {
        "OAUTH" => (ConnectorType::Oauth, "Authorization".to_string(), "Bearer ".to_string()),
        "BEARER" => (ConnectorType::BearerToken, "Authorization".to_string(), "Bearer ".to_string()),
        "BASIC" => (ConnectorType::BasicAuth, "Authorization".to_string(), String::new()),
        "API_KEY" if header_override.is_empty() => (ConnectorType::ApiKey, "X-API-Key".to_string(), String::new()),
        "API_KEY" => (ConnectorType::ApiKey, header_override.clone(), String::new()),
        other => {
            return Err(Error::invalid_field(
                "auth_patterns.type",
                format!("auth pattern type {other:?} is not one of OAUTH, BEARER, BASIC, API_KEY"),
            ))
        }
    };
    let header = if header_override.is_empty() { header } else { header_override };
    if reqwest::header::HeaderName::from_bytes(header.as_bytes()).is_err() {
        return Err(Error::invalid_field(
            "auth_patterns.auth_header_key_override",
            format!("auth_header_key_override {header:?} is not a valid HTTP header name"),
        ));
    }
    let oauth = get(pattern, "oauth_config");
    let scopes: Vec<String> = get(oauth.as_ref(), "available_scopes")
        .and_then(|s| s.as_array().cloned())
        .map(|s| s.iter().filter_map(|s| s.get("scope").and_then(Value::as_str).map(String::from)).collect())
        .unwrap_or_default();
    let auth = AuthDef {
        auth_type,
        header,
        prefix,
        query_param: String::new(),
        authorize_url: text(get(oauth.as_ref(), "authorize_uri").as_ref()),
        token_url: text(get(oauth.as_ref(), "token_uri").as_ref()),
        revoke_url: String::new(),
        scopes,
        authorize_params: Default::default(),
        token_response_fields: Vec::new(),
        account_lookup: None,
        key_pair: None,
    };
    if auth_type == ConnectorType::Oauth && (auth.authorize_url.is_empty() || auth.token_url.is_empty()) {
        return Err(Error::invalid_field(
            "auth_patterns.oauth_config",
            "an OAUTH pattern needs oauth_config.authorize_uri and oauth_config.token_uri",
        ));
    }
    let tools = provider
        .tools
        .iter()
        .enumerate()
        .map(|(i, t)| {
            serde_path_to_error::deserialize::<_, ToolDef>(t.clone()).map_err(|e| {
                let path = e.path().to_string();
                Error::invalid_field(format!("tools[{i}]"), format!("tools[{i}].{path}: {}", e.into_inner()))
            })
        })
        .collect::<Result<Vec<_>>>()?;
    // SQL tools open database connections with stored credentials: only operator-written
    // connector files may declare them.
    if let Some(i) = tools.iter().position(|t| t.sql.is_some()) {
        return Err(Error::invalid_field(
            format!("tools[{i}].sql"),
            format!("tools[{i}].sql: SQL tools may only be declared in the gateway's connector files"),
        ));
    }
    Ok(ConnectorDef {
        slug: provider.identifier.clone(),
        display_name: provider.display_name.clone(),
        auth,
        // `{{domain}}` in a proxy URL reads the account's api_config, like other templated bases.
        base_url: provider.proxy_url.replace("{{api_config.", "{{").replace("{{", "{{api_config."),
        limits: Default::default(),
        tools,
        // Custom providers describe HTTP APIs; a remote MCP server is a connector file.
        mcp: None,
        proxy_enabled: provider.proxy_enabled,
        api_config_hosts: Default::default(),
        setup: None,
        sql_engine: Default::default(),
        // Triggers are declared in connector files (poll calls run with stored credentials).
        triggers: Vec::new(),
    })
}

/// A built-in (or file) connector described as a provider.
pub fn provider_of(def: &ConnectorDef) -> Provider {
    Provider {
        id: format!("prov_{}", def.slug),
        identifier: def.slug.clone(),
        display_name: def.display_name.clone(),
        auth_patterns: vec![json!({"type": def.auth.connector_type().as_str()})],
        proxy_url: def.base_url.clone(),
        proxy_enabled: true,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bearer_provider_with_a_templated_url_becomes_a_connector() {
        let input: CustomProviderInput = serde_json::from_value(json!({
            "display_name": "Acme CRM", "proxy_url": "https://{{domain}}/api",
            "auth_patterns": [{"type": "API_KEY", "auth_header_key_override": "X-Acme-Key"}]
        }))
        .unwrap();
        let provider = merge(Provider::default(), input).unwrap();
        assert_eq!(provider.identifier, "acme_crm");
        let def = connector_def(&provider).unwrap();
        assert_eq!(def.base_url, "https://{{api_config.domain}}/api");
        assert_eq!(def.auth.header, "X-Acme-Key");
    }

    #[test]
    fn bad_providers_name_the_field() {
        let bad = |v: Value| merge(Provider::default(), serde_json::from_value(v).unwrap()).unwrap_err();
        assert_eq!(bad(json!({"proxy_url": "https://x"})).field(), Some("display_name"));
        assert_eq!(
            bad(json!({"display_name": "X", "proxy_url": "ftp://x", "auth_patterns": [{"type": "BEARER"}]})).field(),
            Some("proxy_url")
        );
        assert_eq!(bad(json!({"display_name": "X", "proxy_url": "https://x"})).field(), Some("auth_patterns"));
        let e = bad(json!({"display_name": "X", "proxy_url": "https://x", "auth_patterns": [{"type": "BEARER"}],
                           "tools": [{"name": "x_a", "description": "", "input_schema": {"type": "object"}, "request": {"path": "/a"}}]}));
        assert!(e.message().contains("tools[0].request: missing field `method`"), "{}", e.message());
    }
}
