//! The `custom_providers` table: providers created at runtime, stored as their JSON.

use chrono::Utc;
use sqlx::Row;

use agentkit_core::model::Provider;
use agentkit_core::{Error, ErrorKind, Result};

use super::changes::Change;
use super::{ChangeRecords, Store};

impl Store {
    pub async fn custom_providers(&self) -> Result<Vec<Provider>> {
        let rows = sqlx::query("SELECT provider FROM custom_providers ORDER BY identifier")
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.db_error(e))?;
        rows.iter().map(|r| Ok(serde_json::from_str(&r.get::<String, _>("provider"))?)).collect()
    }

    pub async fn custom_provider(&self, identifier: &str) -> Result<Option<Provider>> {
        let row = sqlx::query("SELECT provider FROM custom_providers WHERE identifier = $1")
            .bind(identifier)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| self.db_error(e))?;
        row.map(|r| Ok(serde_json::from_str(&r.get::<String, _>("provider"))?)).transpose()
    }

    /// Inserts a new provider, or replaces one (`replace`), with what reports it; a new
    /// identifier already taken is 409.
    pub async fn save_custom_provider(
        &self,
        provider: &Provider,
        replace: bool,
        records: &ChangeRecords,
    ) -> Result<()> {
        let now = Utc::now().to_rfc3339();
        let body = serde_json::to_string(provider)?;
        let mut tx = self.begin_change().await?;
        let outcome = if replace {
            sqlx::query("UPDATE custom_providers SET provider = $1, updated_at = $2 WHERE identifier = $3")
                .bind(&body)
                .bind(&now)
                .bind(&provider.identifier)
                .execute(&mut *tx)
                .await
        } else {
            sqlx::query(
                "INSERT INTO custom_providers (identifier, id, provider, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&provider.identifier)
            .bind(&provider.id)
            .bind(&body)
            .bind(&now)
            .bind(&now)
            .execute(&mut *tx)
            .await
        };
        match outcome {
            Err(sqlx::Error::Database(db)) if db.is_unique_violation() => Err(Error::new(
                ErrorKind::Conflict,
                format!("a provider with identifier {:?} already exists", provider.identifier),
            )),
            other => other.map(|_| ()).map_err(|e| self.db_error(e)),
        }?;
        self.commit_change(tx, records).await?;
        self.announce(Change::Catalog).await;
        Ok(())
    }

    /// Deletes a provider and writes what reports it (nothing when there was none).
    pub async fn delete_custom_provider(&self, identifier: &str, records: &ChangeRecords) -> Result<bool> {
        let mut tx = self.begin_change().await?;
        let done = sqlx::query("DELETE FROM custom_providers WHERE identifier = $1")
            .bind(identifier)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.db_error(e))?;
        let deleted = done.rows_affected() > 0;
        self.commit_change(tx, records.when(deleted)).await?;
        self.announce(Change::Catalog).await;
        Ok(deleted)
    }
}
