//! What an MCP request needs before it runs — the instance behind a URL key, its config, whether
//! its session is live — in memory, so that an MCP call costs no database round trip (and no
//! decryption of the URL key) more than a REST `execute_tool` does.
//!
//! * Every write of a config, an instance or a session through the store empties the affected
//!   entries before returning, and a load that raced with a write is not stored (a generation
//!   counter, as in `account_cache`): in this process a cached entry is never older than the last
//!   write.
//! * Other replicas' config and instance writes, and their ended sessions, arrive as an `mcp`
//!   change notification that empties the cache; anything else they do (a session pushed out by
//!   newer ones on another replica) is seen after at most `ttl`.
//! * Bounded: at most `capacity` entries of each kind; when full of live entries it starts over.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::mcp::{ConfigRecord, InstanceRecord};

/// One kind of entry, each with when it was read from the database.
struct Entries<K, V>(HashMap<K, (V, Instant)>);

impl<K: Eq + Hash, V: Clone> Entries<K, V> {
    /// Looked up by `&str` for `String` keys: no allocation on the call path.
    fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q, ttl: Duration) -> Option<V>
    where
        K: Borrow<Q>,
    {
        let (value, loaded) = self.0.get(key)?;
        (loaded.elapsed() < ttl).then(|| value.clone())
    }

    fn put(&mut self, key: K, value: V, capacity: usize, ttl: Duration, loaded: Instant) {
        if self.0.len() >= capacity && !self.0.contains_key(&key) {
            self.0.retain(|_, (_, at)| at.elapsed() < ttl);
            if self.0.len() >= capacity {
                self.0.clear();
            }
        }
        self.0.insert(key, (value, loaded));
    }
}

impl<K, V> Default for Entries<K, V> {
    fn default() -> Self {
        Entries(HashMap::new())
    }
}

#[derive(Default)]
struct Inner {
    /// SHA-256 of a URL key → its instance.
    instances: Entries<String, InstanceRecord>,
    /// What a config was asked by (id or name) → the config.
    configs: Entries<String, ConfigRecord>,
    /// Session id → its owner (the MCP URL it was opened on).
    sessions: Entries<String, String>,
}

pub struct McpCache {
    inner: Mutex<Inner>,
    /// Bumped by every invalidation: a load stores its result only if none happened since it began.
    generation: AtomicU64,
    capacity: usize,
    ttl: Duration,
}

impl McpCache {
    pub fn new(capacity: usize, ttl: Duration) -> McpCache {
        McpCache { inner: Mutex::default(), generation: AtomicU64::new(0), capacity, ttl }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Where a load starts: pass it to the `store_*` call with what the load read.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub fn instance(&self, key_sha256: &str) -> Option<InstanceRecord> {
        self.inner().instances.get(key_sha256, self.ttl)
    }

    pub fn config(&self, id_or_name: &str) -> Option<ConfigRecord> {
        self.inner().configs.get(id_or_name, self.ttl)
    }

    /// Is `id` a session of `owner` that was live within the ttl?
    pub fn session_of(&self, id: &str, owner: &str) -> bool {
        self.inner().sessions.get(id, self.ttl).is_some_and(|o| o == owner)
    }

    pub fn store_instance(&self, key_sha256: String, instance: InstanceRecord, generation: u64) {
        self.store(generation, |inner, capacity, ttl, now| {
            inner.instances.put(key_sha256, instance, capacity, ttl, now)
        });
    }

    pub fn store_config(&self, id_or_name: String, config: ConfigRecord, generation: u64) {
        self.store(generation, |inner, capacity, ttl, now| inner.configs.put(id_or_name, config, capacity, ttl, now));
    }

    pub fn store_session(&self, id: String, owner: String, generation: u64) {
        self.store(generation, |inner, capacity, ttl, now| inner.sessions.put(id, owner, capacity, ttl, now));
    }

    fn store(&self, generation: u64, put: impl FnOnce(&mut Inner, usize, Duration, Instant)) {
        if self.capacity == 0 {
            return;
        }
        let mut inner = self.inner();
        if self.generation() == generation {
            put(&mut inner, self.capacity, self.ttl, Instant::now());
        }
    }

    /// A session ended, or its owner's sessions were pruned: forget the owner's sessions.
    pub fn forget_sessions_of(&self, owner: &str) {
        let mut inner = self.inner();
        self.generation.fetch_add(1, Ordering::AcqRel);
        inner.sessions.0.retain(|_, (o, _)| o != owner);
    }

    /// A config or instance was written, here or on another replica.
    pub fn clear(&self) {
        let mut inner = self.inner();
        self.generation.fetch_add(1, Ordering::AcqRel);
        *inner = Inner::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(id: &str) -> ConfigRecord {
        ConfigRecord { id: id.into(), name: format!("{id}-name"), description: String::new(), mappings: vec![] }
    }

    #[test]
    fn a_write_empties_it_and_a_load_that_raced_with_the_write_is_not_kept() {
        let cache = McpCache::new(10, Duration::from_secs(60));
        cache.store_config("c1".into(), config("c1"), cache.generation());
        assert_eq!(cache.config("c1").map(|c| c.id).as_deref(), Some("c1"));
        cache.clear();
        assert!(cache.config("c1").is_none());

        let began = cache.generation();
        cache.clear();
        cache.store_config("c1".into(), config("stale"), began);
        assert!(cache.config("c1").is_none(), "a load older than the last write is not cached");
    }

    #[test]
    fn sessions_belong_to_their_owner_and_go_with_it() {
        let cache = McpCache::new(10, Duration::from_secs(60));
        cache.store_session("s1".into(), "url-a".into(), cache.generation());
        cache.store_session("s2".into(), "url-b".into(), cache.generation());
        assert!(cache.session_of("s1", "url-a"));
        assert!(!cache.session_of("s1", "url-b"), "another URL's session id is unknown there");
        cache.forget_sessions_of("url-a");
        assert!(!cache.session_of("s1", "url-a"));
        assert!(cache.session_of("s2", "url-b"), "other owners' sessions stay");
    }

    #[test]
    fn entries_expire_and_each_kind_stays_bounded() {
        let cache = McpCache::new(3, Duration::from_millis(30));
        for n in 0..10 {
            cache.store_session(format!("s{n}"), "url".into(), cache.generation());
        }
        assert!(cache.inner().sessions.0.len() <= 3);
        cache.store_config("late".into(), config("late"), cache.generation());
        std::thread::sleep(Duration::from_millis(40));
        assert!(cache.config("late").is_none(), "older than the ttl");
        let off = McpCache::new(0, Duration::from_secs(60));
        off.store_config("c".into(), config("c"), off.generation());
        assert!(off.config("c").is_none(), "capacity 0 turns it off");
    }
}
