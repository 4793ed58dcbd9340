//! Persistence through sqlx on either engine: SQLite (WAL, the embedded default) or PostgreSQL
//! (`postgres://…`, for several replicas on one database). One `Store`, one file per table;
//! this file opens the database and holds what every table shares (errors, timestamps, sealing
//! credentials). Statements are written once for both engines: `$n` placeholders, standard SQL
//! (`ON CONFLICT`, `RETURNING`, `IS NOT DISTINCT FROM`); each engine has its own migrations,
//! side by side in `server/migrations/{sqlite,postgres}/`.

use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

use agentkit_core::model::AuthorizationDetails;
use agentkit_core::{Error, ErrorKind, Result};

use account_cache::AccountCache;
use mcp_cache::McpCache;
use vault::Vault;

mod account_cache;
mod accounts;
mod api_clients;
mod audit;
mod auth_requests;
pub mod bookkeeping;
mod changes;
mod connections;
mod custom_providers;
mod executions;
mod installed_connectors;
pub mod libpq_env;
pub mod mcp;
mod mcp_cache;
mod mcp_oauth;
mod mcp_sessions;
mod operators;
mod rate_limits;
pub mod sealed;
mod trigger_ingress;
mod triggers;
mod upstream_oauth;
pub mod vault;
mod webhooks;

pub use accounts::{AccountFilter, AccountListPage, AccountPage, AccountRecord};
pub use api_clients::StoredApiClient;
pub use audit::{AuditFilter, AuditRecord};
pub use auth_requests::{AuthRequest, AuthRequestStatus};
pub use bookkeeping::{Bookkeeper, BookkeepingSettings};
pub use executions::{ExecutionRecord, ExecutionStatus};
pub use installed_connectors::InstalledConnector;
pub use mcp_oauth::{AuthorizationCode, OAuthGrant, RefreshTokenUse};
pub use operators::{ConsoleSession, Operator};
pub use rate_limits::SlotAnswer;
pub use trigger_ingress::StoredIngress;
pub use triggers::{PollOutcome, StoredSubscription};
pub use upstream_oauth::UpstreamOAuthRow;
pub use webhooks::{DeliveryAttempt, DeliveryOutcome, StoredWebhookEndpoint, WebhookDelivery};

/// The database plus the vault that seals every credential before it is written.
///
/// Reads go through `pool`; every write through `writer`, a single connection, so writers never
/// contend for SQLite's one write lock. Bookkeeping is batched by [`Bookkeeper`].
#[derive(Clone)]
pub struct Store {
    pub engine: Engine,
    pub(crate) pool: AnyPool,
    pub(crate) writer: AnyPool,
    /// PostgreSQL only: connections that hold refresh locks (kept apart so lock holders never
    /// starve the queries they wait for).
    locks: Option<AnyPool>,
    /// Fires when another replica changed the catalog (custom providers).
    catalog_changes: tokio::sync::broadcast::Sender<()>,
    /// Fires when another replica created, rotated or revoked an API client.
    api_client_changes: tokio::sync::broadcast::Sender<()>,
    /// This process's id in change notifications (it skips its own).
    replica: Arc<str>,
    pub(crate) vault: Arc<Vault>,
    pub bookkeeping: Bookkeeper,
    pub(crate) accounts_cache: Arc<AccountCache>,
    /// MCP URLs' instances, configs and live sessions (sized and timed as the account cache).
    pub(crate) mcp_cache: Arc<McpCache>,
    /// A tool call is answered only once its execution record is committed.
    durable_execution_records: bool,
    /// When a statement last failed because the store could not take it (a full disk, an I/O
    /// fault, an unreachable database).
    last_storage_failure: Arc<std::sync::Mutex<Option<std::time::Instant>>>,
    /// The last write probe of `/readyz` and when it ran.
    write_probe: Arc<tokio::sync::Mutex<Option<WriteProbe>>>,
}

/// A write probe's answer and when it was taken.
type WriteProbe = (std::time::Instant, std::result::Result<(), String>);

