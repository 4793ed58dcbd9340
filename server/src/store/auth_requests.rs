//! The `auth_requests` table: opened authorization links and tokens held for user verification.

use chrono::{DateTime, Utc};
use sqlx::Row;

use agentkit_core::model::{AuthorizationDetails, ScopeSelection};
use agentkit_core::{Error, ErrorKind, Result};

use super::{open_credentials, seal_credentials, ts, Store};

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
    /// The scopes the link asked for, when it named its own.
    pub scope_selection: Option<ScopeSelection>,
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

impl Store {
    /// Records an opened link; a second use of the same link fails with `Conflict`.
    pub async fn insert_auth_request(&self, r: &AuthRequest) -> Result<()> {
        let outcome = sqlx::query(
            "INSERT INTO auth_requests (id, account_id, identifier, link_nonce, pkce_verifier, app_state, user_verify_url, \
             status, created_at, expires_at, scope_selection) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
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
        .bind(r.scope_selection.as_ref().map(serde_json::to_string).transpose()?)
        .execute(&self.writer)
        .await;
        match outcome {
            Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                Err(Error::new(ErrorKind::Conflict, "this authorization link was already used"))
            }
            other => other.map(|_| ()).map_err(|e| self.db_error(e)),
        }
    }

    pub async fn auth_request(&self, id: &str) -> Result<Option<AuthRequest>> {
        let Some(row) = sqlx::query("SELECT * FROM auth_requests WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| self.db_error(e))?
        else {
            return Ok(None);
        };
        let verifier: String = row.get("pkce_verifier");
        let pending: Option<String> = row.get("pending_credentials");
        let scope_selection: Option<String> = row.get("scope_selection");
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
            scope_selection: scope_selection.as_deref().map(serde_json::from_str).transpose()?,
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
            "UPDATE auth_requests SET status = $1, pending_credentials = COALESCE($2, pending_credentials), \
             pending_expires_at = COALESCE($3, pending_expires_at) WHERE id = $4 AND status = $5",
        )
        .bind(to.as_str())
        .bind(sealed)
        .bind(expires)
        .bind(id)
        .bind(from.as_str())
        .execute(&self.writer)
        .await
        .map_err(|e| self.db_error(e))?;
        Ok(done.rows_affected() == 1)
    }

    /// Deletes authorization requests that expired before `cutoff` (retention); returns how many.
    pub async fn delete_auth_requests_expired_before(&self, cutoff: DateTime<Utc>) -> Result<u64> {
        let done = sqlx::query("DELETE FROM auth_requests WHERE expires_at < $1")
            .bind(cutoff.to_rfc3339())
            .execute(&self.writer)
            .await
            .map_err(|e| self.db_error(e))?;
        Ok(done.rows_affected())
    }
}
