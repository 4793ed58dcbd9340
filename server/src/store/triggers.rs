//! The `trigger_subscriptions` table: connected accounts watched for a trigger, with where each
//! poll stands (the watermark of ids seen, failures, backoff).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::Row;

use agentkit_core::model::{TriggerPollErrorCode, TriggerSubscriptionStatus};
use agentkit_core::{Error, ErrorKind, Result};

use super::{ts, ChangeRecords, Store};

/// One subscription as stored.
#[derive(Debug, Clone)]
pub struct StoredSubscription {
    pub id: String,
    pub account_id: String,
    pub connection_name: String,
    pub trigger_name: String,
    pub status: TriggerSubscriptionStatus,
    pub requested_interval_secs: u32,
    pub effective_interval_secs: u32,
    pub config: BTreeMap<String, String>,
    pub created_at: DateTime<Utc>,
    pub next_poll_at: DateTime<Utc>,
    /// The provider ids already turned into events (newest last); `None` before the first poll.
    pub watermark: Option<Vec<String>>,
    pub watermark_updated_at: Option<DateTime<Utc>>,
    /// An incremental poll's cursor (the provider's sync token), when it has one.
    pub cursor: Option<String>,
    pub last_run_at: Option<DateTime<Utc>>,
    pub last_error: String,
    pub last_error_code: Option<TriggerPollErrorCode>,
    pub consecutive_failures: u32,
    pub backoff_until: Option<DateTime<Utc>>,
}

/// How a poll ended, to be committed with the events it queued.
#[derive(Debug, Clone)]
pub struct PollOutcome {
    pub status: TriggerSubscriptionStatus,
    pub effective_interval_secs: u32,
    pub next_poll_at: DateTime<Utc>,
    /// The new watermark when the poll read the provider's list.
    pub watermark: Option<Vec<String>>,
    /// The new cursor when the poll's tool gave one.
    pub cursor: Option<String>,
    pub error: Option<(TriggerPollErrorCode, String)>,
    pub backoff_until: Option<DateTime<Utc>>,
}

fn code_name(code: TriggerPollErrorCode) -> String {
    serde_json::to_value(code).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
}

fn subscription(row: &sqlx::any::AnyRow) -> Result<StoredSubscription> {
    let number = |column: &str| u32::try_from(row.get::<i64, _>(column)).unwrap_or(u32::MAX);
    let watermark: Option<String> = row.get("watermark");
    let code: Option<String> = row.get("last_error_code");
    Ok(StoredSubscription {
        id: row.get("id"),
        account_id: row.get("account_id"),
        connection_name: row.get("connection_name"),
        trigger_name: row.get("trigger_name"),
        status: TriggerSubscriptionStatus::parse(&row.get::<String, _>("status"))
            .unwrap_or(TriggerSubscriptionStatus::Paused),
        requested_interval_secs: number("requested_interval_secs"),
        effective_interval_secs: number("effective_interval_secs"),
        config: serde_json::from_str(&row.get::<String, _>("config"))?,
        created_at: ts(row.get("created_at")).unwrap_or_else(Utc::now),
        next_poll_at: ts(row.get("next_poll_at")).unwrap_or_else(Utc::now),
        watermark: watermark.as_deref().map(serde_json::from_str).transpose()?,
        watermark_updated_at: ts(row.get("watermark_updated_at")),
        cursor: row.get("sync_cursor"),
        last_run_at: ts(row.get("last_run_at")),
        last_error: row.get("last_error"),
        last_error_code: code.and_then(|c| serde_json::from_value(serde_json::Value::String(c)).ok()),
        consecutive_failures: number("consecutive_failures"),
        backoff_until: ts(row.get("backoff_until")),
    })
}

