//! The `mcp_oauth_clients` and `mcp_oauth_codes` tables of the authorization server for MCP
//! clients: registered clients' metadata, and authorization codes (stored by hash, consumed
//! once by one atomic update, so a replayed code fails on every replica).

use chrono::{DateTime, Utc};
use sqlx::Row;

use agentkit_core::Result;

use super::{ts, Store};

/// What an authorization code stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationCode {
    pub client_id: String,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub resource: String,
    pub config_id: String,
    pub user_identifier: String,
    pub expires_at: DateTime<Utc>,
}

fn code_hash(code: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(code.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

impl Store {
    /// Saves (or refreshes) a client's metadata: registered here, or read from the metadata
    /// document its id names.
    pub async fn save_mcp_oauth_client(&self, client_id: &str, metadata: &serde_json::Value) -> Result<()> {
        sqlx::query(
            "INSERT INTO mcp_oauth_clients (client_id, metadata, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (client_id) DO UPDATE SET metadata = EXCLUDED.metadata",
        )
        .bind(client_id)
        .bind(metadata.to_string())
        .bind(Utc::now().to_rfc3339())
        .execute(&self.writer)
        .await
        .map_err(|e| self.db_error(e))?;
        Ok(())
    }

    /// A registered client's metadata.
    pub async fn mcp_oauth_client(&self, client_id: &str) -> Result<Option<serde_json::Value>> {
        let row = sqlx::query("SELECT metadata FROM mcp_oauth_clients WHERE client_id = $1")
            .bind(client_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| self.db_error(e))?;
        Ok(row.and_then(|r| serde_json::from_str(&r.get::<String, _>("metadata")).ok()))
    }

    /// Whether a user ever consented to the client (a grant exists, revoked or not).
    pub async fn mcp_oauth_client_consented(&self, client_id: &str) -> Result<bool> {
        let row = sqlx::query("SELECT 1 AS consented FROM mcp_oauth_grants WHERE client_id = $1 LIMIT 1")
            .bind(client_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| self.db_error(e))?;
        Ok(row.is_some())
    }

    /// Deletes clients saved before `cutoff` that no user ever consented to (registration
    /// expiry, with the retention sweep); how many went.
    pub async fn delete_unconsented_mcp_oauth_clients(&self, cutoff: DateTime<Utc>) -> Result<u64> {
        let done = sqlx::query(
            "DELETE FROM mcp_oauth_clients WHERE created_at < $1 \
             AND client_id NOT IN (SELECT client_id FROM mcp_oauth_grants)",
        )
        .bind(cutoff.to_rfc3339())
        .execute(&self.writer)
        .await
        .map_err(|e| self.db_error(e))?;
        Ok(done.rows_affected())
    }

    /// Stores an authorization code (by its hash).
    pub async fn save_mcp_oauth_code(&self, code: &str, grant: &AuthorizationCode) -> Result<()> {
        sqlx::query(
            "INSERT INTO mcp_oauth_codes (code_hash, client_id, redirect_uri, code_challenge, resource, config_id, \
             user_identifier, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(code_hash(code))
        .bind(&grant.client_id)
        .bind(&grant.redirect_uri)
        .bind(&grant.code_challenge)
        .bind(&grant.resource)
        .bind(&grant.config_id)
        .bind(&grant.user_identifier)
        .bind(grant.expires_at.to_rfc3339())
        .execute(&self.writer)
        .await
        .map_err(|e| self.db_error(e))?;
        Ok(())
    }

    /// Takes an authorization code: its grant the first time, `None` ever after (or when unknown).
    pub async fn consume_mcp_oauth_code(&self, code: &str) -> Result<Option<AuthorizationCode>> {
        let hash = code_hash(code);
        let taken = sqlx::query("UPDATE mcp_oauth_codes SET used = 1 WHERE code_hash = $1 AND used = 0")
            .bind(&hash)
            .execute(&self.writer)
            .await
            .map_err(|e| self.db_error(e))?;
        if taken.rows_affected() != 1 {
            return Ok(None);
        }
        let row = sqlx::query("SELECT * FROM mcp_oauth_codes WHERE code_hash = $1")
            .bind(&hash)
            .fetch_one(&self.writer)
            .await
            .map_err(|e| self.db_error(e))?;
        Ok(Some(AuthorizationCode {
            client_id: row.get("client_id"),
            redirect_uri: row.get("redirect_uri"),
            code_challenge: row.get("code_challenge"),
            resource: row.get("resource"),
            config_id: row.get("config_id"),
            user_identifier: row.get("user_identifier"),
            // An unreadable expiry reads as expired.
            expires_at: ts(Some(row.get("expires_at"))).unwrap_or(DateTime::<Utc>::MIN_UTC),
        }))
    }
}

/// A consent and the tokens issued from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthGrant {
    pub grant_id: String,
    pub client_id: String,
    pub config_id: String,
    pub resource: String,
    pub user_identifier: String,
}

/// What presenting a refresh token found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshTokenUse {
    /// Taken now (it cannot be used again): the live grant it belongs to.
    Taken(OAuthGrant),
    /// Used before, or its grant was revoked, or it expired: refused. A replay revokes the grant.
    Refused,
}

impl Store {
    /// Records a new grant.
    pub async fn create_mcp_oauth_grant(&self, grant: &OAuthGrant) -> Result<()> {
        sqlx::query(
            "INSERT INTO mcp_oauth_grants (grant_id, client_id, config_id, resource, user_identifier, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&grant.grant_id)
        .bind(&grant.client_id)
        .bind(&grant.config_id)
        .bind(&grant.resource)
        .bind(&grant.user_identifier)
        .bind(Utc::now().to_rfc3339())
        .execute(&self.writer)
        .await
        .map_err(|e| self.db_error(e))?;
        Ok(())
    }

    /// Whether tokens of `grant_id` are still honoured.
    pub async fn mcp_oauth_grant_live(&self, grant_id: &str) -> Result<bool> {
        let revoked: Option<i64> = sqlx::query_scalar("SELECT revoked FROM mcp_oauth_grants WHERE grant_id = $1")
            .bind(grant_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| self.db_error(e))?;
        Ok(revoked == Some(0))
    }

    /// Revokes a grant: every token issued from it stops working.
    pub async fn revoke_mcp_oauth_grant(&self, grant_id: &str) -> Result<()> {
        sqlx::query("UPDATE mcp_oauth_grants SET revoked = 1 WHERE grant_id = $1")
            .bind(grant_id)
            .execute(&self.writer)
            .await
            .map_err(|e| self.db_error(e))?;
        Ok(())
    }

    /// Stores a refresh token (by hash) of `grant_id`.
    pub async fn save_mcp_oauth_refresh_token(
        &self,
        token: &str,
        grant_id: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query("INSERT INTO mcp_oauth_refresh_tokens (token_hash, grant_id, expires_at) VALUES ($1, $2, $3)")
            .bind(code_hash(token))
            .bind(grant_id)
            .bind(expires_at.to_rfc3339())
            .execute(&self.writer)
            .await
            .map_err(|e| self.db_error(e))?;
        Ok(())
    }

    /// The grant of a refresh token, taking the token (one use, atomically); presenting a used
    /// one again revokes its grant (a stolen token and its rightful holder cannot both go on).
    pub async fn use_mcp_oauth_refresh_token(&self, token: &str) -> Result<RefreshTokenUse> {
        let hash = code_hash(token);
        let Some(row) = sqlx::query("SELECT grant_id, expires_at FROM mcp_oauth_refresh_tokens WHERE token_hash = $1")
            .bind(&hash)
            .fetch_optional(&self.writer)
            .await
            .map_err(|e| self.db_error(e))?
        else {
            return Ok(RefreshTokenUse::Refused);
        };
        let grant_id: String = row.get("grant_id");
        let taken = sqlx::query("UPDATE mcp_oauth_refresh_tokens SET used = 1 WHERE token_hash = $1 AND used = 0")
            .bind(&hash)
            .execute(&self.writer)
            .await
            .map_err(|e| self.db_error(e))?;
        if taken.rows_affected() != 1 {
            self.revoke_mcp_oauth_grant(&grant_id).await?;
            return Ok(RefreshTokenUse::Refused);
        }
        let expired = ts(Some(row.get("expires_at"))).is_none_or(|at| at < Utc::now());
        let grant = sqlx::query(
            "SELECT client_id, config_id, resource, user_identifier FROM mcp_oauth_grants \
             WHERE grant_id = $1 AND revoked = 0",
        )
        .bind(&grant_id)
        .fetch_optional(&self.writer)
        .await
        .map_err(|e| self.db_error(e))?;
        Ok(match grant {
            Some(g) if !expired => RefreshTokenUse::Taken(OAuthGrant {
                grant_id,
                client_id: g.get("client_id"),
                config_id: g.get("config_id"),
                resource: g.get("resource"),
                user_identifier: g.get("user_identifier"),
            }),
            _ => RefreshTokenUse::Refused,
        })
    }

    /// The grant a refresh token belongs to, without using it (revocation).
    pub async fn mcp_oauth_grant_of_refresh_token(&self, token: &str) -> Result<Option<String>> {
        sqlx::query_scalar("SELECT grant_id FROM mcp_oauth_refresh_tokens WHERE token_hash = $1")
            .bind(code_hash(token))
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| self.db_error(e))
    }
}
