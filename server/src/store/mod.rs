//! Persistence: SQLite (WAL) through sqlx, schema from `server/migrations/`.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde_json::Value;
pub mod mcp;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow};
// Dynamic SQL below is assembled only from constant column lists and `?` placeholders; every
// value is bound, so `AssertSqlSafe` marks audited strings.
use sqlx::{AssertSqlSafe, Row, SqlitePool};

use agentkit_core::model::{AuthorizationDetails, ConnectedAccount, ConnectorStatus, ConnectorType};
use agentkit_core::{Error, ErrorKind, Result};

use crate::credentials::vault::Vault;
use std::sync::Arc;

/// The database plus the vault that seals every credential before it is written.
#[derive(Clone)]
pub struct Store {
    pub(crate) pool: SqlitePool,
    pub(crate) vault: Arc<Vault>,
}

/// A stored connected account. `credentials` is the `authorization_details` JSON.
#[derive(Debug, Clone)]
pub struct AccountRecord {
    pub id: String,
    pub connection_name: String,
    pub connector: String,
    pub identifier: String,
    pub organization_id: String,
    pub user_id: String,
    pub status: ConnectorStatus,
    pub authorization_type: ConnectorType,
    pub credentials: Option<AuthorizationDetails>,
    pub api_config: Option<Value>,
    pub token_expires_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl AccountRecord {
    /// The wire form; credentials only when `with_credentials` (the `/auth` read).
    pub fn to_wire(&self, with_credentials: bool) -> ConnectedAccount {
        ConnectedAccount {
            id: self.id.clone(),
            identifier: self.identifier.clone(),
            provider: self.connector.clone(),
            status: self.status,
            authorization_type: self.authorization_type,
            authorization_details: if with_credentials { self.credentials.clone() } else { None },
            token_expires_at: self.token_expires_at,
            updated_at: Some(self.updated_at),
            connector: self.connection_name.clone(),
            last_used_at: self.last_used_at,
            connection_id: format!("conn_{}", self.connection_name),
            api_config: if with_credentials { self.api_config.clone() } else { None },
            organization_id: self.organization_id.clone(),
            user_id: self.user_id.clone(),
        }
    }
}

/// Filters of the account list.
#[derive(Debug, Default, Clone)]
pub struct AccountFilter {
    pub connection_names: Vec<String>,
    pub identifier: String,
    pub provider: String,
    pub organization_id: String,
    pub user_id: String,
    pub query: String,
}

/// An opened authorization link: the OAuth round trip in progress, and tokens held back until
/// user verification. `pkce_verifier` and `pending` are sealed in the database.
#[derive(Debug, Clone)]
pub struct AuthRequest {
    pub id: String,
    pub account_id: String,
    pub identifier: String,
    pub link_nonce: String,
    pub pkce_verifier: String,
    pub app_state: String,
    pub user_verify_url: String,
    pub status: AuthRequestStatus,
    pub pending: Option<AuthorizationDetails>,
    pub pending_expires_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
}

/// Where an authorization request stands: opened → (awaiting the app's user verification) →
/// done, or failed. Moves only forward, by compare-and-set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthRequestStatus {
    Started,
    AwaitingVerification,
    Done,
    Failed,
}

impl AuthRequestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthRequestStatus::Started => "STARTED",
            AuthRequestStatus::AwaitingVerification => "AWAITING_VERIFICATION",
            AuthRequestStatus::Done => "DONE",
            AuthRequestStatus::Failed => "FAILED",
        }
    }

    /// The stored text; an unknown value (a newer gateway's) counts as failed, never as usable.
    fn parse(text: &str) -> AuthRequestStatus {
        [Self::Started, Self::AwaitingVerification, Self::Done, Self::Failed]
            .into_iter()
            .find(|s| s.as_str() == text)
            .unwrap_or(AuthRequestStatus::Failed)
    }
}

/// The outcome an execution record holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExecutionStatus {
    Success,
    Failed,
}

impl ExecutionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionStatus::Success => "SUCCESS",
            ExecutionStatus::Failed => "FAILED",
        }
    }

    fn parse(text: &str) -> ExecutionStatus {
        if text == "SUCCESS" {
            ExecutionStatus::Success
        } else {
            ExecutionStatus::Failed
        }
    }
}

