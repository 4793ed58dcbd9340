//! The documented `actions` surface: connected accounts, authorization links, tools, execution
//! (with modifiers) and the proxied `request`. Both SDKs are thin wrappers over this type.

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

use crate::client::{Call, CallBody, Deadline, RawResponse, Retry, ScalekitClient};
use crate::error::{Error, ErrorKind, Result};
use crate::model::query::QueryPairs;
use crate::model::*;
use crate::modifiers::{ModifierKind, Modifiers};

/// A proxied call to the provider's API on behalf of a connected account.
#[derive(Debug, Clone, Default)]
pub struct ProxyRequest {
    /// The connection to call through (required).
    pub connection_name: String,
    /// The connected account's identifier on that connection (required).
    pub identifier: String,
    /// Provider API path, e.g. `/gmail/v1/users/me/messages`; a missing leading `/` is added.
    pub path: String,
    /// HTTP method, default `GET`.
    pub method: String,
    /// Query string pairs, in order; a name may repeat.
    pub query_params: Vec<(String, String)>,
    /// JSON body.
    pub body: Option<Value>,
    /// Form fields, sent urlencoded (ignored when `raw_body` is set).
    pub form_data: Option<Vec<(String, String)>>,
    /// Bytes sent as-is; the caller sets `Content-Type`.
    pub raw_body: Option<Vec<u8>>,
    /// Headers for the provider; `connection_name` and `identifier` headers are replaced by the
    /// selection above.
    pub headers: Vec<(String, String)>,
    /// Deadline of the call; the client's `tool_timeout` when `None`.
    pub timeout: Option<Duration>,
}

/// Entry point for AgentKit calls; owns the modifier registry of one `actions` instance.
#[derive(Clone, Debug)]
pub struct Actions {
    client: ScalekitClient,
    modifiers: Modifiers,
}

impl std::fmt::Debug for Modifiers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Modifiers")
    }
}

fn required(field: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid_field(field, format!("{field} is required")));
    }
    Ok(())
}

impl Actions {
    /// Wraps `client`, with an empty modifier registry.
    pub fn new(client: ScalekitClient) -> Self {
        Actions { client, modifiers: Modifiers::default() }
    }

    /// The client every call of this instance goes through.
    pub fn client(&self) -> &ScalekitClient {
        &self.client
    }

    /// This instance's modifier registry: bindings register pre- and post-modifiers on it.
    pub fn modifiers(&self) -> &Modifiers {
        &self.modifiers
    }

    // ----- connected accounts -------------------------------------------------------------

    /// Creates an account (`POST /api/v1/connected_accounts`); `connection_name` and `identifier`
    /// are required. `Conflict` when it exists already; not retried once sent.
    pub async fn create_connected_account(
        &self,
        req: UpsertConnectedAccountRequest,
    ) -> Result<ConnectedAccountResponse> {
        required("connection_name", &req.selector.connector)?;
        required("identifier", &req.selector.identifier)?;
        self.client
            .call_json(
                Method::POST,
                "/api/v1/connected_accounts",
                QueryPairs::default(),
                Some(&req),
                Retry::ConnectOnly,
                Deadline::ControlPlane,
            )
            .await
    }

    /// Updates the credentials or `api_config` of the account the selector names
    /// (`PUT /api/v1/connected_accounts`).
    pub async fn update_connected_account(
        &self,
        req: UpsertConnectedAccountRequest,
    ) -> Result<ConnectedAccountResponse> {
        req.selector.validate()?;
        self.client
            .call_json(
                Method::PUT,
                "/api/v1/connected_accounts",
                QueryPairs::default(),
                Some(&req),
                Retry::Idempotent,
                Deadline::ControlPlane,
            )
            .await
    }

    /// The account with its credentials (`GET /api/v1/connected_accounts/auth`).
    pub async fn get_connected_account(&self, selector: AccountSelector) -> Result<ConnectedAccountResponse> {
        selector.validate()?;
        self.client
            .call_json::<(), _>(
                Method::GET,
                "/api/v1/connected_accounts/auth",
                selector.to_query(),
                None,
                Retry::Idempotent,
                Deadline::ControlPlane,
            )
            .await
    }

    /// The account without credentials (`GET /api/v1/connected_accounts/details`).
    pub async fn get_connected_account_details(&self, selector: AccountSelector) -> Result<ConnectedAccountResponse> {
        selector.validate()?;
        self.client
            .call_json::<(), _>(
                Method::GET,
                "/api/v1/connected_accounts/details",
                selector.to_query(),
                None,
                Retry::Idempotent,
                Deadline::ControlPlane,
            )
            .await
    }

