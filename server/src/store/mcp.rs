//! Persistence of MCP configs and instances (tables from `migrations/0003_mcp.sql`).

use chrono::{DateTime, Utc};
use sqlx::Row;

use agentkit_core::model::McpConfigConnectionToolMapping;
use agentkit_core::{Error, ErrorKind, Result};

use crate::config::sha256_hex;
use crate::store::{ts, ChangeRecords, Store};

/// A stored MCP config.
#[derive(Debug, Clone)]
pub struct ConfigRecord {
    pub id: String,
    pub name: String,
    pub description: String,
    pub mappings: Vec<McpConfigConnectionToolMapping>,
}

/// A stored MCP instance; `url_key` is the secret part of its URL.
#[derive(Debug, Clone)]
pub struct InstanceRecord {
    pub id: String,
    pub name: String,
    pub user_identifier: String,
    pub config_id: String,
    pub url_key: String,
    pub updated_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

fn config_from_row(row: &sqlx::any::AnyRow) -> Result<ConfigRecord> {
    Ok(ConfigRecord {
        id: row.get("id"),
        name: row.get("name"),
        description: row.get("description"),
        mappings: serde_json::from_str(&row.get::<String, _>("mappings"))?,
    })
}

impl Store {
    fn instance_from_row(&self, row: &sqlx::any::AnyRow) -> Result<InstanceRecord> {
        let id: String = row.get("id");
        let sealed: String = row.get("url_key_sealed");
        Ok(InstanceRecord {
            url_key: String::from_utf8_lossy(&self.vault.open_sealed(&sealed, &id)?).into_owned(),
            name: row.get("name"),
            user_identifier: row.get("user_identifier"),
            config_id: row.get("config_id"),
            updated_at: ts(row.get("updated_at")).unwrap_or_else(Utc::now),
            // A queued use not yet written counts: callers do not wait for the bookkeeping.
            last_used_at: self.bookkeeping.instance_last_used(&id, ts(row.get("last_used_at"))),
            id,
        })
    }

    /// Inserts a config with what reports it; a name already taken is 409.
    pub async fn insert_mcp_config(&self, c: &ConfigRecord, records: &ChangeRecords) -> Result<()> {
        let now = Utc::now().to_rfc3339();
        let mut tx = self.begin_change().await?;
        let outcome = sqlx::query("INSERT INTO mcp_configs (id, name, description, mappings, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&c.id)
            .bind(&c.name)
            .bind(&c.description)
            .bind(serde_json::to_string(&c.mappings)?)
            .bind(&now)
            .bind(&now)
            .execute(&mut *tx)
            .await;
        match outcome {
            Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                Err(Error::new(ErrorKind::Conflict, format!("an MCP config named {:?} already exists", c.name)))
            }
            other => other.map(|_| ()).map_err(|e| self.db_error(e)),
        }?;
        self.commit_change(tx, records).await?;
        self.mcp_changed().await;
        Ok(())
    }

    pub async fn update_mcp_config(&self, c: &ConfigRecord, records: &ChangeRecords) -> Result<()> {
        let mut tx = self.begin_change().await?;
        sqlx::query("UPDATE mcp_configs SET description = $1, mappings = $2, updated_at = $3 WHERE id = $4")
            .bind(&c.description)
            .bind(serde_json::to_string(&c.mappings)?)
            .bind(Utc::now().to_rfc3339())
            .bind(&c.id)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.db_error(e))?;
        self.commit_change(tx, records).await?;
        self.mcp_changed().await;
        Ok(())
    }

