//! Signing users in to a remote MCP server that asks for OAuth, with the gateway as the MCP
//! client (MCP authorization, 2025-06-18 and later): where the server's authorization server is
//! (RFC 9728 protected-resource metadata, named by the server's 401 or found at its well-known
//! URLs), what that authorization server offers (RFC 8414 metadata, else OpenID discovery; PKCE
//! S256 required) and who the gateway is there (the connection's own `client_id`, else a client
//! it registers dynamically, RFC 7591). Every authorization, token and refresh request names the
//! server as its `resource` (RFC 8707), so a token is good for that server only.
//!
//! Learned once per connection and kept in the store (the registered secret sealed): every
//! replica and every restart uses the same client, and refreshing a user's token needs no
//! discovery. Learned again when the connection's server or the gateway's redirect URI changed.
//! Every request goes through the egress policy, every answer is read bounded, and every endpoint
//! a credential is sent to must be https (http only on this machine).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use agentkit_core::{Error, ErrorKind, Result};

use crate::catalog::connectors::{AuthDef, ConnectorDef};
use crate::config::ConnectionConfig;
use crate::egress::Egress;
use crate::store::{Store, UpstreamOAuthRow};

/// Most bytes of a metadata or registration answer read.
const METADATA_MAX_BYTES: usize = 64 * 1024;

/// Each discovery or registration request's whole deadline.
const DISCOVERY_TIMEOUT: Duration = Duration::from_secs(15);

/// The name the gateway registers under.
const CLIENT_NAME: &str = "AgentKit gateway";

/// What the gateway knows about signing users in to one remote MCP server (the row's settings;
/// the registered secret is kept apart, sealed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpstreamOAuth {
    /// The server's URL: the `resource` of every authorization and token request.
    pub resource: String,
    /// The authorization server (its metadata's `issuer`).
    pub issuer: String,
    pub authorize_url: String,
    pub token_url: String,
    #[serde(default)]
    pub revoke_url: String,
    /// The client registered for the gateway; empty when the connection names its own.
    #[serde(default)]
    pub client_id: String,
    /// How the registered client authenticates at the token endpoint (`client_secret_post`,
    /// `client_secret_basic` or `none`).
    #[serde(default)]
    pub token_auth_method: String,
    /// Scopes asked for when neither the connection nor the connector names any: the ones the
    /// server's 401 asked for, else the ones its metadata lists.
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// How users of `connection` (a connector that [`ConnectorDef::oauth_discovered`]) sign in to
/// its remote MCP server, and the registered client's secret: learned and registered on first
/// use, then read from the store. `redirect_uri` is the gateway's OAuth callback.
pub async fn learned(
    store: &Store,
    egress: &Egress,
    redirect_uri: &str,
    connection: &ConnectionConfig,
    connector: &ConnectorDef,
) -> Result<(UpstreamOAuth, Option<String>)> {
    let resource = connector.base_url_of(connection);
    let own_client = connection.client_id.as_deref().is_some_and(|id| !id.is_empty());
    let stored = store.upstream_oauth_client(&connection.name).await?;
    let current = stored.as_ref().filter(|row| {
        row.resource == resource
            && row.redirect_uri == redirect_uri
            && serde_json::from_str::<UpstreamOAuth>(&row.settings)
                .is_ok_and(|learned| own_client || !learned.client_id.is_empty())
    });
    let row = match current {
        Some(row) => row.clone(),
        None => {
            let (learned, secret) = learn(egress, &resource, redirect_uri, connection, connector).await?;
            let row = UpstreamOAuthRow {
                connection_name: connection.name.clone(),
                resource: resource.clone(),
                redirect_uri: redirect_uri.to_string(),
                settings: serde_json::to_string(&learned)?,
                client_secret: secret,
            };
            tracing::info!(connection = %connection.name, issuer = %learned.issuer, registered = !learned.client_id.is_empty(), "upstream OAuth client learned");
            store.save_upstream_oauth_client(&row, stored.as_ref()).await?
        }
    };
    Ok((serde_json::from_str(&row.settings)?, row.client_secret))
}

