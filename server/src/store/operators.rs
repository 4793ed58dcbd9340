//! Console operators and their signed-in sessions. Passwords are kept as argon2id hashes; a
//! session's cookie value only as its SHA-256, so a copy of the database signs nobody in.

use chrono::{DateTime, Utc};
use sqlx::Row;

use agentkit_core::Result;

use super::{ts, ChangeRecords, Store};

/// A console operator as stored.
#[derive(Debug, Clone)]
pub struct Operator {
    pub name: String,
    /// `admin` or `viewer`.
    pub role: String,
    pub password_hash: String,
}

/// A signed-in session, found by its cookie.
#[derive(Debug, Clone)]
pub struct ConsoleSession {
    pub operator: String,
    pub role: String,
    /// The token every change made in this session must carry.
    pub csrf: String,
    pub expires_at: DateTime<Utc>,
    /// The operator signs in through the organisation's provider (their role is the config's).
    pub from_provider: bool,
}

impl Store {
    /// Adds an operator, or replaces one's role and password (ending its sessions), with what
    /// reports it, in one transaction.
    pub async fn put_operator(&self, operator: &Operator, records: &ChangeRecords) -> Result<()> {
        let mut tx = self.begin_change().await?;
        sqlx::query("DELETE FROM console_sessions WHERE operator = $1")
            .bind(&operator.name)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.db_error(e))?;
        sqlx::query("DELETE FROM operators WHERE name = $1")
            .bind(&operator.name)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.db_error(e))?;
        sqlx::query("INSERT INTO operators (name, role, password_hash, created_at) VALUES ($1, $2, $3, $4)")
            .bind(&operator.name)
            .bind(&operator.role)
            .bind(&operator.password_hash)
            .bind(Utc::now().to_rfc3339())
            .execute(&mut *tx)
            .await
            .map_err(|e| self.db_error(e))?;
        self.commit_change(tx, records).await
    }

    pub async fn operator(&self, name: &str) -> Result<Option<Operator>> {
        let row = sqlx::query("SELECT name, role, password_hash FROM operators WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| self.db_error(e))?;
        Ok(row.map(|r| Operator { name: r.get("name"), role: r.get("role"), password_hash: r.get("password_hash") }))
    }

    /// Starts a session for `operator`, with what reports the sign-in.
    pub async fn insert_console_session(
        &self,
        id_sha256: &str,
        operator: &str,
        csrf: &str,
        expires_at: DateTime<Utc>,
        records: &ChangeRecords,
    ) -> Result<()> {
        let mut tx = self.begin_change().await?;
        // Expired sessions go as new ones come (rfc3339 in UTC sorts as time).
        sqlx::query("DELETE FROM console_sessions WHERE expires_at < $1")
            .bind(Utc::now().to_rfc3339())
            .execute(&mut *tx)
            .await
            .map_err(|e| self.db_error(e))?;
        sqlx::query(
            "INSERT INTO console_sessions (id_sha256, operator, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id_sha256)
        .bind(operator)
        .bind(csrf)
        .bind(Utc::now().to_rfc3339())
        .bind(expires_at.to_rfc3339())
        .execute(&mut *tx)
        .await
        .map_err(|e| self.db_error(e))?;
        self.commit_change(tx, records).await
    }

    /// The live session whose cookie hashes to `id_sha256`, with its operator's current role.
    pub async fn console_session(&self, id_sha256: &str) -> Result<Option<ConsoleSession>> {
        let row = sqlx::query(
            "SELECT s.operator, s.csrf, s.expires_at, o.role, o.password_hash FROM console_sessions s \
             JOIN operators o ON o.name = s.operator WHERE s.id_sha256 = $1",
        )
        .bind(id_sha256)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| self.db_error(e))?;
        let Some(row) = row else { return Ok(None) };
        let session = ConsoleSession {
            operator: row.get("operator"),
            role: row.get("role"),
            csrf: row.get("csrf"),
            expires_at: ts(row.get("expires_at")).unwrap_or_else(Utc::now),
            from_provider: row.get::<String, _>("password_hash") == NO_PASSWORD,
        };
        Ok((session.expires_at > Utc::now()).then_some(session))
    }

    /// Ends a session (sign-out), with what reports it.
    pub async fn delete_console_session(&self, id_sha256: &str, records: &ChangeRecords) -> Result<()> {
        let mut tx = self.begin_change().await?;
        let done = sqlx::query("DELETE FROM console_sessions WHERE id_sha256 = $1")
            .bind(id_sha256)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.db_error(e))?;
        self.commit_change(tx, records.when(done.rows_affected() > 0)).await
    }

    /// Stores a one-time sign-in link's token (its SHA-256) for `operator`, in place of any
    /// earlier link of theirs (one live link per operator).
    pub async fn insert_console_ticket(
        &self,
        token_sha256: &str,
        operator: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin_change().await?;
        sqlx::query("DELETE FROM console_tickets WHERE operator = $1 OR expires_at < $2")
            .bind(operator)
            .bind(Utc::now().to_rfc3339())
            .execute(&mut *tx)
            .await
            .map_err(|e| self.db_error(e))?;
        sqlx::query("INSERT INTO console_tickets (token_sha256, operator, expires_at) VALUES ($1, $2, $3)")
            .bind(token_sha256)
            .bind(operator)
            .bind(expires_at.to_rfc3339())
            .execute(&mut *tx)
            .await
            .map_err(|e| self.db_error(e))?;
        tx.commit().await.map_err(|e| self.db_error(e))
    }

    /// Uses a one-time sign-in link: its operator, once (the row goes in the same transaction
    /// that reads it, so two uses at once sign in one of them), and only before it expires.
    pub async fn take_console_ticket(&self, token_sha256: &str) -> Result<Option<String>> {
        let mut tx = self.begin_change().await?;
        let row = sqlx::query("SELECT operator, expires_at FROM console_tickets WHERE token_sha256 = $1")
            .bind(token_sha256)
            .fetch_optional(&mut *tx)
            .await
            .map_err(|e| self.db_error(e))?;
        let taken = sqlx::query("DELETE FROM console_tickets WHERE token_sha256 = $1")
            .bind(token_sha256)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.db_error(e))?;
        tx.commit().await.map_err(|e| self.db_error(e))?;
        Ok(row.filter(|_| taken.rows_affected() == 1).and_then(|r| {
            let live = ts(r.get("expires_at")).is_some_and(|at| at > Utc::now());
            live.then(|| r.get("operator"))
        }))
    }

    /// The operator an organisation's provider signed in, with the role the config gives them
    /// now: created on first sign-in with no usable password (they sign in only through the
    /// provider), its role kept current after. One transaction; when it creates the operator or
    /// changes their role, `audit(previous role)` gives the records committed with it.
    pub async fn operator_from_provider(
        &self,
        name: &str,
        role: &str,
        audit: impl FnOnce(Option<&str>) -> ChangeRecords,
    ) -> Result<Operator> {
        let mut tx = self.begin_change().await?;
        let existing = sqlx::query("SELECT role, password_hash FROM operators WHERE name = $1")
            .bind(name)
            .fetch_optional(&mut *tx)
            .await
            .map_err(|e| self.db_error(e))?;
        let existing: Option<(String, String)> = match existing {
            Some(row) => Some((
                row.try_get("role").map_err(|e| self.db_error(e))?,
                row.try_get("password_hash").map_err(|e| self.db_error(e))?,
            )),
            None => None,
        };
        let records = match existing {
            // A local operator of that name signs in with their password, never as someone the
            // provider vouches for.
            Some((_, hash)) if hash != NO_PASSWORD => {
                return Err(agentkit_core::Error::new(
                    agentkit_core::ErrorKind::Conflict,
                    format!("operator {name:?} is a local operator: they sign in with their password"),
                ));
            }
            Some((previous, _)) if previous == role => None,
            Some((previous, _)) => {
                sqlx::query("UPDATE operators SET role = $2 WHERE name = $1")
                    .bind(name)
                    .bind(role)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| self.db_error(e))?;
                Some(audit(Some(&previous)))
            }
            None => {
                sqlx::query("INSERT INTO operators (name, role, password_hash, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(name)
                    .bind(role)
                    .bind(NO_PASSWORD)
                    .bind(Utc::now().to_rfc3339())
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| self.db_error(e))?;
                Some(audit(None))
            }
        };
        match &records {
            Some(records) => self.commit_change(tx, records).await?,
            None => tx.commit().await.map_err(|e| self.db_error(e))?,
        }
        Ok(Operator { name: name.to_string(), role: role.to_string(), password_hash: NO_PASSWORD.to_string() })
    }
}

/// The password hash of operators who sign in through a provider: no password matches it.
const NO_PASSWORD: &str = "!provider";
