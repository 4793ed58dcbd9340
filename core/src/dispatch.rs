//! The SDK operations by name, with the documented (flat) parameter shapes.
//!
//! Both language bindings hand a JSON object of parameters to [`dispatch`]; parameter names are
//! the documented snake_case ones, and lowerCamel twins are accepted, so the Python and Node SDKs
//! share one parser, one validation and one mapping to the wire model.

use std::str::FromStr;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::actions::{Actions, ProxyRequest};
use crate::client::RawResponse;
use crate::error::{Error, Result};
use crate::model::casing::to_camel_case;
use crate::model::*;

/// Every operation the SDKs expose over the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Creates a connected account; `Conflict` when it exists already.
    CreateConnectedAccount,
    /// Updates an account's credentials or `api_config`.
    UpdateConnectedAccount,
    /// One account with its credentials.
    GetConnectedAccount,
    /// One account without its credentials.
    GetConnectedAccountDetails,
    /// Gets an account (updating its credentials when some are given), or creates it.
    GetOrCreateConnectedAccount,
    /// Deletes an account, revoking its grant at the provider where possible.
    DeleteConnectedAccount,
    /// A page of accounts, filtered by connection, identifier, organization, user or text.
    ListConnectedAccounts,
    /// Accounts whose identifier, connection or connector contains a query.
    SearchConnectedAccounts,
    /// A link for the user to authorize an account, created pending when missing.
    GetAuthorizationLink,
    /// Confirms the user an authorization link was made for.
    VerifyConnectedAccountUser,
    /// `actions.execute_tool`: with modifiers.
    ExecuteTool,
    /// `tools.execute_tool`: the low-level call, without modifiers.
    ExecuteToolUnmodified,
    /// A page of catalog tools.
    ListTools,
    /// The app's configured connections.
    ListConnections,
    /// Catalog tools ranked by relevance to a natural-language query.
    SearchTools,
    /// The tools a user can run now, each with the connected account it runs as.
    ListScopedTools,
    /// The tools that can be made available to a user.
    ListAvailableTools,
    /// Creates an MCP config: which tools of which connections its server exposes.
    McpCreateConfig,
    /// A page of MCP configs, filtered.
    McpListConfigs,
    /// One MCP config.
    McpGetConfig,
    /// Replaces a config's description or connection tool mappings (those given).
    McpUpdateConfig,
    /// Deletes a config and its instances.
    McpDeleteConfig,
    /// Gets or creates a user's instance of a config.
    McpEnsureInstance,
    /// A page of MCP instances, filtered.
    McpListInstances,
    /// One MCP instance, with its server URL.
    McpGetInstance,
    /// Renames an instance or moves it to another config.
    McpUpdateInstance,
    /// Deletes an instance; its URL stops working.
    McpDeleteInstance,
    /// The authorization state of an instance's connections, optionally with links.
    McpGetInstanceAuthState,
    /// A user's account on each connection of a config.
    McpListConnectedAccounts,
    /// A session token for a config's MCP server, or for one connection's own.
    McpCreateSessionToken,
    /// Creates a custom provider (a connector made at runtime).
    CreateCustomProvider,
    /// Updates a custom provider; absent fields are left as they are.
    UpdateCustomProvider,
    /// Deletes a custom provider.
    DeleteCustomProvider,
    /// Catalog connectors and custom providers, a page at a time.
    ListProviders,
    /// The triggers a connection offers, and whether each can be used there.
    ListAvailableTriggers,
    /// A connection's accounts, each eligible for a trigger or not, with its health.
    ListEligibleAccounts,
    /// A connection's trigger subscriptions, with counts by status.
    ListTriggerSubscriptions,
    /// Subscribes one connected account to a trigger.
    CreateTriggerSubscription,
    /// Subscribes several connected accounts to a trigger, with an outcome per account.
    BatchCreateTriggerSubscriptions,
    /// Deletes a trigger subscription.
    DeleteTriggerSubscription,
    /// A connection's ingress endpoint for pushed triggers.
    GetTriggerIngressEndpoint,
    /// Creates a connection's ingress endpoint (again: the same one).
    CreateTriggerIngressEndpoint,
    /// Sets the provider's signing secret; with one set already, starts a rotation.
    SetTriggerSigningSecret,
    /// Confirms a signing-secret rotation: the previous secret stops being accepted.
    ConfirmTriggerSigningSecretRotation,
    /// What triggers did over the gateway's recent window, in counts.
    GetTriggerActivity,
    /// A webhook endpoint's newest delivery attempts.
    ListTriggerDeliveryAttemptsByEndpoint,
}

