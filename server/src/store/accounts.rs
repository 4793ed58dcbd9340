//! The `connected_accounts` table: accounts, their sealed credentials, and the list query.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::any::AnyRow;
// Dynamic SQL below is assembled only from constant column lists and `?` placeholders; every
// value is bound, so `AssertSqlSafe` marks audited strings.
use sqlx::{AssertSqlSafe, Row};

use agentkit_core::model::{AuthorizationDetails, ConnectedAccount, ConnectorStatus, ConnectorType};
use agentkit_core::Result;

use std::sync::Arc;

use super::{open_credentials, seal_credentials, ts, ChangeRecords, Store};
use crate::store::vault::Vault;

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

/// Where a page of the account list starts (keyset: by id, never an OFFSET).
#[derive(Debug, Clone)]
pub enum AccountPage {
    First,
    /// The page after this id.
    After(String),
    /// The page before this id.
    Before(String),
}

/// One page of the account list.
pub struct AccountListPage {
    /// Without credentials (lists never return them, so they are neither read nor decrypted).
    pub accounts: Vec<AccountRecord>,
    pub has_next: bool,
    pub has_prev: bool,
    /// Counted on the first page only.
    pub total: Option<u32>,
}

const ACCOUNT_COLUMNS: &str = "id, connection_name, connector, identifier, organization_id, user_id, status, \
    authorization_type, credentials, api_config, token_expires_at, updated_at, last_used_at";

/// [`ACCOUNT_COLUMNS`] without the credentials.
const LISTED_COLUMNS: &str = "id, connection_name, connector, identifier, organization_id, user_id, status, \
    authorization_type, NULL AS credentials, api_config, token_expires_at, updated_at, last_used_at";

/// Key lookups return few rows: they are ordered here, so no `ORDER BY id` tempts the planner
/// into walking an id-ordered index instead of the key's.
fn by_id(mut accounts: Vec<AccountRecord>) -> Vec<AccountRecord> {
    accounts.sort_by(|a, b| a.id.cmp(&b.id));
    accounts
}

