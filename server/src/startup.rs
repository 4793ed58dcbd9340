//! Starting a gateway: the data dir, the vault and store, the registry, the listener, and the
//! background retention sweep.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use agentkit_core::{Error, ErrorKind, Result};

use crate::config::Config;
use crate::credentials::tokens::Signer;
use crate::state::{build_registry, AppState, SharedState};
use crate::store::Store;

/// A started gateway: its address and the task serving it.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub public_url: String,
    pub task: JoinHandle<()>,
    pub state: SharedState,
    /// Where `/metrics` is served, when `[metrics] listen` is set.
    pub metrics_addr: Option<SocketAddr>,
    /// Where the console is served, when `[console] listen` is set.
    pub console_addr: Option<SocketAddr>,
    stop: tokio::sync::watch::Sender<bool>,
    /// The legacy SSE streams of the MCP routes, ended first when stopping.
    mcp_sessions: crate::mcp::sessions::Sessions,
}

impl RunningServer {
    /// Stops gracefully: legacy SSE streams get a last event and end, no new connection is
    /// taken, requests in flight finish (within `server.shutdown_drain_secs`), then the queued
    /// bookkeeping is committed.
    pub async fn shutdown(self) {
        self.mcp_sessions.close_streams();
        let _ = self.stop.send(true);
        let _ = self.task.await;
        let _ = self.state.store.bookkeeping.flush().await;
    }
}