/// The one table of operation names the SDK façades call (`actions.execute_tool` →
/// `"execute_tool"`). Both native modules export it, and their packaging tests check that every
/// entry is used by the façade and exercised by a shared scenario.
const OPERATIONS: &[(&str, Operation)] = {
    use Operation::*;
    &[
        ("create_connected_account", CreateConnectedAccount),
        ("update_connected_account", UpdateConnectedAccount),
        ("get_connected_account", GetConnectedAccount),
        ("get_connected_account_details", GetConnectedAccountDetails),
        ("get_or_create_connected_account", GetOrCreateConnectedAccount),
        ("delete_connected_account", DeleteConnectedAccount),
        ("list_connected_accounts", ListConnectedAccounts),
        ("search_connected_accounts", SearchConnectedAccounts),
        ("get_authorization_link", GetAuthorizationLink),
        ("verify_connected_account_user", VerifyConnectedAccountUser),
        ("execute_tool", ExecuteTool),
        ("execute_tool_unmodified", ExecuteToolUnmodified),
        ("list_tools", ListTools),
        ("search_tools", SearchTools),
        ("list_connections", ListConnections),
        ("list_scoped_tools", ListScopedTools),
        ("list_available_tools", ListAvailableTools),
        ("mcp.create_config", McpCreateConfig),
        ("mcp.list_configs", McpListConfigs),
        ("mcp.get_config", McpGetConfig),
        ("mcp.update_config", McpUpdateConfig),
        ("mcp.delete_config", McpDeleteConfig),
        ("mcp.ensure_instance", McpEnsureInstance),
        ("mcp.list_instances", McpListInstances),
        ("mcp.get_instance", McpGetInstance),
        ("mcp.update_instance", McpUpdateInstance),
        ("mcp.delete_instance", McpDeleteInstance),
        ("mcp.get_instance_auth_state", McpGetInstanceAuthState),
        ("mcp.list_mcp_connected_accounts", McpListConnectedAccounts),
        ("mcp.create_session_token", McpCreateSessionToken),
        ("providers.create_custom_provider", CreateCustomProvider),
        ("providers.update_custom_provider", UpdateCustomProvider),
        ("providers.delete_custom_provider", DeleteCustomProvider),
        ("providers.list_providers", ListProviders),
        ("triggers.list_available_triggers", ListAvailableTriggers),
        ("triggers.list_eligible_accounts", ListEligibleAccounts),
        ("triggers.list_trigger_subscriptions", ListTriggerSubscriptions),
        ("triggers.create_trigger_subscription", CreateTriggerSubscription),
        ("triggers.batch_create_trigger_subscriptions", BatchCreateTriggerSubscriptions),
        ("triggers.delete_trigger_subscription", DeleteTriggerSubscription),
        ("triggers.get_trigger_ingress_endpoint", GetTriggerIngressEndpoint),
        ("triggers.create_trigger_ingress_endpoint", CreateTriggerIngressEndpoint),
        ("triggers.set_trigger_signing_secret", SetTriggerSigningSecret),
        ("triggers.confirm_trigger_signing_secret_rotation", ConfirmTriggerSigningSecretRotation),
        ("triggers.get_trigger_activity", GetTriggerActivity),
        ("triggers.list_trigger_delivery_attempts_by_endpoint", ListTriggerDeliveryAttemptsByEndpoint),
    ]
};

impl Operation {
    /// Every operation's name, in table order.
    pub fn names() -> impl Iterator<Item = &'static str> {
        OPERATIONS.iter().map(|(name, _)| *name)
    }

    /// The name façades call this operation by.
    pub fn name(self) -> &'static str {
        OPERATIONS.iter().find(|(_, op)| *op == self).map(|(name, _)| *name).unwrap_or("unknown")
    }
}

impl FromStr for Operation {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        OPERATIONS
            .iter()
            .find(|(name, _)| *name == s)
            .map(|(_, op)| *op)
            .ok_or_else(|| Error::invalid_field("operation", format!("unknown operation {s:?}")))
    }
}

#[derive(Debug, Default, Deserialize)]
struct AccountParams {
    #[serde(default, alias = "connectionName", alias = "connector")]
    connection_name: Option<String>,
    #[serde(default)]
    identifier: Option<String>,
    #[serde(default, alias = "connectedAccountId", alias = "id")]
    connected_account_id: Option<String>,
    #[serde(default, alias = "organizationId")]
    organization_id: Option<String>,
    #[serde(default, alias = "userId")]
    user_id: Option<String>,
    #[serde(default, alias = "authorizationDetails")]
    authorization_details: Option<Value>,
    #[serde(default, alias = "apiConfig")]
    api_config: Option<Value>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default, alias = "userVerifyUrl")]
    user_verify_url: Option<String>,
    /// An authorization link's scopes: `scope_selection` as the wire names it, or its two lists
    /// given one by one.
    #[serde(default, alias = "scopeSelection")]
    scope_selection: Option<ScopeSelection>,
    #[serde(default)]
    scopes: Option<Vec<String>>,
    #[serde(default, alias = "optionalScopes")]
    optional_scopes: Option<Vec<String>>,
}

impl AccountParams {
    fn selector(&self) -> AccountSelector {
        let text = |v: &Option<String>| v.as_deref().unwrap_or("").trim().to_string();
        AccountSelector {
            connector: text(&self.connection_name),
            identifier: text(&self.identifier),
            id: text(&self.connected_account_id),
            organization_id: text(&self.organization_id),
            user_id: text(&self.user_id),
        }
    }

