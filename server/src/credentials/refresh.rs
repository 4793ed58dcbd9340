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

use agentkit_core::{Error, ErrorKind};

use crate::store::AccountRecord;

/// Refresh when the access token expires within this margin (plus up to `MARGIN_JITTER`).
const REFRESH_MARGIN: Duration = Duration::from_secs(60);
const MARGIN_JITTER: Duration = Duration::from_secs(30);
/// Backoff after a transient token-endpoint failure: doubles from 1 s up to 60 s.
const BACKOFF_START: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(60);

/// Fault-injection point for crash tests: `AGENTKIT_FAULT_DELAY_REFRESH_COMMIT_MS` holds the
/// provider's refresh answer that long before committing it, so a test can kill the process in
/// the window where the provider has rotated the refresh token and we have not stored it. Only
/// in builds with the `fault-hooks` feature (not release builds).
#[cfg(not(feature = "fault-hooks"))]
pub(crate) fn fault_delay_before_commit() -> Option<Duration> {
    None
}

#[cfg(feature = "fault-hooks")]
pub(crate) fn fault_delay_before_commit() -> Option<Duration> {
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
    pub(crate) locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// account id → (no refresh attempt before, current backoff)
    pub(crate) backoff: Mutex<HashMap<String, (Instant, Duration)>>,
}

pub(crate) fn access_token(account: &AccountRecord) -> Option<&str> {
    account.credentials.as_ref()?.oauth_token.as_ref().map(|t| t.access_token.as_str())
}

pub(crate) fn refresh_token(account: &AccountRecord) -> Option<&str> {
    account.credentials.as_ref()?.oauth_token.as_ref().map(|t| t.refresh_token.as_str()).filter(|t| !t.is_empty())
}

/// True when the access token should be renewed before use: less than the margin (60–90 s) is
/// left, or — for short-lived tokens — less than half of its lifetime (estimated from when it was
/// stored), so a fresh short-lived token is not refreshed again at once.
pub(crate) fn expires_soon(account: &AccountRecord) -> bool {
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
    pub(crate) fn lock_for(&self, account_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        locks.entry(account_id.to_string()).or_default().clone()
    }

    /// Drops an account's lock once nobody else holds or waits for it, so the map only holds
    /// accounts being refreshed right now.
    pub(crate) fn forget_lock(&self, id: &str, lock: Arc<tokio::sync::Mutex<()>>) {
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

    /// Records a transient token-endpoint failure and returns the error to report.
    pub(crate) fn back_off(&self, id: &str, reason: &str) -> Error {
        let mut backoff = self.backoff.lock().unwrap_or_else(|p| p.into_inner());
        // Entries whose wait ended long ago are as good as none.
        let now = Instant::now();
        backoff.retain(|_, (not_before, _)| now.saturating_duration_since(*not_before) < BACKOFF_MAX);
        let next = backoff.get(id).map(|(_, d)| (*d * 2).min(BACKOFF_MAX)).unwrap_or(BACKOFF_START);
        backoff.insert(id.to_string(), (Instant::now() + next, next));
        tracing::warn!(account = %id, reason = %reason, backoff_secs = next.as_secs(), "token request failed; backing off");
        Error::new(ErrorKind::Unavailable, format!("could not obtain an access token: {reason}"))
    }
}
