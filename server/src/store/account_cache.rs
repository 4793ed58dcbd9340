//! The accounts of hot identifiers, decrypted, in memory: a tool call or proxied request finds its
//! account without a database round trip or a decryption.
//!
//! * Every write of an account through the store drops its identifier's entry before returning,
//!   and a lookup that raced with a write does not store what it read (a generation counter), so
//!   in this process a cached account is never older than the last write.
//! * Writes made elsewhere (another gateway process on the same database, `agentkit keys rotate`)
//!   are seen after at most `ttl`.
//! * Bounded: at most `capacity` identifiers, and an identifier with more than
//!   `MAX_ACCOUNTS_PER_ENTRY` accounts is not cached at all.
//!
//! It also keeps the account list's match counts (per filter), which stay exact until the next
//! account write in this process (the same generation counter), so a first page does not count
//! every matching row again.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::AccountRecord;

const MAX_ACCOUNTS_PER_ENTRY: usize = 64;

struct Entry {
    accounts: Arc<[AccountRecord]>,
    loaded: Instant,
}

pub struct AccountCache {
    entries: Mutex<HashMap<String, Entry>>,
    /// filter key → (count, generation it was counted at, when)
    counts: Mutex<HashMap<String, (u32, u64, Instant)>>,
    /// Bumped by every invalidation; a load only stores its result if no write happened since
    /// it began.
    generation: AtomicU64,
    capacity: usize,
    ttl: Duration,
}

impl AccountCache {
    pub fn new(capacity: usize, ttl: Duration) -> AccountCache {
        AccountCache {
            entries: Mutex::default(),
            counts: Mutex::default(),
            generation: AtomicU64::new(0),
            capacity,
            ttl,
        }
    }

    /// The list count for `filter`, if no account was written since it was counted.
    pub fn count(&self, filter: &str) -> Option<u32> {
        let counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let (n, generation, counted) = counts.get(filter)?;
        (*generation == self.generation() && counted.elapsed() < self.ttl).then_some(*n)
    }

    pub fn store_count(&self, filter: &str, n: u32, generation: u64) {
        if self.capacity == 0 || self.generation() != generation {
            return;
        }
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if counts.len() >= self.capacity.min(1024) {
            counts.clear();
        }
        counts.insert(filter.to_string(), (n, generation, Instant::now()));
    }

    /// Where a load starts: pass the answer to [`AccountCache::store`].
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub fn get(&self, identifier: &str) -> Option<Arc<[AccountRecord]>> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let entry = entries.get(identifier)?;
        (entry.loaded.elapsed() < self.ttl).then(|| entry.accounts.clone())
    }

    /// Keeps what a load read, unless an account was written since it began (`generation`).
    pub fn store(&self, identifier: &str, accounts: Arc<[AccountRecord]>, generation: u64) {
        if self.capacity == 0 || accounts.len() > MAX_ACCOUNTS_PER_ENTRY {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        if entries.len() >= self.capacity && !entries.contains_key(identifier) {
            let ttl = self.ttl;
            entries.retain(|_, e| e.loaded.elapsed() < ttl);
            if entries.len() >= self.capacity {
                // Still full of live entries: start over rather than track recency on every hit.
                entries.clear();
            }
        }
        entries.insert(identifier.to_string(), Entry { accounts, loaded: Instant::now() });
    }

    /// An account of `identifier` was written (or is about to be).
    pub fn invalidate(&self, identifier: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.remove(identifier);
    }

    pub fn clear(&self) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentkit_core::model::{ConnectorStatus, ConnectorType};

    fn account(id: &str, identifier: &str) -> AccountRecord {
        AccountRecord {
            id: id.into(),
            connection_name: "gmail".into(),
            connector: "gmail".into(),
            identifier: identifier.into(),
            organization_id: String::new(),
            user_id: String::new(),
            status: ConnectorStatus::Active,
            authorization_type: ConnectorType::Oauth,
            credentials: None,
            api_config: None,
            token_expires_at: None,
            updated_at: chrono::Utc::now(),
            last_used_at: None,
        }
    }

    fn one(id: &str, identifier: &str) -> Arc<[AccountRecord]> {
        vec![account(id, identifier)].into()
    }

    #[test]
    fn a_write_drops_the_entry_and_a_load_that_raced_with_it_is_not_kept() {
        let cache = AccountCache::new(10, Duration::from_secs(60));
        cache.store("u", one("ca_1", "u"), cache.generation());
        assert_eq!(cache.get("u").map(|a| a[0].id.clone()).as_deref(), Some("ca_1"));
        cache.invalidate("u");
        assert!(cache.get("u").is_none());

        // A load begins, a write lands, the load finishes: what it read may predate the write.
        let began = cache.generation();
        cache.invalidate("u");
        cache.store("u", one("ca_stale", "u"), began);
        assert!(cache.get("u").is_none(), "a load older than the last write is not cached");
    }

    #[test]
    fn entries_expire_and_the_cache_stays_bounded() {
        let cache = AccountCache::new(3, Duration::from_millis(30));
        for n in 0..10 {
            let identifier = format!("u{n}");
            cache.store(&identifier, one("ca", &identifier), cache.generation());
        }
        assert!(cache.entries.lock().unwrap().len() <= 3);
        cache.store("late", one("ca", "late"), cache.generation());
        std::thread::sleep(Duration::from_millis(40));
        assert!(cache.get("late").is_none(), "older than the ttl");

        let crowded: Arc<[AccountRecord]> =
            (0..=MAX_ACCOUNTS_PER_ENTRY).map(|n| account(&format!("ca_{n}"), "many")).collect::<Vec<_>>().into();
        cache.store("many", crowded, cache.generation());
        assert!(cache.get("many").is_none(), "an identifier with too many accounts is not cached");
        let off = AccountCache::new(0, Duration::from_secs(60));
        off.store("u", one("ca", "u"), off.generation());
        assert!(off.get("u").is_none(), "capacity 0 turns the cache off");
    }
}
