//! Connected accounts: one user's authorization for one connection.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::str::FromStr;

use super::query::{QueryMap, QueryPairs};
use crate::error::{Error, Result};

/// Status of a connected account (`scalekit.v1.connected_accounts.ConnectorStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, Hash)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ConnectorStatus {
    #[default]
    #[serde(rename = "CONNECTION_STATUS_UNSPECIFIED")]
    Unspecified,
    #[serde(rename = "ACTIVE")]
    Active,
    #[serde(rename = "EXPIRED")]
    Expired,
    #[serde(rename = "PENDING_AUTH")]
    PendingAuth,
    #[serde(rename = "PENDING_VERIFICATION")]
    PendingVerification,
    #[serde(rename = "DISCONNECTED")]
    Disconnected,
}

impl ConnectorStatus {
    pub const ALL: [ConnectorStatus; 6] = [
        ConnectorStatus::Unspecified,
        ConnectorStatus::Active,
        ConnectorStatus::Expired,
        ConnectorStatus::PendingAuth,
        ConnectorStatus::PendingVerification,
        ConnectorStatus::Disconnected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ConnectorStatus::Unspecified => "CONNECTION_STATUS_UNSPECIFIED",
            ConnectorStatus::Active => "ACTIVE",
            ConnectorStatus::Expired => "EXPIRED",
            ConnectorStatus::PendingAuth => "PENDING_AUTH",
            ConnectorStatus::PendingVerification => "PENDING_VERIFICATION",
            ConnectorStatus::Disconnected => "DISCONNECTED",
        }
    }

    /// Proto enum number, as the Node SDK exposes it.
    pub fn number(self) -> i32 {
        ConnectorStatus::ALL.iter().position(|s| *s == self).unwrap_or(0) as i32
    }
}

impl FromStr for ConnectorStatus {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        ConnectorStatus::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| Error::invalid_field("status", format!("unknown connected account status {s:?}")))
    }
}

/// How a connected account authenticates (`ConnectorType`). Every official value (2.21.0 ends
/// at `NO_AUTH` = 12) keeps its name and number; `KEY_PAIR` is ours, appended after them (13 in
/// our SDKs' enums) because the official enum has no value for an account that signs its own
/// JWTs with an RSA key (Snowflake's key-pair authentication).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, Hash)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConnectorType {
    #[default]
    #[serde(rename = "CONNECTION_TYPE_UNSPECIFIED")]
    Unspecified,
    Oauth,
    ApiKey,
    BasicAuth,
    BearerToken,
    Custom,
    Basic,
    OauthM2m,
    TrelloOauth1,
    GoogleDwd,
    TrustedIdp,
    SmartFhir,
    NoAuth,
    /// The account holds an RSA private key; each call carries a JWT signed with it.
    KeyPair,
}

impl ConnectorType {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectorType::Unspecified => "CONNECTION_TYPE_UNSPECIFIED",
            ConnectorType::Oauth => "OAUTH",
            ConnectorType::ApiKey => "API_KEY",
            ConnectorType::BasicAuth => "BASIC_AUTH",
            ConnectorType::BearerToken => "BEARER_TOKEN",
            ConnectorType::Custom => "CUSTOM",
            ConnectorType::Basic => "BASIC",
            ConnectorType::OauthM2m => "OAUTH_M2M",
            ConnectorType::TrelloOauth1 => "TRELLO_OAUTH1",
            ConnectorType::GoogleDwd => "GOOGLE_DWD",
            ConnectorType::TrustedIdp => "TRUSTED_IDP",
            ConnectorType::SmartFhir => "SMART_FHIR",
            ConnectorType::NoAuth => "NO_AUTH",
            ConnectorType::KeyPair => "KEY_PAIR",
        }
    }

    /// The `scalekit.v1.connections.ConnectionType` name a connection of this kind lists as.
    pub fn connection_type(self) -> &'static str {
        match self {
            ConnectorType::Oauth => "OAUTH",
            ConnectorType::ApiKey => "API_KEY",
            ConnectorType::BasicAuth | ConnectorType::Basic => "BASIC",
            ConnectorType::BearerToken => "BEARER",
            ConnectorType::OauthM2m => "OAUTH_M2M",
            ConnectorType::TrelloOauth1 => "TRELLO_OAUTH1",
            ConnectorType::GoogleDwd => "GOOGLE_DWD",
            ConnectorType::TrustedIdp => "TRUSTED_IDP",
            ConnectorType::SmartFhir => "SMART_FHIR",
            ConnectorType::NoAuth => "NO_AUTH",
            // Not an official connection type either: ours, like the account's.
            ConnectorType::KeyPair => "KEY_PAIR",
            ConnectorType::Custom | ConnectorType::Unspecified => "INVALID",
        }
    }
}