/// Discovers the server's authorization server and registers the gateway there (unless the
/// connection names its own client): what was learned, and the registered secret.
async fn learn(
    egress: &Egress,
    resource: &str,
    redirect_uri: &str,
    connection: &ConnectionConfig,
    connector: &ConnectorDef,
) -> Result<(UpstreamOAuth, Option<String>)> {
    let name = &connection.name;
    let challenge = probe(egress, resource).await?;
    let resource_metadata =
        protected_resource_metadata(egress, resource, challenge.resource_metadata.as_deref()).await?;
    let issuer = resource_metadata
        .get("authorization_servers")
        .and_then(Value::as_array)
        .and_then(|servers| servers.iter().find_map(Value::as_str))
        .ok_or_else(|| {
            discovery_error(name, "its protected-resource metadata names no authorization_servers".to_string())
        })?
        .to_string();
    let server = authorization_server_metadata(egress, &issuer).await.map_err(|why| discovery_error(name, why))?;
    let endpoint = |field: &str| -> Result<String> {
        let url = server.get(field).and_then(Value::as_str).unwrap_or_default();
        credential_endpoint(url)
            .map_err(|why| discovery_error(name, format!("its authorization server's {field}: {why}")))
    };
    let authorize_url = endpoint("authorization_endpoint")?;
    let token_url = endpoint("token_endpoint")?;
    let revoke_url = match server.get("revocation_endpoint").and_then(Value::as_str) {
        Some(url) => credential_endpoint(url).unwrap_or_default(),
        None => String::new(),
    };
    let s256 = server
        .get("code_challenge_methods_supported")
        .and_then(Value::as_array)
        .is_some_and(|methods| methods.iter().any(|m| m == "S256"));
    if !s256 {
        return Err(discovery_error(
            name,
            format!("its authorization server {issuer} does not say it supports PKCE S256 (code_challenge_methods_supported): the gateway signs users in with S256 only"),
        ));
    }
    let scopes = match challenge.scope {
        Some(scope) => scope.split_whitespace().map(String::from).collect(),
        None => string_list(resource_metadata.get("scopes_supported")),
    };
    let mut learned = UpstreamOAuth {
        resource: resource.to_string(),
        issuer,
        authorize_url,
        token_url,
        revoke_url,
        client_id: String::new(),
        token_auth_method: String::new(),
        scopes,
    };
    if connection.client_id.as_deref().is_some_and(|id| !id.is_empty()) {
        return Ok((learned, None));
    }
    let registration_endpoint = server.get("registration_endpoint").and_then(Value::as_str).ok_or_else(|| {
        discovery_error(
            name,
            format!(
                "its authorization server {} offers no dynamic client registration: register a client there (redirect URI {redirect_uri}) and set client_id and client_secret on the connection",
                learned.issuer
            ),
        )
    })?;
    let registration_endpoint = credential_endpoint(registration_endpoint)
        .map_err(|why| discovery_error(name, format!("its registration_endpoint: {why}")))?;
    let wanted_scopes = scopes_for(&learned, connection, &connector.auth);
    let (client_id, secret, method) = register(egress, &registration_endpoint, redirect_uri, &wanted_scopes)
        .await
        .map_err(|why| discovery_error(name, why))?;
    learned.client_id = client_id;
    learned.token_auth_method = method;
    Ok((learned, secret))
}

/// The scopes a sign-in asks for: the connection's, else the connector's, else the server's.
pub(crate) fn scopes_for(learned: &UpstreamOAuth, connection: &ConnectionConfig, auth: &AuthDef) -> Vec<String> {
    if !connection.scopes.is_empty() {
        connection.scopes.clone()
    } else if !auth.scopes.is_empty() {
        auth.scopes.clone()
    } else {
        learned.scopes.clone()
    }
}

fn discovery_error(connection: &str, why: String) -> Error {
    Error::new(ErrorKind::FailedPrecondition, format!("remote MCP server {connection:?} cannot sign users in: {why}"))
}

/// What the server's answer to a request without a token said about signing in.
#[derive(Debug, Default, PartialEq, Eq)]
struct Challenge {
    /// `resource_metadata` of its `WWW-Authenticate: Bearer` (RFC 9728 §5.1).
    resource_metadata: Option<String>,
    /// `scope` of the same header: what the server asks for.
    scope: Option<String>,
}

/// Asks the server to start a session without a token: it should answer 401 with a
/// `WWW-Authenticate` naming its metadata (a server that answers anything else is looked up at
/// its well-known URLs).
async fn probe(egress: &Egress, resource: &str) -> Result<Challenge> {
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": crate::execution::mcp_client::REQUESTED_VERSION,
        "capabilities": {}, "clientInfo": {"name": CLIENT_NAME, "version": env!("CARGO_PKG_VERSION")}}});
    let response = egress
        .post(resource)
        .timeout(DISCOVERY_TIMEOUT)
        .header("accept", "application/json, text/event-stream")
        .json(&initialize)
        .send()
        .await?;
    if response.status().as_u16() != 401 {
        return Ok(Challenge::default());
    }
    let header = response
        .headers()
        .get_all("www-authenticate")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.trim_start().to_ascii_lowercase().starts_with("bearer"))
        .unwrap_or_default()
        .to_string();
    Ok(Challenge { resource_metadata: auth_param(&header, "resource_metadata"), scope: auth_param(&header, "scope") })
}

