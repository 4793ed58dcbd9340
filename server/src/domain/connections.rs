//! Connections as data, for every entry point (`/api/v1/connections`, the console): list, show,
//! create, update (the secret is write-only) and delete the ones made through the API, each
//! checked the same way (name, connector, URLs through the egress policy, who may change where
//! credentials go).
//!
//! And testing a connection: does its provider know the OAuth app the connection names? Nothing is
//! stored and no user is involved; the token endpoint is asked, through the egress policy, to
//! trade a code it never issued, and its answer says whether the client id and secret pass.

use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use agentkit_core::model::ConnectorType;
use agentkit_core::{Error, ErrorKind, Result};

use crate::config::ConnectionConfig;
use crate::credentials::oauth::ClientCheck;
use crate::permissions::Caller;
use crate::state::{AppState, ConnectionSource};
use crate::store::ChangeRecords;

/// Longest connection name.
const MAX_NAME_LEN: usize = 64;
/// Longest client secret accepted.
const MAX_SECRET_LEN: usize = 4096;

/// A connection as the API shows it: its settings without the secret (`client_secret_set` says
/// whether there is one), where it comes from, and the redirect URI to register at the provider.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectionAnswer {
    /// The `[[connections]]` keys, `client_secret` left out.
    #[serde(flatten)]
    #[schema(value_type = ConnectionConfig)]
    settings: serde_json::Map<String, Value>,
    client_secret_set: bool,
    source: ConnectionSource,
    redirect_uri: String,
}

/// `GET /api/v1/connections`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectionList {
    connections: Vec<ConnectionAnswer>,
}

/// A connection as every entry point shows it (its secret left out).
pub fn answer(state: &AppState, connection: &ConnectionConfig, source: ConnectionSource) -> ConnectionAnswer {
    let settings = match serde_json::to_value(ConnectionConfig { client_secret: None, ..connection.clone() }) {
        Ok(Value::Object(mut fields)) => {
            fields.remove("client_secret");
            fields
        }
        _ => serde_json::Map::from_iter([("name".to_string(), json!(connection.name))]),
    };
    ConnectionAnswer {
        settings,
        client_secret_set: connection.client_secret.is_some(),
        source,
        redirect_uri: format!("{}/oauth/callback", state.public_url),
    }
}

fn check_name(name: &str) -> Result<()> {
    let shaped = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if !shaped {
        return Err(Error::invalid_field(
            "name",
            format!(
                "name must be 1 to {MAX_NAME_LEN} characters of a-z, 0-9, '_' and '-', starting with a letter or digit"
            ),
        ));
    }
    if name == "app" {
        return Err(Error::invalid_field("name", "name \"app\" is reserved (GET /api/v1/connections/app)"));
    }
    Ok(())
}

/// The settings that decide where the app's secret, users' tokens and their API calls go.
fn routing(c: &ConnectionConfig) -> Value {
    json!([c.base_url, c.authorize_url, c.token_url, c.revoke_url, c.account_lookup_url, c.api_config_hosts])
}

