//! MCP administration, the use cases behind the management API and the SDKs' `mcp` clients:
//! configs (which tools of which connections a server exposes), per-user instances, each user's
//! authorization state on a config's connections, and session tokens for MCP servers. Every
//! change commits with its audit row.

use chrono::{Duration, Utc};

use agentkit_core::model::{
    AccountSelector, ConnectorStatus, EnsureMcpInstanceRequest, McpConfig, McpConfigConnectionToolMapping,
    McpConnectionAuthState, McpInstance, McpSessionTokenRequest, McpSessionTokenResponse, UpdateMcpConfigRequest,
    UpdateMcpInstanceRequest,
};
use agentkit_core::{Error, Result};

use crate::credentials::tokens::{now_unix, SessionClaims};
use crate::domain::accounts::get_or_create;
use crate::domain::mcp::{config_wire, instance_wire};
use crate::state::AppState;
use crate::store::mcp::{ConfigRecord, InstanceRecord};
use crate::store::ChangeRecords;

/// At most this many connections per config (as the published validation rules).
const MAX_MAPPINGS: usize = 25;

fn check_name(name: &str) -> Result<()> {
    let valid = !name.is_empty()
        && name.len() <= 100
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if !valid {
        return Err(Error::invalid_field(
            "name",
            format!("name {name:?} must be 1–100 characters of a-z, 0-9, _ and -"),
        ));
    }
    Ok(())
}

/// Validates mappings against the configured connections and their tools; fills the output-only
/// fields (connection id, provider).
fn resolve_mappings(
    state: &AppState,
    mappings: Vec<McpConfigConnectionToolMapping>,
) -> Result<Vec<McpConfigConnectionToolMapping>> {
    if mappings.len() > MAX_MAPPINGS {
        return Err(Error::invalid_field(
            "connection_tool_mappings",
            format!("at most {MAX_MAPPINGS} connections per config"),
        ));
    }
    mappings
        .into_iter()
        .enumerate()
        .map(|(i, m)| {
            let connection = state.connection(m.connection_name.trim()).map_err(|_| {
                Error::invalid_field(
                    format!("connection_tool_mappings[{i}].connection_name"),
                    format!("connection {:?} is not configured on this gateway", m.connection_name),
                )
            })?;
            for (j, tool) in m.tools.iter().enumerate() {
                let known =
                    state.registry().catalog.tool(tool).is_some_and(|t| t.connector.slug == connection.connector);
                if !known {
                    return Err(Error::invalid_field(
                        format!("connection_tool_mappings[{i}].tools[{j}]"),
                        format!("tool {tool:?} does not belong to connection {:?}", connection.name),
                    ));
                }
            }
            Ok(McpConfigConnectionToolMapping {
                connection_id: format!("conn_{}", connection.name),
                connection_name: connection.name.clone(),
                provider: connection.connector.clone(),
                tools: m.tools,
                connected_account_id: String::new(),
                connected_account_status: String::new(),
            })
        })
        .collect()
}

/// The config `id`, or a 404 naming it.
pub async fn config_or_404(state: &AppState, id: &str) -> Result<ConfigRecord> {
    state.store.mcp_config(id).await?.ok_or_else(|| Error::not_found(format!("MCP config {id:?} not found")))
}

/// The instance `id`, or a 404 naming it.
pub async fn instance_or_404(state: &AppState, id: &str) -> Result<InstanceRecord> {
    state.store.mcp_instance(id).await?.ok_or_else(|| Error::not_found(format!("MCP instance {id:?} not found")))
}

/// Creates a config; its name is unique (a second one is a conflict).
pub async fn create_config(state: &AppState, req: McpConfig) -> Result<McpConfig> {
    check_name(req.name.trim())?;
    let record = ConfigRecord {
        id: format!("cfg_{}", uuid::Uuid::new_v4().simple()),
        name: req.name.trim().to_string(),
        description: req.description,
        mappings: resolve_mappings(state, req.connection_tool_mappings)?,
    };
    state.store.insert_mcp_config(&record, &config_records("mcp_config.created", &record)).await?;
    Ok(config_wire(state, &record))
}

