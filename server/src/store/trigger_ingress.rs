//! Pushed triggers' tables: a connection's ingress endpoint with its sealed signing secrets
//! (`trigger_ingress_endpoints`), and the provider deliveries it took (`trigger_ingress_receipts`),
//! which refuse a replay and count what arrived.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::Row;

use agentkit_core::{Error, Result};

use super::{ts, ChangeRecords, Store};

/// A connection's ingress endpoint as stored, its secrets opened.
#[derive(Debug, Clone)]
pub struct StoredIngress {
    pub id: String,
    pub connection_name: String,
    pub signing_secret: Option<String>,
    /// The secret before the last one set, still accepted until `previous_expires_at` unless the
    /// rotation was confirmed.
    pub previous_signing_secret: Option<String>,
    pub previous_expires_at: Option<DateTime<Utc>>,
    pub rotation_id: u64,
    pub created_at: DateTime<Utc>,
}

impl StoredIngress {
    /// The secrets a push may be signed with now: the current one, then the previous one while
    /// the rotation is open.
    pub fn valid_secrets(&self, now: DateTime<Utc>) -> Vec<&str> {
        let previous = match (&self.previous_signing_secret, self.previous_expires_at) {
            (Some(secret), Some(until)) if now < until => Some(secret.as_str()),
            _ => None,
        };
        self.signing_secret.as_deref().into_iter().chain(previous).collect()
    }

    pub fn rotation_in_progress(&self, now: DateTime<Utc>) -> bool {
        self.valid_secrets(now).len() > 1
    }
}

impl Store {
    fn ingress(&self, row: &sqlx::any::AnyRow) -> Result<StoredIngress> {
        let id: String = row.get("id");
        let open = |column: &str| -> Result<Option<String>> {
            let sealed: Option<String> = row.get(column);
            sealed
                .map(|s| self.vault.open_sealed(&s, &id).map(|plain| String::from_utf8_lossy(&plain).into_owned()))
                .transpose()
        };
        Ok(StoredIngress {
            signing_secret: open("signing_secret")?,
            previous_signing_secret: open("previous_signing_secret")?,
            previous_expires_at: ts(row.get("previous_expires_at")),
            rotation_id: u64::try_from(row.get::<i64, _>("rotation_id")).unwrap_or_default(),
            created_at: ts(row.get("created_at")).unwrap_or_else(Utc::now),
            connection_name: row.get("connection_name"),
            id,
        })
    }

    /// The ingress endpoint named `id` (the last segment of its URL).
    pub async fn trigger_ingress(&self, id: &str) -> Result<Option<StoredIngress>> {
        let row = sqlx::query("SELECT * FROM trigger_ingress_endpoints WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| self.db_error(e))?;
        row.as_ref().map(|r| self.ingress(r)).transpose()
    }

    /// The connection's ingress endpoint, if it has one.
    pub async fn connection_trigger_ingress(&self, connection_name: &str) -> Result<Option<StoredIngress>> {
        let row = sqlx::query("SELECT * FROM trigger_ingress_endpoints WHERE connection_name = $1")
            .bind(connection_name)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| self.db_error(e))?;
        row.as_ref().map(|r| self.ingress(r)).transpose()
    }

    /// Creates the connection's ingress endpoint unless it has one; the one it has after.
    pub async fn create_trigger_ingress(
        &self,
        ingress: &StoredIngress,
        records: &ChangeRecords,
    ) -> Result<StoredIngress> {
        let mut tx = self.begin_change().await?;
        let created = sqlx::query(
            "INSERT INTO trigger_ingress_endpoints (id, connection_name, rotation_id, created_at) \
             VALUES ($1, $2, 0, $3) ON CONFLICT (connection_name) DO NOTHING",
        )
        .bind(&ingress.id)
        .bind(&ingress.connection_name)
        .bind(ingress.created_at.to_rfc3339())
        .execute(&mut *tx)
        .await
        .map_err(|e| self.db_error(e))?
        .rows_affected()
            > 0;
        self.commit_change(tx, records.when(created)).await?;
        self.connection_trigger_ingress(&ingress.connection_name)
            .await?
            .ok_or_else(|| Error::not_found("the ingress endpoint is gone"))
    }

