//! Bookkeeping that may be a moment late but must not slow calls down: execution records and
//! the `last_used_at` of accounts and MCP instances (and MCP sessions' `last_seen`). Calls put
//! execution records on a bounded queue (and wait when it is full, so memory stays bounded) and
//! note uses in a map holding the latest use of each id; one writer task commits both in batches,
//! one transaction per batch, at most one batch per flush interval. A crash loses at most what
//! was noted since the last commit — never a credential or an account's state, which the store
//! writes synchronously. Readers of execution records call [`Bookkeeper::flush`] first, so a
//! caller always sees its own calls; readers of `last_used_at` (account lists, MCP instances)
//! instead lay the noted uses over what they read ([`Bookkeeper::account_last_used`]): they must
//! not wait behind a burst of other accounts' bookkeeping.
//!
//! The writer is woken once per batch, not once per call: it sleeps through the flush interval
//! and is woken early only when a flush is asked for or the queue is half full. A call's
//! bookkeeping is one queue entry (its record) and one map update, and the batch's records are
//! inserted a chunk of rows per statement, so the database's worker runs a few statements per
//! batch instead of one per call.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::AnyPool;
use tokio::sync::{mpsc, oneshot, Notify};

use agentkit_core::{Error, ErrorKind, Result};

use super::{db_error, Engine, ExecutionRecord};

/// Most entries one transaction writes.
const MAX_BATCH: usize = 4096;

/// Execution records per `INSERT` statement at most (13 values each: far below both engines'
/// limit on bound values). Smaller remainders go in chunks of halving sizes, so a batch uses at
/// most seven statement shapes, each prepared once per connection.
const ROWS_PER_INSERT: usize = 64;

/// The store's one writing connection, and which engine it speaks.
struct Writer {
    pool: AnyPool,
    engine: Engine,
}

/// What the queue carries.
enum Entry {
    Execution(Box<ExecutionRecord>),
    /// Commit everything queued before this, then answer.
    /// Answered with whether everything queued before it was committed.
    Flush(oneshot::Sender<bool>),
}

/// Queue and writer settings (`[bookkeeping]`; the defaults live in `config`).
#[derive(Debug, Clone, Copy)]
pub struct BookkeepingSettings {
    pub queue_capacity: usize,
    pub flush_interval: Duration,
}

/// The sending side; cheap to clone.
#[derive(Clone)]
pub struct Bookkeeper {
    queue: mpsc::Sender<Entry>,
    shared: Arc<Shared>,
}

/// What callers and the writer share besides the queue.
#[derive(Default)]
struct Shared {
    uses: Mutex<PendingUse>,
    /// Wakes the writer before its interval is up: a flush was asked for, the queue is half
    /// full, or uses were noted while nothing else was waiting to be written.
    wake: Notify,
}

/// The latest noted, not yet committed use of each account, MCP instance and MCP session: at
/// most one entry per id, each removed once a batch has written it (or lost it).
#[derive(Default, Clone)]
struct PendingUse {
    accounts: HashMap<String, DateTime<Utc>>,
    instances: HashMap<String, DateTime<Utc>>,
    sessions: HashMap<String, DateTime<Utc>>,
}

impl PendingUse {
    fn is_empty(&self) -> bool {
        self.accounts.is_empty() && self.instances.is_empty() && self.sessions.is_empty()
    }

    fn note(map: &mut HashMap<String, DateTime<Utc>>, id: &str, at: DateTime<Utc>) {
        match map.get_mut(id) {
            Some(latest) => *latest = (*latest).max(at),
            None => {
                map.insert(id.to_string(), at);
            }
        }
    }

    /// Forgets the uses a batch wrote, unless a later one was noted meanwhile.
    fn written(&mut self, batch: &PendingUse) {
        for (map, written) in [
            (&mut self.accounts, &batch.accounts),
            (&mut self.instances, &batch.instances),
            (&mut self.sessions, &batch.sessions),
        ] {
            for (id, at) in written {
                if map.get(id).is_some_and(|pending| pending <= at) {
                    map.remove(id);
                }
            }
        }
    }
}