    /// The link's scope selection: `scope_selection`, or `scopes` / `optional_scopes` (not both
    /// ways at once); none when nothing is named.
    fn scope_selection(&self) -> Result<Option<ScopeSelection>> {
        let lists = self.scopes.is_some() || self.optional_scopes.is_some();
        match (&self.scope_selection, lists) {
            (Some(_), true) => Err(Error::invalid_field(
                "scope_selection",
                "give scope_selection or scopes / optional_scopes, not both",
            )),
            (Some(selection), false) => Ok(Some(selection.clone()).filter(|s| !s.is_empty())),
            (None, true) => Ok(Some(ScopeSelection {
                scopes: self.scopes.clone().unwrap_or_default(),
                optional_scopes: self.optional_scopes.clone().unwrap_or_default(),
            })
            .filter(|s| !s.is_empty())),
            (None, false) => Ok(None),
        }
    }

    fn upsert(&self) -> Result<UpsertConnectedAccountRequest> {
        if let Some(cfg) = &self.api_config {
            if !cfg.is_object() && !cfg.is_null() {
                return Err(Error::invalid_field("api_config", "api_config must be an object"));
            }
        }
        Ok(UpsertConnectedAccountRequest {
            selector: self.selector(),
            connected_account: ConnectedAccountInput {
                authorization_details: self
                    .authorization_details
                    .as_ref()
                    .map(authorization_details)
                    .transpose()?
                    .flatten(),
                api_config: self.api_config.clone().filter(|v| v.as_object().is_some_and(|o| !o.is_empty())),
            },
        })
    }
}

/// Reads `authorization_details` in any documented form: `{oauth_token: {...}}`,
/// `{static_auth: {details: {...}}}` (or a bare static object), camelCase twins, and the
/// protobuf-es oneof `{details: {case: "oauthToken", value: {...}}}` used by Node code.
pub fn authorization_details(v: &Value) -> Result<Option<AuthorizationDetails>> {
    let bad = |msg: &str| Error::invalid_field("authorization_details", format!("authorization_details {msg}"));
    let Some(obj) = v.as_object() else {
        if v.is_null() {
            return Ok(None);
        }
        return Err(bad("must be an object"));
    };
    if obj.is_empty() {
        return Ok(None);
    }
    if let Some(oneof) = obj.get("details").and_then(Value::as_object).filter(|d| d.contains_key("case")) {
        let case = oneof.get("case").and_then(Value::as_str).unwrap_or("");
        let value = oneof.get("value").cloned().unwrap_or(Value::Object(Map::new()));
        let mut wrapped = Map::new();
        wrapped.insert(case.to_string(), value);
        return authorization_details(&Value::Object(wrapped));
    }
    let known = ["oauth_token", "oauthToken", "static_auth", "staticAuth"];
    if obj.keys().any(|k| known.contains(&k.as_str())) {
        let mut details: AuthorizationDetails = parse_named("authorization_details", v.clone())?;
        if let Some(s) = &mut details.static_auth {
            // `static_auth` may be given as the credential object itself.
            if !s.details.is_object() {
                let raw = obj.get("static_auth").or_else(|| obj.get("staticAuth")).cloned().unwrap_or_default();
                s.details = raw;
            }
        }
        return Ok(Some(details));
    }
    if obj.keys().any(|k| ["google_dwd", "googleDwd", "trusted_idp", "trustedIdp"].contains(&k.as_str())) {
        return Err(bad("google_dwd / trusted_idp credentials are not supported by this gateway"));
    }
    Err(bad("must contain oauth_token or static_auth"))
}

/// Deserializes `value`, naming the offending field in the error: `page_size` for top-level
/// parameters (`context` "params"), `authorization_details.oauth_token.access_token` for nested ones.
pub fn parse_named<T: DeserializeOwned>(context: &str, value: Value) -> Result<T> {
    let value = if value.is_null() { Value::Object(Map::new()) } else { value };
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let field = match (path.as_str(), context) {
            ("." | "", _) => context.to_string(),
            (_, "params") => path,
            _ => format!("{context}.{path}"),
        };
        Error::invalid_field(field.clone(), format!("{field}: {}", e.into_inner()))
    })
}

