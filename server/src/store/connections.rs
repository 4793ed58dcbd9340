//! The `connections` table: connections created through the API (the config file's are not
//! stored). The OAuth client secret is sealed by the vault, bound to the connection's name.

use chrono::Utc;
use sqlx::Row;

use agentkit_core::{Error, ErrorKind, Result};

use super::{changes::Change, ChangeRecords, Store};
use crate::config::ConnectionConfig;

impl Store {
    /// Every stored connection, secrets opened, in name order.
    pub async fn stored_connections(&self) -> Result<Vec<ConnectionConfig>> {
        let rows = sqlx::query("SELECT name, settings, client_secret FROM connections ORDER BY name")
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.db_error(e))?;
        rows.iter()
            .map(|r| {
                let name: String = r.get("name");
                let mut connection: ConnectionConfig = serde_json::from_str(&r.get::<String, _>("settings"))?;
                connection.name = name.clone();
                let sealed: Option<String> = r.get("client_secret");
                connection.client_secret = sealed
                    .map(|s| self.vault.open_sealed(&s, &name).map(|b| String::from_utf8_lossy(&b).into_owned()))
                    .transpose()?;
                Ok(connection)
            })
            .collect()
    }

    /// Inserts a connection (or replaces it: `replace`), its secret sealed, with what reports
    /// it; the other replicas rebuild their catalog. A name already taken is 409.
    pub async fn save_connection(&self, c: &ConnectionConfig, replace: bool, records: &ChangeRecords) -> Result<()> {
        let secret = c.client_secret.as_ref().map(|s| self.vault.seal(s.as_bytes(), &c.name)).transpose()?;
        let settings = serde_json::to_string(&ConnectionConfig { client_secret: None, ..c.clone() })?;
        let now = Utc::now().to_rfc3339();
        let mut tx = self.begin_change().await?;
        let outcome = if replace {
            sqlx::query("UPDATE connections SET settings = $1, client_secret = $2, updated_at = $3 WHERE name = $4")
                .bind(&settings)
                .bind(&secret)
                .bind(&now)
                .bind(&c.name)
                .execute(&mut *tx)
                .await
        } else {
            sqlx::query(
                "INSERT INTO connections (name, settings, client_secret, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&c.name)
            .bind(&settings)
            .bind(&secret)
            .bind(&now)
            .bind(&now)
            .execute(&mut *tx)
            .await
        };
        match outcome {
            Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                Err(Error::new(ErrorKind::Conflict, format!("a connection named {:?} already exists", c.name)))
            }
            other => other.map(|_| ()).map_err(|e| self.db_error(e)),
        }?;
        self.commit_change(tx, records).await?;
        self.announce(Change::Catalog).await;
        Ok(())
    }

    /// Deletes a stored connection (and any upstream OAuth client registered for it), with what
    /// reports it; false when there is none.
    pub async fn delete_connection(&self, name: &str, records: &ChangeRecords) -> Result<bool> {
        let mut tx = self.begin_change().await?;
        let done = sqlx::query("DELETE FROM connections WHERE name = $1")
            .bind(name)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.db_error(e))?;
        let deleted = done.rows_affected() == 1;
        // The client registered for it at a remote MCP server's authorization server goes with it.
        sqlx::query("DELETE FROM upstream_oauth_clients WHERE connection_name = $1")
            .bind(name)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.db_error(e))?;
        self.commit_change(tx, records.when(deleted)).await?;
        self.announce(Change::Catalog).await;
        Ok(deleted)
    }
}