/// Replaces what is given of a config's description and mappings.
pub async fn update_config(state: &AppState, id: &str, req: UpdateMcpConfigRequest) -> Result<McpConfig> {
    let mut config = config_or_404(state, id).await?;
    if let Some(description) = req.description {
        config.description = description;
    }
    if let Some(mappings) = req.connection_tool_mappings {
        config.mappings = resolve_mappings(state, mappings)?;
    }
    state.store.update_mcp_config(&config, &config_records("mcp_config.updated", &config)).await?;
    Ok(config_wire(state, &config))
}

/// Deletes a config; its instances' URLs stop working at once.
pub async fn delete_config(state: &AppState, id: &str) -> Result<()> {
    let config = config_or_404(state, id).await?;
    state.store.delete_mcp_config(&config.id, &config_records("mcp_config.deleted", &config)).await?;
    Ok(())
}

/// The audit row of an MCP config change: its id, name and the tools it exposes.
fn config_records(action: &str, config: &ConfigRecord) -> ChangeRecords {
    let tools: Vec<&String> = config.mappings.iter().flat_map(|m| m.tools.iter()).collect();
    let details = serde_json::json!({"name": config.name, "tools": tools});
    ChangeRecords::audited(crate::audit::change_row(action, &config.id, crate::audit::SUCCESS, details))
}

/// The user's instance of a config, created on first call.
pub async fn ensure_instance(state: &AppState, req: EnsureMcpInstanceRequest) -> Result<McpInstance> {
    if req.user_identifier.trim().is_empty() {
        return Err(Error::invalid_field("user_identifier", "user_identifier is required"));
    }
    let config = config_or_404(state, req.config_name.trim()).await?;
    let user = req.user_identifier.trim();
    let name = if req.name.is_empty() { format!("{}-{user}", config.name) } else { req.name };
    let created = |id: &str| {
        let details = serde_json::json!({"config_id": config.id, "user_identifier": user, "name": name});
        ChangeRecords::audited(crate::audit::change_row("mcp_instance.created", id, crate::audit::SUCCESS, details))
    };
    let instance = state.store.ensure_mcp_instance(&config.id, user, &name, created).await?;
    instance_wire(state, &instance).await
}

/// Renames an instance or moves it to another config (at least one of the two).
pub async fn update_instance(state: &AppState, id: &str, req: UpdateMcpInstanceRequest) -> Result<McpInstance> {
    let mut instance = instance_or_404(state, id).await?;
    if req.name.is_none() && req.config_name.is_none() {
        return Err(Error::invalid_field("name", "name or config_name is required"));
    }
    if let Some(name) = req.name {
        instance.name = name;
    }
    if let Some(config_name) = req.config_name {
        instance.config_id = config_or_404(state, &config_name).await?.id;
    }
    let details = serde_json::json!({"config_id": instance.config_id, "name": instance.name});
    let row = crate::audit::change_row("mcp_instance.updated", &instance.id, crate::audit::SUCCESS, details);
    state.store.update_mcp_instance(&instance, &ChangeRecords::audited(row)).await?;
    instance_wire(state, &instance).await
}

/// Deletes an instance; its URL stops working at once.
pub async fn delete_instance(state: &AppState, id: &str) -> Result<()> {
    let instance = instance_or_404(state, id).await?;
    let details = serde_json::json!({"config_id": instance.config_id, "user_identifier": instance.user_identifier});
    let row = crate::audit::change_row("mcp_instance.deleted", &instance.id, crate::audit::SUCCESS, details);
    state.store.delete_mcp_instance(&instance.id, &ChangeRecords::audited(row)).await?;
    Ok(())
}

/// Authorization state of each connection of `config` for `user`; with `links`, a fresh
/// authorization link for every connection that is not ACTIVE (creating the pending account).
pub async fn auth_state(
    state: &AppState,
    config: &ConfigRecord,
    user: &str,
    links: bool,
) -> Result<Vec<McpConnectionAuthState>> {
    let mut out = Vec::new();
    for m in &config.mappings {
        let account = match links {
            true => Some(get_or_create(state, &AccountSelector::by_name(&m.connection_name, user)).await?),
            false => state.store.accounts_by_name(&m.connection_name, user, "", "").await?.into_iter().next(),
        };
        let status = account.as_ref().map(|a| a.status.as_str().to_string()).unwrap_or_default();
        let authentication_link = match &account {
            Some(a) if links && a.status != ConnectorStatus::Active => {
                crate::domain::links::issue_link(state, &a.id, String::new(), String::new(), None).link
            }
            _ => String::new(),
        };
        out.push(McpConnectionAuthState {
            connection_id: m.connection_id.clone(),
            connection_name: m.connection_name.clone(),
            provider: m.provider.clone(),
            connected_account_id: account.map(|a| a.id).unwrap_or_default(),
            connected_account_status: status,
            authentication_link,
        });
    }
    Ok(out)
}