impl Bookkeeper {
    /// Starts the writer task on `writer` (the store's one writing connection).
    pub fn start(writer: AnyPool, engine: Engine, settings: BookkeepingSettings) -> Bookkeeper {
        let (queue, entries) = mpsc::channel(settings.queue_capacity.max(1));
        let shared = Arc::new(Shared::default());
        let writer = Writer { pool: writer, engine };
        tokio::spawn(write_batches(writer, entries, settings.flush_interval, shared.clone()));
        Bookkeeper { queue, shared }
    }

    fn uses(&self) -> MutexGuard<'_, PendingUse> {
        self.shared.uses.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `last_used_at` as read, or the account's noted use when that is later.
    pub fn account_last_used(&self, id: &str, read: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
        read.max(self.uses().accounts.get(id).copied())
    }

    /// `last_used_at` as read, or the MCP instance's noted use when that is later.
    pub fn instance_last_used(&self, id: &str, read: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
        read.max(self.uses().instances.get(id).copied())
    }

    pub async fn execution(&self, record: ExecutionRecord) {
        self.send(Entry::Execution(Box::new(record))).await;
    }

    /// From a `Drop` (no await): queued if there is room, else handed to a task that waits.
    pub fn execution_from_drop(&self, record: ExecutionRecord) {
        match self.queue.try_send(Entry::Execution(Box::new(record))) {
            Ok(()) => self.wake_if_filling(),
            Err(mpsc::error::TrySendError::Full(entry)) => {
                self.shared.wake.notify_one();
                let queue = self.queue.clone();
                if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                    runtime.spawn(async move {
                        let _ = queue.send(entry).await;
                    });
                }
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }

    pub fn account_used(&self, account_id: &str) {
        self.note_use(|uses| &mut uses.accounts, account_id);
    }

    pub fn mcp_instance_used(&self, instance_id: &str) {
        self.note_use(|uses| &mut uses.instances, instance_id);
    }

    pub fn mcp_session_used(&self, session_id: &str) {
        self.note_use(|uses| &mut uses.sessions, session_id);
    }

    /// Notes a use; the first use noted since the last batch wakes the writer, which may be
    /// waiting for a first queue entry that a call without an execution record never sends.
    fn note_use(&self, map: fn(&mut PendingUse) -> &mut HashMap<String, DateTime<Utc>>, id: &str) {
        let first = {
            let mut uses = self.uses();
            let first = uses.is_empty();
            PendingUse::note(map(&mut uses), id, Utc::now());
            first
        };
        if first {
            self.shared.wake.notify_one();
        }
    }

    /// Returns once everything queued and noted before the call is committed.
    pub async fn flush(&self) -> Result<()> {
        let (done, committed) = oneshot::channel();
        self.send(Entry::Flush(done)).await;
        self.shared.wake.notify_one();
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
        self.wake_if_filling();
    }

    /// A queue over half full is written before the interval is up, so calls rarely wait for room.
    fn wake_if_filling(&self) {
        if self.queue.capacity() < self.queue.max_capacity() / 2 {
            self.shared.wake.notify_one();
        }
    }
}

/// The writer: waits for a first entry or noted use, lets more gather for one flush interval
/// (unless woken early), commits everything in one transaction; until every sender is gone.
async fn write_batches(writer: Writer, mut entries: mpsc::Receiver<Entry>, interval: Duration, shared: Arc<Shared>) {
    let mut batch = Vec::with_capacity(64);
    let mut open = true;
    while open {
        // Uses noted while the last batch was being written are still pending, and noting them
        // woke nobody (only the first use after an empty map does): then there is no waiting.
        let uses_pending = !shared.uses.lock().unwrap_or_else(PoisonError::into_inner).is_empty();
        if !uses_pending {
            tokio::select! {
                biased;
                first = entries.recv() => match first {
                    Some(entry) => batch.push(entry),
                    None => open = false,
                },
                () = shared.wake.notified() => {}
            }
        }
        // What is queued already is looked at before sleeping: a flush among it is answered now.
        // One queued later comes with a wake-up, which ends the sleep.
        take_queued(&mut entries, &mut batch);
        if open && batch.len() < MAX_BATCH && !batch.iter().any(|entry| matches!(entry, Entry::Flush(_))) {
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                () = shared.wake.notified() => {}
            }
            // Group commit: whatever queued up meanwhile (other callers' records and flushes)
            // goes into the same transaction.
            take_queued(&mut entries, &mut batch);
        }
        commit(&writer, &mut batch, &shared.uses).await;
    }
}