impl std::fmt::Display for ExecutionStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One execution record.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ExecutionRecord {
    pub id: String,
    pub api_client_id: String,
    pub tool_name: String,
    pub connection_name: String,
    pub connected_account_id: String,
    pub identifier: String,
    pub status: ExecutionStatus,
    pub upstream_status: Option<i64>,
    pub error_code: Option<String>,
    pub latency_ms: i64,
    pub created_at: DateTime<Utc>,
}

pub(crate) fn db_error(e: sqlx::Error) -> Error {
    if let sqlx::Error::Database(db) = &e {
        if db.is_unique_violation() {
            return Error::new(
                ErrorKind::Conflict,
                "a connected account for this connection and identifier already exists",
            );
        }
    }
    tracing::error!(error = %e, "database error");
    Error::new(ErrorKind::Server, "database error").with_source(e)
}

pub(crate) fn ts(v: Option<String>) -> Option<DateTime<Utc>> {
    v.and_then(|s| DateTime::parse_from_rfc3339(&s).ok()).map(|d| d.with_timezone(&Utc))
}

fn account_from_row(vault: &Vault, row: &SqliteRow) -> Result<AccountRecord> {
    let id: String = row.get("id");
    let credentials: Option<String> = row.get("credentials");
    let credentials = credentials.map(|sealed| open_credentials(vault, &sealed, &id)).transpose()?;
    let api_config: Option<String> = row.get("api_config");
    Ok(AccountRecord {
        id,
        connection_name: row.get("connection_name"),
        connector: row.get("connector"),
        identifier: row.get("identifier"),
        organization_id: row.get("organization_id"),
        user_id: row.get("user_id"),
        status: ConnectorStatus::from_str(row.get::<String, _>("status").as_str())?,
        authorization_type: ConnectorType::from_str(row.get::<String, _>("authorization_type").as_str())?,
        credentials,
        api_config: api_config.map(|c| serde_json::from_str(&c)).transpose()?,
        token_expires_at: ts(row.get("token_expires_at")),
        updated_at: ts(row.get("updated_at")).unwrap_or_else(Utc::now),
        last_used_at: ts(row.get("last_used_at")),
    })
}

/// Credentials JSON → sealed text bound to the account id.
fn seal_credentials(vault: &Vault, details: &AuthorizationDetails, account_id: &str) -> Result<String> {
    vault.seal(&serde_json::to_vec(details)?, account_id)
}

fn open_credentials(vault: &Vault, sealed: &str, account_id: &str) -> Result<AuthorizationDetails> {
    if !sealed.starts_with("v1.") {
        // Written before the vault existed; `agentkit keys rotate` seals it.
        return Ok(serde_json::from_str(sealed)?);
    }
    Ok(serde_json::from_slice(&vault.open_sealed(sealed, account_id)?)?)
}

const ACCOUNT_COLUMNS: &str = "id, connection_name, connector, identifier, organization_id, user_id, status, \
    authorization_type, credentials, api_config, token_expires_at, updated_at, last_used_at";