/// One parameter of a `WWW-Authenticate` challenge (`name="value"` or `name=token`).
fn auth_param(header: &str, name: &str) -> Option<String> {
    let mut rest = header.trim_start();
    rest = rest.get(rest.find(char::is_whitespace).unwrap_or(rest.len())..).unwrap_or_default();
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
        let (key, after) = rest.split_once('=')?;
        let after = after.trim_start();
        let (value, next) = match after.strip_prefix('"') {
            Some(quoted) => {
                let mut value = String::new();
                let mut chars = quoted.char_indices();
                let mut end = quoted.len();
                while let Some((i, c)) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some((_, escaped)) = chars.next() {
                                value.push(escaped);
                            }
                        }
                        '"' => {
                            end = i + 1;
                            break;
                        }
                        c => value.push(c),
                    }
                }
                (value, quoted.get(end..).unwrap_or_default())
            }
            None => {
                let end = after.find(|c: char| c == ',' || c.is_whitespace()).unwrap_or(after.len());
                (after[..end].to_string(), &after[end..])
            }
        };
        if key.trim().eq_ignore_ascii_case(name) {
            return Some(value);
        }
        rest = next;
    }
}

/// The server's protected-resource metadata (RFC 9728): at the URL its 401 named, else at the
/// path-inserted and root well-known URLs. Its `resource` must be the server's URL: metadata
/// naming another resource is not this server's.
async fn protected_resource_metadata(egress: &Egress, resource: &str, named: Option<&str>) -> Result<Value> {
    let url = url::Url::parse(resource).map_err(|e| Error::invalid_field("base_url", format!("{resource:?}: {e}")))?;
    let origin = url.origin().ascii_serialization();
    let path = url.path().trim_end_matches('/');
    let mut candidates: Vec<String> = named.map(String::from).into_iter().collect();
    if !path.is_empty() {
        candidates.push(format!("{origin}/.well-known/oauth-protected-resource{path}"));
    }
    candidates.push(format!("{origin}/.well-known/oauth-protected-resource"));
    let mut tried = Vec::new();
    for candidate in candidates {
        match metadata_document(egress, &candidate).await {
            Ok(found) => {
                let named_resource = found.get("resource").and_then(Value::as_str).unwrap_or_default();
                if same_url(named_resource, resource) {
                    return Ok(found);
                }
                tried.push(format!("{candidate}: describes resource {named_resource:?}, not {resource:?}"));
            }
            Err(why) => tried.push(format!("{candidate}: {why}")),
        }
    }
    Err(Error::new(
        ErrorKind::FailedPrecondition,
        format!("remote MCP server at {resource} publishes no protected-resource metadata ({})", tried.join("; ")),
    ))
}

/// The authorization server's metadata (RFC 8414, else OpenID discovery), whose `issuer` must be
/// the one asked for (RFC 8414 §3.3).
async fn authorization_server_metadata(egress: &Egress, issuer: &str) -> std::result::Result<Value, String> {
    let url = url::Url::parse(issuer).map_err(|e| format!("authorization server {issuer:?} is not a URL ({e})"))?;
    let origin = url.origin().ascii_serialization();
    let path = url.path().trim_end_matches('/');
    let candidates = if path.is_empty() {
        vec![
            format!("{origin}/.well-known/oauth-authorization-server"),
            format!("{origin}/.well-known/openid-configuration"),
        ]
    } else {
        vec![
            format!("{origin}/.well-known/oauth-authorization-server{path}"),
            format!("{origin}/.well-known/openid-configuration{path}"),
            format!("{origin}{path}/.well-known/openid-configuration"),
        ]
    };
    let mut tried = Vec::new();
    for candidate in candidates {
        match metadata_document(egress, &candidate).await {
            Ok(found) => {
                let named = found.get("issuer").and_then(Value::as_str).unwrap_or_default();
                if same_url(named, issuer) {
                    return Ok(found);
                }
                tried.push(format!("{candidate}: issuer {named:?}, not {issuer:?}"));
            }
            Err(why) => tried.push(format!("{candidate}: {why}")),
        }
    }
    Err(format!("its authorization server {issuer} publishes no usable metadata ({})", tried.join("; ")))
}

/// A JSON object read from `url` (a GET through the egress policy, bounded); why not otherwise.
async fn metadata_document(egress: &Egress, url: &str) -> std::result::Result<Value, String> {
    let response = egress
        .get(url)
        .timeout(DISCOVERY_TIMEOUT)
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|e| e.message().to_string())?;
    let status = response.status().as_u16();
    if status != 200 {
        return Err(format!("HTTP {status}"));
    }
    let body = crate::egress::read_bounded(response, METADATA_MAX_BYTES).await.map_err(|e| e.message().to_string())?;
    let found: Value = serde_json::from_slice(&body).map_err(|e| format!("not JSON ({e})"))?;
    if !found.is_object() {
        return Err("not a JSON object".into());
    }
    Ok(found)
}

