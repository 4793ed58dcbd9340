//! Bookkeeping that may be a moment late but must not slow calls down: execution records and
//! the `last_used_at` of accounts and MCP instances. Calls put entries on a bounded queue (and
//! wait when it is full, so memory stays bounded); one writer task commits them in batches, one
//! transaction per batch, at most one batch per flush interval. A crash loses at most the entries
//! queued since the last commit — never a credential or an account's state, which the store
//! writes synchronously. Readers of execution records call [`Bookkeeper::flush`] first, so a
//! caller always sees its own calls; readers of `last_used_at` (account lists, MCP instances)
//! instead lay the queued uses over what they read ([`Bookkeeper::account_last_used`]): they must
//! not wait behind a burst of other accounts' bookkeeping.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::AnyPool;
use tokio::sync::{mpsc, oneshot};

use agentkit_core::{Error, ErrorKind, Result};

use super::{db_error, ExecutionRecord};

/// Most entries one transaction writes.
const MAX_BATCH: usize = 4096;

/// What the queue carries.
enum Entry {
    Execution(Box<ExecutionRecord>),
    AccountUsed {
        account_id: String,
        at: DateTime<Utc>,
    },
    McpInstanceUsed {
        instance_id: String,
        at: DateTime<Utc>,
    },
    McpSessionUsed {
        session_id: String,
        at: DateTime<Utc>,
    },
    /// Commit everything queued before this, then answer.
    /// Answered with whether everything queued before it was committed.
    Flush(oneshot::Sender<bool>),
}

/// Queue and writer settings (`server.bookkeeping_*`; the defaults live in `config`).
#[derive(Debug, Clone, Copy)]
pub struct BookkeepingSettings {
    pub queue_capacity: usize,
    pub flush_interval: Duration,
}

/// The sending side; cheap to clone.
#[derive(Clone)]
pub struct Bookkeeper {
    queue: mpsc::Sender<Entry>,
    pending: Arc<Mutex<PendingUse>>,
}

/// The latest queued, not yet committed use of each account and MCP instance: at most one entry
/// per id, each removed once its batch is written (or lost).
#[derive(Default)]
struct PendingUse {
    accounts: HashMap<String, DateTime<Utc>>,
    instances: HashMap<String, DateTime<Utc>>,
}

impl PendingUse {
    fn note(map: &mut HashMap<String, DateTime<Utc>>, id: &str, at: DateTime<Utc>) {
        let latest = map.entry(id.to_string()).or_insert(at);
        *latest = (*latest).max(at);
    }

    /// Forgets the uses a batch wrote, unless a later one was queued meanwhile.
    fn written(map: &mut HashMap<String, DateTime<Utc>>, batch: &HashMap<String, DateTime<Utc>>) {
        for (id, at) in batch {
            if map.get(id).is_some_and(|pending| pending <= at) {
                map.remove(id);
            }
        }
    }
}

impl Bookkeeper {
    /// Starts the writer task on `writer` (the store's one writing connection).
    pub fn start(writer: AnyPool, settings: BookkeepingSettings) -> Bookkeeper {
        let (queue, entries) = mpsc::channel(settings.queue_capacity.max(1));
        let pending = Arc::new(Mutex::new(PendingUse::default()));
        tokio::spawn(write_batches(writer, entries, settings.flush_interval, pending.clone()));
        Bookkeeper { queue, pending }
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, PendingUse> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `last_used_at` as read, or the account's queued use when that is later.
    pub fn account_last_used(&self, id: &str, read: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
        read.max(self.pending().accounts.get(id).copied())
    }

    /// `last_used_at` as read, or the MCP instance's queued use when that is later.
    pub fn instance_last_used(&self, id: &str, read: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
        read.max(self.pending().instances.get(id).copied())
    }

    pub async fn execution(&self, record: ExecutionRecord) {
        self.send(Entry::Execution(Box::new(record))).await;
    }

    /// From a `Drop` (no await): queued if there is room, else handed to a task that waits.
    pub fn execution_from_drop(&self, record: ExecutionRecord) {
        if let Err(mpsc::error::TrySendError::Full(entry)) = self.queue.try_send(Entry::Execution(Box::new(record))) {
            let queue = self.queue.clone();
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move {
                    let _ = queue.send(entry).await;
                });
            }
        }
    }

    pub async fn account_used(&self, account_id: &str) {
        let at = Utc::now();
        PendingUse::note(&mut self.pending().accounts, account_id, at);
        self.send(Entry::AccountUsed { account_id: account_id.to_string(), at }).await;
    }

    pub async fn mcp_instance_used(&self, instance_id: &str) {
        let at = Utc::now();
        PendingUse::note(&mut self.pending().instances, instance_id, at);
        self.send(Entry::McpInstanceUsed { instance_id: instance_id.to_string(), at }).await;
    }

    pub async fn mcp_session_used(&self, session_id: &str) {
        self.send(Entry::McpSessionUsed { session_id: session_id.to_string(), at: Utc::now() }).await;
    }

    /// Returns once everything queued before the call is committed.
    pub async fn flush(&self) -> Result<()> {
        let (done, committed) = oneshot::channel();
        self.send(Entry::Flush(done)).await;
        match committed.await {
            Ok(true) => Ok(()),
            Ok(false) => Err(Error::new(ErrorKind::Unavailable, "a bookkeeping batch could not be committed")),
            Err(_) => Err(Error::new(ErrorKind::Server, "the bookkeeping writer has stopped")),
        }
    }

    async fn send(&self, entry: Entry) {
        if self.queue.send(entry).await.is_err() {
            tracing::warn!("the bookkeeping writer has stopped; an entry was dropped");
        }
    }
}