impl Store {
    /// Opens (creating if needed) the database and applies migrations.
    pub async fn open(url: &str, vault: Arc<Vault>) -> Result<Store> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| Error::invalid_field("database_url", format!("bad database_url {url:?}: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(std::time::Duration::from_secs(5))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await.map_err(db_error)?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(|e| Error::new(ErrorKind::Server, format!("migration failed: {e}")))?;
        Ok(Store { pool, vault })
    }

    pub async fn insert_account(&self, a: &AccountRecord) -> Result<()> {
        let now = Utc::now().to_rfc3339();
        sqlx::query(
            "INSERT INTO connected_accounts (id, connection_name, connector, identifier, organization_id, user_id, status, \
             authorization_type, credentials, api_config, token_expires_at, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&a.id)
        .bind(&a.connection_name)
        .bind(&a.connector)
        .bind(&a.identifier)
        .bind(&a.organization_id)
        .bind(&a.user_id)
        .bind(a.status.as_str())
        .bind(a.authorization_type.as_str())
        .bind(a.credentials.as_ref().map(|c| seal_credentials(&self.vault, c, &a.id)).transpose()?)
        .bind(a.api_config.as_ref().map(|c| c.to_string()))
        .bind(a.token_expires_at.map(|t| t.to_rfc3339()))
        .bind(&now)
        .bind(&now)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    /// Writes the mutable fields of an account.
    pub async fn update_account(&self, a: &AccountRecord) -> Result<()> {
        sqlx::query(
            "UPDATE connected_accounts SET status = ?, authorization_type = ?, credentials = ?, api_config = ?, \
             token_expires_at = ?, updated_at = ? WHERE id = ?",
        )
        .bind(a.status.as_str())
        .bind(a.authorization_type.as_str())
        .bind(a.credentials.as_ref().map(|c| seal_credentials(&self.vault, c, &a.id)).transpose()?)
        .bind(a.api_config.as_ref().map(|c| c.to_string()))
        .bind(a.token_expires_at.map(|t| t.to_rfc3339()))
        .bind(Utc::now().to_rfc3339())
        .bind(&a.id)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    pub async fn account_by_id(&self, id: &str) -> Result<Option<AccountRecord>> {
        let row = sqlx::query(AssertSqlSafe(format!("SELECT {ACCOUNT_COLUMNS} FROM connected_accounts WHERE id = ?")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        row.as_ref().map(|r| account_from_row(&self.vault, r)).transpose()
    }

    /// Accounts of one identifier on one connection (any organization/user unless given).
    pub async fn accounts_by_name(
        &self,
        connection_name: &str,
        identifier: &str,
        organization_id: &str,
        user_id: &str,
    ) -> Result<Vec<AccountRecord>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {ACCOUNT_COLUMNS} FROM connected_accounts WHERE connection_name = ? AND identifier = ? \
             AND (? = '' OR organization_id = ?) AND (? = '' OR user_id = ?) ORDER BY id"
        )))
        .bind(connection_name)
        .bind(identifier)
        .bind(organization_id)
        .bind(organization_id)
        .bind(user_id)
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter().map(|r| account_from_row(&self.vault, r)).collect()
    }

    pub async fn delete_account(&self, id: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM connected_accounts WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn touch_account(&self, id: &str) -> Result<()> {
        sqlx::query("UPDATE connected_accounts SET last_used_at = ? WHERE id = ?")
            .bind(Utc::now().to_rfc3339())
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    /// One page of accounts (ordered by id) and the total number of matches.
    pub async fn list_accounts(&self, f: &AccountFilter, offset: u32, limit: u32) -> Result<(Vec<AccountRecord>, u32)> {
        let mut clause = String::from(" FROM connected_accounts WHERE 1=1");
        let mut binds: Vec<String> = Vec::new();
        for (column, value) in [
            ("identifier", &f.identifier),
            ("connector", &f.provider),
            ("organization_id", &f.organization_id),
            ("user_id", &f.user_id),
        ] {
            if !value.is_empty() {
                clause.push_str(&format!(" AND {column} = ?"));
                binds.push(value.clone());
            }
        }
        if !f.connection_names.is_empty() {
            clause.push_str(&format!(" AND connection_name IN ({})", vec!["?"; f.connection_names.len()].join(",")));
            binds.extend(f.connection_names.iter().cloned());
        }
        if !f.query.is_empty() {
            clause.push_str(" AND (identifier LIKE ? ESCAPE '\\' OR connection_name LIKE ? ESCAPE '\\')");
            // The query is text, not a pattern: its own %, _ and \ match themselves.
            let escaped = f.query.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            let like = format!("%{escaped}%");
            binds.push(like.clone());
            binds.push(like);
        }
        let count_sql = format!("SELECT COUNT(*) AS n{clause}");
        let mut count_q = sqlx::query(AssertSqlSafe(count_sql.as_str()));
        for b in &binds {
            count_q = count_q.bind(b);
        }
        let total: i64 = count_q.fetch_one(&self.pool).await.map_err(db_error)?.get("n");
        let page_sql = format!("SELECT {ACCOUNT_COLUMNS}{clause} ORDER BY id LIMIT ? OFFSET ?");
        let mut page_q = sqlx::query(AssertSqlSafe(page_sql.as_str()));
        for b in &binds {
            page_q = page_q.bind(b);
        }
        let rows = page_q.bind(limit as i64).bind(offset as i64).fetch_all(&self.pool).await.map_err(db_error)?;
        let accounts = rows.iter().map(|r| account_from_row(&self.vault, r)).collect::<Result<Vec<_>>>()?;
        Ok((accounts, total as u32))
    }

    /// Every account of an identifier (scoped tool listing).
    pub async fn accounts_of_identifier(&self, identifier: &str) -> Result<Vec<AccountRecord>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {ACCOUNT_COLUMNS} FROM connected_accounts WHERE identifier = ? ORDER BY id"
        )))
        .bind(identifier)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter().map(|r| account_from_row(&self.vault, r)).collect()
    }