impl FromStr for ConnectorType {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        serde_json::from_value(Value::String(s.to_ascii_uppercase()))
            .map_err(|_| Error::invalid_field("auth_type", format!("unknown authorization type {s:?}")))
    }
}

/// OAuth token payload supplied or stored for an account.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OauthToken {
    #[serde(default, alias = "accessToken")]
    pub access_token: String,
    #[serde(default, alias = "refreshToken", skip_serializing_if = "String::is_empty")]
    pub refresh_token: String,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub domain: String,
    /// A user-scoped token issued next to the app's (Slack's `authed_user.access_token`,
    /// `xoxp-`); tools that act as the person (message search) use it.
    #[serde(default, alias = "userAccessToken", skip_serializing_if = "String::is_empty")]
    pub user_access_token: String,
}

/// Static credentials (API key, bearer token, basic username/password) as a free-form object.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaticAuth {
    #[serde(default)]
    pub details: Value,
}

/// The `authorization_details` oneof: exactly one member is set.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthorizationDetails {
    #[serde(default, alias = "oauthToken", skip_serializing_if = "Option::is_none")]
    pub oauth_token: Option<OauthToken>,
    #[serde(default, alias = "staticAuth", skip_serializing_if = "Option::is_none")]
    pub static_auth: Option<StaticAuth>,
}

impl AuthorizationDetails {
    pub fn is_empty(&self) -> bool {
        let oauth_empty =
            self.oauth_token.as_ref().is_none_or(|t| t.access_token.is_empty() && t.refresh_token.is_empty());
        let static_empty = self
            .static_auth
            .as_ref()
            .is_none_or(|s| s.details.is_null() || s.details.as_object().is_some_and(|o| o.is_empty()));
        oauth_empty && static_empty
    }
}

/// A connected account as the API returns it. `authorization_details` is only ever filled by the
/// credential-returning `GET /api/v1/connected_accounts/auth`.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectedAccount {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub identifier: String,
    #[serde(default)]
    pub provider: String,
    #[serde(default)]
    pub status: ConnectorStatus,
    #[serde(default, alias = "authorizationType")]
    pub authorization_type: ConnectorType,
    #[serde(default, alias = "authorizationDetails", skip_serializing_if = "Option::is_none")]
    pub authorization_details: Option<AuthorizationDetails>,
    #[serde(default, alias = "tokenExpiresAt", skip_serializing_if = "Option::is_none")]
    pub token_expires_at: Option<DateTime<Utc>>,
    #[serde(default, alias = "updatedAt", skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub connector: String,
    #[serde(default, alias = "lastUsedAt", skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<DateTime<Utc>>,
    #[serde(default, alias = "connectionId")]
    pub connection_id: String,
    #[serde(default, alias = "apiConfig", skip_serializing_if = "Option::is_none")]
    pub api_config: Option<Value>,
    #[serde(default, alias = "organizationId", skip_serializing_if = "String::is_empty")]
    pub organization_id: String,
    #[serde(default, alias = "userId", skip_serializing_if = "String::is_empty")]
    pub user_id: String,
}