    /// A config by id or (exact) name.
    pub async fn mcp_config(&self, id_or_name: &str) -> Result<Option<ConfigRecord>> {
        if let Some(config) = self.mcp_cache.config(id_or_name) {
            return Ok(Some(config));
        }
        let generation = self.mcp_cache.generation();
        let row = sqlx::query("SELECT * FROM mcp_configs WHERE id = $1 OR name = $2")
            .bind(id_or_name)
            .bind(id_or_name)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| self.db_error(e))?;
        let config = row.as_ref().map(config_from_row).transpose()?;
        if let Some(config) = &config {
            self.mcp_cache.store_config(id_or_name.to_string(), config.clone(), generation);
        }
        Ok(config)
    }

    pub async fn mcp_configs(&self) -> Result<Vec<ConfigRecord>> {
        let rows = sqlx::query("SELECT * FROM mcp_configs ORDER BY name")
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.db_error(e))?;
        rows.iter().map(config_from_row).collect()
    }

    /// Deletes a config and, with it, every instance (their URLs stop working at once), with
    /// what reports it.
    pub async fn delete_mcp_config(&self, id: &str, records: &ChangeRecords) -> Result<bool> {
        let mut tx = self.begin_change().await?;
        sqlx::query("DELETE FROM mcp_instances WHERE config_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.db_error(e))?;
        let done = sqlx::query("DELETE FROM mcp_configs WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.db_error(e))?;
        let deleted = done.rows_affected() > 0;
        self.commit_change(tx, records.when(deleted)).await?;
        if deleted {
            self.mcp_changed().await;
        }
        Ok(deleted)
    }

    /// The instance of a config for a user, created with a fresh secret URL key when missing.
    /// The instance of `user` on a config, made (with the records `created(id)` gives, in the
    /// same commit) when there is none.
    pub async fn ensure_mcp_instance(
        &self,
        config_id: &str,
        user: &str,
        name: &str,
        created: impl FnOnce(&str) -> ChangeRecords,
    ) -> Result<InstanceRecord> {
        if let Some(existing) = self.mcp_instance_of(config_id, user).await? {
            return Ok(existing);
        }
        let id = format!("inst_{}", uuid::Uuid::new_v4().simple());
        let key: [u8; 32] = rand::random();
        let key: String = key.iter().map(|b| format!("{b:02x}")).collect();
        let now = Utc::now().to_rfc3339();
        let mut tx = self.begin_change().await?;
        let outcome = sqlx::query(
            "INSERT INTO mcp_instances (id, name, user_identifier, config_id, url_key_sealed, url_key_sha256, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(name)
        .bind(user)
        .bind(config_id)
        .bind(self.vault.seal(key.as_bytes(), &id)?)
        .bind(sha256_hex(&key))
        .bind(&now)
        .bind(&now)
        .execute(&mut *tx)
        .await;
        match outcome {
            // A concurrent ensure created it first (and audited it): this transaction is dropped.
            Err(sqlx::Error::Database(db)) if db.is_unique_violation() => drop(tx),
            other => {
                other.map_err(|e| self.db_error(e))?;
                self.commit_change(tx, &created(&id)).await?;
                self.mcp_changed().await;
            }
        }
        self.mcp_instance_of(config_id, user).await?.ok_or_else(|| Error::new(ErrorKind::Server, "instance vanished"))
    }

    pub(crate) async fn mcp_instance_of(&self, config_id: &str, user: &str) -> Result<Option<InstanceRecord>> {
        let row = sqlx::query("SELECT * FROM mcp_instances WHERE config_id = $1 AND user_identifier = $2")
            .bind(config_id)
            .bind(user)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| self.db_error(e))?;
        row.as_ref().map(|r| self.instance_from_row(r)).transpose()
    }

    /// An instance as shown to a caller (its queued use included).
    pub async fn mcp_instance(&self, id: &str) -> Result<Option<InstanceRecord>> {
        let row = sqlx::query("SELECT * FROM mcp_instances WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| self.db_error(e))?;
        row.as_ref().map(|r| self.instance_from_row(r)).transpose()
    }

    /// The instance a URL key belongs to (looked up by hash). Cached for MCP requests: the
    /// instance's `last_used_at` may be older than its queued use.
    pub async fn mcp_instance_by_key(&self, key: &str) -> Result<Option<InstanceRecord>> {
        let key_sha256 = sha256_hex(key);
        if let Some(instance) = self.mcp_cache.instance(&key_sha256) {
            return Ok(Some(instance));
        }
        let generation = self.mcp_cache.generation();
        let row = sqlx::query("SELECT * FROM mcp_instances WHERE url_key_sha256 = $1")
            .bind(&key_sha256)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| self.db_error(e))?;
        let instance = row.as_ref().map(|r| self.instance_from_row(r)).transpose()?;
        if let Some(instance) = &instance {
            self.mcp_cache.store_instance(key_sha256, instance.clone(), generation);
        }
        Ok(instance)
    }

    pub async fn mcp_instances(&self) -> Result<Vec<InstanceRecord>> {
        let rows = sqlx::query("SELECT * FROM mcp_instances ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.db_error(e))?;
        rows.iter().map(|r| self.instance_from_row(r)).collect()
    }

    pub async fn update_mcp_instance(&self, i: &InstanceRecord, records: &ChangeRecords) -> Result<()> {
        let mut tx = self.begin_change().await?;
        let outcome = sqlx::query("UPDATE mcp_instances SET name = $1, config_id = $2, updated_at = $3 WHERE id = $4")
            .bind(&i.name)
            .bind(&i.config_id)
            .bind(Utc::now().to_rfc3339())
            .bind(&i.id)
            .execute(&mut *tx)
            .await;
        match outcome {
            Err(sqlx::Error::Database(db)) if db.is_unique_violation() => Err(Error::new(
                ErrorKind::Conflict,
                format!("user {:?} already has an instance of that config", i.user_identifier),
            )),
            other => other.map(|_| ()).map_err(|e| self.db_error(e)),
        }?;
        self.commit_change(tx, records).await?;
        self.mcp_changed().await;
        Ok(())
    }

    pub async fn delete_mcp_instance(&self, id: &str, records: &ChangeRecords) -> Result<bool> {
        let mut tx = self.begin_change().await?;
        let done = sqlx::query("DELETE FROM mcp_instances WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.db_error(e))?;
        let deleted = done.rows_affected() > 0;
        self.commit_change(tx, records.when(deleted)).await?;
        if deleted {
            self.mcp_changed().await;
        }
        Ok(deleted)
    }

    /// Notes "used now" for the instance's `last_used_at` (bookkeeping, batched).
    pub fn touch_mcp_instance(&self, id: &str) {
        self.bookkeeping.mcp_instance_used(id);
    }
}