    /// Re-seals every credential not sealed with the active key (key rotation); returns how many.
    /// Each row is updated only if unchanged since it was read, so it is safe while serving.
    pub async fn reseal_credentials(&self) -> Result<usize> {
        let active = self.vault.active_kid();
        let rows = sqlx::query("SELECT id, credentials FROM connected_accounts WHERE credentials IS NOT NULL")
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        let mut count = 0;
        for row in rows {
            let (id, sealed): (String, String) = (row.get("id"), row.get("credentials"));
            if Vault::kid_of(&sealed) == Some(active.as_str()) {
                continue;
            }
            let details = open_credentials(&self.vault, &sealed, &id)?;
            let resealed = seal_credentials(&self.vault, &details, &id)?;
            let done = sqlx::query("UPDATE connected_accounts SET credentials = ? WHERE id = ? AND credentials = ?")
                .bind(resealed)
                .bind(&id)
                .bind(&sealed)
                .execute(&self.pool)
                .await
                .map_err(db_error)?;
            count += done.rows_affected() as usize;
        }
        Ok(count)
    }

    /// Records an opened link; a second use of the same link fails with `Conflict`.
    pub async fn insert_auth_request(&self, r: &AuthRequest) -> Result<()> {
        let outcome = sqlx::query(
            "INSERT INTO auth_requests (id, account_id, identifier, link_nonce, pkce_verifier, app_state, user_verify_url, \
             status, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&r.id)
        .bind(&r.account_id)
        .bind(&r.identifier)
        .bind(&r.link_nonce)
        .bind(self.vault.seal(r.pkce_verifier.as_bytes(), &r.id)?)
        .bind(&r.app_state)
        .bind(&r.user_verify_url)
        .bind(r.status.as_str())
        .bind(Utc::now().to_rfc3339())
        .bind(r.expires_at.to_rfc3339())
        .execute(&self.pool)
        .await;
        match outcome {
            Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                Err(Error::new(ErrorKind::Conflict, "this authorization link was already used"))
            }
            other => other.map(|_| ()).map_err(db_error),
        }
    }