/// What a change reports, committed in the change's own transaction so that a report never
/// outlives the change nor goes missing after it: its audit rows and the webhook deliveries of
/// its events.
#[derive(Debug, Default)]
pub struct ChangeRecords {
    pub audit: Vec<AuditRecord>,
    pub deliveries: Vec<WebhookDelivery>,
}

/// What a change that did not happen reports: nothing.
static NO_RECORDS: ChangeRecords = ChangeRecords { audit: Vec::new(), deliveries: Vec::new() };

impl ChangeRecords {
    /// These records when the change happened (`done`), none otherwise.
    pub(crate) fn when(&self, done: bool) -> &ChangeRecords {
        if done {
            self
        } else {
            &NO_RECORDS
        }
    }

    /// A change reported by its audit row alone.
    pub fn audited(row: AuditRecord) -> ChangeRecords {
        ChangeRecords { audit: vec![row], deliveries: Vec::new() }
    }

    /// Writes the records inside `tx`, the transaction of the change.
    async fn write(&self, tx: &mut sqlx::Transaction<'_, sqlx::Any>) -> std::result::Result<(), sqlx::Error> {
        for record in &self.audit {
            audit::insert_audit(&mut **tx, record).await?;
        }
        webhooks::insert_deliveries(tx, &self.deliveries).await
    }
}

/// The database engine behind the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    fn of(url: &str) -> Result<Engine> {
        if url.starts_with("sqlite:") {
            Ok(Engine::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Engine::Postgres)
        } else {
            Err(Error::invalid_field("database_url", "database_url must start with sqlite: or postgres://"))
        }
    }
}

/// The engine's migrations, compiled in.
pub fn migrator(engine: Engine) -> sqlx::migrate::Migrator {
    match engine {
        Engine::Sqlite => sqlx::migrate!("./migrations/sqlite"),
        Engine::Postgres => sqlx::migrate!("./migrations/postgres"),
    }
}

/// The SQLite settings every connection gets: WAL, every commit synced (`FULL`), foreign keys,
/// and a wait rather than an error when another connection holds the write lock.
const SQLITE_PRAGMAS: [&str; 4] = [
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA busy_timeout = 5000",
];

/// How long a request waits for a query connection before it is answered 503: a stopped
/// PostgreSQL fails requests well before sqlx's default 30 s, while a busy pool under load still
/// gets its turn. (Refresh-lock connections keep waiting: a refresh queued behind another
/// replica's lock holds one by design.)
const ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// How long `/readyz` waits for the database; it answers within about a second either way.
const READINESS_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(900);

/// How long one write probe of `/readyz` is reused (it costs a commit: an fsync on SQLite).
const WRITE_PROBE_TTL: std::time::Duration = std::time::Duration::from_secs(1);

/// The after-release check of SQLite connections: one left inside a transaction (a commit or
/// rollback that failed, say on a full disk, leaves sqlx's transaction depth behind) is closed
/// rather than reused — otherwise its next "transaction" is only a savepoint in the stuck one and
/// every later write is acknowledged but never committed. The ping waits for the rollback a
/// dropped transaction queued, so the depth read is the settled one.
async fn keep_unless_in_transaction(conn: &mut sqlx::AnyConnection) -> std::result::Result<bool, sqlx::Error> {
    use sqlx::Connection;
    conn.ping().await?;
    if conn.is_in_transaction() {
        tracing::warn!("a database connection was left inside a failed transaction; it is closed and replaced");
        return Ok(false);
    }
    Ok(true)
}

/// How the store keeps what it may keep in memory (`[database]` and `[bookkeeping]` settings).
#[derive(Debug, Clone, Copy)]
pub struct StoreSettings {
    pub bookkeeping: BookkeepingSettings,
    pub account_cache: AccountCacheSettings,
    /// PostgreSQL: the query-and-write pool's size.
    pub max_connections: u32,
    /// Answer a tool call only once its execution record is committed.
    pub durable_execution_records: bool,
}