/// Addresses one account: by `id`, or by `connector` + `identifier` (optionally narrowed by org/user).
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountSelector {
    #[serde(default, skip_serializing_if = "String::is_empty", alias = "connectionName", alias = "connection_name")]
    pub connector: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub identifier: String,
    #[serde(
        default,
        skip_serializing_if = "String::is_empty",
        alias = "connectedAccountId",
        alias = "connected_account_id"
    )]
    pub id: String,
    #[serde(default, skip_serializing_if = "String::is_empty", alias = "organizationId")]
    pub organization_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty", alias = "userId")]
    pub user_id: String,
}

impl AccountSelector {
    pub fn by_id(id: impl Into<String>) -> Self {
        AccountSelector { id: id.into(), ..Default::default() }
    }

    pub fn by_name(connector: impl Into<String>, identifier: impl Into<String>) -> Self {
        AccountSelector { connector: connector.into(), identifier: identifier.into(), ..Default::default() }
    }

    /// Rejects a selector that addresses nothing, naming the missing field.
    pub fn validate(&self) -> Result<()> {
        if !self.id.trim().is_empty() {
            return Ok(());
        }
        match (self.connector.trim().is_empty(), self.identifier.trim().is_empty()) {
            (false, false) => Ok(()),
            (true, _) => Err(Error::invalid_field(
                "connection_name",
                "connection_name (with identifier) or connected_account_id is required",
            )),
            (false, true) => Err(Error::invalid_field("identifier", "identifier is required with connection_name")),
        }
    }

    pub fn to_query(&self) -> QueryPairs {
        let mut q = QueryPairs::default();
        q.opt("connector", Some(&self.connector))
            .opt("identifier", Some(&self.identifier))
            .opt("id", Some(&self.id))
            .opt("organization_id", Some(&self.organization_id))
            .opt("user_id", Some(&self.user_id));
        q
    }

    pub fn from_query(q: &QueryMap) -> Self {
        AccountSelector {
            connector: q.get("connector").or_else(|| q.get("connection_name")).unwrap_or_default(),
            identifier: q.get("identifier").unwrap_or_default(),
            id: q.get("id").or_else(|| q.get("connected_account_id")).unwrap_or_default(),
            organization_id: q.get("organization_id").unwrap_or_default(),
            user_id: q.get("user_id").unwrap_or_default(),
        }
    }
}

/// Body of create and update: the credentials and per-account configuration.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectedAccountInput {
    #[serde(default, alias = "authorizationDetails", skip_serializing_if = "Option::is_none")]
    pub authorization_details: Option<AuthorizationDetails>,
    #[serde(default, alias = "apiConfig", skip_serializing_if = "Option::is_none")]
    pub api_config: Option<Value>,
}

/// `POST /api/v1/connected_accounts` (create) and `PUT` (update) body.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpsertConnectedAccountRequest {
    #[serde(flatten)]
    pub selector: AccountSelector,
    #[serde(default, alias = "connectedAccount")]
    pub connected_account: ConnectedAccountInput,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectedAccountResponse {
    #[serde(default, alias = "connectedAccount")]
    pub connected_account: ConnectedAccount,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Empty {}

/// `GET /api/v1/connected_accounts:search` query.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchConnectedAccountsRequest {
    /// At least 3 characters contained in the identifier, connection or connector (any case).
    pub query: String,
    /// Only accounts of this connection (its name).
    pub connection_id: String,
    pub page_size: Option<u32>,
    pub page_token: String,
}

impl SearchConnectedAccountsRequest {
    pub fn to_query(&self) -> QueryPairs {
        let mut q = QueryPairs::default();
        q.opt("query", Some(&self.query))
            .opt("connection_id", Some(&self.connection_id))
            .opt("page_size", self.page_size)
            .opt("page_token", Some(&self.page_token));
        q
    }
}

/// `GET /api/v1/connected_accounts` query.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListConnectedAccountsRequest {
    #[serde(default)]
    pub connector: String,
    #[serde(default)]
    pub identifier: String,
    #[serde(default)]
    pub provider: String,
    #[serde(default)]
    pub organization_id: String,
    #[serde(default)]
    pub user_id: String,
    #[serde(default)]
    pub query: String,
    #[serde(default)]
    pub connection_names: Vec<String>,
    #[serde(default)]
    pub page_size: Option<u32>,
    #[serde(default)]
    pub page_token: String,
}

