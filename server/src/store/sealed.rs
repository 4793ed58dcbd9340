//! Every column the vault seals, listed once, and what key rotation does with them: re-seal each
//! value under the active key (`agentkit keys rotate`), and count what still uses a key before
//! it may be removed (`agentkit keys retire`). A new sealed column is one more line in
//! [`SEALED_COLUMNS`]; forgetting it leaves its values on a key that retirement then refuses to
//! remove, rather than a gateway that cannot read them.

use sqlx::{AssertSqlSafe, Row};

use agentkit_core::{Error, ErrorKind, Result};

use super::Store;

/// A column holding values sealed by [`crate::store::vault::Vault::seal`].
#[derive(Debug)]
pub struct SealedColumn {
    pub table: &'static str,
    /// The row's key, whose value is also the record the seal is bound to (every sealed column
    /// binds its own row's id, so a value copied into another row does not open).
    pub id_column: &'static str,
    pub column: &'static str,
    /// Whether rows written before the vault existed hold the value in plain text (connected
    /// accounts' credentials JSON); a rotation seals them. In any other column a value that is
    /// not sealed is an error.
    pub plain_before_vault: bool,
}

impl SealedColumn {
    /// `table.column`, as printed and audited.
    pub fn name(&self) -> String {
        format!("{}.{}", self.table, self.column)
    }
}

/// Every sealed column. The SQL below is built from these constants only; values are bound.
pub const SEALED_COLUMNS: &[SealedColumn] = &[
    SealedColumn { table: "connected_accounts", id_column: "id", column: "credentials", plain_before_vault: true },
    SealedColumn { table: "auth_requests", id_column: "id", column: "pkce_verifier", plain_before_vault: false },
    SealedColumn { table: "auth_requests", id_column: "id", column: "pending_credentials", plain_before_vault: false },
    SealedColumn { table: "mcp_instances", id_column: "id", column: "url_key_sealed", plain_before_vault: false },
    SealedColumn { table: "webhook_endpoints", id_column: "id", column: "secret", plain_before_vault: false },
    SealedColumn { table: "connections", id_column: "name", column: "client_secret", plain_before_vault: false },
    SealedColumn {
        table: "upstream_oauth_clients",
        id_column: "connection_name",
        column: "client_secret",
        plain_before_vault: false,
    },
];

/// Rows read per statement while re-sealing, so a large table is never held in memory at once.
const RESEAL_PAGE: i64 = 500;

/// The prefix of every value sealed with `kid` (see `Vault::seal`: `v1.<kid>.<body>`).
fn sealed_prefix(kid: &str) -> String {
    format!("v1.{kid}.")
}

impl Store {
    /// Re-seals every value of every sealed column not sealed with the vault's active key (key
    /// rotation); returns how many values of each column were re-sealed, in
    /// [`SEALED_COLUMNS`] order. Safe while gateways serve: each row is updated only if its
    /// value is still the one read (a row written or deleted in between is left to its writer).
    pub async fn reseal_all(&self) -> Result<Vec<(&'static SealedColumn, u64)>> {
        let mut counts = Vec::with_capacity(SEALED_COLUMNS.len());
        for column in SEALED_COLUMNS {
            counts.push((column, self.reseal_column(column).await?));
        }
        Ok(counts)
    }

    /// [`Store::reseal_all`] for one column, a page of rows at a time in id order. The values
    /// are opened to bytes and sealed again without being decoded, whatever they hold.
    async fn reseal_column(&self, c: &SealedColumn) -> Result<u64> {
        let active = sealed_prefix(&self.vault.active_kid());
        let select = format!(
            "SELECT {id} AS id, {col} AS sealed FROM {table} \
             WHERE {col} IS NOT NULL AND {id} > $1 AND substr({col}, 1, length($2)) <> $2 ORDER BY {id} LIMIT {RESEAL_PAGE}",
            id = c.id_column,
            col = c.column,
            table = c.table,
        );
        let update = format!(
            "UPDATE {table} SET {col} = $1 WHERE {id} = $2 AND {col} = $3",
            table = c.table,
            col = c.column,
            id = c.id_column
        );
        let mut after = String::new();
        let mut count = 0;
        loop {
            let rows = sqlx::query(AssertSqlSafe(select.clone()))
                .bind(&after)
                .bind(&active)
                .fetch_all(&self.pool)
                .await
                .map_err(|e| self.db_error(e))?;
            let Some(last) = rows.last() else { break };
            after = last.try_get("id").map_err(|e| self.db_error(e))?;
            for row in &rows {
                let id: String = row.try_get("id").map_err(|e| self.db_error(e))?;
                let sealed: String = row.try_get("sealed").map_err(|e| self.db_error(e))?;
                let plaintext = if sealed.starts_with("v1.") {
                    self.vault.open_sealed(&sealed, &id)
                } else if c.plain_before_vault {
                    Ok(sealed.as_bytes().to_vec())
                } else {
                    Err(Error::new(ErrorKind::Server, "the stored value is not sealed"))
                };
                let plaintext = plaintext.map_err(|e| {
                    Error::new(ErrorKind::Server, format!("cannot re-seal {} of row {id}: {}", c.name(), e.message()))
                })?;
                let done = sqlx::query(AssertSqlSafe(update.clone()))
                    .bind(self.vault.seal(&plaintext, &id)?)
                    .bind(&id)
                    .bind(&sealed)
                    .execute(&self.writer)
                    .await
                    .map_err(|e| self.db_error(e))?;
                count += done.rows_affected();
            }
        }
        Ok(count)
    }

    /// How many values of each sealed column are sealed with `kid`, in [`SEALED_COLUMNS`] order
    /// (for `agentkit keys retire`: a key still counted here cannot go).
    pub async fn count_sealed_with(&self, kid: &str) -> Result<Vec<(&'static SealedColumn, u64)>> {
        let prefix = sealed_prefix(kid);
        let mut counts = Vec::with_capacity(SEALED_COLUMNS.len());
        for c in SEALED_COLUMNS {
            let sql = format!(
                "SELECT count(*) AS n FROM {table} WHERE substr({col}, 1, length($1)) = $1",
                table = c.table,
                col = c.column
            );
            let row = sqlx::query(AssertSqlSafe(sql))
                .bind(&prefix)
                .fetch_one(&self.pool)
                .await
                .map_err(|e| self.db_error(e))?;
            let n: i64 = row.try_get("n").map_err(|e| self.db_error(e))?;
            counts.push((c, u64::try_from(n).unwrap_or_default()));
        }
        Ok(counts)
    }
}