/// Loads the catalog, opens the database and starts serving on `config.server.listen`.
pub async fn start(config: Config) -> Result<RunningServer> {
    if let Some(mcp_oauth) = &config.mcp_oauth {
        mcp_oauth.check()?;
    }
    if let Some(url) = &config.server.user_verify_url {
        crate::domain::links::check_user_verify_url(&config.server.user_verify_hosts, url)
            .map_err(|e| Error::invalid_field("server.user_verify_url", format!("server.{}", e.message())))?;
    }
    // Keys, the database and its journals are created private, with no window before a chmod.
    crate::private_files::restrict_new_files();
    crate::private_files::create_private_dir(&config.server.data_dir).map_err(|e| {
        Error::invalid_field(
            "server.data_dir",
            format!("cannot create data dir {}: {e}", config.server.data_dir.display()),
        )
    })?;
    let vault = Arc::new(crate::store::vault::Vault::open(&config.vault_key_file())?);
    let store = Store::open(&config.database_url(), vault, crate::store::StoreSettings::from_config(&config)).await?;
    let remote_tools = Arc::new(crate::catalog::remote_tools::DiscoveredTools::default());
    let registry = build_registry(&config, &store, &remote_tools).await?;
    for problem in config.problems(&|slug| registry.catalog.is_oauth(slug)) {
        if problem.refuse {
            return Err(Error::invalid_field("config", problem.message));
        }
        tracing::warn!("configuration: {}", problem.message);
    }
    let signer = Signer::new(signing_key(&config)?);
    restrict_data_dir(&config.server.data_dir);
    let listener = TcpListener::bind(config.server.listen)
        .await
        .map_err(|e| Error::new(ErrorKind::Server, format!("cannot listen on {}: {e}", config.server.listen)))?;
    let addr = listener.local_addr().map_err(|e| Error::new(ErrorKind::Server, e.to_string()))?;
    let public_url = config.public_url(addr);
    // Bound now, so that egress counts it among the gateway's own addresses.
    let metrics_listener =
        match config.metrics.listen {
            Some(metrics_listen) => Some(tokio::net::TcpListener::bind(metrics_listen).await.map_err(|e| {
                Error::invalid_field("metrics.listen", format!("cannot listen on {metrics_listen}: {e}"))
            })?),
            None => None,
        };
    let metrics_addr = metrics_listener.as_ref().and_then(|l| l.local_addr().ok());
    let console_listener =
        match config.console.listen.filter(|_| config.console.enabled) {
            Some(console_listen) => Some(TcpListener::bind(console_listen).await.map_err(|e| {
                Error::invalid_field("console.listen", format!("cannot listen on {console_listen}: {e}"))
            })?),
            None => None,
        };
    let console_addr = console_listener.as_ref().and_then(|l| l.local_addr().ok());
    let console_url = match (console_addr, &config.console.public_url) {
        (Some(_), Some(url)) => url.trim_end_matches('/').to_string(),
        (Some(bound), None) => format!("http://{bound}"),
        (None, _) => public_url.clone(),
    };
    let own_addresses = |policy: crate::egress::EgressPolicy| {
        let policy = policy.with_own_address(addr);
        let policy = match metrics_addr {
            Some(metrics) => policy.with_own_address(metrics),
            None => policy,
        };
        match console_addr {
            Some(console) => policy.with_own_address(console),
            None => policy,
        }
    };
    let egress = crate::egress::Egress::new(own_addresses(crate::egress::EgressPolicy::new(&config.egress)?))?;
    let api_clients = config
        .api_clients
        .iter()
        .map(|c| {
            let grants = crate::permissions::Grants::from_config(c.scopes.as_deref(), c.read_credentials)?;
            let secret_sha256 = c.secret_hash()?;
            let client = crate::state::ApiClient { secret_sha256, grants, configured: true, secret_rotated_at: None };
            Ok((c.client_id.clone(), client))
        })
        .collect::<Result<HashMap<_, _>>>()?;
    let api_clients = crate::credentials::api_clients::ApiClients::new(api_clients);
    api_clients.reload(&store).await?;
    let rate_limiter = match store.engine {
        crate::store::Engine::Postgres => crate::execution::limits::RateLimiter::shared(store.clone()),
        crate::store::Engine::Sqlite => Default::default(),
    };
    let webhooks = {
        // Receivers go through the egress policy, loopback added when the config allows it.
        let mut allow = config.egress.allow.clone();
        if config.webhooks.allow_loopback {
            allow.push("127.0.0.1".into());
        }
        let policy = own_addresses(crate::egress::EgressPolicy::new(&crate::egress::EgressConfig { allow })?);
        for (n, endpoint) in config.webhooks.endpoints.iter().enumerate() {
            crate::webhooks::check_events(&endpoint.events, &format!("webhooks.endpoints[{n}].events"))?;
        }
        Arc::new(crate::webhooks::Webhooks::new(
            config.webhooks.clone(),
            store.clone(),
            crate::egress::Egress::new(policy)?,
        ))
    };
    let failed_logins_per_minute = config.server.failed_logins_per_minute;
    let pushes_per_minute = config.triggers.pushes_per_minute;
    let audited_refusals_per_minute = config.triggers.audited_refusals_per_minute;
    let mcp_oauth = crate::domain::mcp_oauth_guards::Guards::new(config.mcp_oauth.as_ref(), own_addresses)?;
    let state = Arc::new(AppState {
        config,
        store,
        registry: std::sync::RwLock::new(Arc::new(registry)),
        reloading: Default::default(),
        signer,
        public_url: public_url.clone(),
        console_url,
        api_clients,
        refresher: Default::default(),
        sql_pools: Default::default(),
        key_pairs: Default::default(),
        rate_limiter,
        egress,
        webhooks,
        failed_logins: crate::throttle::Throttle::new(failed_logins_per_minute, std::time::Duration::from_secs(60)),
        console_sign_ins: crate::throttle::Throttle::new(failed_logins_per_minute, std::time::Duration::from_secs(60)),
        trigger_pushes: crate::throttle::Throttle::new(pushes_per_minute, std::time::Duration::from_secs(60)),
        trigger_push_refusals: crate::throttle::Throttle::new(
            audited_refusals_per_minute,
            std::time::Duration::from_secs(60),
        ),
        password_checks: tokio::sync::Semaphore::new(
            std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get),
        ),
        mcp_oauth,
        oidc_discovery: Default::default(),
        remote_tools,
        remote_sessions: Default::default(),
    });
    let mcp_sessions = crate::mcp::sessions::Sessions::default();
    let app = crate::router::router(state.clone(), mcp_sessions.clone());
    let server = &state.config.server;
    let limits = crate::listener::ListenerLimits {
        max_connections: server.max_connections,
        max_connections_per_ip: server.max_connections_per_ip,
        idle_timeout: std::time::Duration::from_secs(server.idle_timeout_secs.max(1)),
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
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let drain = std::time::Duration::from_secs(server.shutdown_drain_secs);
    if let Some(metrics_listener) = metrics_listener {
        crate::telemetry::metrics::install();
        let store = state.store.clone();
        let count_accounts: crate::telemetry::scrape::AccountCounter = Arc::new(move || {
            let store = store.clone();
            Box::pin(async move {
                store
                    .count_accounts_by_status()
                    .await
                    .inspect_err(
                        |e| tracing::warn!(error = %e.message(), "cannot count connected accounts for /metrics"),
                    )
                    .ok()
            })
        });
        tokio::spawn(crate::telemetry::scrape::serve(metrics_listener, count_accounts, stopped.clone()));
    }
    if let Some(console_listener) = console_listener {
        let console = crate::router::console_router(state.clone());
        tokio::spawn(crate::listener::serve(console_listener, console, limits, stopped.clone(), drain));
    }
    let task = tokio::spawn(crate::listener::serve(listener, app, limits, stopped, drain));
    tokio::spawn(retention_loop(Arc::downgrade(&state)));
    tokio::spawn(keep_api_clients_current(Arc::downgrade(&state)));
    tokio::spawn(reload_on_catalog_change(Arc::downgrade(&state)));
    tokio::spawn(crate::domain::remote_mcp::run_discovery_loop(Arc::downgrade(&state)));
    tokio::spawn(crate::webhooks::run_worker(Arc::downgrade(&state.webhooks)));
    tokio::spawn(crate::domain::trigger_poller::run_poller(Arc::downgrade(&state)));
    Ok(RunningServer { addr, public_url, task, state, stop, metrics_addr, console_addr, mcp_sessions })
}

