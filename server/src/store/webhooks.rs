//! Webhook endpoints registered at runtime, and the delivery outbox.

use chrono::{DateTime, Utc};
use sqlx::Row;

use agentkit_core::Result;

use super::{ts, ChangeRecords, Store};

/// An endpoint as stored (its secret opened).
#[derive(Debug, Clone)]
pub struct StoredWebhookEndpoint {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub secret: String,
    pub created_at: DateTime<Utc>,
}

/// One event for one endpoint, as the outbox holds it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct WebhookDelivery {
    pub id: String,
    pub event_id: String,
    pub event_type: String,
    pub endpoint_id: String,
    #[serde(skip)]
    pub payload: String,
    /// `pending`, `delivered` or `failed` (every scheduled try used).
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// Deliveries with the same key go out one at a time in `sequence` order (a trigger
    /// subscription's events to one endpoint); none: whenever due.
    #[serde(skip)]
    pub ordering_key: Option<String>,
    #[serde(skip)]
    pub sequence: i64,
}

/// One try to deliver an event, as it ended.
#[derive(Debug, Clone)]
pub struct DeliveryAttempt {
    pub id: String,
    pub endpoint_id: String,
    pub event_id: String,
    pub succeeded: bool,
    pub response_status: Option<u16>,
    pub response: String,
    pub attempted_at: DateTime<Utc>,
}

/// How one try ended.
pub enum DeliveryOutcome {
    Delivered { status: u16 },
    RetryAt { at: DateTime<Utc>, status: Option<u16>, error: String },
    GaveUp { status: Option<u16>, error: String },
}

fn delivery(r: &sqlx::any::AnyRow) -> WebhookDelivery {
    WebhookDelivery {
        id: r.get("id"),
        event_id: r.get("event_id"),
        event_type: r.get("event_type"),
        endpoint_id: r.get("endpoint_id"),
        payload: r.get("payload"),
        status: r.get("status"),
        attempts: r.get("attempts"),
        next_attempt_at: ts(r.get("next_attempt_at")).unwrap_or_else(Utc::now),
        last_status: r.get("last_status"),
        last_error: r.get("last_error"),
        created_at: ts(r.get("created_at")).unwrap_or_else(Utc::now),
        delivered_at: ts(r.get("delivered_at")),
        ordering_key: r.get("ordering_key"),
        sequence: r.get("sequence"),
    }
}

impl Store {
    pub async fn insert_webhook_endpoint(
        &self,
        endpoint: &StoredWebhookEndpoint,
        records: &ChangeRecords,
    ) -> Result<()> {
        let sealed = self.vault.seal(endpoint.secret.as_bytes(), &endpoint.id)?;
        let mut tx = self.begin_change().await?;
        sqlx::query("INSERT INTO webhook_endpoints (id, url, events, secret, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&endpoint.id)
            .bind(&endpoint.url)
            .bind(serde_json::to_string(&endpoint.events)?)
            .bind(sealed)
            .bind(endpoint.created_at.to_rfc3339())
            .execute(&mut *tx)
            .await
            .map_err(|e| self.db_error(e))?;
        self.commit_change(tx, records).await
    }

    pub async fn webhook_endpoints(&self) -> Result<Vec<StoredWebhookEndpoint>> {
        let rows = sqlx::query("SELECT * FROM webhook_endpoints ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.db_error(e))?;
        rows.iter()
            .map(|r| {
                let id: String = r.get("id");
                let secret = self.vault.open_sealed(&r.get::<String, _>("secret"), &id)?;
                Ok(StoredWebhookEndpoint {
                    url: r.get("url"),
                    events: serde_json::from_str(&r.get::<String, _>("events")).unwrap_or_default(),
                    secret: String::from_utf8_lossy(&secret).into_owned(),
                    created_at: ts(r.get("created_at")).unwrap_or_else(Utc::now),
                    id,
                })
            })
            .collect()
    }

    /// Removes an endpoint and its undelivered events, with what reports it; false when there
    /// was none.
    pub async fn delete_webhook_endpoint(&self, id: &str, records: &ChangeRecords) -> Result<bool> {
        let mut tx = self.begin_change().await?;
        let done = sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.db_error(e))?;
        sqlx::query("DELETE FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'pending'")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.db_error(e))?;
        let deleted = done.rows_affected() == 1;
        self.commit_change(tx, records.when(deleted)).await?;
        Ok(deleted)
    }

