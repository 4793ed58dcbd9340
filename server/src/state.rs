//! The state every request works with: the registry snapshot (connectors and connections), the
//! store, the signer, the egress policy and the in-memory bookkeeping; built by `startup`.

use std::collections::HashMap;
use std::sync::Arc;

use agentkit_core::{Error, ErrorKind, Result};

use crate::catalog::connectors::{Catalog, ConnectorDef};
use crate::config::{Config, ConnectionConfig};
use crate::credentials::tokens::Signer;
use crate::store::Store;

/// The connectors and connections requests see. Replaced whole when connector files are
/// reloaded or a custom provider changes, so each request works on one consistent snapshot.
#[derive(Debug, Default)]
pub struct Registry {
    pub catalog: Catalog,
    pub connections: HashMap<String, Arc<ConnectionConfig>>,
    /// Where each connection comes from: the config file, the API, or a custom provider.
    pub sources: HashMap<String, ConnectionSource>,
    /// Where each connector comes from (and so whether the API may delete it).
    pub connector_sources: HashMap<String, ConnectorSource>,
}

/// Where a connector comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConnectorSource {
    /// Compiled into the binary.
    BuiltIn,
    /// A file of `server.connectors_dir`.
    File,
    /// Imported and installed through `POST /api/v1/connectors:import`.
    Installed,
    /// Made by a custom provider (`/api/v1/custom-providers`).
    CustomProvider,
}

/// Who manages a connection (and so whether the API may change it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionSource {
    /// A `[[connections]]` entry: read-only through the API.
    Config,
    /// Created through `/api/v1/connections`.
    Api,
    /// The connection a custom provider brings (changed through the provider).
    CustomProvider,
}

impl Registry {
    /// A configured connection by name, or 404 naming it.
    pub fn connection(&self, name: &str) -> Result<Arc<ConnectionConfig>> {
        self.connections.get(name).cloned().ok_or_else(|| {
            Error::not_found(format!(
                "connection {name:?} not found: create it (POST /api/v1/connections) or add it to the config file"
            ))
        })
    }

    /// The connector a connection uses (registries are checked at build, so a miss is a bug).
    pub fn connector_of(&self, connection: &ConnectionConfig) -> Result<Arc<ConnectorDef>> {
        self.catalog.connector(&connection.connector).cloned().ok_or_else(|| {
            Error::new(
                ErrorKind::Server,
                format!("connection {:?} uses unknown connector {:?}", connection.name, connection.connector),
            )
        })
    }
}

pub use crate::credentials::api_clients::ApiClient;

/// Everything a request handler needs; built once at start-up.
pub struct AppState {
    pub config: Config,
    pub store: Store,
    pub(crate) registry: std::sync::RwLock<Arc<Registry>>,
    pub(crate) reloading: tokio::sync::Mutex<()>,
    pub signer: Signer,
    pub public_url: String,
    /// Where browsers reach the console: `public_url`, or its own listener's URL.
    pub console_url: String,
    /// The API clients (config file and stored): secret digests and permissions.
    pub api_clients: crate::credentials::api_clients::ApiClients,
    pub refresher: crate::credentials::refresh::Refresher,
    pub sql_pools: crate::execution::sql::SqlPools,
    /// Key-pair accounts' signed JWTs, reused until shortly before they expire.
    pub key_pairs: crate::credentials::key_pair::KeyPairTokens,
    pub rate_limiter: crate::execution::limits::RateLimiter,
    /// The only way out to providers: every outbound connection is checked by its policy.
    pub egress: crate::egress::Egress,
    /// The webhook outbox (events in, deliveries out).
    pub webhooks: Arc<crate::webhooks::Webhooks>,
    /// Failed `/oauth/token` sign-ins per client address (`server.failed_logins_per_minute`).
    pub failed_logins: crate::throttle::Throttle,
    /// Console sign-in attempts per client address (the same limit, counted apart).
    pub console_sign_ins: crate::throttle::Throttle,
    /// Pushes to the trigger ingress URLs, per source address.
    pub trigger_pushes: crate::throttle::Throttle,
    /// Refused pushes audited, per source address (the rest are counted only).
    pub trigger_push_refusals: crate::throttle::Throttle,
    /// Password checks running at once, at most one per core (each holds a core and ~19 MiB of
    /// argon2 memory for a while): a sign-in beyond them is answered 503 rather than queued.
    pub password_checks: tokio::sync::Semaphore,
    /// Throttles, public-only egress and caches of the MCP authorization server.
    pub mcp_oauth: crate::domain::mcp_oauth_guards::Guards,
    /// OIDC providers' discovery documents (MCP users' and operators' sign-in).
    pub oidc_discovery: crate::credentials::oidc_sign_in::Discovery,
    /// The tools remote MCP connections' servers listed (the registry is built with them).
    pub remote_tools: Arc<crate::catalog::remote_tools::DiscoveredTools>,
    /// Sessions with remote MCP servers kept between calls.
    pub remote_sessions: crate::execution::remote_mcp::RemoteSessions,
}

