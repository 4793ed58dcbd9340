//! The `mcp_sessions` table: Streamable HTTP MCP sessions, shared by every replica. A session is
//! live while it is used at least once per idle period; an MCP URL holds a bounded number (the
//! least recently used goes when another opens). `last_seen` is bookkeeping (batched). A session
//! found live is remembered by the MCP cache, so the calls after it read nothing.

use std::time::Duration;

use chrono::Utc;
use sqlx::Row;

use agentkit_core::Result;

use super::{ts, Store};

impl Store {
    /// Opens a session for `owner` (an MCP URL), ending its least recently used ones beyond
    /// `per_owner - 1`; the new session's id.
    pub async fn open_mcp_session(&self, owner: &str, per_owner: usize) -> Result<String> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let now = Utc::now().to_rfc3339();
        let keep = i64::try_from(per_owner.saturating_sub(1)).unwrap_or(i64::MAX);
        let mut tx = self.writer.begin().await.map_err(|e| self.db_error(e))?;
        sqlx::query(
            "DELETE FROM mcp_sessions WHERE owner = $1 AND id NOT IN \
             (SELECT id FROM mcp_sessions WHERE owner = $1 ORDER BY last_seen DESC LIMIT $2)",
        )
        .bind(owner)
        .bind(keep)
        .execute(&mut *tx)
        .await
        .map_err(|e| self.db_error(e))?;
        sqlx::query("INSERT INTO mcp_sessions (id, owner, created_at, last_seen) VALUES ($1, $2, $3, $3)")
            .bind(&id)
            .bind(owner)
            .bind(&now)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.db_error(e))?;
        tx.commit().await.map_err(|e| self.db_error(e))?;
        // Sessions beyond the bound went: the URL's cached ones are read again.
        self.mcp_cache.forget_sessions_of(owner);
        Ok(id)
    }

    /// Is `id` a session of `owner` used within `idle`? If so, marks it used.
    pub async fn mcp_session_alive(&self, id: &str, owner: &str, idle: Duration) -> Result<bool> {
        if self.mcp_cache.session_of(id, owner) {
            self.bookkeeping.mcp_session_used(id);
            return Ok(true);
        }
        let generation = self.mcp_cache.generation();
        let row = sqlx::query("SELECT last_seen FROM mcp_sessions WHERE id = $1 AND owner = $2")
            .bind(id)
            .bind(owner)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| self.db_error(e))?;
        let Some(last_seen) = row.and_then(|r| ts(r.get("last_seen"))) else { return Ok(false) };
        let idle = chrono::Duration::from_std(idle).unwrap_or(chrono::Duration::MAX);
        if Utc::now().signed_duration_since(last_seen) >= idle {
            return Ok(false);
        }
        self.bookkeeping.mcp_session_used(id);
        self.mcp_cache.store_session(id.to_string(), owner.to_string(), generation);
        Ok(true)
    }

    /// Ends a session of `owner` (another URL's session id is "unknown": false).
    pub async fn end_mcp_session(&self, id: &str, owner: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM mcp_sessions WHERE id = $1 AND owner = $2")
            .bind(id)
            .bind(owner)
            .execute(&self.writer)
            .await
            .map_err(|e| self.db_error(e))?;
        let ended = done.rows_affected() > 0;
        if ended {
            self.mcp_cache.forget_sessions_of(owner);
            self.announce(super::changes::Change::Mcp).await;
        }
        Ok(ended)
    }

    /// Deletes sessions unused for `idle` (with the retention sweep); how many went.
    pub async fn delete_idle_mcp_sessions(&self, idle: Duration) -> Result<u64> {
        let idle = chrono::Duration::from_std(idle).unwrap_or(chrono::Duration::MAX);
        let Some(cutoff) = Utc::now().checked_sub_signed(idle) else { return Ok(0) };
        let done = sqlx::query("DELETE FROM mcp_sessions WHERE last_seen < $1")
            .bind(cutoff.to_rfc3339())
            .execute(&self.writer)
            .await
            .map_err(|e| self.db_error(e))?;
        if done.rows_affected() > 0 {
            self.mcp_cache.clear();
        }
        Ok(done.rows_affected())
    }
}