    /// Get → (update when credentials are given) → or create when missing. A concurrent create
    /// (409) is resolved by reading the winner.
    pub async fn get_or_create_connected_account(
        &self,
        req: UpsertConnectedAccountRequest,
    ) -> Result<ConnectedAccountResponse> {
        required("connection_name", &req.selector.connector)?;
        required("identifier", &req.selector.identifier)?;
        let has_credentials = req.connected_account.authorization_details.as_ref().is_some_and(|d| !d.is_empty());
        let lookup = AccountSelector { id: String::new(), ..req.selector.clone() };
        match self.get_connected_account_details(lookup.clone()).await {
            Ok(found) if has_credentials => {
                let update = UpsertConnectedAccountRequest {
                    selector: AccountSelector { id: found.connected_account.id.clone(), ..lookup },
                    connected_account: req.connected_account,
                };
                self.update_connected_account(update).await
            }
            Ok(found) => Ok(found),
            Err(e) if e.kind() == ErrorKind::NotFound => match self.create_connected_account(req).await {
                Err(e) if e.kind() == ErrorKind::Conflict => self.get_connected_account_details(lookup).await,
                other => other,
            },
            Err(e) => Err(e),
        }
    }

    /// Deletes the account the selector names; the gateway revokes its grant at the provider where
    /// it can.
    pub async fn delete_connected_account(&self, selector: AccountSelector) -> Result<Empty> {
        selector.validate()?;
        self.client
            .call_json(
                Method::POST,
                "/api/v1/connected_accounts:delete",
                QueryPairs::default(),
                Some(&selector),
                Retry::Idempotent,
                Deadline::ControlPlane,
            )
            .await
    }

    /// A page of accounts matching the request's filters (`GET /api/v1/connected_accounts`).
    pub async fn list_connected_accounts(
        &self,
        req: ListConnectedAccountsRequest,
    ) -> Result<ListConnectedAccountsResponse> {
        self.client
            .call_json::<(), _>(
                Method::GET,
                "/api/v1/connected_accounts",
                req.to_query(),
                None,
                Retry::Idempotent,
                Deadline::ControlPlane,
            )
            .await
    }

    /// Accounts whose identifier, connection or connector contains `query` (at least 3
    /// characters), a page at a time; never their credentials.
    pub async fn search_connected_accounts(
        &self,
        req: SearchConnectedAccountsRequest,
    ) -> Result<ListConnectedAccountsResponse> {
        if req.query.trim().chars().count() < 3 {
            return Err(Error::invalid_field("query", "query must be at least 3 characters"));
        }
        self.client
            .call_json::<(), _>(
                Method::GET,
                "/api/v1/connected_accounts:search",
                req.to_query(),
                None,
                Retry::Idempotent,
                Deadline::ControlPlane,
            )
            .await
    }

    /// A link for the user to authorize the account the selector names, which is created (pending)
    /// when missing (`POST /api/v1/connected_accounts/magic_link`).
    pub async fn get_authorization_link(&self, req: MagicLinkRequest) -> Result<MagicLinkResponse> {
        req.selector.validate()?;
        self.client
            .call_json(
                Method::POST,
                "/api/v1/connected_accounts/magic_link",
                QueryPairs::default(),
                Some(&req),
                Retry::Idempotent,
                Deadline::ControlPlane,
            )
            .await
    }

    /// Confirms that `identifier` is the user an authorization link (`auth_request_id`) was made for;
    /// `Forbidden` when it is not. Not retried once sent.
    pub async fn verify_connected_account_user(&self, req: VerifyUserRequest) -> Result<VerifyUserResponse> {
        required("auth_request_id", &req.auth_request_id)?;
        required("identifier", &req.identifier)?;
        self.client
            .call_json(
                Method::POST,
                "/api/v1/connected_accounts/user/verify",
                QueryPairs::default(),
                Some(&req),
                Retry::ConnectOnly,
                Deadline::ControlPlane,
            )
            .await
    }

    // ----- tools ----------------------------------------------------------------------------

    /// Runs a tool with the registered pre- and post-modifiers.
    pub async fn execute_tool(&self, mut req: ExecuteToolRequest) -> Result<ExecuteToolResponse> {
        required("tool_name", &req.tool_name)?;
        if self.modifiers.count(ModifierKind::Pre, &req.tool_name) > 0 {
            let input = req.params.take().unwrap_or_else(|| Value::Object(Default::default()));
            let modified = self.modifiers.run(ModifierKind::Pre, &req.tool_name, input).await?;
            req.params = (!modified.is_null()).then_some(modified);
        }
        let tool_name = req.tool_name.clone();
        let mut resp = self.execute_tool_unmodified(req).await?;
        if self.modifiers.count(ModifierKind::Post, &tool_name) > 0 {
            resp.data = self.modifiers.run(ModifierKind::Post, &tool_name, resp.data).await?;
        }
        Ok(resp)
    }