/// The writer: waits for a first entry, gathers more for one flush interval (or until a batch is
/// full, or a flush is asked for), commits them in one transaction; until every sender is gone.
async fn write_batches(
    writer: AnyPool,
    mut entries: mpsc::Receiver<Entry>,
    interval: Duration,
    pending: Arc<Mutex<PendingUse>>,
) {
    let mut batch = Vec::with_capacity(64);
    while let Some(first) = entries.recv().await {
        batch.push(first);
        let deadline = tokio::time::Instant::now() + interval;
        while batch.len() < MAX_BATCH && !matches!(batch.last(), Some(Entry::Flush(_))) {
            tokio::select! {
                next = entries.recv() => match next {
                    Some(entry) => batch.push(entry),
                    None => break,
                },
                _ = tokio::time::sleep_until(deadline) => break,
            }
        }
        // Group commit: whatever queued up meanwhile (other callers' records and flushes) goes
        // into the same transaction.
        while batch.len() < MAX_BATCH {
            match entries.try_recv() {
                Ok(entry) => batch.push(entry),
                Err(_) => break,
            }
        }
        commit(&writer, &mut batch, &pending).await;
    }
}

/// Writes a batch in one transaction (retried once on failure; then logged and dropped, since
/// bookkeeping must never stop the gateway) and answers the flushes in it.
async fn commit(writer: &AnyPool, batch: &mut Vec<Entry>, pending: &Mutex<PendingUse>) {
    let mut flushes = Vec::new();
    let mut executions = Vec::new();
    // Only the latest use of each account / instance matters.
    let mut accounts: HashMap<String, DateTime<Utc>> = HashMap::new();
    let mut instances: HashMap<String, DateTime<Utc>> = HashMap::new();
    let mut sessions: HashMap<String, DateTime<Utc>> = HashMap::new();
    for entry in batch.drain(..) {
        match entry {
            Entry::Execution(record) => executions.push(record),
            Entry::AccountUsed { account_id, at } => {
                let latest = accounts.entry(account_id).or_insert(at);
                *latest = (*latest).max(at);
            }
            Entry::McpInstanceUsed { instance_id, at } => {
                let latest = instances.entry(instance_id).or_insert(at);
                *latest = (*latest).max(at);
            }
            Entry::McpSessionUsed { session_id, at } => {
                let latest = sessions.entry(session_id).or_insert(at);
                *latest = (*latest).max(at);
            }
            Entry::Flush(done) => flushes.push(done),
        }
    }
    let mut committed = true;
    if !(executions.is_empty() && accounts.is_empty() && instances.is_empty() && sessions.is_empty()) {
        let used = Used { accounts: &accounts, instances: &instances, sessions: &sessions };
        // A transient failure (a pool timeout, a serialization failure) is retried with backoff
        // for a few seconds before the batch counts as lost.
        let mut outcome = write(writer, &executions, &used).await;
        for delay_ms in [50, 200, 500, 1000, 2000] {
            if outcome.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
            outcome = write(writer, &executions, &used).await;
        }
        if let Err(e) = outcome {
            committed = false;
            tracing::error!(error = %e, executions = executions.len(), "bookkeeping batch lost");
        }
    }
    // Written (or lost: then what the database says is what readers see too).
    {
        let mut pending = pending.lock().unwrap_or_else(PoisonError::into_inner);
        PendingUse::written(&mut pending.accounts, &accounts);
        PendingUse::written(&mut pending.instances, &instances);
    }
    for done in flushes {
        let _ = done.send(committed);
    }
}

/// The latest use of each account, MCP instance and MCP session in a batch.
struct Used<'a> {
    accounts: &'a HashMap<String, DateTime<Utc>>,
    instances: &'a HashMap<String, DateTime<Utc>>,
    sessions: &'a HashMap<String, DateTime<Utc>>,
}

async fn write(writer: &AnyPool, executions: &[Box<ExecutionRecord>], used: &Used<'_>) -> Result<()> {
    let mut tx = writer.begin().await.map_err(db_error)?;
    for e in executions {
        sqlx::query(
            "INSERT INTO executions (id, api_client_id, tool_name, connection_name, connected_account_id, \
             identifier, status, upstream_status, error_code, latency_ms, created_at, traceparent, request_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT DO NOTHING",
        )
        .bind(&e.id)
        .bind(&e.api_client_id)
        .bind(&e.tool_name)
        .bind(&e.connection_name)
        .bind(&e.connected_account_id)
        .bind(&e.identifier)
        .bind(e.status.as_str())
        .bind(e.upstream_status)
        .bind(&e.error_code)
        .bind(e.latency_ms)
        .bind(e.created_at.to_rfc3339())
        .bind(&e.traceparent)
        .bind(&e.request_id)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    }
    for (table, latest) in
        [("connected_accounts", used.accounts), ("mcp_instances", used.instances), ("mcp_sessions", used.sessions)]
    {
        let column = if table == "mcp_sessions" { "last_seen" } else { "last_used_at" };
        // Table and column names come from the constant list above; values are bound.
        let sql = format!("UPDATE {table} SET {column} = $1 WHERE id = $2");
        // Rows in id order: replicas committing overlapping batches take their row locks in
        // the same order, so they wait for each other instead of deadlocking.
        let mut latest: Vec<(&String, &DateTime<Utc>)> = latest.iter().collect();
        latest.sort_unstable_by_key(|(id, _)| *id);
        for (id, at) in latest {
            sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(at.to_rfc3339())
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        }
    }
    tx.commit().await.map_err(db_error)
}