/// Registers the gateway as a client (RFC 7591): its client id, secret (if the server issued
/// one) and token-endpoint authentication method.
async fn register(
    egress: &Egress,
    endpoint: &str,
    redirect_uri: &str,
    scopes: &[String],
) -> std::result::Result<(String, Option<String>, String), String> {
    let mut metadata = json!({
        "client_name": CLIENT_NAME,
        "redirect_uris": [redirect_uri],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "client_secret_post",
    });
    if !scopes.is_empty() {
        metadata["scope"] = Value::String(scopes.join(" "));
    }
    let response = egress
        .post(endpoint)
        .timeout(DISCOVERY_TIMEOUT)
        .header("accept", "application/json")
        .json(&metadata)
        .send()
        .await
        .map_err(|e| format!("registering at {endpoint}: {}", e.message()))?;
    let status = response.status().as_u16();
    let body = crate::egress::read_bounded(response, METADATA_MAX_BYTES)
        .await
        .map_err(|e| format!("registering at {endpoint}: {}", e.message()))?;
    let answer: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if !(200..300).contains(&status) {
        let said = |field: &str| answer.get(field).and_then(Value::as_str).unwrap_or_default().to_string();
        let reason = [format!("HTTP {status}"), said("error"), said("error_description")]
            .into_iter()
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(", ");
        return Err(format!("the authorization server refused to register the gateway at {endpoint} ({reason})"));
    }
    let client_id = answer
        .get("client_id")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .ok_or_else(|| format!("the registration answer of {endpoint} has no client_id"))?;
    let secret = answer.get("client_secret").and_then(Value::as_str).filter(|s| !s.is_empty()).map(String::from);
    let method = answer
        .get("token_endpoint_auth_method")
        .and_then(Value::as_str)
        .unwrap_or(if secret.is_some() { "client_secret_basic" } else { "none" })
        .to_string();
    Ok((client_id.to_string(), secret, method))
}

/// An endpoint the gateway sends credentials or codes to: an absolute https URL (http only on
/// this machine); the URL itself, or why not.
fn credential_endpoint(url: &str) -> std::result::Result<String, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("{url:?} is not an absolute URL ({e})"))?;
    if !crate::egress::credential_safe(&parsed) {
        return Err(format!("{url:?} must use https (http only for this machine)"));
    }
    Ok(url.to_string())
}

/// Two URLs name the same thing (RFC 3986 §6.2.1 simple comparison, a trailing slash aside).
fn same_url(a: &str, b: &str) -> bool {
    !a.is_empty() && a.trim_end_matches('/') == b.trim_end_matches('/')
}

fn string_list(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map_or_else(Vec::new, |items| items.iter().filter_map(Value::as_str).map(String::from).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_parameters_are_read_quoted_or_not() {
        let header = r#"Bearer error="invalid_token", error_description="Authentication \"required\"", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope=files.read"#;
        assert_eq!(
            auth_param(header, "resource_metadata").as_deref(),
            Some("https://mcp.example.com/.well-known/oauth-protected-resource/mcp")
        );
        assert_eq!(auth_param(header, "error_description").as_deref(), Some("Authentication \"required\""));
        assert_eq!(auth_param(header, "scope").as_deref(), Some("files.read"));
        assert_eq!(auth_param(header, "realm"), None);
        assert_eq!(auth_param("Bearer", "scope"), None);
        assert_eq!(auth_param("Bearer scope=\"unterminated", "scope").as_deref(), Some("unterminated"));
    }

    #[test]
    fn endpoints_that_carry_credentials_are_https_or_this_machine() {
        assert!(credential_endpoint("https://auth.example.com/token").is_ok());
        assert!(credential_endpoint("http://127.0.0.1:9000/token").is_ok());
        assert!(credential_endpoint("http://localhost/token").is_ok());
        assert!(credential_endpoint("http://auth.example.com/token").is_err());
        assert!(credential_endpoint("javascript:alert(1)").is_err());
        assert!(credential_endpoint("/token").is_err());
    }

    #[test]
    fn metadata_naming_another_resource_is_not_the_servers() {
        assert!(same_url("https://mcp.example.com/mcp/", "https://mcp.example.com/mcp"));
        assert!(!same_url("https://evil.example/mcp", "https://mcp.example.com/mcp"));
        assert!(!same_url("", "https://mcp.example.com/mcp"));
    }
}