impl ListConnectedAccountsRequest {
    pub fn to_query(&self) -> QueryPairs {
        let mut q = QueryPairs::default();
        q.opt("connector", Some(&self.connector))
            .opt("identifier", Some(&self.identifier))
            .opt("provider", Some(&self.provider))
            .opt("organization_id", Some(&self.organization_id))
            .opt("user_id", Some(&self.user_id))
            .opt("query", Some(&self.query))
            .all("connection_names", &self.connection_names)
            .opt("page_size", self.page_size)
            .opt("page_token", Some(&self.page_token));
        q
    }

    pub fn from_query(q: &QueryMap) -> Result<Self> {
        Ok(ListConnectedAccountsRequest {
            connector: q.get("connector").or_else(|| q.get("connection_name")).unwrap_or_default(),
            identifier: q.get("identifier").unwrap_or_default(),
            provider: q.get("provider").unwrap_or_default(),
            organization_id: q.get("organization_id").unwrap_or_default(),
            user_id: q.get("user_id").unwrap_or_default(),
            query: q.get("query").unwrap_or_default(),
            connection_names: q.all("connection_names"),
            page_size: q.get_u32("page_size")?,
            page_token: q.get("page_token").unwrap_or_default(),
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListConnectedAccountsResponse {
    #[serde(default, alias = "connectedAccounts")]
    pub connected_accounts: Vec<ConnectedAccount>,
    #[serde(default, alias = "totalSize")]
    pub total_size: u32,
    #[serde(default, alias = "nextPageToken")]
    pub next_page_token: String,
    #[serde(default, alias = "prevPageToken")]
    pub prev_page_token: String,
}

/// `POST /api/v1/connected_accounts/magic_link` body.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MagicLinkRequest {
    #[serde(flatten)]
    pub selector: AccountSelector,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub state: String,
    #[serde(default, alias = "userVerifyUrl", skip_serializing_if = "String::is_empty")]
    pub user_verify_url: String,
    /// The scopes this authorization asks for instead of the connection's own.
    #[serde(default, alias = "scopeSelection", skip_serializing_if = "Option::is_none")]
    pub scope_selection: Option<ScopeSelection>,
}

/// Which OAuth scopes one authorization asks the provider for (the official `ScopeSelection`):
/// `scopes` the user must grant, `optional_scopes` the user may decline on the provider's consent
/// screen (Google's granular consent, for one). An authorization that comes back without one of
/// `scopes` does not connect the account.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScopeSelection {
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default, alias = "optionalScopes")]
    pub optional_scopes: Vec<String>,
}

impl ScopeSelection {
    /// Every scope the provider is asked for: the required ones, then the optional ones.
    pub fn requested(&self) -> Vec<String> {
        self.scopes.iter().chain(&self.optional_scopes).cloned().collect()
    }