/// The authorization state of an instance's user on each connection of its config.
pub async fn instance_auth_state(state: &AppState, id: &str, links: bool) -> Result<Vec<McpConnectionAuthState>> {
    let instance = instance_or_404(state, id).await?;
    let config = config_or_404(state, &instance.config_id).await?;
    auth_state(state, &config, &instance.user_identifier, links).await
}

/// The authorization state of `identifier` on each connection of config `id`.
pub async fn config_auth_state(
    state: &AppState,
    id: &str,
    identifier: &str,
    links: bool,
) -> Result<Vec<McpConnectionAuthState>> {
    if identifier.trim().is_empty() {
        return Err(Error::invalid_field("identifier", "identifier is required"));
    }
    let config = config_or_404(state, id).await?;
    auth_state(state, &config, identifier.trim(), links).await
}

/// Parses a protobuf Duration string (`"3600s"`).
fn parse_expiry(text: &str) -> Result<i64> {
    if text.is_empty() {
        return Ok(3600);
    }
    let secs =
        text.strip_suffix('s').and_then(|n| n.parse::<f64>().ok()).filter(|n| n.is_finite()).ok_or_else(|| {
            Error::invalid_field("expiry", format!("expiry {text:?} is not a duration like \"3600s\""))
        })?;
    if !(60.0..=86_400.0).contains(&secs) {
        return Err(Error::invalid_field("expiry", "expiry must be between 60s and 86400s"));
    }
    Ok(secs as i64)
}

/// A session token for config `id`'s MCP server, acting as the request's identifier.
pub async fn config_session_token(
    state: &AppState,
    id: &str,
    req: &McpSessionTokenRequest,
) -> Result<McpSessionTokenResponse> {
    check_session_token_request(req)?;
    let config = config_or_404(state, id).await?;
    mint_session_token(state, config.id, req)
}

/// A session token for a connection's own MCP server (`/mcp/v3/connections/{name}`, every tool
/// of the connection). The name matches without regard to case; the token uses it as configured.
pub fn connection_session_token(
    state: &AppState,
    name: &str,
    req: &McpSessionTokenRequest,
) -> Result<McpSessionTokenResponse> {
    check_session_token_request(req)?;
    let registry = state.registry();
    let connection = registry
        .connections
        .values()
        .find(|c| c.name.eq_ignore_ascii_case(name.trim()))
        .ok_or_else(|| Error::not_found(format!("no connection named {name:?}")))?;
    mint_session_token(state, crate::domain::mcp::connection_scope(&connection.name), req)
}

fn check_session_token_request(req: &McpSessionTokenRequest) -> Result<()> {
    if req.identifier.trim().is_empty() {
        return Err(Error::invalid_field("identifier", "identifier is required"));
    }
    Ok(())
}

/// A signed session token for the MCP server named by `scope` (a config id, or
/// `connection_scope` of a connection), acting as the request's identifier.
fn mint_session_token(
    state: &AppState,
    scope: String,
    req: &McpSessionTokenRequest,
) -> Result<McpSessionTokenResponse> {
    let level: crate::credentials::tokens::AccessLevel = req.access_level.parse()?;
    let ttl = parse_expiry(&req.expiry)?;
    let claims =
        SessionClaims { cfg: scope, sub: req.identifier.trim().to_string(), exp: now_unix() + ttl, lvl: level };
    // Noted now, written when the request ends (this is not async).
    crate::telemetry::requests::note_audit(crate::telemetry::requests::AuditNote {
        action: "mcp_session_token.issued",
        target: claims.cfg.clone(),
        outcome: crate::audit::SUCCESS,
        details: serde_json::json!({"identifier": claims.sub, "access_level": req.access_level, "expires_in_secs": ttl}),
    });
    Ok(McpSessionTokenResponse {
        token: state.signer.sign(&claims),
        expires_at: Some(Utc::now() + Duration::seconds(ttl)),
    })
}
