//! The `api_clients` table: API clients created through the API (the config file's are not
//! stored). Secrets are kept as SHA-256 digests only.

use chrono::{DateTime, Utc};
use sqlx::Row;

use agentkit_core::Result;

use super::{changes::Change, ts, ChangeRecords, Store};

/// An API client as stored.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StoredApiClient {
    pub client_id: String,
    pub name: String,
    #[serde(skip)]
    pub secret_sha256: String,
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub rotated_at: Option<DateTime<Utc>>,
}

impl Store {
    /// Every stored client, in id order.
    pub async fn api_clients(&self) -> Result<Vec<StoredApiClient>> {
        let rows = sqlx::query("SELECT * FROM api_clients ORDER BY client_id")
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.db_error(e))?;
        Ok(rows
            .iter()
            .map(|r| StoredApiClient {
                client_id: r.get("client_id"),
                name: r.get("name"),
                secret_sha256: r.get("secret_sha256"),
                scopes: serde_json::from_str(&r.get::<String, _>("scopes")).unwrap_or_default(),
                created_at: ts(r.get("created_at")).unwrap_or_else(Utc::now),
                rotated_at: ts(r.get("rotated_at")),
            })
            .collect())
    }

    /// Stores a new client, with what reports it; the other replicas are told.
    pub async fn insert_api_client(&self, client: &StoredApiClient, records: &ChangeRecords) -> Result<()> {
        let mut tx = self.begin_change().await?;
        sqlx::query(
            "INSERT INTO api_clients (client_id, name, secret_sha256, scopes, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&client.client_id)
        .bind(&client.name)
        .bind(&client.secret_sha256)
        .bind(serde_json::to_string(&client.scopes)?)
        .bind(client.created_at.to_rfc3339())
        .execute(&mut *tx)
        .await
        .map_err(|e| self.db_error(e))?;
        self.commit_change(tx, records).await?;
        self.announce(Change::ApiClients).await;
        Ok(())
    }

    /// Replaces a client's secret digest; false when there is no such client.
    pub async fn rotate_api_client(
        &self,
        client_id: &str,
        secret_sha256: &str,
        records: &ChangeRecords,
    ) -> Result<bool> {
        let mut tx = self.begin_change().await?;
        let done = sqlx::query("UPDATE api_clients SET secret_sha256 = $1, rotated_at = $2 WHERE client_id = $3")
            .bind(secret_sha256)
            .bind(Utc::now().to_rfc3339())
            .bind(client_id)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.db_error(e))?;
        let rotated = done.rows_affected() == 1;
        self.commit_change(tx, records.when(rotated)).await?;
        self.announce(Change::ApiClients).await;
        Ok(rotated)
    }

    /// Deletes a client (its tokens stop working at once); false when there is none.
    pub async fn delete_api_client(&self, client_id: &str, records: &ChangeRecords) -> Result<bool> {
        let mut tx = self.begin_change().await?;
        let done = sqlx::query("DELETE FROM api_clients WHERE client_id = $1")
            .bind(client_id)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.db_error(e))?;
        let deleted = done.rows_affected() == 1;
        self.commit_change(tx, records.when(deleted)).await?;
        self.announce(Change::ApiClients).await;
        Ok(deleted)
    }
}