    pub fn is_empty(&self) -> bool {
        self.scopes.is_empty() && self.optional_scopes.is_empty()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MagicLinkResponse {
    #[serde(default)]
    pub link: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry: Option<DateTime<Utc>>,
}

/// `POST /api/v1/connected_accounts/user/verify` body.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VerifyUserRequest {
    #[cfg_attr(feature = "openapi", schema(required = true))]
    #[serde(default, alias = "authRequestId")]
    pub auth_request_id: String,
    #[cfg_attr(feature = "openapi", schema(required = true))]
    #[serde(default)]
    pub identifier: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VerifyUserResponse {
    #[serde(default, alias = "postUserVerifyRedirectUrl")]
    pub post_user_verify_redirect_url: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_camel_and_snake_input() {
        let a: UpsertConnectedAccountRequest = serde_json::from_str(
            r#"{"connectionName":"gmail","identifier":"u","connectedAccount":{"authorizationDetails":{"oauthToken":{"accessToken":"t"}}}}"#,
        )
        .unwrap();
        assert_eq!(a.selector.connector, "gmail");
        assert_eq!(a.connected_account.authorization_details.unwrap().oauth_token.unwrap().access_token, "t");
        assert_eq!("pending_auth".parse::<ConnectorStatus>().unwrap(), ConnectorStatus::PendingAuth);
        assert_eq!(serde_json::to_value(ConnectorStatus::Active).unwrap(), "ACTIVE");
        assert_eq!(ConnectorStatus::PendingVerification.number(), 4);
    }
}

/// `GET /api/v1/connections/app`: the app's connections, one page at a time.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListAppConnectionsRequest {
    #[serde(default, alias = "pageSize")]
    pub page_size: Option<u32>,
    #[serde(default, alias = "pageToken")]
    pub page_token: String,
    /// Only connections of this provider (`GMAIL`, any case).
    #[serde(default)]
    pub provider: String,
    /// Only connections whose name or provider contains this text.
    #[serde(default)]
    pub query: String,
}

impl ListAppConnectionsRequest {
    pub fn to_query(&self) -> QueryPairs {
        let mut q = QueryPairs::default();
        q.opt("page_size", self.page_size)
            .opt("page_token", Some(&self.page_token))
            .opt("provider", Some(&self.provider))
            .opt("query", Some(&self.query));
        q
    }

    pub fn from_query(q: &QueryMap) -> Result<Self> {
        Ok(ListAppConnectionsRequest {
            page_size: q.get_u32("page_size")?,
            page_token: q.get("page_token").unwrap_or_default(),
            provider: q.get("provider").unwrap_or_default(),
            query: q.get("query").unwrap_or_default(),
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListAppConnectionsResponse {
    #[serde(default)]
    pub connections: Vec<AppConnection>,
    #[serde(default, alias = "nextPageToken")]
    pub next_page_token: String,
    #[serde(default, alias = "prevPageToken")]
    pub prev_page_token: String,
    #[serde(default, alias = "totalSize")]
    pub total_size: u32,
}

/// A configured connection (`scalekit.v1.connections.ListConnection`): `provider_key` is the
/// provider (`GMAIL`), `key_id` the connection name, `type` how it authenticates.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppConnection {
    #[serde(default)]
    pub id: String,
    #[serde(default, rename = "type")]
    pub connection_type: String,
    /// `COMPLETED` for every connection this gateway serves.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub enabled: bool,
    #[serde(default, alias = "providerKey")]
    pub provider_key: String,
    #[serde(default, alias = "keyId")]
    pub key_id: String,
    #[serde(default, alias = "mcpServerUrl", skip_serializing_if = "String::is_empty")]
    pub mcp_server_url: String,
}

/// What `actions.list_connections` returns: the official Node SDK's normalised view of
/// [`ListAppConnectionsResponse`] (`provider` is the provider key, `connection_name` the key id).
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListConnectionsResult {
    pub connections: Vec<ConnectionSummary>,
    pub next_page_token: String,
    pub prev_page_token: String,
    pub total_size: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectionSummary {
    pub id: String,
    #[serde(rename = "type")]
    pub connection_type: String,
    pub status: String,
    pub enabled: bool,
    pub provider: String,
    pub connection_name: String,
    /// The connection's own MCP server (session tokens from `create_session_token(connection_name=…)`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub mcp_server_url: String,
}

impl From<ListAppConnectionsResponse> for ListConnectionsResult {
    fn from(r: ListAppConnectionsResponse) -> Self {
        ListConnectionsResult {
            connections: r
                .connections
                .into_iter()
                .map(|c| ConnectionSummary {
                    id: c.id,
                    connection_type: c.connection_type,
                    status: c.status,
                    enabled: c.enabled,
                    provider: c.provider_key,
                    connection_name: c.key_id,
                    mcp_server_url: c.mcp_server_url,
                })
                .collect(),
            next_page_token: r.next_page_token,
            prev_page_token: r.prev_page_token,
            total_size: r.total_size,
        }
    }
}
