//! Shared state, the router and server start-up.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::routing::{any, get, post};
use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use agentkit_core::{Error, ErrorKind, Result};

use crate::config::{Config, ConnectionConfig};
use crate::connectors::{Catalog, ConnectorDef};
use crate::store::Store;
use crate::tokens::Signer;

/// The connectors and connections requests see. Replaced whole when connector files are
/// reloaded or a custom provider changes, so each request works on one consistent snapshot.
#[derive(Debug, Default)]
pub struct Registry {
    pub catalog: Catalog,
    pub connections: HashMap<String, Arc<ConnectionConfig>>,
}

impl Registry {
    /// A configured connection by name, or 404 naming it.
    pub fn connection(&self, name: &str) -> Result<Arc<ConnectionConfig>> {
        self.connections.get(name).cloned().ok_or_else(|| {
            Error::not_found(format!("connection {name:?} not found: configure it in the gateway's config file"))
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

/// Everything a request handler needs; built once at start-up.
pub struct AppState {
    pub config: Config,
    pub store: Store,
    registry: std::sync::RwLock<Arc<Registry>>,
    reloading: tokio::sync::Mutex<()>,
    pub signer: Signer,
    pub public_url: String,
    /// client_id → the API client's settings (secret hash, permissions).
    pub api_clients: HashMap<String, crate::config::ApiClientConfig>,
    pub refresher: crate::refresh::Refresher,
    pub mcp_sessions: crate::mcp_server::Sessions,
    pub sql_pools: crate::sql::SqlPools,
    pub rate_limiter: crate::limits::RateLimiter,
    /// The only way out to providers: every outbound connection is checked by its policy.
    pub egress: crate::egress::Egress,
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
        let registry = Arc::new(build_registry(&self.config, &self.store).await?);
        *self.registry.write().unwrap_or_else(|p| p.into_inner()) = registry.clone();
        tracing::info!(
            connectors = registry.catalog.connectors().count(),
            tools = registry.catalog.tools().count(),
            "connectors reloaded"
        );
        Ok(registry)
    }

    /// Creates or replaces a custom provider: the registry it yields is built and checked in
    /// memory, then the row is saved and the registry swapped, all under the rebuild lock.
    pub async fn replace_custom_provider(
        &self,
        provider: &agentkit_core::model::Provider,
        replace: bool,
    ) -> Result<()> {
        let _one_at_a_time = self.reloading.lock().await;
        let mut providers = self.store.custom_providers().await?;
        providers.retain(|p| p.identifier != provider.identifier);
        providers.push(provider.clone());
        let registry = Arc::new(registry_from(&self.config, providers)?);
        self.store.save_custom_provider(provider, replace).await?;
        *self.registry.write().unwrap_or_else(|p| p.into_inner()) = registry;
        Ok(())
    }

    /// A configured connection by name, or 404 naming it.
    pub fn connection(&self, name: &str) -> Result<Arc<ConnectionConfig>> {
        self.registry().connection(name)
    }

    /// The OAuth app of a connection (connector endpoints with the connection's overrides).
    pub fn oauth_app(&self, connection: &ConnectionConfig) -> Result<crate::oauth::OAuthApp> {
        let connector = self.registry().connector_of(connection)?;
        crate::oauth::OAuthApp::new(&connector.auth, connection, self.egress.clone())
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
        caller: &crate::api::Caller,
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
            caller.require_credential_routing(&format!("change api_config.{field} (where the credential is sent)"))?;
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

    /// API base URL for a connection: its override, else the connector's default.
    pub fn base_url(&self, connection: &ConnectionConfig) -> Result<String> {
        if let Some(url) = &connection.base_url {
            return Ok(url.clone());
        }
        Ok(self.registry().connector_of(connection)?.base_url.clone())
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

pub fn router(state: SharedState) -> Router {
    use crate::api::{accounts, auth, links, mcp, providers, proxy, tools};
    use crate::mcp_server;
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/oauth/token", post(auth::issue_token))
        .route("/api/v1/connected_accounts", post(accounts::create).put(accounts::update).get(accounts::list))
        .route("/api/v1/connected_accounts:delete", post(accounts::delete))
        .route("/api/v1/connected_accounts/auth", get(accounts::get_auth))
        .route("/api/v1/connected_accounts/details", get(accounts::get_details))
        .route("/api/v1/connected_accounts/magic_link", post(links::create_magic_link))
        .route("/api/v1/connected_accounts/user/verify", post(links::verify_user))
        .route("/api/v1/tools", get(tools::list))
        .route("/api/v1/tools/scoped", get(tools::list_scoped))
        .route("/api/v1/tools/available", get(tools::list_available))
        .route("/api/v1/execute_tool", post(tools::execute))
        .route("/api/v1/executions", get(tools::recent_executions))
        .route("/api/v1/mcp/configs", post(mcp::create_config).get(mcp::list_configs))
        .route("/api/v1/mcp/configs/{id}", get(mcp::get_config).put(mcp::update_config).delete(mcp::delete_config))
        .route("/api/v1/mcp/configs/{id}/connected_accounts", post(mcp::config_connected_accounts))
        .route("/api/v1/mcp/configs/{id}/tokens", post(mcp::create_session_token))
        .route("/api/v1/mcp/instances", post(mcp::ensure_instance).get(mcp::list_instances))
        .route(
            "/api/v1/mcp/instances/{id}",
            get(mcp::get_instance).patch(mcp::update_instance).delete(mcp::delete_instance).post(mcp::instance_action),
        )
        .route("/api/v1/providers", get(providers::list))
        .route("/api/v1/custom-providers", post(providers::create))
        .route("/api/v1/custom-providers/{identifier}", axum::routing::put(providers::update).delete(providers::delete))
        .route("/api/v1/connectors:reload", post(reload_connectors))
        .route("/proxy/{*path}", any(proxy::forward))
        .route(
            "/mcp/v1/configs/{id}",
            get(mcp_server::config_get).post(mcp_server::config_post).delete(mcp_server::config_delete),
        )
        .route("/mcp/v1/configs/{id}/messages", post(mcp_server::config_messages))
        .route(
            "/mcp/v1/{key}",
            get(mcp_server::instance_get).post(mcp_server::instance_post).delete(mcp_server::instance_delete),
        )
        .route("/mcp/v1/{key}/sse", get(mcp_server::instance_get))
        .route("/mcp/v1/{key}/messages", post(mcp_server::instance_messages))
        .route("/connect/complete", get(links::completed))
        .route("/connect/{token}", get(links::open_link))
        .route("/oauth/callback", get(links::oauth_callback))
        .fallback(|| async { crate::api::ApiError(Error::not_found("no such endpoint")) })
        .with_state(state)
}

/// Re-reads the connector directory (and custom providers) without a restart; a broken file is
/// a 400 naming it, and the running catalog stays as it was.
async fn reload_connectors(
    axum::extract::State(state): axum::extract::State<SharedState>,
    _caller: crate::api::Caller,
) -> crate::api::ApiResult<axum::Json<serde_json::Value>> {
    let registry = state.reload_registry().await?;
    let (connectors, tools) = (registry.catalog.connectors().count(), registry.catalog.tools().count());
    Ok(axum::Json(serde_json::json!({"connectors": connectors, "tools": tools})))
}

/// A started gateway: its address and the task serving it.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub public_url: String,
    pub task: JoinHandle<()>,
    pub state: SharedState,
}

/// Loads the catalog, opens the database and starts serving on `config.server.listen`.
pub async fn start(config: Config) -> Result<RunningServer> {
    std::fs::create_dir_all(&config.server.data_dir).map_err(|e| {
        Error::invalid_field(
            "server.data_dir",
            format!("cannot create data dir {}: {e}", config.server.data_dir.display()),
        )
    })?;
    let vault = Arc::new(crate::vault::Vault::open(&config.server.data_dir)?);
    let store = Store::open(&config.database_url(), vault).await?;
    let registry = build_registry(&config, &store).await?;
    let signer = Signer::new(signing_key(&config)?);
    restrict_data_dir(&config.server.data_dir);
    let listener = TcpListener::bind(config.server.listen)
        .await
        .map_err(|e| Error::new(ErrorKind::Server, format!("cannot listen on {}: {e}", config.server.listen)))?;
    let addr = listener.local_addr().map_err(|e| Error::new(ErrorKind::Server, e.to_string()))?;
    let public_url = config.public_url(addr);
    let egress = crate::egress::Egress::new(crate::egress::EgressPolicy::new(&config.egress)?.with_own_address(addr))?;
    let api_clients = config
        .api_clients
        .iter()
        .map(|c| {
            let mut hashed = c.clone();
            // Keep only the hash in memory.
            hashed.client_secret_sha256 = Some(c.secret_hash()?);
            hashed.client_secret = None;
            Ok((c.client_id.clone(), hashed))
        })
        .collect::<Result<HashMap<_, _>>>()?;
    let state = Arc::new(AppState {
        config,
        store,
        registry: std::sync::RwLock::new(Arc::new(registry)),
        reloading: Default::default(),
        signer,
        public_url: public_url.clone(),
        api_clients,
        refresher: Default::default(),
        mcp_sessions: Default::default(),
        sql_pools: Default::default(),
        rate_limiter: Default::default(),
        egress,
    });
    let app = router(state.clone());
    let server = &state.config.server;
    let limits = crate::listener::ListenerLimits {
        max_connections: server.max_connections,
        header_read_timeout: std::time::Duration::from_secs(server.header_read_timeout_secs.max(1)),
        request_body_timeout: std::time::Duration::from_secs(server.request_body_timeout_secs.max(1)),
    };
    if let Some(files) = crate::listener::raise_open_file_limit() {
        if (files as usize) < limits.max_connections.saturating_add(256) {
            tracing::warn!(
                open_files = files,
                max_connections = limits.max_connections,
                "the open-file limit is below max_connections + 256"
            );
        }
    }
    let task = tokio::spawn(crate::listener::serve(listener, app, limits));
    tokio::spawn(retention_loop(Arc::downgrade(&state)));
    Ok(RunningServer { addr, public_url, task, state })
}

/// How often old execution records and authorization requests are deleted.
const RETENTION_INTERVAL: std::time::Duration = std::time::Duration::from_secs(3600);

/// Deletes what the retention settings no longer keep; returns (executions, auth requests).
pub async fn apply_retention(state: &AppState) -> Result<(u64, u64)> {
    let server = &state.config.server;
    let now = chrono::Utc::now();
    let before = |span: Option<chrono::Duration>| span.and_then(|d| now.checked_sub_signed(d));
    let executions = (server.execution_retention_days > 0)
        .then(|| chrono::Duration::days(i64::from(server.execution_retention_days)));
    let auth_requests = (server.auth_request_retention_hours > 0)
        .then(|| chrono::Duration::hours(i64::from(server.auth_request_retention_hours)));
    state.store.prune(before(executions), before(auth_requests)).await
}

/// Runs [`apply_retention`] at start and every hour, for as long as the gateway lives.
async fn retention_loop(state: std::sync::Weak<AppState>) {
    loop {
        let Some(live) = state.upgrade() else { return };
        match apply_retention(&live).await {
            Ok((0, 0)) => {}
            Ok((executions, auth_requests)) => tracing::info!(executions, auth_requests, "old records deleted"),
            Err(e) => tracing::warn!(error = %e.message(), "retention sweep failed"),
        }
        drop(live);
        tokio::time::sleep(RETENTION_INTERVAL).await;
    }
}

/// Built-in connectors, the connector directory's files and the stored custom providers, with the
/// configured connections (each custom provider also gets a connection of its own name).
async fn build_registry(config: &Config, store: &Store) -> Result<Registry> {
    registry_from(config, store.custom_providers().await?)
}

/// The registry of `config` with these custom providers.
fn registry_from(config: &Config, custom_providers: Vec<agentkit_core::model::Provider>) -> Result<Registry> {
    let mut catalog = Catalog::built_in()?;
    if let Some(dir) = &config.server.connectors_dir {
        catalog.add_dir(dir)?;
    }
    let mut connections: HashMap<String, Arc<ConnectionConfig>> =
        config.connections.iter().map(|c| (c.name.clone(), Arc::new(c.clone()))).collect();
    for provider in custom_providers {
        let def = crate::custom_providers::connector_def(&provider)?;
        connections.entry(def.slug.clone()).or_insert_with(|| Arc::new(ConnectionConfig::for_connector(&def.slug)));
        catalog.add_connector(&format!("custom provider {}", provider.identifier), def)?;
    }
    for c in connections.values() {
        if catalog.connector(&c.connector).is_none() {
            return Err(Error::invalid_field(
                "connections.connector",
                format!("connection {:?}: unknown connector {:?}", c.name, c.connector),
            ));
        }
    }
    Ok(Registry { catalog, connections })
}

/// The data dir holds keys, sealed credentials and identifiers: only the gateway's user may read
/// it (0700, files 0600). SQLite's WAL and shared-memory files take the database file's mode.
fn restrict_data_dir(dir: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let set = |path: &std::path::Path, mode: u32| {
            if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)) {
                tracing::warn!(path = %path.display(), error = %e, "cannot restrict permissions");
            }
        };
        set(dir, 0o700);
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if entry.file_type().is_ok_and(|t| t.is_file()) {
                set(&entry.path(), 0o600);
            }
        }
    }
}

/// The HMAC key for tokens and links: `AGENTKIT_SIGNING_KEY`, else a key generated once and kept
/// in the data dir (so restarts keep issued tokens valid).
fn signing_key(config: &Config) -> Result<Vec<u8>> {
    if let Ok(key) = std::env::var("AGENTKIT_SIGNING_KEY") {
        if key.len() < 32 {
            return Err(Error::invalid_field(
                "AGENTKIT_SIGNING_KEY",
                "AGENTKIT_SIGNING_KEY must have at least 32 characters",
            ));
        }
        return Ok(key.into_bytes());
    }
    let path = config.server.data_dir.join("signing.key");
    if let Ok(existing) = std::fs::read(&path) {
        if existing.len() >= 32 {
            return Ok(existing);
        }
    }
    let key: Vec<u8> = (0..48).map(|_| rand::random::<u8>()).collect();
    std::fs::write(&path, &key)
        .map_err(|e| Error::new(ErrorKind::Server, format!("cannot write {}: {e}", path.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
    }
    Ok(key)
}
