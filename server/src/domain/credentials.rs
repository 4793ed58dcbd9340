//! Fresh credentials for a call — the refresher's use cases (refresh before expiry, after a
//! provider 401, service-account minting) and [`call_with_fresh_token`], the one loop every entry
//! point runs a provider call in. The bookkeeping they rely on (single-flight locks, backoff)
//! lives in `crate::credentials::refresh`.

use crate::config::ConnectionConfig;
use crate::credentials::oauth::OAuthApp;
use crate::credentials::oauth::TokenError;
use crate::credentials::refresh::{access_token, expires_soon, fault_delay_before_commit, refresh_token, Refresher};
use crate::credentials::service_account::ServiceAccountKey;
use crate::egress::Egress;
use crate::state::{AppState, Registry};
use crate::store::Store;
use crate::store::{AccountRecord, ChangeRecords};
use agentkit_core::model::ConnectorStatus;
use agentkit_core::{Error, ErrorKind, Result};
use chrono::Utc;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

/// Why a refresh gave no token.
pub enum RefreshError {
    /// The provider refused the account's refresh token (the grant is gone): the account is now
    /// `EXPIRED`, and the caller decides how to ask the user to authorize it again.
    Revoked {
        account: Box<AccountRecord>,
        reason: String,
    },
    Failed(Error),
}

impl From<Error> for RefreshError {
    fn from(e: Error) -> Self {
        RefreshError::Failed(e)
    }
}

type RefreshResult<T> = std::result::Result<T, RefreshError>;

/// What refreshing needs: the accounts, the connections and their connectors, the way out.
pub struct TokenSources<'a> {
    pub store: &'a Store,
    pub registry: Arc<Registry>,
    pub egress: &'a Egress,
    /// Where refresh outcomes are announced.
    pub webhooks: &'a crate::webhooks::Webhooks,
    /// The gateway's OAuth callback (a remote MCP server's client is registered with it).
    pub redirect_uri: String,
}

impl<'a> TokenSources<'a> {
    fn of(state: &'a AppState) -> TokenSources<'a> {
        TokenSources {
            store: &state.store,
            registry: state.registry(),
            egress: &state.egress,
            webhooks: &state.webhooks,
            redirect_uri: state.oauth_redirect_uri(),
        }
    }
}

impl TokenSources<'_> {
    async fn oauth_app(&self, connection: &ConnectionConfig) -> Result<OAuthApp> {
        let connector = self.registry.connector_of(connection)?;
        crate::credentials::oauth::connection_app(self.store, self.egress, &self.redirect_uri, connection, &connector)
            .await
    }
}

/// Runs `call` as `account` with an access token that is not about to expire; when `rejected`
/// says the provider refused the token (a 401: the call was not carried out, so running it again
/// is safe), refreshes once and runs it again. A revoked grant becomes the usual "authorize it
/// again" error with a fresh link.
pub async fn call_with_fresh_token<T, Fut>(
    state: &AppState,
    account: AccountRecord,
    call: impl Fn(&AccountRecord) -> Fut,
    rejected: impl Fn(&T) -> bool,
) -> Result<T>
where
    Fut: Future<Output = T>,
{
    let sources = TokenSources::of(state);
    let outcome = async {
        let account = state.refresher.ensure_fresh(&sources, account).await?;
        let outcome = call(&account).await;
        if !rejected(&outcome) {
            return Ok(outcome);
        }
        match state.refresher.after_rejection(&sources, &account).await? {
            Some(fresh) => Ok(call(&fresh).await),
            None => Ok(outcome),
        }
    }
    .await;
    outcome.map_err(|e| refresh_failure(state, e))
}

/// `account` with an access token that is not about to expire (refreshed if needed), for work
/// that cannot be re-run after a 401 (a remote MCP server's discovery takes the next account).
pub async fn with_fresh_token(state: &AppState, account: AccountRecord) -> Result<AccountRecord> {
    state.refresher.ensure_fresh(&TokenSources::of(state), account).await.map_err(|e| refresh_failure(state, e))
}

/// A refresh's failure as callers see it: a revoked grant is the usual "authorize it again"
/// error with a fresh link.
fn refresh_failure(state: &AppState, e: RefreshError) -> Error {
    match e {
        RefreshError::Failed(e) => e,
        RefreshError::Revoked { account, reason } => {
            let link = crate::domain::links::issue_link(state, &account.id, String::new(), String::new(), None).link;
            Error::failed_precondition(format!(
                "connected account {} for identifier {:?} on {:?} is EXPIRED (the provider refused to refresh: {reason}); \
                 authorize it again: {link}",
                account.id, account.identifier, account.connection_name
            ))
        }
    }
}

