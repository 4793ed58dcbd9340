//! Keeping OAuth access tokens fresh: before expiry (a jittered margin) and after a provider 401.
//!
//! * Single flight: one refresh per account at a time in this process; callers that waited reuse
//!   the token the winner stored. Across replicas the commit is a compare-and-set on the sealed
//!   credentials, so a loser never overwrites a newer token.
//! * Rotation safety: the new refresh token is committed before the new access token is used.
//! * `invalid_grant` (the grant is gone) → the account becomes `EXPIRED`, with a fresh
//!   authorization link in the error; transient token-endpoint failures back off without marking
//!   the account dead.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;

use agentkit_core::model::ConnectorStatus;
use agentkit_core::{Error, ErrorKind, Result};

use crate::app::AppState;
use crate::oauth::TokenError;
use crate::service_account::ServiceAccountKey;
use crate::store::AccountRecord;

/// Refresh when the access token expires within this margin (plus up to `MARGIN_JITTER`).
const REFRESH_MARGIN: Duration = Duration::from_secs(60);
const MARGIN_JITTER: Duration = Duration::from_secs(30);
/// Backoff after a transient token-endpoint failure: doubles from 1 s up to 60 s.
const BACKOFF_START: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(60);

/// Fault-injection point for crash tests: `AGENTKIT_FAULT_DELAY_REFRESH_COMMIT_MS` holds the
/// provider's refresh answer that long before committing it, so a test can kill the process in
/// the window where the provider has rotated the refresh token and we have not stored it.
fn fault_delay_before_commit() -> Option<Duration> {
    static DELAY: std::sync::OnceLock<Option<Duration>> = std::sync::OnceLock::new();
    *DELAY.get_or_init(|| {
        std::env::var("AGENTKIT_FAULT_DELAY_REFRESH_COMMIT_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .map(Duration::from_millis)
    })
}

#[derive(Default)]
pub struct Refresher {
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// account id → (no refresh attempt before, current backoff)
    backoff: Mutex<HashMap<String, (Instant, Duration)>>,
}

fn access_token(account: &AccountRecord) -> Option<&str> {
    account.credentials.as_ref()?.oauth_token.as_ref().map(|t| t.access_token.as_str())
}

fn refresh_token(account: &AccountRecord) -> Option<&str> {
    account.credentials.as_ref()?.oauth_token.as_ref().map(|t| t.refresh_token.as_str()).filter(|t| !t.is_empty())
}

/// True when the access token should be renewed before use: less than the margin (60–90 s) is
/// left, or — for short-lived tokens — less than half of its lifetime (estimated from when it was
/// stored), so a fresh short-lived token is not refreshed again at once.
fn expires_soon(account: &AccountRecord) -> bool {
    let Some(expires_at) = account.token_expires_at else {
        return false;
    };
    let jitter = MARGIN_JITTER.mul_f64(rand::random::<f64>());
    let margin = chrono::Duration::from_std(REFRESH_MARGIN + jitter).unwrap_or_default();
    let half_life = (expires_at - account.updated_at) / 2;
    let threshold = if half_life > chrono::Duration::zero() { margin.min(half_life) } else { margin };
    expires_at - threshold <= Utc::now()
}

impl Refresher {
    fn lock_for(&self, account_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        locks.entry(account_id.to_string()).or_default().clone()
    }

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

    /// Drops an account's lock once nobody else holds or waits for it, so the map only holds
    /// accounts being refreshed right now.
    fn forget_lock(&self, id: &str, lock: Arc<tokio::sync::Mutex<()>>) {
        let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        // Clones are only made under this map's mutex: two references are the map's and ours.
        if Arc::strong_count(&lock) <= 2 {
            locks.remove(id);
        }
    }

    /// How many refresh locks and backoff entries are held (bounded; tests read it).
    pub fn held(&self) -> (usize, usize) {
        let locks = self.locks.lock().unwrap_or_else(|p| p.into_inner()).len();
        (locks, self.backoff.lock().unwrap_or_else(|p| p.into_inner()).len())
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

    /// Records a transient token-endpoint failure and returns the error to report.
    fn back_off(&self, id: &str, reason: &str) -> Error {
        let mut backoff = self.backoff.lock().unwrap_or_else(|p| p.into_inner());
        // Entries whose wait ended long ago are as good as none.
        let now = Instant::now();
        backoff.retain(|_, (not_before, _)| now.saturating_duration_since(*not_before) < BACKOFF_MAX);
        let next = backoff.get(id).map(|(_, d)| (*d * 2).min(BACKOFF_MAX)).unwrap_or(BACKOFF_START);
        backoff.insert(id.to_string(), (Instant::now() + next, next));
        tracing::warn!(account = %id, reason = %reason, backoff_secs = next.as_secs(), "token request failed; backing off");
        Error::new(ErrorKind::Unavailable, format!("could not obtain an access token: {reason}"))
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