    /// Runs a tool without modifiers (the low-level `tools.execute_tool`).
    pub async fn execute_tool_unmodified(&self, req: ExecuteToolRequest) -> Result<ExecuteToolResponse> {
        required("tool_name", &req.tool_name)?;
        if let Some(params) = &req.params {
            if !params.is_object() {
                return Err(Error::invalid_field("tool_input", "tool_input must be an object"));
            }
        }
        self.client
            .call_json(
                Method::POST,
                "/api/v1/execute_tool",
                QueryPairs::default(),
                Some(&req),
                Retry::ConnectOnly,
                Deadline::Tool,
            )
            .await
    }

    /// A page of catalog tools matching the request's filters (`GET /api/v1/tools`).
    pub async fn list_tools(&self, req: ListToolsRequest) -> Result<ListToolsResponse> {
        self.client
            .call_json::<(), _>(Method::GET, "/api/v1/tools", req.to_query(), None, Retry::Idempotent, Deadline::Tool)
            .await
    }

    /// The app's configured connections (`actions.list_connections`).
    pub async fn list_connections(&self, req: ListAppConnectionsRequest) -> Result<ListAppConnectionsResponse> {
        self.client
            .call_json::<(), _>(
                Method::GET,
                "/api/v1/connections/app",
                req.to_query(),
                None,
                Retry::Idempotent,
                Deadline::ControlPlane,
            )
            .await
    }

    /// Catalog tools ranked by relevance to a natural-language query, with the user's readiness
    /// for each when `identifier` is set.
    pub async fn search_tools(&self, req: SearchToolsRequest) -> Result<SearchToolsResponse> {
        req.validate()?;
        self.client
            .call_json(
                Method::POST,
                "/api/v1/tools:search",
                QueryPairs::default(),
                Some(&req),
                Retry::Idempotent,
                Deadline::Tool,
            )
            .await
    }

    /// The tools `identifier` can run now: those of the connections it has accounts on, each with
    /// its account (`GET /api/v1/tools/scoped`).
    pub async fn list_scoped_tools(&self, req: ListScopedToolsRequest) -> Result<ListScopedToolsResponse> {
        required("identifier", &req.identifier)?;
        self.client
            .call_json::<(), _>(
                Method::GET,
                "/api/v1/tools/scoped",
                req.to_query(),
                None,
                Retry::Idempotent,
                Deadline::Tool,
            )
            .await
    }

    /// The tools that can be made available to `identifier`: those of the configured connections'
    /// connectors (`GET /api/v1/tools/available`).
    pub async fn list_available_tools(&self, req: ListAvailableToolsRequest) -> Result<ListAvailableToolsResponse> {
        required("identifier", &req.identifier)?;
        self.client
            .call_json::<(), _>(
                Method::GET,
                "/api/v1/tools/available",
                req.to_query(),
                None,
                Retry::Idempotent,
                Deadline::Tool,
            )
            .await
    }

    // ----- proxy ----------------------------------------------------------------------------

    /// Calls the provider's API through `/proxy{path}`; the answer is returned whatever its status.
    pub async fn request(&self, req: ProxyRequest) -> Result<RawResponse> {
        required("connection_name", &req.connection_name)?;
        required("identifier", &req.identifier)?;
        required("path", &req.path)?;
        let method_name =
            if req.method.trim().is_empty() { "GET".to_string() } else { req.method.trim().to_ascii_uppercase() };
        let method = Method::from_bytes(method_name.as_bytes())
            .map_err(|_| Error::invalid_field("method", format!("method {:?} is not an HTTP method", req.method)))?;
        let path = crate::model::proxy_path::encode_caller_path(&req.path)?;
        let mut headers = req.headers.clone();
        // Selection headers win over caller headers of the same name.
        headers.retain(|(k, _)| !k.eq_ignore_ascii_case("connection_name") && !k.eq_ignore_ascii_case("identifier"));
        headers.push(("connection_name".into(), req.connection_name.clone()));
        headers.push(("identifier".into(), req.identifier.clone()));
        let body = match (req.raw_body, req.form_data, req.body) {
            (Some(raw), _, _) => Some(CallBody::Raw(raw)),
            (None, Some(form), _) => Some(CallBody::Form(form)),
            (None, None, Some(json)) => Some(CallBody::Json(json)),
            _ => None,
        };
        let idempotent = matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
        let call = Call {
            method,
            path: format!("/proxy{path}"),
            query: QueryPairs(req.query_params),
            headers,
            body,
            retry: if idempotent { Retry::Idempotent } else { Retry::ConnectOnly },
            timeout: req.timeout.unwrap_or(self.client.options().tool_timeout),
            relayed: true,
        };
        self.client.send(&call).await
    }
}
