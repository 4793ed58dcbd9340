//! The `rate_limits` table: per-account rate-limit buckets that every replica on one PostgreSQL
//! database shares. A bucket is one number, its "theoretical arrival time" (the generic cell rate
//! algorithm): each slot pushes it one interval further, and a caller waits while it is more
//! than a full bucket ahead of now. Taking a slot is one atomic statement on PostgreSQL's clock,
//! so replicas never hand out the same slot and their clocks need not agree.

use sqlx::Row;

use agentkit_core::Result;

use super::Store;

/// What a shared bucket answered for one slot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SlotAnswer {
    /// The slot is taken; its holder waits this many seconds (0 when the bucket had room).
    Wait(f64),
    /// No slot within `max_wait`: the bucket has room again after this many seconds.
    Refused(f64),
}

impl Store {
    /// Takes one slot of the shared bucket of (`connector`, `account_id`), which refills one slot
    /// per `interval` seconds and holds `burst` seconds' worth; refused when the wait would exceed
    /// `max_wait` seconds (nothing is taken then).
    pub async fn take_rate_limit_slot(
        &self,
        connector: &str,
        account_id: &str,
        interval: f64,
        burst: f64,
        max_wait: f64,
    ) -> Result<SlotAnswer> {
        let taken = sqlx::query(
            "INSERT INTO rate_limits (connector, account_id, tat) \
             VALUES ($1, $2, EXTRACT(EPOCH FROM now())::float8 + $3) \
             ON CONFLICT (connector, account_id) DO UPDATE \
             SET tat = GREATEST(rate_limits.tat, EXTRACT(EPOCH FROM now())::float8) + $3 \
             WHERE GREATEST(rate_limits.tat, EXTRACT(EPOCH FROM now())::float8) + $3 - $4 \
                   - EXTRACT(EPOCH FROM now())::float8 <= $5 \
             RETURNING tat - $4 - EXTRACT(EPOCH FROM now())::float8 AS wait",
        )
        .bind(connector)
        .bind(account_id)
        .bind(interval)
        .bind(burst)
        .bind(max_wait)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| self.db_error(e))?;
        if let Some(row) = taken {
            let wait: f64 = row.try_get("wait").map_err(|e| self.db_error(e))?;
            return Ok(SlotAnswer::Wait(wait.max(0.0)));
        }
        let room_in: Option<f64> = sqlx::query_scalar(
            "SELECT tat + $3 - $4 - EXTRACT(EPOCH FROM now())::float8 FROM rate_limits \
             WHERE connector = $1 AND account_id = $2",
        )
        .bind(connector)
        .bind(account_id)
        .bind(interval)
        .bind(burst)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| self.db_error(e))?;
        Ok(SlotAnswer::Refused(room_in.unwrap_or(interval).max(0.0)))
    }

    /// Forgets buckets that are full again (no different from a new one); run with retention.
    pub async fn delete_full_rate_limit_buckets(&self) -> Result<u64> {
        if self.engine != super::Engine::Postgres {
            return Ok(0);
        }
        let done = sqlx::query("DELETE FROM rate_limits WHERE tat < EXTRACT(EPOCH FROM now())::float8")
            .execute(&self.writer)
            .await
            .map_err(|e| self.db_error(e))?;
        Ok(done.rows_affected())
    }
}
