//! The `executions` table: one record per tool execution.

use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, Row};

use agentkit_core::Result;

use super::{ts, Store};

/// The outcome an execution record holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExecutionStatus {
    Success,
    Failed,
}

impl ExecutionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionStatus::Success => "SUCCESS",
            ExecutionStatus::Failed => "FAILED",
        }
    }

    fn parse(text: &str) -> ExecutionStatus {
        if text == "SUCCESS" {
            ExecutionStatus::Success
        } else {
            ExecutionStatus::Failed
        }
    }
}

impl std::fmt::Display for ExecutionStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One execution record.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ExecutionRecord {
    pub id: String,
    pub api_client_id: String,
    pub tool_name: String,
    pub connection_name: String,
    pub connected_account_id: String,
    pub identifier: String,
    pub status: ExecutionStatus,
    pub upstream_status: Option<i64>,
    pub error_code: Option<String>,
    pub latency_ms: i64,
    pub created_at: DateTime<Utc>,
    /// The W3C `traceparent` the call arrived with, when it had a valid one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
    /// The id of the request that ran the call (`x-request-id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl Store {
    /// Queues an execution record for the next bookkeeping batch; with
    /// `server.durable_execution_records`, returns only once it is committed (group commit).
    pub async fn record_execution(&self, e: ExecutionRecord) {
        self.bookkeeping.execution(e).await;
        if self.durable_execution_records {
            if let Err(e) = self.bookkeeping.flush().await {
                tracing::warn!(error = %e.message(), "an execution record could not be committed");
            }
        }
    }

    /// Most recent executions, newest first, optionally of one identifier.
    /// The newest records, of one identifier (`""`: any) and of one API client (`None`: any).
    pub async fn recent_executions(
        &self,
        identifier: &str,
        api_client_id: Option<&str>,
        limit: u32,
    ) -> Result<Vec<ExecutionRecord>> {
        self.bookkeeping.flush().await?;
        // Separate statements rather than `(? = '' OR identifier = ?)`, which no index can serve;
        // the client filter is applied on top of the identifier's index.
        let rows = match (identifier.is_empty(), api_client_id) {
            (true, None) => sqlx::query("SELECT * FROM executions ORDER BY created_at DESC, id DESC LIMIT $1")
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await,
            (true, Some(client)) => sqlx::query(
                "SELECT * FROM executions WHERE api_client_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
            )
            .bind(client)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await,
            (false, None) => sqlx::query(
                "SELECT * FROM executions WHERE identifier = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
            )
            .bind(identifier)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await,
            (false, Some(client)) => sqlx::query(
                "SELECT * FROM executions WHERE identifier = $1 AND api_client_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3",
            )
            .bind(identifier)
            .bind(client)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await,
        }
        .map_err(|e| self.db_error(e))?;
        Ok(rows.iter().map(execution_from_row).collect())
    }

    /// A page of executions, newest first, of one identifier (`""`: any), older than `before`
    /// (`(created_at, id)` of the last row of the previous page; `None`: the newest): keyset
    /// paging on the `created_at` indexes, never an offset.
    pub async fn executions_page(
        &self,
        identifier: &str,
        before: Option<(&str, &str)>,
        limit: u32,
    ) -> Result<Vec<ExecutionRecord>> {
        self.bookkeeping.flush().await?;
        let mut clauses: Vec<String> = Vec::new();
        let mut binds: Vec<String> = Vec::new();
        if !identifier.is_empty() {
            binds.push(identifier.to_string());
            clauses.push(format!("identifier = ${}", binds.len()));
        }
        if let Some((created_at, id)) = before {
            binds.push(created_at.to_string());
            let at = binds.len();
            binds.push(id.to_string());
            clauses.push(format!("(created_at < ${at} OR (created_at = ${at} AND id < ${}))", binds.len()));
        }
        let filter = if clauses.is_empty() { String::new() } else { format!(" WHERE {}", clauses.join(" AND ")) };
        let sql =
            format!("SELECT * FROM executions{filter} ORDER BY created_at DESC, id DESC LIMIT ${}", binds.len() + 1);
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for value in &binds {
            query = query.bind(value);
        }
        let rows = query.bind(i64::from(limit)).fetch_all(&self.pool).await.map_err(|e| self.db_error(e))?;
        Ok(rows.iter().map(execution_from_row).collect())
    }

    /// Deletes execution records created before `cutoff` (retention); returns how many went.
    pub async fn delete_executions_before(&self, cutoff: DateTime<Utc>) -> Result<u64> {
        let done = sqlx::query("DELETE FROM executions WHERE created_at < $1")
            .bind(cutoff.to_rfc3339())
            .execute(&self.writer)
            .await
            .map_err(|e| self.db_error(e))?;
        Ok(done.rows_affected())
    }
}

/// An `executions` row as a record.
fn execution_from_row(r: &sqlx::any::AnyRow) -> ExecutionRecord {
    ExecutionRecord {
        id: r.get("id"),
        api_client_id: r.get("api_client_id"),
        tool_name: r.get("tool_name"),
        connection_name: r.get("connection_name"),
        connected_account_id: r.get("connected_account_id"),
        identifier: r.get("identifier"),
        status: ExecutionStatus::parse(&r.get::<String, _>("status")),
        upstream_status: r.get("upstream_status"),
        error_code: r.get("error_code"),
        latency_ms: r.get("latency_ms"),
        created_at: ts(r.get("created_at")).unwrap_or_else(Utc::now),
        traceparent: r.get("traceparent"),
        request_id: r.get("request_id"),
    }
}