    /// Sets a new signing secret: the current one (if any) stays valid until `previous_until`
    /// or the rotation's confirmation. Returns the new rotation id; `None` when the endpoint
    /// is gone.
    pub async fn set_trigger_signing_secret(
        &self,
        id: &str,
        secret: &str,
        previous_until: DateTime<Utc>,
        records: &ChangeRecords,
    ) -> Result<Option<u64>> {
        let sealed = self.vault.seal(secret.as_bytes(), id)?;
        let mut tx = self.begin_change().await?;
        let row = sqlx::query(
            "UPDATE trigger_ingress_endpoints SET previous_signing_secret = signing_secret, \
             previous_expires_at = CASE WHEN signing_secret IS NULL THEN NULL ELSE $1 END, \
             signing_secret = $2, rotation_id = rotation_id + 1 WHERE id = $3 RETURNING rotation_id",
        )
        .bind(previous_until.to_rfc3339())
        .bind(sealed)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| self.db_error(e))?;
        self.commit_change(tx, records.when(row.is_some())).await?;
        Ok(row.map(|r| u64::try_from(r.get::<i64, _>("rotation_id")).unwrap_or_default()))
    }

    /// Ends the rotation `rotation_id`: the previous secret is no longer accepted. False when
    /// `rotation_id` is not the endpoint's current one.
    pub async fn confirm_trigger_signing_secret(
        &self,
        id: &str,
        rotation_id: u64,
        records: &ChangeRecords,
    ) -> Result<bool> {
        let rotation = i64::try_from(rotation_id).unwrap_or(-1);
        let mut tx = self.begin_change().await?;
        let done = sqlx::query(
            "UPDATE trigger_ingress_endpoints SET previous_signing_secret = NULL, previous_expires_at = NULL \
             WHERE id = $1 AND rotation_id = $2",
        )
        .bind(id)
        .bind(rotation)
        .execute(&mut *tx)
        .await
        .map_err(|e| self.db_error(e))?
        .rows_affected()
            > 0;
        self.commit_change(tx, records.when(done)).await?;
        Ok(done)
    }

    /// Takes one provider delivery: its receipt commits with the events it queued
    /// (`records.deliveries`), or none of it does. False when the delivery was taken before (a
    /// replay or a provider's redelivery): nothing is queued again.
    pub async fn take_trigger_push(
        &self,
        ingress_id: &str,
        delivery_id: &str,
        records: &ChangeRecords,
    ) -> Result<bool> {
        let mut tx = self.begin_change().await?;
        let events = i64::try_from(records.deliveries.len()).unwrap_or(i64::MAX);
        let fresh = sqlx::query(
            "INSERT INTO trigger_ingress_receipts (ingress_id, delivery_id, received_at, events) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (ingress_id, delivery_id) DO NOTHING",
        )
        .bind(ingress_id)
        .bind(delivery_id)
        .bind(Utc::now().to_rfc3339())
        .bind(events)
        .execute(&mut *tx)
        .await
        .map_err(|e| self.db_error(e))?
        .rows_affected()
            > 0;
        self.commit_change(tx, records.when(fresh)).await?;
        Ok(fresh)
    }

    /// Forgets receipts older than `cutoff` (retention).
    pub async fn delete_trigger_receipts_before(&self, cutoff: DateTime<Utc>) -> Result<u64> {
        let done = sqlx::query("DELETE FROM trigger_ingress_receipts WHERE received_at < $1")
            .bind(cutoff.to_rfc3339())
            .execute(&self.writer)
            .await
            .map_err(|e| self.db_error(e))?;
        Ok(done.rows_affected())
    }

    /// Connections whose ingress endpoint has no signing secret yet.
    pub async fn trigger_ingress_without_secret(&self) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT connection_name FROM trigger_ingress_endpoints WHERE signing_secret IS NULL ORDER BY connection_name",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.db_error(e))?;
        Ok(rows.iter().map(|r| r.get("connection_name")).collect())
    }

    /// What triggers did since `since`, by count name (see `GetTriggerActivityResponse`).
    pub async fn trigger_activity(&self, since: DateTime<Utc>) -> Result<BTreeMap<String, u64>> {
        let since = since.to_rfc3339();
        let count = |n: i64| u64::try_from(n).unwrap_or_default();
        let mut counts = BTreeMap::new();
        let deliveries = sqlx::query(
            "SELECT status, COUNT(*) AS n FROM webhook_deliveries \
             WHERE event_type LIKE 'trigger.%' AND created_at >= $1 GROUP BY status",
        )
        .bind(&since)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.db_error(e))?;
        for name in ["delivered", "delivery_pending", "delivery_failed"] {
            counts.insert(name.to_string(), 0);
        }
        for row in &deliveries {
            let name = match row.get::<String, _>("status").as_str() {
                "delivered" => "delivered",
                "pending" => "delivery_pending",
                _ => "delivery_failed",
            };
            *counts.entry(name.to_string()).or_default() += count(row.get("n"));
        }
        let events = sqlx::query(
            "SELECT COUNT(DISTINCT event_id) AS n FROM webhook_deliveries WHERE event_type LIKE 'trigger.%' AND created_at >= $1",
        )
        .bind(&since)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| self.db_error(e))?;
        counts.insert("events".into(), count(events.get("n")));
        let pushes = sqlx::query("SELECT COUNT(*) AS n FROM trigger_ingress_receipts WHERE received_at >= $1")
            .bind(&since)
            .fetch_one(&self.pool)
            .await
            .map_err(|e| self.db_error(e))?;
        counts.insert("pushes_accepted".into(), count(pushes.get("n")));
        let refused = sqlx::query(
            "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'trigger_push.refused' AND occurred_at >= $1",
        )
        .bind(&since)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| self.db_error(e))?;
        counts.insert("pushes_refused".into(), count(refused.get("n")));
        let subscriptions = sqlx::query(
            "SELECT status, COUNT(*) AS n, SUM(CASE WHEN consecutive_failures > 0 THEN 1 ELSE 0 END) AS failing \
             FROM trigger_subscriptions GROUP BY status",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.db_error(e))?;
        let mut failing = 0;
        for status in agentkit_core::model::TriggerSubscriptionStatus::ALL {
            counts.insert(format!("subscriptions_{}", status.as_str().to_ascii_lowercase()), 0);
        }
        for row in &subscriptions {
            let status = row.get::<String, _>("status").to_ascii_lowercase();
            counts.insert(format!("subscriptions_{status}"), count(row.get("n")));
            failing += count(row.try_get::<i64, _>("failing").unwrap_or_default());
        }
        counts.insert("subscriptions_failing".into(), failing);
        Ok(counts)
    }
}