/// How often old execution records and authorization requests are deleted.
const RETENTION_INTERVAL: std::time::Duration = std::time::Duration::from_secs(3600);

/// Deletes what the retention settings no longer keep; returns (executions, auth requests)
/// (audit events are counted in the log line of the sweep).
pub async fn apply_retention(state: &AppState) -> Result<(u64, u64)> {
    let retention = &state.config.retention;
    let now = chrono::Utc::now();
    let before = |span: Option<chrono::Duration>| span.and_then(|d| now.checked_sub_signed(d));
    let executions =
        (retention.execution_days > 0).then(|| chrono::Duration::days(i64::from(retention.execution_days)));
    let auth_requests =
        (retention.auth_request_hours > 0).then(|| chrono::Duration::hours(i64::from(retention.auth_request_hours)));
    let mut deleted = (0, 0);
    if let Some(cutoff) = before(executions) {
        deleted.0 = state.store.delete_executions_before(cutoff).await?;
    }
    if let Some(cutoff) = before(auth_requests) {
        deleted.1 = state.store.delete_auth_requests_expired_before(cutoff).await?;
    }
    let audit = (retention.audit_days > 0).then(|| chrono::Duration::days(i64::from(retention.audit_days)));
    if let Some(cutoff) = before(audit) {
        let swept = state.store.delete_audit_before(cutoff).await?;
        if swept > 0 {
            tracing::info!(audit_events = swept, "old audit events deleted");
        }
    }
    let unconsented = state.config.mcp_oauth.as_ref().map(|o| o.unconsented_client_ttl_hours).unwrap_or(0);
    if let Some(cutoff) = before((unconsented > 0).then(|| chrono::Duration::hours(i64::from(unconsented)))) {
        state.store.delete_unconsented_mcp_oauth_clients(cutoff).await?;
    }
    // A provider's delivery id is remembered a week (GitHub signs no time: a replay older
    // than that is only as good as its content); delivery attempts are kept a month.
    if let Some(cutoff) = before(Some(chrono::Duration::days(7))) {
        state.store.delete_trigger_receipts_before(cutoff).await?;
    }
    if let Some(cutoff) = before(Some(chrono::Duration::days(30))) {
        state.store.delete_delivery_attempts_before(cutoff).await?;
    }
    state.store.delete_idle_mcp_sessions(crate::mcp::sessions::SESSION_IDLE_TTL).await?;
    state.store.delete_full_rate_limit_buckets().await?;
    Ok(deleted)
}

/// Keeps the stored API clients current: on every change another replica announces, and every
/// [`crate::credentials::api_clients::REFRESH`] as a backstop for a missed announcement.
async fn keep_api_clients_current(state: std::sync::Weak<AppState>) {
    let Some(mut changes) = state.upgrade().map(|s| s.store.api_client_changes()) else { return };
    loop {
        let _ = tokio::time::timeout(crate::credentials::api_clients::REFRESH, changes.recv()).await;
        let Some(live) = state.upgrade() else { return };
        if let Err(e) = live.api_clients.reload(&live.store).await {
            tracing::warn!(error = %e.message(), "rereading API clients failed; the current ones stay");
        }
    }
}

/// Rebuilds the registry when any replica changed the catalog (custom providers), so a provider
/// created on one replica is callable on the others within moments.
async fn reload_on_catalog_change(state: std::sync::Weak<AppState>) {
    let Some(mut changes) = state.upgrade().map(|s| s.store.catalog_changes()) else { return };
    loop {
        match changes.recv().await {
            Ok(()) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                let Some(live) = state.upgrade() else { return };
                if let Err(e) = live.reload_registry().await {
                    tracing::warn!(error = %e.message(), "catalog reload after a change failed; the current one stays");
                }
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        }
    }
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
        if let Err(e) = live.store.optimize().await {
            tracing::warn!(error = %e.message(), "PRAGMA optimize failed");
        }
        drop(live);
        tokio::time::sleep(RETENTION_INTERVAL).await;
    }
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
    crate::private_files::write_private_file(&path, &key)
        .map_err(|e| Error::new(ErrorKind::Server, format!("cannot write {}: {e}", path.display())))?;
    Ok(key)
}
