//! The `installed_connectors` table: connectors imported through the API and installed, kept as
//! their connector file's JSON so every replica (and every restart) loads the same connector.

use chrono::Utc;
use sqlx::Row;

use agentkit_core::{Error, ErrorKind, Result};

use super::changes::Change;
use super::{ChangeRecords, Store};

/// One installed connector: its slug and its connector file's JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledConnector {
    pub slug: String,
    pub connector: String,
}

impl Store {
    /// Every installed connector, in slug order.
    pub async fn installed_connectors(&self) -> Result<Vec<InstalledConnector>> {
        let rows = sqlx::query("SELECT slug, connector FROM installed_connectors ORDER BY slug")
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.db_error(e))?;
        Ok(rows.iter().map(|r| InstalledConnector { slug: r.get("slug"), connector: r.get("connector") }).collect())
    }

    /// Stores a new installed connector with what reports it; a slug already taken is 409. The
    /// other replicas rebuild their catalog.
    pub async fn save_installed_connector(
        &self,
        installed: &InstalledConnector,
        records: &ChangeRecords,
    ) -> Result<()> {
        let mut tx = self.begin_change().await?;
        let outcome = sqlx::query("INSERT INTO installed_connectors (slug, connector, created_at) VALUES ($1, $2, $3)")
            .bind(&installed.slug)
            .bind(&installed.connector)
            .bind(Utc::now().to_rfc3339())
            .execute(&mut *tx)
            .await;
        match outcome {
            Err(sqlx::Error::Database(db)) if db.is_unique_violation() => Err(Error::new(
                ErrorKind::Conflict,
                format!("a connector with slug {:?} is already installed", installed.slug),
            )),
            other => other.map(|_| ()).map_err(|e| self.db_error(e)),
        }?;
        self.commit_change(tx, records).await?;
        self.announce(Change::Catalog).await;
        Ok(())
    }

    /// Deletes an installed connector with what reports it (nothing when there was none).
    pub async fn delete_installed_connector(&self, slug: &str, records: &ChangeRecords) -> Result<bool> {
        let mut tx = self.begin_change().await?;
        let done = sqlx::query("DELETE FROM installed_connectors WHERE slug = $1")
            .bind(slug)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.db_error(e))?;
        let deleted = done.rows_affected() > 0;
        self.commit_change(tx, records.when(deleted)).await?;
        self.announce(Change::Catalog).await;
        Ok(deleted)
    }
}