/// Checks a connection's settings as `caller` wants them (`previous`: what it replaces).
fn check(state: &AppState, caller: &Caller, c: &ConnectionConfig, previous: Option<&ConnectionConfig>) -> Result<()> {
    check_name(&c.name)?;
    if state.registry().catalog.connector(&c.connector).is_none() {
        return Err(Error::invalid_field("connector", format!("unknown connector {:?}", c.connector)));
    }
    for (field, url) in [
        ("base_url", &c.base_url),
        ("authorize_url", &c.authorize_url),
        ("token_url", &c.token_url),
        ("revoke_url", &c.revoke_url),
        ("account_lookup_url", &c.account_lookup_url),
    ] {
        let Some(url) = url else { continue };
        // A templated base URL is checked per call, on the account's values.
        if url.contains("{{") {
            continue;
        }
        let parsed = url::Url::parse(url)
            .map_err(|_| Error::invalid_field(field, format!("{field} must be an absolute http(s) URL")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(Error::invalid_field(field, format!("{field} must be an absolute http(s) URL")));
        }
        state.egress.check_url(url).map_err(|e| {
            Error::new(e.kind(), format!("{field}: {}", e.message())).with_error_code(e.error_code().to_string())
        })?;
    }
    if let Some(method) = &c.token_auth_method {
        if !matches!(method.as_str(), "client_secret_post" | "client_secret_basic") {
            return Err(Error::invalid_field(
                "token_auth_method",
                "token_auth_method must be client_secret_post or client_secret_basic",
            ));
        }
    }
    if c.client_secret.as_ref().is_some_and(|s| s.len() > MAX_SECRET_LEN || s.chars().any(char::is_control)) {
        return Err(Error::invalid_field(
            "client_secret",
            format!("client_secret must be at most {MAX_SECRET_LEN} bytes without control characters"),
        ));
    }
    // Endpoint overrides decide where the app's secret and users' tokens are sent.
    let defaults = ConnectionConfig::default();
    if routing(c) != routing(previous.unwrap_or(&defaults)) {
        caller.require_credential_routing(&format!("change where connection {:?} sends credentials", c.name))?;
    }
    Ok(())
}

/// A connection the API may change: made through it.
fn managed_here(state: &AppState, name: &str) -> Result<std::sync::Arc<ConnectionConfig>> {
    let registry = state.registry();
    let connection = registry.connection(name)?;
    match registry.sources.get(name) {
        Some(ConnectionSource::Api) => Ok(connection),
        Some(ConnectionSource::CustomProvider) => Err(Error::new(
            ErrorKind::FailedPrecondition,
            format!("connection {name:?} belongs to a custom provider: change it through /api/v1/custom-providers"),
        )),
        _ => Err(Error::new(
            ErrorKind::FailedPrecondition,
            format!("connection {name:?} is managed by the config file: change it there"),
        )),
    }
}

fn audit_row(action: &str, c: &ConnectionConfig) -> ChangeRecords {
    let details =
        json!({"connector": c.connector, "client_id": c.client_id, "client_secret_set": c.client_secret.is_some()});
    ChangeRecords::audited(crate::audit::change_row(action, &c.name, crate::audit::SUCCESS, details))
}

/// Creates a connection made through the API (409 when the name is taken).
pub async fn create(state: &AppState, caller: &Caller, connection: ConnectionConfig) -> Result<ConnectionAnswer> {
    check(state, caller, &connection, None)?;
    if state.registry().connections.contains_key(&connection.name) {
        return Err(Error::new(
            ErrorKind::Conflict,
            format!("a connection named {:?} already exists", connection.name),
        ));
    }
    state.replace_connection(&connection, false, &audit_row("connection.created", &connection)).await?;
    Ok(answer(state, &connection, ConnectionSource::Api))
}

/// Every connection, by name, wherever it comes from.
pub fn list(state: &AppState) -> ConnectionList {
    let registry = state.registry();
    let mut names: Vec<&String> = registry.connections.keys().collect();
    names.sort();
    let connections: Vec<ConnectionAnswer> = names
        .into_iter()
        .filter_map(|name| {
            let source = *registry.sources.get(name)?;
            Some(answer(state, registry.connections.get(name)?, source))
        })
        .collect();
    ConnectionList { connections }
}

/// One connection.
pub fn get(state: &AppState, name: &str) -> Result<ConnectionAnswer> {
    let registry = state.registry();
    let connection = registry.connection(name)?;
    let source = registry.sources.get(name).copied().unwrap_or(ConnectionSource::Config);
    Ok(answer(state, &connection, source))
}

/// Replaces a connection made through the API; without a secret it keeps the stored one.
pub async fn update(
    state: &AppState,
    caller: &Caller,
    name: &str,
    mut connection: ConnectionConfig,
) -> Result<ConnectionAnswer> {
    let previous = managed_here(state, name)?;
    if !connection.name.is_empty() && connection.name != name {
        return Err(Error::invalid_field("name", "a connection's name does not change (the path names it)"));
    }
    connection.name = name.to_string();
    // Write-only: an update without a secret keeps the stored one.
    if connection.client_secret.is_none() {
        connection.client_secret = previous.client_secret.clone();
    }
    check(state, caller, &connection, Some(&previous))?;
    state.replace_connection(&connection, true, &audit_row("connection.updated", &connection)).await?;
    Ok(answer(state, &connection, ConnectionSource::Api))
}

/// Deletes a connection made through the API that no account uses any more.
pub async fn delete(state: &AppState, name: &str) -> Result<()> {
    let connection = managed_here(state, name)?;
    let accounts = state.store.count_accounts_of_connection(name).await?;
    if accounts > 0 {
        return Err(Error::new(
            ErrorKind::Conflict,
            format!("connection {name:?} still has {accounts} connected account(s): delete them first"),
        )
        .with_error_code("FAILED_PRECONDITION"));
    }
    state.remove_connection(name, &audit_row("connection.deleted", &connection)).await?;
    Ok(())
}

/// The outcome of a connection test: passed only when every check passed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConnectionTest {
    pub connection: String,
    pub passed: bool,
    pub checks: Vec<TestCheck>,
}

