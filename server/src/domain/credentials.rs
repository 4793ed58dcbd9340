//! Fresh credentials for a call — the refresher's use cases (refresh before expiry, after a
//! provider 401, service-account minting). The bookkeeping they rely on (single-flight locks,
//! backoff) lives in `crate::credentials::refresh`.

use crate::credentials::oauth::TokenError;
use crate::credentials::refresh::{access_token, expires_soon, fault_delay_before_commit, refresh_token, Refresher};
use crate::credentials::service_account::ServiceAccountKey;
use crate::state::AppState;
use crate::store::AccountRecord;
use agentkit_core::model::ConnectorStatus;
use agentkit_core::{Error, ErrorKind, Result};
use chrono::Utc;
use std::time::Instant;

impl Refresher {
    /// The account with an access token that is not about to expire (refreshed if needed).
    pub async fn ensure_fresh(&self, state: &AppState, account: AccountRecord) -> Result<AccountRecord> {
        let service_account = ServiceAccountKey::of(account.credentials.as_ref()).is_some();
        let needed = match access_token(&account) {
            None => service_account,
            Some(_) => (service_account || refresh_token(&account).is_some()) && expires_soon(&account),
        };
        if !needed {
            return Ok(account);
        }
        let seen = access_token(&account).map(String::from);
        match self.refresh(state, &account.id, seen.as_deref()).await {
            // A token that is still valid remains usable while the endpoint is down.
            Err(e)
                if e.kind() == ErrorKind::Unavailable && account.token_expires_at.is_some_and(|t| t > Utc::now()) =>
            {
                Ok(account)
            }
            other => other,
        }
    }

    /// After the provider rejected `account`'s access token: a new one, unless the account
    /// cannot be refreshed (then `None`).
    pub async fn after_rejection(&self, state: &AppState, account: &AccountRecord) -> Result<Option<AccountRecord>> {
        if refresh_token(account).is_none() && ServiceAccountKey::of(account.credentials.as_ref()).is_none() {
            return Ok(None);
        }
        self.refresh(state, &account.id, access_token(account)).await.map(Some)
    }

    /// Refreshes account `id` unless its access token already differs from `seen` (someone else
    /// refreshed while we waited for the lock).
    async fn refresh(&self, state: &AppState, id: &str, seen: Option<&str>) -> Result<AccountRecord> {
        let lock = self.lock_for(id);
        let outcome = {
            let _guard = lock.lock().await;
            self.refresh_locked(state, id, seen).await
        };
        self.forget_lock(id, lock);
        outcome
    }

    async fn refresh_locked(&self, state: &AppState, id: &str, seen: Option<&str>) -> Result<AccountRecord> {
        let latest = state
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
                ));
            }
        }
        if let Some(key) = ServiceAccountKey::of(latest.credentials.as_ref()) {
            return self.mint(state, latest, key).await;
        }
        let Some(old_refresh) = refresh_token(&latest).map(String::from) else {
            return Ok(latest);
        };
        let connection = state.connection(&latest.connection_name)?;
        let app = state.oauth_app(&connection)?;
        match app.refresh(&old_refresh).await {
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
                if state.store.replace_credentials(&fresh, latest.credentials.as_ref()).await? {
                    tracing::info!(account = %id, "access token refreshed");
                    return Ok(fresh);
                }
                // Another replica committed first: its token wins.
                state
                    .store
                    .account_by_id(id)
                    .await?
                    .ok_or_else(|| Error::not_found("the connected account no longer exists"))
            }
            Err(TokenError::Rejected(reason)) => {
                let now = state
                    .store
                    .account_by_id(id)
                    .await?
                    .ok_or_else(|| Error::not_found("the connected account no longer exists"))?;
                if now.credentials != latest.credentials && now.status == ConnectorStatus::Active {
                    return Ok(now); // refreshed elsewhere with the token we just tried
                }
                let mut expired = latest.clone();
                expired.status = ConnectorStatus::Expired;
                state.store.update_account(&expired).await?;
                tracing::info!(account = %id, reason = %reason, "refresh token rejected: account expired");
                let link = crate::domain::links::issue_link(state, &expired.id, String::new(), String::new()).link;
                Err(Error::new(
                    ErrorKind::FailedPrecondition,
                    format!(
                        "connected account {} for identifier {:?} on {:?} is EXPIRED (the provider refused to refresh: {reason}); \
                         authorize it again: {link}",
                        expired.id, expired.identifier, expired.connection_name
                    ),
                ))
            }
            Err(TokenError::Transient(reason)) => Err(self.back_off(id, &reason)),
        }
    }

    /// A service account's access token via the JWT bearer grant, cached next to its key.
    async fn mint(&self, state: &AppState, latest: AccountRecord, key: ServiceAccountKey) -> Result<AccountRecord> {
        let connection = state.connection(&latest.connection_name)?;
        let scopes = if connection.scopes.is_empty() {
            state.registry().catalog.connector(&connection.connector).map(|c| c.auth.scopes.clone()).unwrap_or_default()
        } else {
            connection.scopes.clone()
        };
        match key.exchange(&state.egress, &scopes).await {
            Ok(tokens) => {
                self.backoff.lock().unwrap_or_else(|p| p.into_inner()).remove(&latest.id);
                let (minted, expires_at) = tokens.into_credentials(None, &scopes);
                let mut credentials = latest.credentials.clone().unwrap_or_default();
                credentials.oauth_token = minted.oauth_token;
                let mut fresh = latest.clone();
                fresh.credentials = Some(credentials);
                fresh.token_expires_at = expires_at;
                fresh.status = ConnectorStatus::Active;
                if state.store.replace_credentials(&fresh, latest.credentials.as_ref()).await? {
                    tracing::info!(account = %latest.id, "service-account access token minted");
                    return Ok(fresh);
                }
                state
                    .store
                    .account_by_id(&latest.id)
                    .await?
                    .ok_or_else(|| Error::not_found("the connected account no longer exists"))
            }
            Err(TokenError::Rejected(reason)) => {
                let mut expired = latest.clone();
                expired.status = ConnectorStatus::Expired;
                state.store.update_account(&expired).await?;
                Err(Error::new(
                    ErrorKind::FailedPrecondition,
                    format!("connected account {} is EXPIRED: the provider refused its service-account key ({reason}); update the key", latest.id),
                ))
            }
            Err(TokenError::Transient(reason)) => Err(self.back_off(&latest.id, &reason)),
        }
    }
}