#[derive(Debug, Default, Deserialize)]
struct ListAccountsParams {
    #[serde(default, alias = "connectionName", alias = "connector")]
    connection_name: Option<String>,
    #[serde(default)]
    identifier: Option<String>,
    #[serde(default)]
    provider: Option<String>,
    #[serde(default, alias = "connectionNames")]
    connection_names: Option<Vec<String>>,
    #[serde(default, alias = "organizationId")]
    organization_id: Option<String>,
    #[serde(default, alias = "userId")]
    user_id: Option<String>,
    #[serde(default)]
    query: Option<String>,
    #[serde(default, alias = "pageSize")]
    page_size: Option<u32>,
    #[serde(default, alias = "pageToken")]
    page_token: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct ExecuteParams {
    #[serde(default, alias = "toolName")]
    tool_name: Option<String>,
    #[serde(default, alias = "toolInput", alias = "params")]
    tool_input: Option<Value>,
    #[serde(default)]
    identifier: Option<String>,
    #[serde(default, alias = "connectedAccountId")]
    connected_account_id: Option<String>,
    #[serde(default, alias = "connectionName", alias = "connector")]
    connection_name: Option<String>,
    #[serde(default, alias = "organizationId")]
    organization_id: Option<String>,
    #[serde(default, alias = "userId")]
    user_id: Option<String>,
}

impl ExecuteParams {
    fn request(self) -> Result<ExecuteToolRequest> {
        let tool_input = match self.tool_input {
            None | Some(Value::Null) => None,
            Some(Value::Object(o)) => Some(Value::Object(o)),
            Some(_) => {
                return Err(Error::invalid_field(
                    "tool_input",
                    "tool_input must be an object (a dict of tool parameters)",
                ))
            }
        };
        let s = |v: Option<String>| v.unwrap_or_default().trim().to_string();
        Ok(ExecuteToolRequest {
            tool_name: s(self.tool_name),
            identifier: s(self.identifier),
            params: tool_input,
            connected_account_id: s(self.connected_account_id),
            connector: s(self.connection_name),
            organization_id: s(self.organization_id),
            user_id: s(self.user_id),
        })
    }
}

// Parameters of the MCP operations, one shape per operation (documented names; lowerCamel twins
// accepted): a field another operation takes is refused here, naming it, instead of being ignored.

/// `{config_id}`: the config an operation reads or deletes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct McpConfigRef {
    #[serde(default, alias = "configId")]
    config_id: String,
}

/// `{instance_id}`: the instance an operation reads or deletes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct McpInstanceRef {
    #[serde(default, alias = "instanceId")]
    instance_id: String,
}

/// `mcp.create_config`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct McpCreateConfigParams {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default, alias = "connectionToolMappings")]
    connection_tool_mappings: Option<Vec<McpConfigConnectionToolMapping>>,
}

/// `mcp.update_config`: what is given is replaced.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct McpUpdateConfigParams {
    #[serde(default, alias = "configId")]
    config_id: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default, alias = "connectionToolMappings")]
    connection_tool_mappings: Option<Vec<McpConfigConnectionToolMapping>>,
}

/// `mcp.ensure_instance`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct McpEnsureInstanceParams {
    #[serde(default, alias = "configName")]
    config_name: Option<String>,
    #[serde(default, alias = "userIdentifier")]
    user_identifier: String,
    #[serde(default)]
    name: Option<String>,
}

/// `mcp.update_instance`: a new name, another config, or both.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct McpUpdateInstanceParams {
    #[serde(default, alias = "instanceId")]
    instance_id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default, alias = "configName")]
    config_name: Option<String>,
}

/// `mcp.get_instance_auth_state`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct McpInstanceAuthStateParams {
    #[serde(default, alias = "instanceId")]
    instance_id: String,
    #[serde(default, alias = "includeAuthLinks")]
    include_auth_links: Option<bool>,
}

/// `mcp.list_mcp_connected_accounts`: one user's state on each connection of a config.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct McpConnectedAccountsParams {
    #[serde(default, alias = "configId")]
    config_id: String,
    #[serde(default)]
    identifier: String,
    #[serde(default, alias = "include_auth_link", alias = "includeAuthLink", alias = "includeAuthLinks")]
    include_auth_links: Option<bool>,
}

/// `mcp.create_session_token`: for a config's MCP server, or with `connection_name` for that
/// connection's own.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct McpSessionTokenParams {
    #[serde(default, alias = "configId", alias = "mcp_config_id", alias = "mcpConfigId")]
    config_id: String,
    #[serde(default)]
    identifier: String,
    /// Session-token lifetime: `"3600s"`, seconds as a number, or a `{seconds, nanos}` Duration.
    #[serde(default, deserialize_with = "duration_text")]
    expiry: String,
    #[serde(default, alias = "accessLevel")]
    access_level: String,
    #[serde(default, alias = "connectionName")]
    connection_name: String,
}

/// Any of the duration forms the SDKs accept, as protobuf Duration text (`"3600s"`); fractions of
/// a second are dropped, as the official SDKs do.
fn duration_text<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<String, D::Error> {
    use serde::de::Error as _;
    let seconds = |n: f64| {
        if n.is_finite() && n >= 0.0 && n <= i64::MAX as f64 {
            Ok(format!("{}s", n.trunc() as i64))
        } else {
            Err(D::Error::custom(format!("expiry {n} is not a number of seconds")))
        }
    };
    match Value::deserialize(d)? {
        Value::Null => Ok(String::new()),
        Value::String(text) => Ok(text),
        Value::Number(n) => seconds(n.as_f64().unwrap_or(f64::NAN)),
        Value::Object(o) => {
            seconds(o.get("seconds").and_then(|v| v.as_f64().or_else(|| v.as_str()?.parse().ok())).unwrap_or(f64::NAN))
        }
        other => Err(D::Error::custom(format!("expiry must be a duration, got {other}"))),
    }
}