/// Moves queued entries into the batch, up to its bound, without waiting.
fn take_queued(entries: &mut mpsc::Receiver<Entry>, batch: &mut Vec<Entry>) {
    while batch.len() < MAX_BATCH {
        match entries.try_recv() {
            Ok(entry) => batch.push(entry),
            Err(_) => break,
        }
    }
}

/// Writes a batch and the noted uses in one transaction (retried on failure; then logged and
/// dropped, since bookkeeping must never stop the gateway) and answers the flushes in it.
async fn commit(writer: &Writer, batch: &mut Vec<Entry>, uses: &Mutex<PendingUse>) {
    let mut flushes = Vec::new();
    let mut executions = Vec::new();
    for entry in batch.drain(..) {
        match entry {
            Entry::Execution(record) => executions.push(record),
            Entry::Flush(done) => flushes.push(done),
        }
    }
    let used = uses.lock().unwrap_or_else(PoisonError::into_inner).clone();
    let mut committed = true;
    if !(executions.is_empty() && used.is_empty()) {
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
    uses.lock().unwrap_or_else(PoisonError::into_inner).written(&used);
    for done in flushes {
        let _ = done.send(committed);
    }
}

/// The columns of an execution record, in the order [`insert_executions`] binds them.
const EXECUTION_COLUMNS: [&str; 13] = [
    "id",
    "api_client_id",
    "tool_name",
    "connection_name",
    "connected_account_id",
    "identifier",
    "status",
    "upstream_status",
    "error_code",
    "latency_ms",
    "created_at",
    "traceparent",
    "request_id",
];

async fn write(writer: &Writer, executions: &[Box<ExecutionRecord>], used: &PendingUse) -> Result<()> {
    let mut tx = writer.pool.begin().await.map_err(db_error)?;
    let mut rest = executions;
    while !rest.is_empty() {
        // 64 rows at a time, then 32, 16, …, 1: few statements, few distinct statements.
        let rows = ROWS_PER_INSERT.min(1 << rest.len().ilog2());
        let (chunk, after) = rest.split_at(rows);
        insert_executions(&mut tx, writer.engine, chunk).await?;
        rest = after;
    }
    for (table, latest) in
        [("connected_accounts", &used.accounts), ("mcp_instances", &used.instances), ("mcp_sessions", &used.sessions)]
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

/// One `INSERT` of several execution records. Its placeholders are SQLite's anonymous `?` there,
/// not the `$n` the other statements use: SQLite finds a named parameter by a linear scan, so
/// binding a statement of n `$k`s costs n² (a tenth of the writer's time at 64 rows).
async fn insert_executions(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    engine: Engine,
    records: &[Box<ExecutionRecord>],
) -> Result<()> {
    let mut sql = format!("INSERT INTO executions ({}) VALUES ", EXECUTION_COLUMNS.join(", "));
    let mut placeholder = 0usize;
    for row in 0..records.len() {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..EXECUTION_COLUMNS.len() {
            placeholder += 1;
            if column > 0 {
                sql.push_str(", ");
            }
            match engine {
                Engine::Sqlite => sql.push('?'),
                Engine::Postgres => sql.push_str(&format!("${placeholder}")),
            }
        }
        sql.push(')');
    }
    sql.push_str(" ON CONFLICT DO NOTHING");
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for e in records {
        query = query
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
            .bind(&e.request_id);
    }
    query.execute(&mut **tx).await.map_err(db_error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_use_is_forgotten_only_once_its_latest_is_written() {
        let t0 = Utc::now();
        let t1 = t0 + chrono::Duration::milliseconds(5);
        let mut pending = PendingUse::default();
        PendingUse::note(&mut pending.accounts, "ca_a", t0);
        PendingUse::note(&mut pending.sessions, "s_1", t0);
        let written = pending.clone();
        PendingUse::note(&mut pending.accounts, "ca_a", t1);
        pending.written(&written);
        assert_eq!(pending.accounts.get("ca_a"), Some(&t1), "a later use stays until it is written");
        assert!(pending.sessions.is_empty());
    }
}
