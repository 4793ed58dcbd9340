//! `/api/v1/connections`: connections as data. The body of a create or update takes exactly the
//! keys of a `[[connections]]` entry; the OAuth client secret is write-only (sealed by the vault,
//! never returned: `client_secret_set` says whether there is one). A new connection serves
//! authorization links and tools at once, on every replica. The config file's connections and
//! those custom providers bring are listed and read-only here.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use agentkit_core::{Error, ErrorKind};

use super::openapi_schemas::{BadRequest, Conflict, Forbidden, NotFound, Unauthorized, Unavailable};
use super::{ApiResult, Caller, JsonBody, SortedKeys};
use crate::config::ConnectionConfig;
use crate::state::{AppState, ConnectionSource, SharedState};
use crate::store::ChangeRecords;
use agentkit_core::model::Empty;

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

fn wire(state: &AppState, connection: &ConnectionConfig, source: ConnectionSource) -> SortedKeys<ConnectionAnswer> {
    let settings = match serde_json::to_value(ConnectionConfig { client_secret: None, ..connection.clone() }) {
        Ok(Value::Object(mut fields)) => {
            fields.remove("client_secret");
            fields
        }
        _ => serde_json::Map::from_iter([("name".to_string(), json!(connection.name))]),
    };
    SortedKeys(ConnectionAnswer {
        settings,
        client_secret_set: connection.client_secret.is_some(),
        source,
        redirect_uri: format!("{}/oauth/callback", state.public_url),
    })
}