async fn dispatch_mcp(actions: &Actions, op: Operation, params: Value) -> Result<Value> {
    use Operation::*;
    match op {
        McpCreateConfig => {
            let p: McpCreateConfigParams = parse_named("params", params)?;
            let config = McpConfig {
                name: p.name.unwrap_or_default(),
                description: p.description.unwrap_or_default(),
                connection_tool_mappings: p.connection_tool_mappings.unwrap_or_default(),
                ..Default::default()
            };
            to_value(actions.mcp_create_config(config).await?)
        }
        McpListConfigs => to_value(actions.mcp_list_configs(parse_named("params", params)?).await?),
        McpGetConfig => {
            let p: McpConfigRef = parse_named("params", params)?;
            to_value(actions.mcp_get_config(&p.config_id).await?)
        }
        McpUpdateConfig => {
            let p: McpUpdateConfigParams = parse_named("params", params)?;
            let req = UpdateMcpConfigRequest {
                description: p.description,
                connection_tool_mappings: p.connection_tool_mappings,
            };
            to_value(actions.mcp_update_config(&p.config_id, req).await?)
        }
        McpDeleteConfig => {
            let p: McpConfigRef = parse_named("params", params)?;
            to_value(actions.mcp_delete_config(&p.config_id).await?)
        }
        McpEnsureInstance => {
            let p: McpEnsureInstanceParams = parse_named("params", params)?;
            let req = EnsureMcpInstanceRequest {
                config_name: p.config_name.unwrap_or_default(),
                user_identifier: p.user_identifier,
                name: p.name.unwrap_or_default(),
            };
            to_value(actions.mcp_ensure_instance(req).await?)
        }
        McpListInstances => to_value(actions.mcp_list_instances(parse_named("params", params)?).await?),
        McpGetInstance => {
            let p: McpInstanceRef = parse_named("params", params)?;
            to_value(actions.mcp_get_instance(&p.instance_id).await?)
        }
        McpUpdateInstance => {
            let p: McpUpdateInstanceParams = parse_named("params", params)?;
            let req = UpdateMcpInstanceRequest { name: p.name, config_name: p.config_name };
            to_value(actions.mcp_update_instance(&p.instance_id, req).await?)
        }
        McpDeleteInstance => {
            let p: McpInstanceRef = parse_named("params", params)?;
            to_value(actions.mcp_delete_instance(&p.instance_id).await?)
        }
        McpGetInstanceAuthState => {
            let p: McpInstanceAuthStateParams = parse_named("params", params)?;
            to_value(actions.mcp_get_instance_auth_state(&p.instance_id, p.include_auth_links.unwrap_or(false)).await?)
        }
        McpListConnectedAccounts => {
            let p: McpConnectedAccountsParams = parse_named("params", params)?;
            let req = McpConnectedAccountsRequest {
                identifier: p.identifier,
                include_auth_link: p.include_auth_links.unwrap_or(false),
            };
            to_value(actions.mcp_list_connected_accounts(&p.config_id, req).await?)
        }
        McpCreateSessionToken => {
            let p: McpSessionTokenParams = parse_named("params", params)?;
            let req =
                McpSessionTokenRequest { identifier: p.identifier, expiry: p.expiry, access_level: p.access_level };
            if p.connection_name.is_empty() {
                to_value(actions.mcp_create_session_token(&p.config_id, req).await?)
            } else if !p.config_id.is_empty() {
                Err(Error::invalid_field(
                    "connection_name",
                    "pass either mcp_config_id or connection_name, not both: a session token is for one MCP config \
                     or for one connection's MCP server",
                ))
            } else {
                to_value(actions.mcp_create_connection_session_token(&p.connection_name, req).await?)
            }
        }
        _ => Err(Error::new(crate::error::ErrorKind::Server, format!("{op:?} is not an MCP operation"))),
    }
}

/// Custom-provider operations take the provider's fields flat (`display_name=…`) or as the
/// official SDK's `request` object.
fn provider_params(params: Value) -> Value {
    match params {
        Value::Object(mut o) if o.get("request").is_some_and(Value::is_object) => {
            let Some(Value::Object(inner)) = o.remove("request") else { unreachable!("checked above") };
            o.extend(inner);
            Value::Object(o)
        }
        other => other,
    }
}

async fn dispatch_providers(actions: &Actions, op: Operation, params: Value) -> Result<Value> {
    use Operation::*;
    let params = provider_params(params);
    match op {
        CreateCustomProvider => to_value(actions.create_custom_provider(parse_named("params", params)?).await?),
        UpdateCustomProvider => {
            let input: CustomProviderInput = parse_named("params", params)?;
            let identifier = input.identifier.clone().unwrap_or_default();
            to_value(actions.update_custom_provider(&identifier, input).await?)
        }
        DeleteCustomProvider => {
            let input: CustomProviderInput = parse_named("params", params)?;
            to_value(actions.delete_custom_provider(input.identifier.as_deref().unwrap_or_default()).await?)
        }
        ListProviders => to_value(actions.list_providers(parse_named("params", params)?).await?),
        _ => unreachable!("dispatch_providers is called for provider operations only"),
    }
}