impl StoreSettings {
    pub fn from_config(config: &crate::config::Config) -> StoreSettings {
        let (database, bookkeeping) = (&config.database, &config.bookkeeping);
        StoreSettings {
            bookkeeping: BookkeepingSettings {
                queue_capacity: bookkeeping.queue.max(1),
                flush_interval: std::time::Duration::from_millis(bookkeeping.flush_ms),
            },
            account_cache: AccountCacheSettings {
                capacity: database.account_cache_capacity,
                ttl: std::time::Duration::from_millis(database.account_cache_ttl_ms),
            },
            max_connections: database.max_connections.max(1),
            durable_execution_records: bookkeeping.durable_execution_records,
        }
    }
}

/// PostgreSQL: connections one replica keeps for refresh locks. A refresh waiting for another
/// replica's lock holds one, so this bounds how many of one replica's refreshes run at once;
/// small, so that replicas × (pool + this + 1) stays within the server's `max_connections`.
pub const REFRESH_LOCK_CONNECTIONS: u32 = 8;

/// The account cache's bounds: identifiers held, and how long a write made by another process
/// can go unseen.
#[derive(Debug, Clone, Copy)]
pub struct AccountCacheSettings {
    pub capacity: usize,
    pub ttl: std::time::Duration,
}

/// Seconds a client is asked to wait after the database could not take a write.
const RETRY_AFTER_SECS: u64 = 5;

/// A database failure as the error the caller sees: a unique violation is a conflict; a full
/// disk, an I/O fault, a busy or unreachable database is 503 with `Retry-After` (the write was
/// not made; trying again later can work); anything else a 500. Details go to the log only.
pub(crate) fn db_error(e: sqlx::Error) -> Error {
    if let sqlx::Error::Database(db) = &e {
        if db.is_unique_violation() {
            return Error::new(
                ErrorKind::Conflict,
                "a connected account for this connection and identifier already exists",
            );
        }
    }
    if let Some(why) = storage_failure(&e) {
        tracing::error!(error = %e, "database error: {why}");
        return Error::new(ErrorKind::Unavailable, format!("the database {why}; nothing was changed, try again later"))
            .with_retry_after(Some(RETRY_AFTER_SECS));
    }
    tracing::error!(error = %e, "database error");
    Error::new(ErrorKind::Server, "database error").with_source(e)
}

/// Why a database failure means the store cannot take statements right now (not a bad
/// statement, not a conflict), or `None`: the one classification behind [`db_error`]'s 503 and
/// what [`Store::db_error`] remembers for `/readyz`.
fn storage_failure(e: &sqlx::Error) -> Option<&'static str> {
    match e {
        sqlx::Error::Database(db) => failure_of(db.code().as_deref()),
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => {
            Some("cannot be reached")
        }
        _ => None,
    }
}

/// How long after a storage failure `/readyz` keeps answering "not ready".
const STORAGE_FAILURE_MEMORY: std::time::Duration = std::time::Duration::from_secs(10);

/// What a database error code says about the store, when it is a state that passes: SQLite
/// result codes (primary code in the low byte of the extended one) and PostgreSQL SQLSTATEs.
fn failure_of(code: Option<&str>) -> Option<&'static str> {
    let code = code?;
    if let Ok(sqlite) = code.parse::<i32>() {
        return match sqlite & 0xff {
            13 => Some("is out of storage space (disk full)"),
            10 => Some("could not write to its storage (I/O error)"),
            5 | 6 => Some("is busy"),
            _ => None,
        };
    }
    match code {
        "53100" => Some("is out of storage space (disk full)"),
        c if c.starts_with("53") || c.starts_with("08") || c.starts_with("57P") => Some("is unavailable"),
        _ => None,
    }
}

pub(crate) fn ts(v: Option<String>) -> Option<DateTime<Utc>> {
    v.and_then(|s| DateTime::parse_from_rfc3339(&s).ok()).map(|d| d.with_timezone(&Utc))
}