/// One check of a connection test, with what was seen.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TestCheck {
    pub check: &'static str,
    pub passed: bool,
    pub detail: String,
}

/// Can a connection of this connector be tested without an account? Only OAuth apps: the other
/// auth types keep every credential on the connected accounts.
pub fn testable(connector_type: ConnectorType) -> bool {
    connector_type == ConnectorType::Oauth
}

/// Tests a connection's OAuth app against its provider.
pub async fn test_connection(state: &AppState, name: &str) -> Result<ConnectionTest> {
    let connection = state.connection(name)?;
    let connector = state.registry().connector_of(&connection)?;
    let auth_type = connector.auth.connector_type();
    if !testable(auth_type) {
        return Err(Error::new(
            ErrorKind::FailedPrecondition,
            format!(
                "connection {name:?} uses {} auth: each connected account holds its own credentials, so there is \
                 nothing to test on the connection; try a tool as one of its accounts instead",
                auth_type.as_str()
            ),
        ));
    }
    let mut test = ConnectionTest { connection: connection.name.clone(), passed: false, checks: Vec::new() };
    let app = match state.oauth_app(&connection).await {
        Ok(app) => app,
        Err(e) => {
            test.checks.push(TestCheck { check: "OAuth app configured", passed: false, detail: e.message().into() });
            return Ok(test);
        }
    };
    let token_host = url::Url::parse(&app.token_url).ok().and_then(|u| u.host_str().map(String::from));
    test.checks.push(TestCheck {
        check: "OAuth app configured",
        passed: true,
        detail: format!(
            "client id {}; token endpoint at {}",
            app.client_id,
            token_host.as_deref().unwrap_or("an unparsable URL")
        ),
    });
    let redirect_uri = state.oauth_redirect_uri();
    let (passed, detail) = match app.check_client(&redirect_uri).await {
        ClientCheck::Accepted(answer) => (
            true,
            format!("the provider accepted the client id and secret (and refused the test's made-up code: {answer})"),
        ),
        ClientCheck::Refused(answer) => (false, format!("the provider refused the client id or secret: {answer}")),
        ClientCheck::RedirectUriRefused(answer) => {
            (false, format!("the provider refused the redirect URI {redirect_uri}: register it on the app ({answer})"))
        }
        // Already "token endpoint unreachable: …" with the transport step that failed.
        ClientCheck::Unreachable(why) => (false, why),
        ClientCheck::Unclear(answer) => {
            (false, format!("the token endpoint's answer says neither yes nor no: {answer}"))
        }
    };
    test.checks.push(TestCheck { check: "provider accepts the client", passed, detail });
    test.passed = test.checks.iter().all(|c| c.passed);
    tracing::info!(connection = %test.connection, passed = test.passed, "connection tested");
    Ok(test)
}
