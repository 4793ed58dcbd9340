//! The `upstream_oauth_clients` table: per connection, how the gateway signs users in to a remote
//! MCP server that asks for OAuth (the endpoints it discovered and the client it registered), so
//! every replica and every restart uses the same client. The client secret is sealed by the
//! vault, bound to the connection's name.

use chrono::Utc;
use sqlx::Row;

use agentkit_core::Result;

use super::Store;

/// One connection's row: what was learned (`settings`, JSON owned by
/// `credentials::upstream_oauth`) for `resource` with `redirect_uri`, and the registered secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamOAuthRow {
    pub connection_name: String,
    pub resource: String,
    pub redirect_uri: String,
    pub settings: String,
    pub client_secret: Option<String>,
}

impl Store {
    /// The row of a connection, secret opened; `None` when nothing was registered yet.
    pub async fn upstream_oauth_client(&self, connection_name: &str) -> Result<Option<UpstreamOAuthRow>> {
        let row = sqlx::query(
            "SELECT resource, redirect_uri, settings, client_secret FROM upstream_oauth_clients WHERE connection_name = $1",
        )
        .bind(connection_name)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| self.db_error(e))?;
        let Some(row) = row else { return Ok(None) };
        let sealed: Option<String> = row.get("client_secret");
        let client_secret = sealed
            .map(|s| self.vault.open_sealed(&s, connection_name).map(|b| String::from_utf8_lossy(&b).into_owned()))
            .transpose()?;
        Ok(Some(UpstreamOAuthRow {
            connection_name: connection_name.to_string(),
            resource: row.get("resource"),
            redirect_uri: row.get("redirect_uri"),
            settings: row.get("settings"),
            client_secret,
        }))
    }

    /// Keeps a connection's row, replacing the one `replacing` names (a stale registration: the
    /// server or the redirect URI changed). When another replica wrote a row first, nothing is
    /// written and its row is returned: every replica then uses the same client.
    pub async fn save_upstream_oauth_client(
        &self,
        row: &UpstreamOAuthRow,
        replacing: Option<&UpstreamOAuthRow>,
    ) -> Result<UpstreamOAuthRow> {
        let secret =
            row.client_secret.as_ref().map(|s| self.vault.seal(s.as_bytes(), &row.connection_name)).transpose()?;
        let now = Utc::now().to_rfc3339();
        let written = match replacing {
            Some(old) => sqlx::query(
                "UPDATE upstream_oauth_clients SET resource = $1, redirect_uri = $2, settings = $3, client_secret = $4, \
                 created_at = $5 WHERE connection_name = $6 AND settings = $7",
            )
            .bind(&row.resource)
            .bind(&row.redirect_uri)
            .bind(&row.settings)
            .bind(&secret)
            .bind(&now)
            .bind(&row.connection_name)
            .bind(&old.settings)
            .execute(&self.pool)
            .await,
            None => sqlx::query(
                "INSERT INTO upstream_oauth_clients (connection_name, resource, redirect_uri, settings, client_secret, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (connection_name) DO NOTHING",
            )
            .bind(&row.connection_name)
            .bind(&row.resource)
            .bind(&row.redirect_uri)
            .bind(&row.settings)
            .bind(&secret)
            .bind(&now)
            .execute(&self.pool)
            .await,
        }
        .map_err(|e| self.db_error(e))?;
        if written.rows_affected() == 1 {
            return Ok(row.clone());
        }
        self.upstream_oauth_client(&row.connection_name).await?.ok_or_else(|| {
            agentkit_core::Error::new(
                agentkit_core::ErrorKind::Unavailable,
                "the upstream OAuth client was removed while it was being saved; try again",
            )
        })
    }
}