/// Credentials JSON → sealed text bound to the account id.
fn seal_credentials(vault: &Vault, details: &AuthorizationDetails, account_id: &str) -> Result<String> {
    vault.seal(&serde_json::to_vec(details)?, account_id)
}

fn open_credentials(vault: &Vault, sealed: &str, account_id: &str) -> Result<AuthorizationDetails> {
    if !sealed.starts_with("v1.") {
        // Written before the vault existed; `agentkit keys rotate` seals it.
        return Ok(serde_json::from_str(sealed)?);
    }
    Ok(serde_json::from_slice(&vault.open_sealed(sealed, account_id)?)?)
}

impl Store {
    /// Opens (creating if needed) the database, applies migrations and starts the bookkeeping
    /// writer.
    ///
    /// SQLite runs in WAL mode with `synchronous = FULL`: every commit is on disk before it is
    /// acknowledged, power loss included. That costs one fsync per commit, which is why the
    /// per-call bookkeeping is batched rather than the durability lowered.
    pub async fn open(url: &str, vault: Arc<Vault>, settings: StoreSettings) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let engine = Engine::of(url)?;
        // The libpq variables the binary took out of its environment apply here, and only here.
        let with_environment = match engine {
            Engine::Postgres => libpq_env::own_store_url(url),
            Engine::Sqlite => url.to_string(),
        };
        let url = with_environment.as_str();
        let bad_url = |e: sqlx::Error| Error::invalid_field("database_url", format!("bad database_url: {e}"));
        let (writer, pool) = match engine {
            Engine::Sqlite => {
                // Created when missing, unless the URL says otherwise (`?mode=ro`).
                let url = if url.contains("mode=") {
                    url.to_string()
                } else {
                    format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
                };
                let options = AnyConnectOptions::from_str(&url).map_err(bad_url)?;
                let sqlite = || {
                    AnyPoolOptions::new()
                        .after_connect(|conn, _| {
                            Box::pin(async move {
                                for pragma in SQLITE_PRAGMAS {
                                    conn.execute(pragma).await?;
                                }
                                Ok(())
                            })
                        })
                        .after_release(|conn, _| Box::pin(keep_unless_in_transaction(conn)))
                };
                // One writing connection: SQLite has one write lock, so more writers only wait.
                let writer = sqlite().max_connections(1).connect_with(options.clone()).await.map_err(db_error)?;
                let pool = sqlite().max_connections(8).connect_with(options).await.map_err(db_error)?;
                (writer, pool)
            }
            Engine::Postgres => {
                let options = AnyConnectOptions::from_str(url).map_err(bad_url)?;
                let pool = AnyPoolOptions::new()
                    .max_connections(settings.max_connections)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .connect_with(options)
                    .await
                    .map_err(db_error)?;
                (pool.clone(), pool)
            }
        };
        let locks = match engine {
            Engine::Sqlite => None,
            Engine::Postgres => Some(
                AnyPoolOptions::new()
                    .max_connections(REFRESH_LOCK_CONNECTIONS)
                    .min_connections(0)
                    .connect_with(AnyConnectOptions::from_str(url).map_err(bad_url)?)
                    .await
                    .map_err(db_error)?,
            ),
        };
        let migrated = migrator(engine).run(&writer).await;
        migrated.map_err(|e| Error::new(ErrorKind::Server, format!("migration failed: {e}")))?;
        let bookkeeping = Bookkeeper::start(writer.clone(), engine, settings.bookkeeping);
        let accounts_cache = Arc::new(AccountCache::new(settings.account_cache.capacity, settings.account_cache.ttl));
        let mcp_cache = Arc::new(McpCache::new(settings.account_cache.capacity, settings.account_cache.ttl));
        let (catalog_changes, _) = tokio::sync::broadcast::channel(16);
        let (api_client_changes, _) = tokio::sync::broadcast::channel(16);
        let replica: Arc<str> = uuid::Uuid::new_v4().simple().to_string().into();
        if engine == Engine::Postgres {
            let listeners = changes::Listeners {
                cache: accounts_cache.clone(),
                mcp: mcp_cache.clone(),
                catalog: catalog_changes.clone(),
                vault: vault.clone(),
                api_clients: api_client_changes.clone(),
            };
            changes::listen(url.to_string(), replica.to_string(), listeners);
        }
        Ok(Store {
            engine,
            pool,
            writer,
            locks,
            catalog_changes,
            api_client_changes,
            replica,
            vault,
            bookkeeping,
            accounts_cache,
            mcp_cache,
            durable_execution_records: settings.durable_execution_records,
            write_probe: Default::default(),
            last_storage_failure: Default::default(),
        })
    }

    /// For `/readyz`: the database answers, takes a write (a probe commit, reused for a second),
    /// and its newest applied migration is this build's newest (a newer replica may have
    /// migrated further: then this one is outdated). Answers within about a second; the reason
    /// given names the state, never the driver's error text (that goes to the log).
    pub async fn readiness(&self) -> std::result::Result<(), String> {
        match tokio::time::timeout(READINESS_TIMEOUT, self.check_readiness()).await {
            Ok(answer) => answer,
            Err(_) => Err("database not answering".to_string()),
        }
    }

    async fn check_readiness(&self) -> std::result::Result<(), String> {
        let applied: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(&self.pool)
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "readiness: database unreachable");
                "database unreachable".to_string()
            })?;
        let ours = migrator(self.engine).iter().map(|m| m.version).max();
        if applied != ours {
            return Err(format!("database schema at migration {applied:?}, this build expects {ours:?}"));
        }
        let failed = *self.last_storage_failure.lock().unwrap_or_else(|p| p.into_inner());
        if failed.is_some_and(|at| at.elapsed() < STORAGE_FAILURE_MEMORY) {
            return Err("database cannot write (a write failed in the last seconds)".to_string());
        }
        self.probe_write().await
    }

    /// Whether the database takes a write right now (a full disk, a read-only replica or a
    /// stuck writer do not), probed at most once per [`WRITE_PROBE_TTL`].
    async fn probe_write(&self) -> std::result::Result<(), String> {
        let mut last = self.write_probe.lock().await;
        if let Some((at, answer)) = last.as_ref() {
            if at.elapsed() < WRITE_PROBE_TTL {
                return answer.clone();
            }
        }
        let written = sqlx::query(
            "UPDATE _sqlx_migrations SET success = success WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)",
        )
        .execute(&self.writer)
        .await;
        let answer = written.map(|_| ()).map_err(|e| {
            tracing::warn!(error = %e, "readiness: the database does not take writes");
            "database cannot write".to_string()
        });
        *last = Some((std::time::Instant::now(), answer.clone()));
        answer
    }

    /// A transaction on the writer for one change; [`Store::commit_change`] ends it.
    pub(crate) async fn begin_change(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        self.writer.begin().await.map_err(|e| self.db_error(e))
    }

    /// Writes what reports the change into its transaction, and commits both.
    pub(crate) async fn commit_change(
        &self,
        mut tx: sqlx::Transaction<'static, sqlx::Any>,
        records: &ChangeRecords,
    ) -> Result<()> {
        records.write(&mut tx).await.map_err(|e| self.db_error(e))?;
        tx.commit().await.map_err(|e| self.db_error(e))
    }

    /// [`db_error`], remembering a storage failure for `/readyz`.
    pub(crate) fn db_error(&self, e: sqlx::Error) -> Error {
        if storage_failure(&e).is_some() {
            *self.last_storage_failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(std::time::Instant::now());
        }
        db_error(e)
    }

    /// API client changes announced by the other replicas.
    pub fn api_client_changes(&self) -> tokio::sync::broadcast::Receiver<()> {
        self.api_client_changes.subscribe()
    }

    /// Catalog changes announced by the other replicas.
    pub fn catalog_changes(&self) -> tokio::sync::broadcast::Receiver<()> {
        self.catalog_changes.subscribe()
    }

    /// An account of `identifier` was written: drop it from this replica's cache now, and from
    /// the others' through a notification.
    pub(crate) async fn account_changed(&self, identifier: &str) {
        self.accounts_cache.invalidate(identifier);
        self.announce(changes::Change::Account(identifier.to_string())).await;
    }

    /// An MCP config or instance was written, or a session ended: this replica's MCP cache is
    /// emptied now, the others' through a notification.
    pub(crate) async fn mcp_changed(&self) {
        self.mcp_cache.clear();
        self.announce(changes::Change::Mcp).await;
    }

    /// The connector files changed (a reload here): the other replicas reload theirs.
    pub async fn connectors_reloaded(&self) {
        self.announce(changes::Change::Catalog).await;
    }

    /// A key rotation made a new key active in the shared key file: the other replicas reread
    /// it, so they seal with the new key from now on.
    pub async fn vault_keys_rotated(&self) {
        self.announce(changes::Change::Vault).await;
    }

    /// Tells the other replicas (PostgreSQL `NOTIFY`); a failure only delays them until their
    /// cache ttl or next reload, so it is logged, not returned.
    pub(crate) async fn announce(&self, change: changes::Change) {
        if self.engine != Engine::Postgres {
            return;
        }
        let sent = sqlx::query("SELECT 1 AS sent FROM (SELECT pg_notify($1, $2)) AS n")
            .bind(changes::CHANNEL)
            .bind(change.payload(&self.replica))
            .fetch_one(&self.writer)
            .await;
        if let Err(e) = sent {
            tracing::warn!(error = %e, "could not notify the other replicas of a change");
        }
    }

    /// Takes the account's refresh lock across every replica sharing the database: on PostgreSQL
    /// a transaction-scoped advisory lock (waited for; released by [`RefreshLock::release`], or
    /// by PostgreSQL when a replica dies and its connection drops, so no account stays stuck).
    /// On SQLite there is one process, whose own per-account lock suffices.
    pub async fn lock_account_for_refresh(&self, account_id: &str) -> Result<RefreshLock> {
        let Some(locks) = &self.locks else { return Ok(RefreshLock { held: None }) };
        let mut held = locks.begin().await.map_err(db_error)?;
        // A bigint key from the id; SELECT 1 so no `void` column has to be decoded.
        sqlx::query("SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock($1)) AS taken")
            .bind(refresh_lock_key(account_id))
            .fetch_one(&mut *held)
            .await
            .map_err(db_error)?;
        Ok(RefreshLock { held: Some(held) })
    }

    /// Lets SQLite refresh the statistics its query planner uses (`PRAGMA optimize`, as its
    /// documentation advises for long-lived connections); run with the hourly retention sweep.
    /// PostgreSQL's autovacuum does this itself.
    pub async fn optimize(&self) -> Result<()> {
        if self.engine == Engine::Sqlite {
            sqlx::query("PRAGMA optimize").execute(&self.writer).await.map_err(db_error)?;
        }
        Ok(())
    }
}

/// An account's refresh lock across replicas (see [`Store::lock_account_for_refresh`]).
pub struct RefreshLock {
    held: Option<sqlx::Transaction<'static, sqlx::Any>>,
}

impl RefreshLock {
    /// Ends the lock's transaction now (dropping it would leave the rollback to the connection's
    /// next use).
    pub async fn release(self) {
        if let Some(held) = self.held {
            if let Err(e) = held.rollback().await {
                tracing::warn!(error = %e, "releasing a refresh lock failed; PostgreSQL ends it with the connection");
            }
        }
    }
}

/// The advisory-lock key of an account: the first 8 bytes of a SHA-256 of its id.
fn refresh_lock_key(account_id: &str) -> i64 {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("agentkit-refresh:{account_id}").as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}