fn account_from_row(vault: &Vault, row: &AnyRow) -> Result<AccountRecord> {
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

impl Store {
    /// Inserts an account and, in the same transaction, what reports its creation.
    pub async fn insert_account(&self, a: &AccountRecord, records: &ChangeRecords) -> Result<()> {
        let now = Utc::now().to_rfc3339();
        let sealed = a.credentials.as_ref().map(|c| seal_credentials(&self.vault, c, &a.id)).transpose()?;
        let mut tx = self.begin_change().await?;
        sqlx::query(
            "INSERT INTO connected_accounts (id, connection_name, connector, identifier, organization_id, user_id, status, \
             authorization_type, credentials, api_config, token_expires_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(&a.id)
        .bind(&a.connection_name)
        .bind(&a.connector)
        .bind(&a.identifier)
        .bind(&a.organization_id)
        .bind(&a.user_id)
        .bind(a.status.as_str())
        .bind(a.authorization_type.as_str())
        .bind(sealed)
        .bind(a.api_config.as_ref().map(|c| c.to_string()))
        .bind(a.token_expires_at.map(|t| t.to_rfc3339()))
        .bind(&now)
        .bind(&now)
        .execute(&mut *tx)
        .await
        .map_err(|e| self.db_error(e))?;
        self.commit_change(tx, records).await?;
        self.account_changed(&a.identifier).await;
        Ok(())
    }

    /// Writes the mutable fields of an account and, in the same transaction, what reports the
    /// change.
    pub async fn update_account(&self, a: &AccountRecord, records: &ChangeRecords) -> Result<()> {
        let sealed = a.credentials.as_ref().map(|c| seal_credentials(&self.vault, c, &a.id)).transpose()?;
        let mut tx = self.begin_change().await?;
        sqlx::query(
            "UPDATE connected_accounts SET status = $1, authorization_type = $2, credentials = $3, api_config = $4, \
             token_expires_at = $5, updated_at = $6 WHERE id = $7",
        )
        .bind(a.status.as_str())
        .bind(a.authorization_type.as_str())
        .bind(sealed)
        .bind(a.api_config.as_ref().map(|c| c.to_string()))
        .bind(a.token_expires_at.map(|t| t.to_rfc3339()))
        .bind(Utc::now().to_rfc3339())
        .bind(&a.id)
        .execute(&mut *tx)
        .await
        .map_err(|e| self.db_error(e))?;
        self.commit_change(tx, records).await?;
        self.account_changed(&a.identifier).await;
        Ok(())
    }

    pub async fn account_by_id(&self, id: &str) -> Result<Option<AccountRecord>> {
        let row = sqlx::query(AssertSqlSafe(format!("SELECT {ACCOUNT_COLUMNS} FROM connected_accounts WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| self.db_error(e))?;
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
            "SELECT {ACCOUNT_COLUMNS} FROM connected_accounts WHERE connection_name = $1 AND identifier = $2 \
             AND ($3 = '' OR organization_id = $4) AND ($5 = '' OR user_id = $6)"
        )))
        .bind(connection_name)
        .bind(identifier)
        .bind(organization_id)
        .bind(organization_id)
        .bind(user_id)
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.db_error(e))?;
        Ok(by_id(rows.iter().map(|r| account_from_row(&self.vault, r)).collect::<Result<Vec<_>>>()?))
    }

    /// Deletes an account and, in the same transaction, writes what reports it (nothing when
    /// there was no such account).
    pub async fn delete_account(&self, id: &str, records: &ChangeRecords) -> Result<bool> {
        let mut tx = self.begin_change().await?;
        let deleted = sqlx::query("DELETE FROM connected_accounts WHERE id = $1 RETURNING identifier")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(|e| self.db_error(e))?;
        let Some(row) = deleted else { return Ok(false) };
        self.commit_change(tx, records).await?;
        self.account_changed(&row.get::<String, _>("identifier")).await;
        Ok(true)
    }

    /// Notes "used now" for the account's `last_used_at` (bookkeeping, batched).
    pub fn touch_account(&self, id: &str) {
        self.bookkeeping.account_used(id);
    }

    /// One page of accounts in id order, found through the index that matches the filter; the
    /// total number of matches is counted only for the first page (`page` is `First`).
    pub async fn list_accounts(&self, f: &AccountFilter, page: &AccountPage, limit: u32) -> Result<AccountListPage> {
        // Placeholders are numbered as values are bound ($1, $2, …: both engines read them).
        let mut clause = String::from(" FROM connected_accounts WHERE 1=1");
        let mut binds: Vec<String> = Vec::new();
        let bind = |binds: &mut Vec<String>, value: String| {
            binds.push(value);
            format!("${}", binds.len())
        };
        for (column, value) in [
            ("identifier", &f.identifier),
            ("connector", &f.provider),
            ("organization_id", &f.organization_id),
            ("user_id", &f.user_id),
        ] {
            if !value.is_empty() {
                let placeholder = bind(&mut binds, value.clone());
                clause.push_str(&format!(" AND {column} = {placeholder}"));
            }
        }
        if !f.connection_names.is_empty() {
            let placeholders: Vec<String> = f.connection_names.iter().map(|n| bind(&mut binds, n.clone())).collect();
            clause.push_str(&format!(" AND connection_name IN ({})", placeholders.join(",")));
        }
        if !f.query.is_empty() {
            // The query is text, not a pattern: its own %, _ and \ match themselves; ASCII case is
            // ignored on both engines (PostgreSQL's LIKE alone would not). It matches the
            // identifier, the connection or the connector (provider).
            let escaped = f.query.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            let like = bind(&mut binds, format!("%{escaped}%"));
            clause.push_str(&format!(
                " AND (LOWER(identifier) LIKE LOWER({like}) ESCAPE '\\' OR LOWER(connection_name) LIKE LOWER({like}) ESCAPE '\\' \
                 OR LOWER(connector) LIKE LOWER({like}) ESCAPE '\\')"
            ));
        }
        let total = match page {
            AccountPage::First => {
                let filter_key = format!("{clause}\0{}", binds.join("\0"));
                match self.accounts_cache.count(&filter_key) {
                    Some(n) => Some(n),
                    None => {
                        let generation = self.accounts_cache.generation();
                        let count_sql = format!("SELECT COUNT(*) AS n{clause}");
                        let mut count_q = sqlx::query(AssertSqlSafe(count_sql.as_str()));
                        for b in &binds {
                            count_q = count_q.bind(b);
                        }
                        let n: i64 = count_q.fetch_one(&self.pool).await.map_err(|e| self.db_error(e))?.get("n");
                        let n = u32::try_from(n).unwrap_or(u32::MAX);
                        self.accounts_cache.store_count(&filter_key, n, generation);
                        Some(n)
                    }
                }
            }
            _ => None,
        };
        let mut page_binds = binds.clone();
        let (keyset, order) = match page {
            AccountPage::First => (String::new(), "ASC"),
            AccountPage::After(id) => (format!(" AND id > {}", bind(&mut page_binds, id.clone())), "ASC"),
            AccountPage::Before(id) => (format!(" AND id < {}", bind(&mut page_binds, id.clone())), "DESC"),
        };
        // One row more than the page tells whether another page follows in that direction.
        let limit_placeholder = format!("${}", page_binds.len() + 1);
        let page_sql = format!("SELECT {LISTED_COLUMNS}{clause}{keyset} ORDER BY id {order} LIMIT {limit_placeholder}");
        let mut page_q = sqlx::query(AssertSqlSafe(page_sql.as_str()));
        for b in &page_binds {
            page_q = page_q.bind(b);
        }
        let rows = page_q.bind(i64::from(limit) + 1).fetch_all(&self.pool).await.map_err(|e| self.db_error(e))?;
        let mut accounts = rows.iter().map(|r| account_from_row(&self.vault, r)).collect::<Result<Vec<_>>>()?;
        for account in &mut accounts {
            account.last_used_at = self.bookkeeping.account_last_used(&account.id, account.last_used_at);
        }
        let more = accounts.len() > limit as usize;
        accounts.truncate(limit as usize);
        let (has_next, has_prev) = match page {
            AccountPage::First => (more, false),
            AccountPage::After(_) => (more, true),
            AccountPage::Before(_) => {
                accounts.reverse();
                (true, more)
            }
        };
        Ok(AccountListPage { accounts, has_next, has_prev, total })
    }

    /// Every account of an identifier (scoped tool listing), ordered by id.
    pub async fn accounts_of_identifier(&self, identifier: &str) -> Result<Vec<AccountRecord>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {ACCOUNT_COLUMNS} FROM connected_accounts WHERE identifier = $1"
        )))
        .bind(identifier)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.db_error(e))?;
        Ok(by_id(rows.iter().map(|r| account_from_row(&self.vault, r)).collect::<Result<Vec<_>>>()?))
    }

    /// [`Store::accounts_of_identifier`] for the call path: from the account cache when it holds
    /// the identifier (see `account_cache` for how fresh that is).
    pub async fn accounts_of_identifier_for_call(&self, identifier: &str) -> Result<Arc<[AccountRecord]>> {
        if let Some(accounts) = self.accounts_cache.get(identifier) {
            return Ok(accounts);
        }
        let generation = self.accounts_cache.generation();
        let accounts: Arc<[AccountRecord]> = self.accounts_of_identifier(identifier).await?.into();
        self.accounts_cache.store(identifier, accounts.clone(), generation);
        Ok(accounts)
    }

    /// [`Store::accounts_by_name`] for the call path (the account cache).
    pub async fn accounts_by_name_for_call(
        &self,
        connection_name: &str,
        identifier: &str,
        organization_id: &str,
        user_id: &str,
    ) -> Result<Vec<AccountRecord>> {
        let accounts = self.accounts_of_identifier_for_call(identifier).await?;
        Ok(accounts
            .iter()
            .filter(|a| a.connection_name == connection_name)
            .filter(|a| organization_id.is_empty() || a.organization_id == organization_id)
            .filter(|a| user_id.is_empty() || a.user_id == user_id)
            .cloned()
            .collect())
    }

    /// Replaces an account's credentials only if they are still `expected` (nobody refreshed or
    /// re-authorized in between); the write and the check are one statement, and `records` are
    /// written with it only when it happened.
    pub async fn replace_credentials(
        &self,
        account: &AccountRecord,
        expected: Option<&AuthorizationDetails>,
        records: &ChangeRecords,
    ) -> Result<bool> {
        let current = sqlx::query("SELECT credentials FROM connected_accounts WHERE id = $1")
            .bind(&account.id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| self.db_error(e))?;
        let Some(row) = current else { return Ok(false) };
        let sealed_now: Option<String> = row.get("credentials");
        let now_details = sealed_now.as_deref().map(|s| open_credentials(&self.vault, s, &account.id)).transpose()?;
        if now_details.as_ref() != expected {
            return Ok(false);
        }
        let sealed = account.credentials.as_ref().map(|c| seal_credentials(&self.vault, c, &account.id)).transpose()?;
        let mut tx = self.begin_change().await?;
        let done = sqlx::query(
            "UPDATE connected_accounts SET status = $1, credentials = $2, token_expires_at = $3, updated_at = $4 \
             WHERE id = $5 AND credentials IS NOT DISTINCT FROM $6",
        )
        .bind(account.status.as_str())
        .bind(sealed)
        .bind(account.token_expires_at.map(|t| t.to_rfc3339()))
        .bind(Utc::now().to_rfc3339())
        .bind(&account.id)
        .bind(sealed_now)
        .execute(&mut *tx)
        .await
        .map_err(|e| self.db_error(e))?;
        let replaced = done.rows_affected() == 1;
        self.commit_change(tx, records.when(replaced)).await?;
        self.account_changed(&account.identifier).await;
        Ok(replaced)
    }

    /// How many connected accounts are in each status (for the accounts gauge of `/metrics`).
    pub async fn count_accounts_by_status(&self) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM connected_accounts GROUP BY status")
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.db_error(e))?;
        Ok(rows.iter().map(|r| (r.get::<String, _>("status"), r.get::<i64, _>("n"))).collect())
    }

    pub async fn count_accounts_of_connection(&self, connection_name: &str) -> Result<i64> {
        let row = sqlx::query("SELECT count(*) AS n FROM connected_accounts WHERE connection_name = $1")
            .bind(connection_name)
            .fetch_one(&self.pool)
            .await
            .map_err(|e| self.db_error(e))?;
        Ok(row.get("n"))
    }
}