fn to_value<T: serde::Serialize>(v: T) -> Result<Value> {
    Ok(serde_json::to_value(v)?)
}

/// Drops `null` values at every depth: an absent optional parameter and one passed as
/// `None` / `null` / `undefined` mean the same. Done here once for both façades.
pub fn drop_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            Value::Object(map.into_iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k, drop_nulls(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(drop_nulls).collect()),
        other => other,
    }
}

/// Runs `op` with `params` and returns the wire response as JSON (snake_case keys).
pub async fn dispatch(actions: &Actions, op: Operation, params: Value) -> Result<Value> {
    use Operation::*;
    let params = drop_nulls(params);
    match op {
        CreateConnectedAccount | UpdateConnectedAccount | GetOrCreateConnectedAccount => {
            let p: AccountParams = parse_named("params", params)?;
            let req = p.upsert()?;
            let resp = match op {
                CreateConnectedAccount => actions.create_connected_account(req).await?,
                UpdateConnectedAccount => actions.update_connected_account(req).await?,
                _ => actions.get_or_create_connected_account(req).await?,
            };
            to_value(resp)
        }
        GetConnectedAccount | GetConnectedAccountDetails | DeleteConnectedAccount => {
            let p: AccountParams = parse_named("params", params)?;
            match op {
                GetConnectedAccount => to_value(actions.get_connected_account(p.selector()).await?),
                GetConnectedAccountDetails => to_value(actions.get_connected_account_details(p.selector()).await?),
                _ => to_value(actions.delete_connected_account(p.selector()).await?),
            }
        }
        ListConnectedAccounts => {
            let p: ListAccountsParams = parse_named("params", params)?;
            let req = ListConnectedAccountsRequest {
                connector: p.connection_name.unwrap_or_default(),
                identifier: p.identifier.unwrap_or_default(),
                provider: p.provider.unwrap_or_default(),
                organization_id: p.organization_id.unwrap_or_default(),
                user_id: p.user_id.unwrap_or_default(),
                query: p.query.unwrap_or_default(),
                connection_names: p.connection_names.unwrap_or_default(),
                page_size: p.page_size,
                page_token: p.page_token.unwrap_or_default(),
            };
            to_value(actions.list_connected_accounts(req).await?)
        }
        SearchConnectedAccounts => {
            let p: SearchAccountsParams = parse_named("params", params)?;
            let req = SearchConnectedAccountsRequest {
                query: p.query.unwrap_or_default(),
                connection_id: p.connection_id.unwrap_or_default(),
                page_size: p.page_size,
                page_token: p.page_token.unwrap_or_default(),
            };
            to_value(actions.search_connected_accounts(req).await?)
        }
        GetAuthorizationLink => {
            let p: AccountParams = parse_named("params", params)?;
            let req = MagicLinkRequest {
                selector: p.selector(),
                state: p.state.clone().unwrap_or_default(),
                user_verify_url: p.user_verify_url.clone().unwrap_or_default(),
                scope_selection: p.scope_selection()?,
            };
            to_value(actions.get_authorization_link(req).await?)
        }
        VerifyConnectedAccountUser => {
            let req: VerifyUserRequest = parse_named("params", params)?;
            to_value(actions.verify_connected_account_user(req).await?)
        }
        ExecuteTool | ExecuteToolUnmodified => {
            let p: ExecuteParams = parse_named("params", params)?;
            let req = p.request()?;
            let resp = if op == ExecuteTool {
                actions.execute_tool(req).await?
            } else {
                actions.execute_tool_unmodified(req).await?
            };
            to_value(resp)
        }
        ListTools => to_value(actions.list_tools(parse_named("params", params)?).await?),
        SearchTools => to_value(actions.search_tools(parse_named("params", params)?).await?),
        ListConnections => {
            to_value(ListConnectionsResult::from(actions.list_connections(parse_named("params", params)?).await?))
        }
        ListScopedTools => to_value(actions.list_scoped_tools(parse_named("params", params)?).await?),
        ListAvailableTriggers => {
            let p: crate::triggers::ConnectionRef = parse_named("params", params)?;
            to_value(actions.list_available_triggers(&p.connection_id).await?)
        }
        ListEligibleAccounts => to_value(actions.list_eligible_accounts(parse_named("params", params)?).await?),
        ListTriggerSubscriptions => to_value(actions.list_trigger_subscriptions(parse_named("params", params)?).await?),
        CreateTriggerSubscription => {
            to_value(actions.create_trigger_subscription(parse_named("params", params)?).await?)
        }
        BatchCreateTriggerSubscriptions => {
            to_value(actions.batch_create_trigger_subscriptions(parse_named("params", params)?).await?)
        }
        DeleteTriggerSubscription => {
            to_value(actions.delete_trigger_subscription(parse_named("params", params)?).await?)
        }
        GetTriggerIngressEndpoint => {
            let p: crate::triggers::ConnectionRef = parse_named("params", params)?;
            to_value(actions.get_trigger_ingress_endpoint(&p.connection_id).await?)
        }
        CreateTriggerIngressEndpoint => {
            let p: crate::triggers::ConnectionRef = parse_named("params", params)?;
            to_value(actions.create_trigger_ingress_endpoint(&p.connection_id).await?)
        }
        SetTriggerSigningSecret => to_value(actions.set_trigger_signing_secret(parse_named("params", params)?).await?),
        ConfirmTriggerSigningSecretRotation => {
            to_value(actions.confirm_trigger_signing_secret_rotation(parse_named("params", params)?).await?)
        }
        GetTriggerActivity => {
            let _: crate::triggers::NoParams = parse_named("params", params)?;
            to_value(actions.get_trigger_activity().await?)
        }
        ListTriggerDeliveryAttemptsByEndpoint => {
            to_value(actions.list_trigger_delivery_attempts_by_endpoint(parse_named("params", params)?).await?)
        }
        ListAvailableTools => to_value(actions.list_available_tools(parse_named("params", params)?).await?),
        McpCreateConfig
        | McpListConfigs
        | McpGetConfig
        | McpUpdateConfig
        | McpDeleteConfig
        | McpEnsureInstance
        | McpListInstances
        | McpGetInstance
        | McpUpdateInstance
        | McpDeleteInstance
        | McpGetInstanceAuthState
        | McpListConnectedAccounts
        | McpCreateSessionToken => dispatch_mcp(actions, op, params).await,
        CreateCustomProvider | UpdateCustomProvider | DeleteCustomProvider | ListProviders => {
            dispatch_providers(actions, op, params).await
        }
    }
}