impl Refresher {
    /// The account with an access token that is not about to expire (refreshed if needed).
    async fn ensure_fresh(&self, src: &TokenSources<'_>, account: AccountRecord) -> RefreshResult<AccountRecord> {
        let service_account = ServiceAccountKey::of(account.credentials.as_ref()).is_some();
        let needed = match access_token(&account) {
            None => service_account,
            Some(_) => (service_account || refresh_token(&account).is_some()) && expires_soon(&account),
        };
        if !needed {
            return Ok(account);
        }
        let seen = access_token(&account).map(String::from);
        match self.refresh(src, &account.id, seen.as_deref()).await {
            // A token that is still valid remains usable while the endpoint is down.
            Err(RefreshError::Failed(e))
                if e.kind() == ErrorKind::Unavailable && account.token_expires_at.is_some_and(|t| t > Utc::now()) =>
            {
                Ok(account)
            }
            other => other,
        }
    }

    /// After the provider rejected `account`'s access token: a new one, unless the account
    /// cannot be refreshed (then `None`).
    async fn after_rejection(
        &self,
        src: &TokenSources<'_>,
        account: &AccountRecord,
    ) -> RefreshResult<Option<AccountRecord>> {
        if refresh_token(account).is_none() && ServiceAccountKey::of(account.credentials.as_ref()).is_none() {
            return Ok(None);
        }
        self.refresh(src, &account.id, access_token(account)).await.map(Some)
    }

    /// Refreshes account `id` unless its access token already differs from `seen` (someone else
    /// refreshed while we waited for the lock).
    async fn refresh(&self, src: &TokenSources<'_>, id: &str, seen: Option<&str>) -> RefreshResult<AccountRecord> {
        let lock = self.lock_for(id);
        let outcome = async {
            // One refresh per account in this process, then across replicas (PostgreSQL): the
            // winner commits the rotated token before the lock is released, so the others re-read
            // it instead of presenting a refresh token that is already spent.
            let _guard = lock.lock().await;
            let across_replicas = src.store.lock_account_for_refresh(id).await?;
            let outcome = self.refresh_locked(src, id, seen).await;
            across_replicas.release().await;
            outcome
        }
        .await;
        self.forget_lock(id, lock);
        outcome
    }