fn check_name(name: &str) -> agentkit_core::Result<()> {
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
fn check(
    state: &AppState,
    caller: &Caller,
    c: &ConnectionConfig,
    previous: Option<&ConnectionConfig>,
) -> agentkit_core::Result<()> {
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
fn managed_here(state: &AppState, name: &str) -> ApiResult<std::sync::Arc<ConnectionConfig>> {
    let registry = state.registry();
    let connection = registry.connection(name)?;
    match registry.sources.get(name) {
        Some(ConnectionSource::Api) => Ok(connection),
        Some(ConnectionSource::CustomProvider) => Err(Error::new(
            ErrorKind::FailedPrecondition,
            format!("connection {name:?} belongs to a custom provider: change it through /api/v1/custom-providers"),
        )
        .into()),
        _ => Err(Error::new(
            ErrorKind::FailedPrecondition,
            format!("connection {name:?} is managed by the config file: change it there"),
        )
        .into()),
    }
}

fn audit_row(action: &str, c: &ConnectionConfig) -> ChangeRecords {
    let details =
        json!({"connector": c.connector, "client_id": c.client_id, "client_secret_set": c.client_secret.is_some()});
    ChangeRecords::audited(crate::audit::change_row(action, &c.name, crate::audit::SUCCESS, details))
}

#[utoipa::path(
    post,
    path = "/api/v1/connections",
    operation_id = "Gateway_CreateConnection",
    tag = "Administration",
    summary = "Create a connection",
    description = "Needs `admin` (and `credentials:read` for endpoint overrides). The body is a `[[connections]]` entry; `client_secret` is write-only.",
    request_body = ConnectionConfig,
    responses(
        (status = 201, description = "Created; the settings without the secret, `client_secret_set`, `source`, `redirect_uri`.", body = ConnectionAnswer),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn create(
    State(state): State<SharedState>,
    caller: Caller,
    JsonBody(connection): JsonBody<ConnectionConfig>,
) -> ApiResult<(StatusCode, Json<SortedKeys<ConnectionAnswer>>)> {
    check(&state, &caller, &connection, None)?;
    if state.registry().connections.contains_key(&connection.name) {
        return Err(Error::new(
            ErrorKind::Conflict,
            format!("a connection named {:?} already exists", connection.name),
        )
        .into());
    }
    state.replace_connection(&connection, false, &audit_row("connection.created", &connection)).await?;
    Ok((StatusCode::CREATED, Json(wire(&state, &connection, ConnectionSource::Api))))
}

#[utoipa::path(
    get,
    path = "/api/v1/connections",
    operation_id = "Gateway_ListConnections",
    tag = "Administration",
    summary = "List connections (never a secret)",
    description = "Every connection with its `source`: `config`, `api` or `custom_provider`.",
    responses(
        (status = 200, description = "Success.", body = ConnectionList),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn list(State(state): State<SharedState>, _caller: Caller) -> ApiResult<Json<SortedKeys<ConnectionList>>> {
    let registry = state.registry();
    let mut names: Vec<&String> = registry.connections.keys().collect();
    names.sort();
    let connections: Vec<ConnectionAnswer> = names
        .into_iter()
        .filter_map(|name| {
            let source = *registry.sources.get(name)?;
            Some(wire(&state, registry.connections.get(name)?, source).0)
        })
        .collect();
    Ok(Json(SortedKeys(ConnectionList { connections })))
}

#[utoipa::path(
    get,
    path = "/api/v1/connections/{name}",
    operation_id = "Gateway_GetConnection",
    tag = "Administration",
    summary = "Get a connection (never its secret)",
    params(
        ("name" = String, Path, description = "The connection name."),
    ),
    responses(
        (status = 200, description = "Success.", body = ConnectionAnswer),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn get(
    State(state): State<SharedState>,
    _caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<SortedKeys<ConnectionAnswer>>> {
    let registry = state.registry();
    let connection = registry.connection(&name)?;
    let source = registry.sources.get(&name).copied().unwrap_or(ConnectionSource::Config);
    Ok(Json(wire(&state, &connection, source)))
}

#[utoipa::path(
    put,
    path = "/api/v1/connections/{name}",
    operation_id = "Gateway_UpdateConnection",
    tag = "Administration",
    summary = "Replace a connection's settings",
    description = "Without `client_secret` the stored one is kept. 400 for connections of the config file or a custom provider.",
    params(
        ("name" = String, Path, description = "The connection name."),
    ),
    request_body = ConnectionConfig,
    responses(
        (status = 200, description = "Success.", body = ConnectionAnswer),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn update(
    State(state): State<SharedState>,
    caller: Caller,
    Path(name): Path<String>,
    JsonBody(mut connection): JsonBody<ConnectionConfig>,
) -> ApiResult<Json<SortedKeys<ConnectionAnswer>>> {
    let previous = managed_here(&state, &name)?;
    if !connection.name.is_empty() && connection.name != name {
        return Err(Error::invalid_field("name", "a connection's name does not change (the path names it)").into());
    }
    connection.name = name;
    // Write-only: an update without a secret keeps the stored one.
    if connection.client_secret.is_none() {
        connection.client_secret = previous.client_secret.clone();
    }
    check(&state, &caller, &connection, Some(&previous))?;
    state.replace_connection(&connection, true, &audit_row("connection.updated", &connection)).await?;
    Ok(Json(wire(&state, &connection, ConnectionSource::Api)))
}

#[utoipa::path(
    delete,
    path = "/api/v1/connections/{name}",
    operation_id = "Gateway_DeleteConnection",
    tag = "Administration",
    summary = "Delete a connection",
    description = "409 while it has connected accounts; 400 for connections of the config file or a custom provider.",
    params(
        ("name" = String, Path, description = "The connection name."),
    ),
    responses(
        (status = 200, description = "Success.", body = Empty),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn delete(
    State(state): State<SharedState>,
    _caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<Empty>> {
    let connection = managed_here(&state, &name)?;
    let accounts = state.store.count_accounts_of_connection(&name).await?;
    if accounts > 0 {
        return Err(Error::new(
            ErrorKind::Conflict,
            format!("connection {name:?} still has {accounts} connected account(s): delete them first"),
        )
        .with_error_code("FAILED_PRECONDITION")
        .into());
    }
    state.remove_connection(&name, &audit_row("connection.deleted", &connection)).await?;
    Ok(Json(Empty {}))
}

/// `POST /api/v1/connections/{name}:test`: does the provider accept the connection's OAuth app?
/// (the `:verb` suffix is parsed here). Stores nothing; 400 for a connector whose credentials all
/// live on the accounts.
#[utoipa::path(
    post,
    path = "/api/v1/connections/{name}:test",
    operation_id = "Gateway_TestConnection",
    tag = "Administration",
    summary = "Test a connection's OAuth app at its provider",
    description = "Asks the provider's token endpoint to trade a made-up code with the connection's client id and \
secret: `invalid_grant` means the client passed, `invalid_client` that the provider refused it. Stores nothing. 400 \
for connectors whose credentials live on each connected account.",
    params(
        ("name" = String, Path, description = "The connection name."),
    ),
    responses(
        (status = 200, description = "Each check, and whether all passed.", body = crate::domain::connections::ConnectionTest),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
)]
pub async fn test(
    State(state): State<SharedState>,
    _caller: Caller,
    Path(name_and_verb): Path<String>,
) -> ApiResult<Json<crate::domain::connections::ConnectionTest>> {
    let Some(name) = name_and_verb.strip_suffix(":test") else {
        return Err(Error::not_found("no such endpoint").into());
    };
    Ok(Json(crate::domain::connections::test_connection(&state, name).await?))
}