impl Store {
    /// Adds a subscription; `Conflict` when the account already has one for this trigger.
    pub async fn insert_trigger_subscription(&self, s: &StoredSubscription, records: &ChangeRecords) -> Result<()> {
        let mut tx = self.begin_change().await?;
        let inserted = sqlx::query(
            "INSERT INTO trigger_subscriptions (id, account_id, connection_name, trigger_name, status, \
             requested_interval_secs, effective_interval_secs, config, created_at, next_poll_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&s.id)
        .bind(&s.account_id)
        .bind(&s.connection_name)
        .bind(&s.trigger_name)
        .bind(s.status.as_str())
        .bind(i64::from(s.requested_interval_secs))
        .bind(i64::from(s.effective_interval_secs))
        .bind(serde_json::to_string(&s.config)?)
        .bind(s.created_at.to_rfc3339())
        .bind(s.next_poll_at.to_rfc3339())
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!("the account already has a {} subscription", s.trigger_name),
                ))
            }
            Err(sqlx::Error::Database(db)) if db.is_foreign_key_violation() => {
                return Err(Error::not_found("the connected account no longer exists"))
            }
            other => other.map_err(|e| self.db_error(e))?,
        };
        self.commit_change(tx, records).await
    }

    pub async fn trigger_subscription(&self, id: &str) -> Result<Option<StoredSubscription>> {
        let row = sqlx::query("SELECT * FROM trigger_subscriptions WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| self.db_error(e))?;
        row.as_ref().map(subscription).transpose()
    }

    /// The account's subscription to `trigger_name`, if any.
    pub async fn account_trigger_subscription(
        &self,
        account_id: &str,
        trigger_name: &str,
    ) -> Result<Option<StoredSubscription>> {
        let row = sqlx::query("SELECT * FROM trigger_subscriptions WHERE account_id = $1 AND trigger_name = $2")
            .bind(account_id)
            .bind(trigger_name)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| self.db_error(e))?;
        row.as_ref().map(subscription).transpose()
    }

    /// One page of a connection's subscriptions in id order (`after`: the last id of the page
    /// before), optionally of one trigger and some statuses; `limit` + 1 rows are read to know
    /// whether another page follows.
    pub async fn trigger_subscriptions(
        &self,
        connection_name: &str,
        trigger_name: &str,
        statuses: &[TriggerSubscriptionStatus],
        after: &str,
        limit: u32,
    ) -> Result<Vec<StoredSubscription>> {
        let mut sql = String::from("SELECT * FROM trigger_subscriptions WHERE connection_name = $1 AND id > $2");
        let mut binds = vec![connection_name.to_string(), after.to_string()];
        if !trigger_name.is_empty() {
            binds.push(trigger_name.to_string());
            sql.push_str(&format!(" AND trigger_name = ${}", binds.len()));
        }
        if !statuses.is_empty() {
            let places: Vec<String> = statuses
                .iter()
                .map(|s| {
                    binds.push(s.as_str().to_string());
                    format!("${}", binds.len())
                })
                .collect();
            sql.push_str(&format!(" AND status IN ({})", places.join(", ")));
        }
        sql.push_str(&format!(" ORDER BY id LIMIT {}", u64::from(limit) + 1));
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for value in &binds {
            query = query.bind(value.as_str());
        }
        let rows = query.fetch_all(&self.pool).await.map_err(|e| self.db_error(e))?;
        rows.iter().map(subscription).collect()
    }

    /// How many of a connection's subscriptions are in each status.
    pub async fn trigger_status_counts(&self, connection_name: &str) -> Result<BTreeMap<String, u32>> {
        let rows = sqlx::query(
            "SELECT status, COUNT(*) AS n FROM trigger_subscriptions WHERE connection_name = $1 GROUP BY status",
        )
        .bind(connection_name)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.db_error(e))?;
        let mut counts: BTreeMap<String, u32> =
            TriggerSubscriptionStatus::ALL.iter().map(|s| (s.as_str().to_string(), 0)).collect();
        for row in rows {
            let n = u32::try_from(row.get::<i64, _>("n")).unwrap_or(u32::MAX);
            counts.insert(row.get("status"), n);
        }
        Ok(counts)
    }

    /// Deletes a subscription of `connection_name`; false when there is none.
    pub async fn delete_trigger_subscription(
        &self,
        connection_name: &str,
        id: &str,
        records: &ChangeRecords,
    ) -> Result<bool> {
        let mut tx = self.begin_change().await?;
        let done = sqlx::query("DELETE FROM trigger_subscriptions WHERE id = $1 AND connection_name = $2")
            .bind(id)
            .bind(connection_name)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.db_error(e))?
            .rows_affected()
            > 0;
        self.commit_change(tx, records.when(done)).await?;
        Ok(done)
    }

    /// Takes up to `limit` due subscriptions (ACTIVE or THROTTLED, due, not leased by anyone
    /// else) for `lease`: on PostgreSQL two replicas never take the same row, as the update of
    /// one row is atomic and re-checks that it is free.
    pub async fn claim_due_trigger_subscriptions(
        &self,
        lease: chrono::Duration,
        limit: u32,
    ) -> Result<Vec<StoredSubscription>> {
        let now = Utc::now();
        let until = now.checked_add_signed(lease).unwrap_or(now);
        let free =
            "status IN ('ACTIVE', 'THROTTLED') AND next_poll_at <= $2 AND (lease_until IS NULL OR lease_until < $2)";
        let sql = format!(
            "UPDATE trigger_subscriptions SET lease_until = $1 WHERE id IN \
             (SELECT id FROM trigger_subscriptions WHERE {free} ORDER BY next_poll_at LIMIT $3) AND {free} RETURNING *"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(until.to_rfc3339())
            .bind(now.to_rfc3339())
            .bind(i64::from(limit))
            .fetch_all(&self.writer)
            .await
            .map_err(|e| self.db_error(e))?;
        rows.iter().map(subscription).collect()
    }

    /// Ends a leased poll: the subscription's new state and watermark commit with the events the
    /// poll queued (`records.deliveries`), or none of it does. A subscription deleted meanwhile
    /// takes nothing.
    pub async fn finish_trigger_poll(&self, id: &str, outcome: &PollOutcome, records: &ChangeRecords) -> Result<()> {
        let now = Utc::now().to_rfc3339();
        let mut tx = self.begin_change().await?;
        let (code, error) = match &outcome.error {
            Some((code, message)) => (Some(code_name(*code)), message.clone()),
            None => (None, String::new()),
        };
        let failures = if outcome.error.is_some() { "consecutive_failures + 1" } else { "0" };
        let watermark = outcome.watermark.as_ref().map(serde_json::to_string).transpose()?;
        let sql = format!(
            "UPDATE trigger_subscriptions SET status = $1, effective_interval_secs = $2, next_poll_at = $3, \
             lease_until = NULL, last_run_at = $4, last_error = $5, last_error_code = $6, \
             consecutive_failures = {failures}, backoff_until = $7, \
             watermark = COALESCE($8, watermark), watermark_updated_at = CASE WHEN $8 IS NULL THEN watermark_updated_at ELSE $4 END, \
             sync_cursor = COALESCE($10, sync_cursor) WHERE id = $9"
        );
        let updated = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(outcome.status.as_str())
            .bind(i64::from(outcome.effective_interval_secs))
            .bind(outcome.next_poll_at.to_rfc3339())
            .bind(now)
            .bind(error)
            .bind(code)
            .bind(outcome.backoff_until.map(|t| t.to_rfc3339()))
            .bind(watermark)
            .bind(id)
            .bind(outcome.cursor.clone())
            .execute(&mut *tx)
            .await
            .map_err(|e| self.db_error(e))?
            .rows_affected()
            > 0;
        self.commit_change(tx, records.when(updated)).await
    }

    /// The account's paused-for-credential subscriptions become ACTIVE again, due now (the
    /// account was authorized again).
    pub async fn resume_credential_paused_subscriptions(&self, account_id: &str) -> Result<u64> {
        let now = Utc::now().to_rfc3339();
        let done = sqlx::query(
            "UPDATE trigger_subscriptions SET status = 'ACTIVE', next_poll_at = $1, consecutive_failures = 0, \
             backoff_until = NULL WHERE account_id = $2 AND status = 'PAUSED_CREDENTIAL'",
        )
        .bind(now)
        .bind(account_id)
        .execute(&self.writer)
        .await
        .map_err(|e| self.db_error(e))?;
        Ok(done.rows_affected())
    }
}