    async fn refresh_locked(
        &self,
        src: &TokenSources<'_>,
        id: &str,
        seen: Option<&str>,
    ) -> RefreshResult<AccountRecord> {
        let latest = src
            .store
            .account_by_id(id)
            .await?
            .ok_or_else(|| Error::not_found("the connected account no longer exists"))?;
        if access_token(&latest) != seen && latest.status == ConnectorStatus::Active {
            return Ok(latest);
        }
        if let Some((not_before, _)) = self.backoff.lock().unwrap_or_else(|p| p.into_inner()).get(id) {
            if Instant::now() < *not_before {
                return Err(Error::new(
                    ErrorKind::Unavailable,
                    "the provider's token endpoint is failing; retry shortly",
                )
                .into());
            }
        }
        if let Some(key) = ServiceAccountKey::of(latest.credentials.as_ref()) {
            return self.mint(src, latest, key).await;
        }
        let Some(old_refresh) = refresh_token(&latest).map(String::from) else {
            return Ok(latest);
        };
        let connection = src.registry.connection(&latest.connection_name)?;
        let app = src.oauth_app(&connection).await?;
        let span = tracing::info_span!(target: crate::telemetry::traces::SPAN_TARGET, "refresh_token", agentkit.connector = %connection.connector);
        let refreshed = tracing::Instrument::instrument(app.refresh(&old_refresh), span).await;
        let outcome = match &refreshed {
            Ok(_) => "succeeded",
            Err(TokenError::Rejected(_)) => "rejected",
            Err(TokenError::Transient(_)) => "failed",
        };
        crate::telemetry::metrics::token_refresh(&connection.connector, outcome);
        match refreshed {
            Ok(tokens) => {
                self.backoff.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
                let (credentials, expires_at) = tokens.into_credentials(Some(&old_refresh), &app.scopes);
                if let Some(delay) = fault_delay_before_commit() {
                    tracing::warn!(account = %id, ?delay, "fault injection: delaying the refresh commit");
                    tokio::time::sleep(delay).await;
                }
                let mut fresh = latest.clone();
                fresh.credentials = Some(credentials);
                fresh.token_expires_at = expires_at;
                fresh.status = ConnectorStatus::Active;
                // Commit (the rotated refresh token above all) before anyone uses the new token.
                let refreshed = [("connected_account.token_refresh_succeeded", &fresh, None)];
                let records = src.webhooks.change_records(Vec::new(), &refreshed).await?;
                if src.store.replace_credentials(&fresh, latest.credentials.as_ref(), &records).await? {
                    src.webhooks.wake();
                    tracing::info!(account = %id, "access token refreshed");
                    return Ok(fresh);
                }
                // Another replica committed first: its token wins.
                Ok(src
                    .store
                    .account_by_id(id)
                    .await?
                    .ok_or_else(|| Error::not_found("the connected account no longer exists"))?)
            }
            Err(TokenError::Rejected(reason)) => {
                let now = src
                    .store
                    .account_by_id(id)
                    .await?
                    .ok_or_else(|| Error::not_found("the connected account no longer exists"))?;
                if now.credentials != latest.credentials && now.status == ConnectorStatus::Active {
                    return Ok(now); // refreshed elsewhere with the token we just tried
                }
                let mut expired = latest.clone();
                expired.status = ConnectorStatus::Expired;
                let mut audit = Vec::new();
                let mut events = vec![("connected_account.token_refresh_failed", &expired, None)];
                if latest.status != expired.status {
                    events.push(("connected_account.status_updated", &expired, Some(latest.status.as_str())));
                    let change = serde_json::json!({"from": latest.status.as_str(), "to": expired.status.as_str(), "reason": "refresh token rejected"});
                    let changed = "connected_account.status_changed";
                    audit.push(crate::audit::account_row(changed, &expired, crate::audit::SUCCESS, change));
                }
                let records = src.webhooks.change_records(audit, &events).await?;
                src.store.update_account(&expired, &records).await?;
                src.webhooks.wake();
                tracing::info!(account = %id, reason = %reason, "refresh token rejected: account expired");
                Err(RefreshError::Revoked { account: Box::new(expired), reason })
            }
            Err(TokenError::Transient(reason)) => Err(self.back_off(id, &reason).into()),
        }
    }

    /// A service account's access token via the JWT bearer grant, cached next to its key.
    async fn mint(
        &self,
        src: &TokenSources<'_>,
        latest: AccountRecord,
        key: ServiceAccountKey,
    ) -> RefreshResult<AccountRecord> {
        let connection = src.registry.connection(&latest.connection_name)?;
        let scopes = if connection.scopes.is_empty() {
            src.registry.catalog.connector(&connection.connector).map(|c| c.auth.scopes.clone()).unwrap_or_default()
        } else {
            connection.scopes.clone()
        };
        match key.exchange(src.egress, &scopes).await {
            Ok(tokens) => {
                self.backoff.lock().unwrap_or_else(|p| p.into_inner()).remove(&latest.id);
                let (minted, expires_at) = tokens.into_credentials(None, &scopes);
                let mut credentials = latest.credentials.clone().unwrap_or_default();
                credentials.oauth_token = minted.oauth_token;
                let mut fresh = latest.clone();
                fresh.credentials = Some(credentials);
                fresh.token_expires_at = expires_at;
                fresh.status = ConnectorStatus::Active;
                let no_records = ChangeRecords::default();
                if src.store.replace_credentials(&fresh, latest.credentials.as_ref(), &no_records).await? {
                    tracing::info!(account = %latest.id, "service-account access token minted");
                    return Ok(fresh);
                }
                Ok(src
                    .store
                    .account_by_id(&latest.id)
                    .await?
                    .ok_or_else(|| Error::not_found("the connected account no longer exists"))?)
            }
            Err(TokenError::Rejected(reason)) => {
                let mut expired = latest.clone();
                expired.status = ConnectorStatus::Expired;
                src.store.update_account(&expired, &ChangeRecords::default()).await?;
                Err(Error::failed_precondition(format!(
                    "connected account {} is EXPIRED: the provider refused its service-account key ({reason}); update the key",
                    latest.id
                ))
                .into())
            }
            Err(TokenError::Transient(reason)) => Err(self.back_off(&latest.id, &reason).into()),
        }
    }
}
