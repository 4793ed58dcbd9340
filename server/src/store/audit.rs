//! The audit trail's table: appended, read newest first with filters, swept by age.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{AssertSqlSafe, Row};

use agentkit_core::Result;

use super::{ts, Store};

/// One security-relevant event.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct AuditRecord {
    pub id: String,
    pub occurred_at: DateTime<Utc>,
    /// The API client id, `mcp:<user>` for an MCP user, `cli` or `system`.
    pub actor: String,
    /// e.g. `connected_account.created`.
    pub action: String,
    /// What it was done to (an account id, a client id, a host, …).
    pub target: String,
    /// `success`, `failure` or `refused`.
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// More about the event; never a secret.
    pub details: Value,
}

/// Which events a read returns (every field optional; all given must match).
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub actor: Option<String>,
    pub target: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Only events older than this id (the page after it, newest first).
    pub before_id: Option<String>,
}

impl Store {
    pub async fn append_audit(&self, record: &AuditRecord) -> Result<()> {
        insert_audit(&self.writer, record).await.map_err(|e| self.db_error(e))
    }

    /// Up to `limit` events matching `filter`, newest first.
    pub async fn audit_events(&self, filter: &AuditFilter, limit: u32) -> Result<Vec<AuditRecord>> {
        // Fixed clause texts joined in a fixed order; every value is bound.
        let mut clauses: Vec<&str> = Vec::new();
        let mut binds: Vec<String> = Vec::new();
        let columns = [
            ("action = ", filter.action.clone()),
            ("actor = ", filter.actor.clone()),
            ("target = ", filter.target.clone()),
            ("occurred_at >= ", filter.since.map(|t| t.to_rfc3339())),
            ("occurred_at <= ", filter.until.map(|t| t.to_rfc3339())),
            ("id < ", filter.before_id.clone()),
        ];
        for (clause, value) in columns {
            if let Some(value) = value {
                clauses.push(clause);
                binds.push(value);
            }
        }
        let mut sql = String::from("SELECT * FROM audit_events");
        for (i, clause) in clauses.iter().enumerate() {
            sql.push_str(if i == 0 { " WHERE " } else { " AND " });
            sql.push_str(clause);
            sql.push_str(&format!("${}", i + 1));
        }
        sql.push_str(&format!(" ORDER BY id DESC LIMIT ${}", binds.len() + 1));
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for value in &binds {
            query = query.bind(value);
        }
        let rows = query.bind(i64::from(limit)).fetch_all(&self.pool).await.map_err(|e| self.db_error(e))?;
        Ok(rows
            .iter()
            .map(|r| AuditRecord {
                id: r.get("id"),
                occurred_at: ts(r.get("occurred_at")).unwrap_or_else(Utc::now),
                actor: r.get("actor"),
                action: r.get("action"),
                target: r.get("target"),
                outcome: r.get("outcome"),
                request_id: r.get("request_id"),
                details: serde_json::from_str(&r.get::<String, _>("details")).unwrap_or(Value::Null),
            })
            .collect())
    }

    /// Deletes audit events that occurred before `cutoff` (retention); returns how many went.
    pub async fn delete_audit_before(&self, cutoff: DateTime<Utc>) -> Result<u64> {
        let done = sqlx::query("DELETE FROM audit_events WHERE occurred_at < $1")
            .bind(cutoff.to_rfc3339())
            .execute(&self.writer)
            .await
            .map_err(|e| self.db_error(e))?;
        Ok(done.rows_affected())
    }
}

/// Appends one row through `executor`: the writer, or the transaction of the change it records.
pub(super) async fn insert_audit<'e, E>(executor: E, record: &AuditRecord) -> std::result::Result<(), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO audit_events (id, occurred_at, actor, action, target, outcome, request_id, details) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&record.id)
    .bind(record.occurred_at.to_rfc3339())
    .bind(&record.actor)
    .bind(&record.action)
    .bind(&record.target)
    .bind(&record.outcome)
    .bind(&record.request_id)
    .bind(record.details.to_string())
    .execute(executor)
    .await?;
    Ok(())
}
