//! The loop behind the gateway's background workers (trigger polls, webhook deliveries): take
//! due items under a lease only when a slot is free for them, run up to a bound at once, and
//! never let one slow item hold the others' turns (no batch waits for its slowest member).

use std::future::Future;
use std::sync::{Arc, Weak};
use std::time::Duration;

use agentkit_core::Result;

/// How a worker takes and runs its items.
pub struct Worker {
    /// What the log says when taking items fails.
    pub name: &'static str,
    /// Items run at once, at most.
    pub max_in_flight: usize,
    /// How long to wait when nothing was due (unless woken).
    pub idle: Duration,
    /// A finished item may make another due at once (the outbox: the next event of an ordered
    /// key waits for the one before it), so look again as soon as one finishes.
    pub look_again_when_one_finishes: bool,
}

impl Worker {
    /// Runs until `owner` is gone: `claim(owner, room)` leases up to `room` due items,
    /// `work(owner, item)` runs one. `wake` (if any) cuts an idle wait short.
    pub async fn run<S, T, Claim, ClaimFut, Work, WorkFut>(
        &self,
        owner: Weak<S>,
        wake: Option<Arc<tokio::sync::Notify>>,
        claim: Claim,
        work: Work,
    ) where
        S: Send + Sync + 'static,
        T: Send + 'static,
        Claim: Fn(Arc<S>, u32) -> ClaimFut,
        ClaimFut: Future<Output = Result<Vec<T>>>,
        Work: Fn(Arc<S>, T) -> WorkFut,
        WorkFut: Future<Output = ()> + Send + 'static,
    {
        let mut running = tokio::task::JoinSet::new();
        loop {
            while running.try_join_next().is_some() {}
            let room = self.max_in_flight.saturating_sub(running.len());
            let mut claimed = 0;
            if room > 0 {
                let Some(live) = owner.upgrade() else { return };
                match claim(live.clone(), u32::try_from(room).unwrap_or(u32::MAX)).await {
                    Ok(items) => {
                        claimed = items.len();
                        for item in items {
                            running.spawn(work(live.clone(), item));
                        }
                    }
                    Err(e) => tracing::warn!(worker = self.name, error = %e.message(), "due work unavailable"),
                }
            }
            if claimed == room {
                // Every slot is busy (and more may be due): go on as soon as one is free.
                running.join_next().await;
            } else {
                let woken = async {
                    match &wake {
                        Some(wake) => {
                            let _ = tokio::time::timeout(self.idle, wake.notified()).await;
                        }
                        None => tokio::time::sleep(self.idle).await,
                    }
                };
                let watch_finishes = self.look_again_when_one_finishes && !running.is_empty();
                tokio::select! {
                    _ = woken => {}
                    _ = running.join_next(), if watch_finishes => {}
                }
            }
        }
    }
}