/// Parameters of `search_connected_accounts`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchAccountsParams {
    #[serde(default)]
    query: Option<String>,
    #[serde(default, alias = "connectionId")]
    connection_id: Option<String>,
    #[serde(default, alias = "pageSize")]
    page_size: Option<u32>,
    #[serde(default, alias = "pageToken")]
    page_token: Option<String>,
}

/// Parameters of the proxied `request`.
#[derive(Debug, Default, Deserialize)]
struct ProxyParams {
    #[serde(default, alias = "connectionName")]
    connection_name: Option<String>,
    #[serde(default)]
    identifier: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    method: Option<String>,
    #[serde(default, alias = "queryParams")]
    query_params: Option<Map<String, Value>>,
    #[serde(default)]
    body: Option<Value>,
    #[serde(default, alias = "formData")]
    form_data: Option<Map<String, Value>>,
    #[serde(default)]
    headers: Option<Map<String, Value>>,
    #[serde(default, alias = "timeoutMs")]
    timeout_ms: Option<f64>,
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Flattens `{k: v | [v, ...]}` into repeated pairs.
pub(crate) fn pairs(map: Option<Map<String, Value>>) -> Vec<(String, String)> {
    map.unwrap_or_default()
        .into_iter()
        .flat_map(|(k, v)| match v {
            Value::Array(items) => items.iter().map(|i| (k.clone(), text_of(i))).collect::<Vec<_>>(),
            Value::Null => vec![],
            other => vec![(k, text_of(&other))],
        })
        .collect()
}

/// A proxied call's `timeout_ms`: a positive number of milliseconds, or none (the client's).
pub(crate) fn call_timeout(timeout_ms: Option<f64>) -> Result<Option<Duration>> {
    match timeout_ms {
        None => Ok(None),
        Some(ms) if ms.is_finite() && ms > 0.0 => Ok(Some(Duration::from_millis(ms as u64))),
        Some(_) => Err(Error::invalid_field("timeout_ms", "timeout_ms must be a positive number")),
    }
}

/// The proxied `request`; `raw_body` (bytes) wins over `form_data`, which wins over `body`.
pub async fn proxy_request(actions: &Actions, params: Value, raw_body: Option<Vec<u8>>) -> Result<RawResponse> {
    let p: ProxyParams = parse_named("params", drop_nulls(params))?;
    let timeout = call_timeout(p.timeout_ms)?;
    let req = ProxyRequest {
        connection_name: p.connection_name.unwrap_or_default(),
        identifier: p.identifier.unwrap_or_default(),
        path: p.path.unwrap_or_default(),
        method: p.method.unwrap_or_default(),
        query_params: pairs(p.query_params),
        body: p.body.filter(|b| !b.is_null()),
        form_data: p.form_data.map(|f| pairs(Some(f))),
        raw_body,
        headers: pairs(p.headers),
        timeout,
    };
    actions.request(req).await
}

/// Keys whose values are free-form JSON and must keep their casing when converting to camelCase.
const OPAQUE_KEYS: &[&str] = &[
    // Trigger subscriptions counted by status name, trigger activity counted by count name
    // (`pushes_accepted`), and a trigger event's provider item.
    "status_counts",
    "counts",
    "item",
    "definition",
    "metadata",
    "data",
    "api_config",
    "details",
    "params",
    "input_schema",
    // A custom provider's auth patterns and declarative tool mappings, returned as stored.
    "auth_patterns",
    "request",
    "expand",
    "shape",
    "failure",
    "sql",
];

/// Converts snake_case keys to lowerCamel recursively (for the Node SDK), leaving free-form
/// values (tool definitions, tool data, configs, credentials) untouched.
pub fn camel_case_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = if OPAQUE_KEYS.contains(&k.as_str()) { v } else { camel_case_keys(v) };
                    (to_camel_case(&k), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(camel_case_keys).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nulls_are_dropped_at_every_depth_and_nothing_else() {
        let v = serde_json::json!({"a": null, "b": {"c": null, "d": 0, "e": [null, {"f": null, "g": ""}]}, "h": false});
        assert_eq!(drop_nulls(v), serde_json::json!({"b": {"d": 0, "e": [null, {"g": ""}]}, "h": false}));
    }
    use serde_json::json;

    #[test]
    fn reads_every_authorization_details_form() {
        let forms = [
            json!({"oauth_token": {"access_token": "t"}}),
            json!({"oauthToken": {"accessToken": "t"}}),
            json!({"details": {"case": "oauthToken", "value": {"accessToken": "t"}}}),
        ];
        for f in forms {
            let d = authorization_details(&f).unwrap().unwrap();
            assert_eq!(d.oauth_token.unwrap().access_token, "t", "{f}");
        }
        let s = authorization_details(&json!({"static_auth": {"details": {"api_key": "k"}}})).unwrap().unwrap();
        assert_eq!(s.static_auth.unwrap().details["api_key"], "k");
        assert_eq!(authorization_details(&json!({"bogus": 1})).unwrap_err().field(), Some("authorization_details"));
        assert!(authorization_details(&json!({})).unwrap().is_none());
    }

    #[test]
    fn parse_errors_name_the_field() {
        let err = parse_named::<ListAccountsParams>("params", json!({"page_size": "ten"})).unwrap_err();
        assert_eq!(err.field(), Some("page_size"));
        let err = ExecuteParams { tool_input: Some(json!([1])), ..Default::default() }.request().unwrap_err();
        assert_eq!(err.field(), Some("tool_input"));
    }

    #[test]
    fn trigger_activity_counts_keep_their_names() {
        let v = camel_case_keys(json!({"counts": {"pushes_accepted": 1, "delivery_failed": 0}, "window_hours": 24}));
        assert_eq!(v, json!({"counts": {"pushes_accepted": 1, "delivery_failed": 0}, "windowHours": 24}));
    }

    #[test]
    fn trigger_ingress_parameters_take_both_casings_and_refuse_others() {
        let p: crate::triggers::ConfirmRotationParams =
            parse_named("params", json!({"connectionId": "github", "signingSecretRotationId": 2})).unwrap();
        assert_eq!((p.connection_id.as_str(), p.signing_secret_rotation_id), ("github", Some(2)));
        let err = parse_named::<crate::triggers::NoParams>("params", json!({"window_hours": 1})).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
        let err =
            parse_named::<crate::triggers::DeliveryAttemptsParams>("params", json!({"page_size": -1})).unwrap_err();
        assert_eq!(err.field(), Some("page_size"));
    }

    #[test]
    fn each_mcp_operation_takes_its_own_parameters_only() {
        // Both casings of an operation's own fields.
        let p: McpSessionTokenParams = parse_named(
            "params",
            json!({"mcpConfigId": "c", "identifier": "u", "expiry": 3600, "accessLevel": "read"}),
        )
        .unwrap();
        assert_eq!((p.config_id.as_str(), p.expiry.as_str(), p.access_level.as_str()), ("c", "3600s", "read"));
        let p: McpConnectedAccountsParams =
            parse_named("params", json!({"configId": "c", "identifier": "u", "includeAuthLink": true})).unwrap();
        assert_eq!(p.include_auth_links, Some(true));
        // A field of another operation is refused, named, instead of being dropped.
        let err = parse_named::<McpConfigRef>("params", json!({"config_id": "c", "connection_tool_mappings": []}))
            .unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
        assert!(err.message().contains("connection_tool_mappings"), "{}", err.message());
        let err = parse_named::<McpInstanceRef>("params", json!({"instanceId": "i", "configName": "x"})).unwrap_err();
        assert!(err.message().contains("configName"), "{}", err.message());
    }

    #[test]
    fn camel_case_leaves_free_form_values() {
        let v = camel_case_keys(json!({"connected_account": {"token_expires_at": 1, "api_config": {"a_b": 1}},
            "tools": [{"tool": {"definition": {"input_schema": {}}}}]}));
        assert_eq!(
            v,
            json!({"connectedAccount": {"tokenExpiresAt": 1, "apiConfig": {"a_b": 1}},
            "tools": [{"tool": {"definition": {"input_schema": {}}}}]})
        );
    }
}