impl AppState {
    /// The current connectors and connections (a snapshot: hold it for the whole request).
    pub fn registry(&self) -> Arc<Registry> {
        self.registry.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Rebuilds the registry from the config, the connector directory and the stored custom
    /// providers; on any error the current registry stays in place. Rebuilds run one at a time,
    /// so a slower rebuild never replaces a newer one (two custom providers created at once).
    pub async fn reload_registry(&self) -> Result<Arc<Registry>> {
        let _one_at_a_time = self.reloading.lock().await;
        let registry = Arc::new(build_registry(&self.config, &self.store, &self.remote_tools).await?);
        *self.registry.write().unwrap_or_else(|p| p.into_inner()) = registry.clone();
        tracing::info!(
            connectors = registry.catalog.connectors().count(),
            tools = registry.catalog.tools().count(),
            "connectors reloaded"
        );
        Ok(registry)
    }

    /// An operator's reload (API or SIGHUP) of the connector files: rebuilt here, then every other
    /// replica is told to reload its copy of the files.
    pub async fn reload_connectors(&self) -> Result<Arc<Registry>> {
        let registry = self.reload_registry().await?;
        self.store.connectors_reloaded().await;
        let details = serde_json::json!({
            "connectors": registry.catalog.connectors().count(),
            "tools": registry.catalog.tools().count(),
        });
        crate::audit::record(&self.store, "connectors.reloaded", "catalog", crate::audit::SUCCESS, details).await;
        Ok(registry)
    }

    /// Creates or replaces a custom provider: the registry it yields is built and checked in
    /// memory, then the row is saved and the registry swapped, all under the rebuild lock.
    pub async fn replace_custom_provider(
        &self,
        provider: &agentkit_core::model::Provider,
        replace: bool,
        records: &crate::store::ChangeRecords,
    ) -> Result<()> {
        let _one_at_a_time = self.reloading.lock().await;
        let mut stored = StoredCatalog::load(&self.store).await?;
        stored.custom_providers.retain(|p| p.identifier != provider.identifier);
        stored.custom_providers.push(provider.clone());
        let registry = Arc::new(registry_from(&self.config, stored, &self.remote_tools.snapshot())?);
        self.store.save_custom_provider(provider, replace, records).await?;
        *self.registry.write().unwrap_or_else(|p| p.into_inner()) = registry;
        Ok(())
    }

    /// Creates or replaces a connection made through the API, the same way: the registry it
    /// yields is built and checked first (its connector exists), then saved and swapped in.
    pub async fn replace_connection(
        &self,
        connection: &ConnectionConfig,
        replace: bool,
        records: &crate::store::ChangeRecords,
    ) -> Result<()> {
        let _one_at_a_time = self.reloading.lock().await;
        let mut stored = StoredCatalog::load(&self.store).await?;
        stored.connections.retain(|c| c.name != connection.name);
        stored.connections.push(connection.clone());
        let registry = Arc::new(registry_from(&self.config, stored, &self.remote_tools.snapshot())?);
        self.store.save_connection(connection, replace, records).await?;
        *self.registry.write().unwrap_or_else(|p| p.into_inner()) = registry;
        Ok(())
    }

    /// Deletes a connection made through the API and swaps in the registry without it.
    pub async fn remove_connection(&self, name: &str, records: &crate::store::ChangeRecords) -> Result<bool> {
        let _one_at_a_time = self.reloading.lock().await;
        let deleted = self.store.delete_connection(name, records).await?;
        let registry = Arc::new(build_registry(&self.config, &self.store, &self.remote_tools).await?);
        *self.registry.write().unwrap_or_else(|p| p.into_inner()) = registry;
        Ok(deleted)
    }

    /// Installs an imported connector, the same way: the registry with it is built and checked
    /// first (its slug is free, its tools load), then it is stored and swapped in. 409 when a
    /// connector of its slug exists.
    pub async fn install_connector(
        &self,
        installed: &crate::store::InstalledConnector,
        records: &crate::store::ChangeRecords,
    ) -> Result<()> {
        let _one_at_a_time = self.reloading.lock().await;
        if self.registry().catalog.connector(&installed.slug).is_some() {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!("a connector with slug {:?} already exists", installed.slug),
            ));
        }
        let mut stored = StoredCatalog::load(&self.store).await?;
        stored.installed_connectors.push(installed.clone());
        let registry = Arc::new(registry_from(&self.config, stored, &self.remote_tools.snapshot())?);
        self.store.save_installed_connector(installed, records).await?;
        *self.registry.write().unwrap_or_else(|p| p.into_inner()) = registry;
        Ok(())
    }

    /// Deletes an installed connector and swaps in the registry without it; the registry is
    /// checked first, so a connection that still uses the connector keeps it in place.
    pub async fn remove_installed_connector(&self, slug: &str, records: &crate::store::ChangeRecords) -> Result<bool> {
        let _one_at_a_time = self.reloading.lock().await;
        let mut stored = StoredCatalog::load(&self.store).await?;
        stored.installed_connectors.retain(|c| c.slug != slug);
        let registry = Arc::new(registry_from(&self.config, stored, &self.remote_tools.snapshot())?);
        let deleted = self.store.delete_installed_connector(slug, records).await?;
        *self.registry.write().unwrap_or_else(|p| p.into_inner()) = registry;
        Ok(deleted)
    }

    /// A configured connection by name, or 404 naming it.
    pub fn connection(&self, name: &str) -> Result<Arc<ConnectionConfig>> {
        self.registry().connection(name)
    }

    /// Where providers send the browser back after consent: the redirect URI an OAuth app
    /// registers at its provider.
    pub fn oauth_redirect_uri(&self) -> String {
        format!("{}/oauth/callback", self.public_url)
    }

    /// The OAuth app of a connection (connector endpoints with the connection's overrides).
    pub async fn oauth_app(&self, connection: &ConnectionConfig) -> Result<crate::credentials::oauth::OAuthApp> {
        let connector = self.registry().connector_of(connection)?;
        let redirect_uri = self.oauth_redirect_uri();
        crate::credentials::oauth::connection_app(&self.store, &self.egress, &redirect_uri, connection, &connector)
            .await
    }

    /// API base URL for an account's calls: the connection's override, else the connector's
    /// default, with `{{api_config.<field>}}` filled from the account (Salesforce's instance URL,
    /// stored from its token response). A value that fills the start of the URL must be a plain
    /// http(s) origin-and-path; one inside the path fills exactly one segment; one in the host
    /// must be a host name. No value can add userinfo, a query or climb out of its place.
    pub fn account_base_url(
        &self,
        connection: &ConnectionConfig,
        api_config: Option<&serde_json::Value>,
    ) -> Result<String> {
        let template = self.base_url(connection)?;
        let mut out = String::new();
        let mut rest = template.as_str();
        while let Some(start) = rest.find("{{api_config.") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find("}}").map(|e| start + e).unwrap_or(rest.len());
            let field = &rest[start + "{{api_config.".len()..end];
            let value = api_config.and_then(|c| c.get(field)).and_then(serde_json::Value::as_str).ok_or_else(|| {
                Error::new(
                    ErrorKind::FailedPrecondition,
                    format!("the connected account has no api_config.{field}: authorize it again (or set it with update_connected_account)"),
                )
            })?;
            out.push_str(&templated_value(&out, field, value)?);
            rest = &rest[(end + 2).min(rest.len())..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// Checks an `api_config` change an API client asks for: a field the base URL reads decides
    /// where the account's credential goes, so changing it needs the routing right, may not
    /// overwrite a value the provider gave at authorization, and must match the connector's (or
    /// connection's) host patterns.
    pub fn check_api_config_change(
        &self,
        grants: &crate::permissions::Grants,
        client_id: &str,
        connection: &ConnectionConfig,
        old: Option<&serde_json::Value>,
        new: &serde_json::Value,
    ) -> Result<()> {
        let template = self.base_url(connection)?;
        let connector = self.registry().connector_of(connection)?;
        let from_provider = |field: &str| {
            connector.auth.token_response_fields.iter().any(|f| f == field)
                || connector.auth.account_lookup.as_ref().is_some_and(|l| l.fields.contains_key(field))
        };
        for field in templated_fields(&template) {
            let (before, after) = (old.and_then(|o| o.get(field)), new.get(field));
            if after.is_none() || before == after {
                continue;
            }
            grants.require_credential_routing(
                client_id,
                &format!("change api_config.{field} (where the credential is sent)"),
            )?;
            if before.is_some() && from_provider(field) {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!("api_config.{field} came from the provider at authorization and cannot be changed: authorize the account again"),
                )
                .with_error_code("FAILED_PRECONDITION"));
            }
            let value = after.and_then(serde_json::Value::as_str).ok_or_else(|| {
                Error::invalid_field(format!("api_config.{field}"), format!("api_config.{field} must be a string"))
            })?;
            let prefix = &template[..template.find(&format!("{{{{api_config.{field}}}}}")).unwrap_or(0)];
            let filled = templated_value(prefix, field, value)?;
            if prefix.is_empty() {
                let host = url::Url::parse(&filled).ok().and_then(|u| u.host_str().map(str::to_ascii_lowercase));
                let patterns: Vec<&String> = connector
                    .api_config_hosts
                    .get(field)
                    .into_iter()
                    .chain(connection.api_config_hosts.get(field))
                    .flatten()
                    .collect();
                let matches = |host: &str| patterns.iter().any(|p| host_matches(p, host));
                if !patterns.is_empty() && !host.as_deref().is_some_and(matches) {
                    return Err(Error::invalid_field(
                        format!("api_config.{field}"),
                        format!("api_config.{field} must be on one of the hosts {patterns:?}"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// API base URL for a connection: its override, else the connector's default (a remote MCP
    /// connector's: its server's MCP endpoint).
    pub fn base_url(&self, connection: &ConnectionConfig) -> Result<String> {
        Ok(self.registry().connector_of(connection)?.base_url_of(connection))
    }
}

/// The fields a base-URL template reads from `api_config`.
fn templated_fields(template: &str) -> Vec<&str> {
    template.split("{{api_config.").skip(1).filter_map(|rest| rest.split_once("}}").map(|(field, _)| field)).collect()
}

/// `*.example.com` matches any subdomain; anything else the host exactly.
fn host_matches(pattern: &str, host: &str) -> bool {
    match pattern.strip_prefix("*.") {
        Some(suffix) => host.strip_suffix(suffix).is_some_and(|sub| sub.ends_with('.') && sub.len() > 1),
        None => pattern.eq_ignore_ascii_case(host),
    }
}

/// A value placed into a base URL after `prefix`: at the start, a whole http(s) URL without
/// userinfo, query or fragment; in the host, a host name (and port); in the path, one segment.
fn templated_value(prefix: &str, field: &str, value: &str) -> Result<String> {
    let bad = |why: &str| {
        Error::failed_precondition(format!("api_config.{field} {why}")).with_field(format!("api_config.{field}"))
    };
    if prefix.is_empty() {
        let url = url::Url::parse(value).map_err(|_| bad("is not an absolute URL"))?;
        if !matches!(url.scheme(), "http" | "https")
            || !url.username().is_empty()
            || url.password().is_some()
            || url.query().is_some()
            || url.fragment().is_some()
            || url.host_str().is_none()
        {
            return Err(bad("must be an http(s) URL without credentials, query or fragment"));
        }
        // The account's credential goes there: never in the clear off this machine.
        if !crate::egress::credential_safe(&url) {
            return Err(bad("must be https (http only on this machine)"));
        }
        return Ok(url.as_str().trim_end_matches('/').to_string());
    }
    let in_host = prefix.contains("://") && !prefix.split_once("://").is_some_and(|(_, after)| after.contains('/'));
    if in_host {
        let host_like = !value.is_empty()
            && value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'))
            && !value.starts_with(['.', '-']);
        return if host_like { Ok(value.to_string()) } else { Err(bad("must be a host name")) };
    }
    if agentkit_core::model::proxy_path::is_dot_segment(value) {
        return Err(bad("may not be a dot segment"));
    }
    Ok(agentkit_core::model::proxy_path::encode_segment_value(value))
}

pub type SharedState = Arc<AppState>;

/// What the registry is built from besides the config file and connector directory: the rows
/// the API made (custom providers, connections, installed connectors).
pub(crate) struct StoredCatalog {
    pub custom_providers: Vec<agentkit_core::model::Provider>,
    pub connections: Vec<ConnectionConfig>,
    pub installed_connectors: Vec<crate::store::InstalledConnector>,
}

impl StoredCatalog {
    pub(crate) async fn load(store: &Store) -> Result<StoredCatalog> {
        Ok(StoredCatalog {
            custom_providers: store.custom_providers().await?,
            connections: store.stored_connections().await?,
            installed_connectors: store.installed_connectors().await?,
        })
    }
}

/// Built-in connectors, the connector directory's files, the installed connectors and the stored
/// custom providers, with the configured connections (each custom provider also gets a
/// connection of its own name) and the tools remote MCP connections' servers listed.
pub(crate) async fn build_registry(
    config: &Config,
    store: &Store,
    remote_tools: &crate::catalog::remote_tools::DiscoveredTools,
) -> Result<Registry> {
    registry_from(config, StoredCatalog::load(store).await?, &remote_tools.snapshot())
}

/// The registry of `config` with these stored rows (the config file's connections win a name
/// they share with a connection made through the API), and these remote MCP discoveries.
fn registry_from(
    config: &Config,
    stored: StoredCatalog,
    discovered: &HashMap<String, Arc<crate::catalog::remote_tools::Discovery>>,
) -> Result<Registry> {
    let StoredCatalog { custom_providers, connections: stored_connections, installed_connectors } = stored;
    let mut catalog = Catalog::built_in()?;
    let mut connector_sources: HashMap<String, ConnectorSource> =
        catalog.connectors().map(|c| (c.slug.clone(), ConnectorSource::BuiltIn)).collect();
    if let Some(dir) = &config.server.connectors_dir {
        catalog.add_dir(dir)?;
    }
    let mut mark_new = |catalog: &Catalog, source: ConnectorSource| {
        for c in catalog.connectors() {
            connector_sources.entry(c.slug.clone()).or_insert(source);
        }
    };
    mark_new(&catalog, ConnectorSource::File);
    for installed in installed_connectors {
        catalog.add_file(&format!("installed connector {}", installed.slug), &installed.connector)?;
    }
    mark_new(&catalog, ConnectorSource::Installed);
    let mut connections: HashMap<String, Arc<ConnectionConfig>> =
        config.connections.iter().map(|c| (c.name.clone(), Arc::new(c.clone()))).collect();
    let mut sources: HashMap<String, ConnectionSource> =
        connections.keys().map(|name| (name.clone(), ConnectionSource::Config)).collect();
    for stored in stored_connections {
        if !connections.contains_key(&stored.name) {
            sources.insert(stored.name.clone(), ConnectionSource::Api);
            connections.insert(stored.name.clone(), Arc::new(stored));
        }
    }
    for provider in custom_providers {
        let def = crate::catalog::custom_providers::connector_def(&provider)?;
        if !connections.contains_key(&def.slug) {
            sources.insert(def.slug.clone(), ConnectionSource::CustomProvider);
            connections.insert(def.slug.clone(), Arc::new(ConnectionConfig::for_connector(&def.slug)));
        }
        catalog.add_connector(&format!("custom provider {}", provider.identifier), def)?;
    }
    mark_new(&catalog, ConnectorSource::CustomProvider);
    for c in connections.values() {
        if catalog.connector(&c.connector).is_none() {
            return Err(Error::invalid_field(
                "connections.connector",
                format!("connection {:?}: unknown connector {:?}", c.name, c.connector),
            ));
        }
    }
    add_discovered_tools(&mut catalog, &connections, discovered);
    Ok(Registry { catalog, connections, sources, connector_sources })
}

/// Each remote MCP connection's last discovered tools, when they were read from the server the
/// connection points at now (in name order, so a clash always keeps the same tool).
fn add_discovered_tools(
    catalog: &mut Catalog,
    connections: &HashMap<String, Arc<ConnectionConfig>>,
    discovered: &HashMap<String, Arc<crate::catalog::remote_tools::Discovery>>,
) {
    let mut names: Vec<&String> = discovered.keys().collect();
    names.sort();
    for name in names {
        let (Some(connection), Some(discovery)) = (connections.get(name), discovered.get(name)) else { continue };
        let Some(connector) = catalog.connector(&connection.connector).cloned() else { continue };
        let Some(mcp) = &connector.mcp else { continue };
        let url = connection.base_url.as_deref().unwrap_or(&mcp.url);
        if discovery.connector == connector.slug && discovery.url == url {
            catalog.add_remote_tools(&connector, &discovery.tools);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::templated_value;

    /// An account's templated API base (Salesforce's instance URL, Pipedrive's API domain)
    /// receives its credential: https, or http on this machine only.
    #[test]
    fn a_templated_base_url_is_https_off_this_machine() {
        assert!(templated_value("", "api_domain", "https://acme.pipedrive.com").is_ok());
        assert!(templated_value("", "instance_url", "http://127.0.0.1:8080").is_ok());
        let err = templated_value("", "api_domain", "http://acme.pipedrive.com").unwrap_err();
        assert_eq!(err.field(), Some("api_config.api_domain"));
        assert!(err.message().contains("https"), "{}", err.message());
    }
}