    pub async fn auth_request(&self, id: &str) -> Result<Option<AuthRequest>> {
        let Some(row) = sqlx::query("SELECT * FROM auth_requests WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?
        else {
            return Ok(None);
        };
        let verifier: String = row.get("pkce_verifier");
        let pending: Option<String> = row.get("pending_credentials");
        Ok(Some(AuthRequest {
            id: id.to_string(),
            account_id: row.get("account_id"),
            identifier: row.get("identifier"),
            link_nonce: row.get("link_nonce"),
            pkce_verifier: String::from_utf8_lossy(&self.vault.open_sealed(&verifier, id)?).into_owned(),
            app_state: row.get("app_state"),
            user_verify_url: row.get("user_verify_url"),
            status: AuthRequestStatus::parse(&row.get::<String, _>("status")),
            pending: pending.map(|p| open_credentials(&self.vault, &p, id)).transpose()?,
            pending_expires_at: ts(row.get("pending_expires_at")),
            expires_at: ts(row.get("expires_at")).unwrap_or_else(Utc::now),
        }))
    }

    /// Moves a request from `from` to `to` status exactly once (compare-and-set), optionally
    /// holding credentials for verification. False when another caller moved it first.
    pub async fn transition_auth_request(
        &self,
        id: &str,
        from: AuthRequestStatus,
        to: AuthRequestStatus,
        pending: Option<(&AuthorizationDetails, Option<DateTime<Utc>>)>,
    ) -> Result<bool> {
        let sealed = pending.map(|(c, _)| seal_credentials(&self.vault, c, id)).transpose()?;
        let expires = pending.and_then(|(_, e)| e).map(|e| e.to_rfc3339());
        let done = sqlx::query(
            "UPDATE auth_requests SET status = ?, pending_credentials = COALESCE(?, pending_credentials), \
             pending_expires_at = COALESCE(?, pending_expires_at) WHERE id = ? AND status = ?",
        )
        .bind(to.as_str())
        .bind(sealed)
        .bind(expires)
        .bind(id)
        .bind(from.as_str())
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(done.rows_affected() == 1)
    }

    /// Replaces an account's credentials only if they are still `expected` (nobody refreshed or
    /// re-authorized in between); the write and the check are one statement.
    pub async fn replace_credentials(
        &self,
        account: &AccountRecord,
        expected: Option<&AuthorizationDetails>,
    ) -> Result<bool> {
        let current = sqlx::query("SELECT credentials FROM connected_accounts WHERE id = ?")
            .bind(&account.id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        let Some(row) = current else { return Ok(false) };
        let sealed_now: Option<String> = row.get("credentials");
        let now_details = sealed_now.as_deref().map(|s| open_credentials(&self.vault, s, &account.id)).transpose()?;
        if now_details.as_ref() != expected {
            return Ok(false);
        }
        let done = sqlx::query(
            "UPDATE connected_accounts SET status = ?, credentials = ?, token_expires_at = ?, updated_at = ? \
             WHERE id = ? AND credentials IS ?",
        )
        .bind(account.status.as_str())
        .bind(account.credentials.as_ref().map(|c| seal_credentials(&self.vault, c, &account.id)).transpose()?)
        .bind(account.token_expires_at.map(|t| t.to_rfc3339()))
        .bind(Utc::now().to_rfc3339())
        .bind(&account.id)
        .bind(sealed_now)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(done.rows_affected() == 1)
    }

    /// Deletes execution records created before `executions_before` and authorization requests
    /// that expired before `auth_requests_before`; returns how many of each went.
    pub async fn prune(
        &self,
        executions_before: Option<DateTime<Utc>>,
        auth_requests_before: Option<DateTime<Utc>>,
    ) -> Result<(u64, u64)> {
        let mut deleted = (0, 0);
        if let Some(cutoff) = executions_before {
            deleted.0 = sqlx::query("DELETE FROM executions WHERE created_at < ?")
                .bind(cutoff.to_rfc3339())
                .execute(&self.pool)
                .await
                .map_err(db_error)?
                .rows_affected();
        }
        if let Some(cutoff) = auth_requests_before {
            deleted.1 = sqlx::query("DELETE FROM auth_requests WHERE expires_at < ?")
                .bind(cutoff.to_rfc3339())
                .execute(&self.pool)
                .await
                .map_err(db_error)?
                .rows_affected();
        }
        Ok(deleted)
    }

    pub async fn insert_execution(&self, e: &ExecutionRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO executions (id, api_client_id, tool_name, connection_name, connected_account_id, identifier, status, \
             upstream_status, error_code, latency_ms, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&e.id)
        .bind(&e.api_client_id)
        .bind(&e.tool_name)
        .bind(&e.connection_name)
        .bind(&e.connected_account_id)
        .bind(&e.identifier)
        .bind(e.status.as_str())
        .bind(e.upstream_status)
        .bind(&e.error_code)
        .bind(e.latency_ms)
        .bind(e.created_at.to_rfc3339())
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    /// Most recent executions, newest first, optionally of one identifier.
    pub async fn recent_executions(&self, identifier: &str, limit: u32) -> Result<Vec<ExecutionRecord>> {
        let rows = sqlx::query(
            "SELECT * FROM executions WHERE (? = '' OR identifier = ?) ORDER BY created_at DESC, rowid DESC LIMIT ?",
        )
        .bind(identifier)
        .bind(identifier)
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(rows
            .iter()
            .map(|r| ExecutionRecord {
                id: r.get("id"),
                api_client_id: r.get("api_client_id"),
                tool_name: r.get("tool_name"),
                connection_name: r.get("connection_name"),
                connected_account_id: r.get("connected_account_id"),
                identifier: r.get("identifier"),
                status: ExecutionStatus::parse(&r.get::<String, _>("status")),
                upstream_status: r.get("upstream_status"),
                error_code: r.get("error_code"),
                latency_ms: r.get("latency_ms"),
                created_at: ts(r.get("created_at")).unwrap_or_else(Utc::now),
            })
            .collect())
    }
}