    /// Puts one event's deliveries into the outbox, all or none.
    pub async fn enqueue_webhook_deliveries(&self, deliveries: &[WebhookDelivery]) -> Result<()> {
        let mut tx = self.writer.begin().await.map_err(|e| self.db_error(e))?;
        insert_deliveries(&mut tx, deliveries).await.map_err(|e| self.db_error(e))?;
        tx.commit().await.map_err(|e| self.db_error(e))
    }

    /// Claims up to `limit` due deliveries for `lease` (another replica skips them meanwhile;
    /// a replica that dies holding them lets the lease lapse and someone else retries).
    pub async fn claim_webhook_deliveries(&self, lease: chrono::Duration, limit: u32) -> Result<Vec<WebhookDelivery>> {
        let now = Utc::now();
        let until = now.checked_add_signed(lease).unwrap_or(now);
        // Free: due, not leased, and not behind a pending delivery of its ordering key.
        let free = "status = 'pending' AND next_attempt_at <= $2 AND (locked_until IS NULL OR locked_until < $2) \
                    AND NOT EXISTS (SELECT 1 FROM webhook_deliveries earlier WHERE earlier.ordering_key = webhook_deliveries.ordering_key \
                    AND earlier.status = 'pending' AND earlier.sequence < webhook_deliveries.sequence)";
        let sql = format!(
            "UPDATE webhook_deliveries SET locked_until = $1 WHERE id IN \
             (SELECT id FROM webhook_deliveries WHERE {free} ORDER BY next_attempt_at LIMIT $3) AND {free} RETURNING *"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(until.to_rfc3339())
            .bind(now.to_rfc3339())
            .bind(i64::from(limit))
            .fetch_all(&self.writer)
            .await
            .map_err(|e| self.db_error(e))?;
        Ok(rows.iter().map(delivery).collect())
    }

    /// Records how a try ended, with its attempt row (`response`: the start of the receiver's
    /// answer, or why there was none) in the same commit.
    pub async fn finish_webhook_delivery(
        &self,
        delivery: &WebhookDelivery,
        outcome: &DeliveryOutcome,
        response: &str,
    ) -> Result<()> {
        let now = Utc::now().to_rfc3339();
        let (status, next, code, error, delivered, attempt) = match outcome {
            DeliveryOutcome::Delivered { status } => {
                ("delivered", now.clone(), Some(*status), None, Some(now.clone()), "SUCCESS")
            }
            DeliveryOutcome::RetryAt { at, status, error } => {
                ("pending", at.to_rfc3339(), *status, Some(error), None, "FAIL")
            }
            DeliveryOutcome::GaveUp { status, error } => ("failed", now.clone(), *status, Some(error), None, "FAIL"),
        };
        let mut tx = self.writer.begin().await.map_err(|e| self.db_error(e))?;
        sqlx::query(
            "UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1, next_attempt_at = $2, \
             locked_until = NULL, last_status = $3, last_error = $4, delivered_at = $5 WHERE id = $6",
        )
        .bind(status)
        .bind(next)
        .bind(code.map(i64::from))
        .bind(error)
        .bind(delivered)
        .bind(&delivery.id)
        .execute(&mut *tx)
        .await
        .map_err(|e| self.db_error(e))?;
        sqlx::query(
            "INSERT INTO webhook_delivery_attempts (id, delivery_id, endpoint_id, event_id, status, response_status, \
             response, attempted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(format!("wha_{}", uuid::Uuid::new_v4().simple()))
        .bind(&delivery.id)
        .bind(&delivery.endpoint_id)
        .bind(&delivery.event_id)
        .bind(attempt)
        .bind(code.map(i64::from))
        .bind(response)
        .bind(&now)
        .execute(&mut *tx)
        .await
        .map_err(|e| self.db_error(e))?;
        tx.commit().await.map_err(|e| self.db_error(e))
    }

    /// An endpoint's newest delivery attempts, newest first.
    pub async fn webhook_delivery_attempts(&self, endpoint_id: &str, limit: u32) -> Result<Vec<DeliveryAttempt>> {
        let rows = sqlx::query(
            "SELECT * FROM webhook_delivery_attempts WHERE endpoint_id = $1 ORDER BY attempted_at DESC, id DESC LIMIT $2",
        )
        .bind(endpoint_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.db_error(e))?;
        Ok(rows
            .iter()
            .map(|r| DeliveryAttempt {
                id: r.get("id"),
                endpoint_id: r.get("endpoint_id"),
                event_id: r.get("event_id"),
                succeeded: r.get::<String, _>("status") == "SUCCESS",
                response_status: r.get::<Option<i64>, _>("response_status").and_then(|c| u16::try_from(c).ok()),
                response: r.get("response"),
                attempted_at: ts(r.get("attempted_at")).unwrap_or_else(Utc::now),
            })
            .collect())
    }

    /// Forgets delivery attempts older than `cutoff` (retention).
    pub async fn delete_delivery_attempts_before(&self, cutoff: DateTime<Utc>) -> Result<u64> {
        let done = sqlx::query("DELETE FROM webhook_delivery_attempts WHERE attempted_at < $1")
            .bind(cutoff.to_rfc3339())
            .execute(&self.writer)
            .await
            .map_err(|e| self.db_error(e))?;
        Ok(done.rows_affected())
    }

    /// The newest deliveries to an endpoint.
    pub async fn webhook_deliveries(&self, endpoint_id: &str, limit: u32) -> Result<Vec<WebhookDelivery>> {
        let rows = sqlx::query(
            "SELECT * FROM webhook_deliveries WHERE endpoint_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
        )
        .bind(endpoint_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.db_error(e))?;
        Ok(rows.iter().map(delivery).collect())
    }

    /// Queues a delivery again, now (manual redelivery), with its audit records in the same
    /// commit; false when there is none (of `endpoint_id`, when given).
    pub async fn redeliver_webhook(
        &self,
        id: &str,
        endpoint_id: Option<&str>,
        records: &ChangeRecords,
    ) -> Result<bool> {
        let mut tx = self.begin_change().await?;
        let now = Utc::now().to_rfc3339();
        let done = match endpoint_id {
            Some(endpoint_id) => sqlx::query(
                "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $1, locked_until = NULL \
                 WHERE id = $2 AND endpoint_id = $3",
            )
            .bind(now)
            .bind(id)
            .bind(endpoint_id),
            None => sqlx::query(
                "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $1, locked_until = NULL WHERE id = $2",
            )
            .bind(now)
            .bind(id),
        }
        .execute(&mut *tx)
        .await
        .map_err(|e| self.db_error(e))?
        .rows_affected()
            == 1;
        self.commit_change(tx, records.when(done)).await?;
        Ok(done)
    }
}

/// Writes deliveries into the outbox inside the caller's transaction (with the change they report).
pub(super) async fn insert_deliveries(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    deliveries: &[WebhookDelivery],
) -> std::result::Result<(), sqlx::Error> {
    for d in deliveries {
        sqlx::query(
            "INSERT INTO webhook_deliveries (id, event_id, event_type, endpoint_id, payload, status, attempts, \
             next_attempt_at, created_at, ordering_key, sequence) VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $7, $8, $9)",
        )
        .bind(&d.id)
        .bind(&d.event_id)
        .bind(&d.event_type)
        .bind(&d.endpoint_id)
        .bind(&d.payload)
        .bind(d.next_attempt_at.to_rfc3339())
        .bind(d.created_at.to_rfc3339())
        .bind(d.ordering_key.as_deref())
        .bind(d.sequence)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
