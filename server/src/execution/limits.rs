//! Per-connector limits from a connector file's `limits` block: the answer size a tool may hand
//! an agent, how fast one account may call the provider, and when a provider answer is retried.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use agentkit_core::{Error, ErrorKind, Result};

pub use crate::catalog::runner_defs::{LimitsDef, RateLimitDef, RetryDef};

/// Answers larger than this (serialized JSON) are cut, unless the connector says otherwise:
/// big enough for real pages of data, small enough not to flood a model's context.
pub const DEFAULT_MAX_OUTPUT_BYTES: usize = 512 * 1024;

/// Deadline of one provider request when the connector sets none.
pub const DEFAULT_UPSTREAM_TIMEOUT: Duration = Duration::from_secs(30);

/// Longest deadline a connector may set: a tool call holds a request of the caller's open.
pub const MAX_UPSTREAM_TIMEOUT_SECS: u64 = 600;

impl LimitsDef {
    /// The deadline of one provider request of this connector.
    pub fn upstream_timeout(&self) -> Duration {
        self.timeout_secs
            .map_or(DEFAULT_UPSTREAM_TIMEOUT, |secs| Duration::from_secs(secs.clamp(1, MAX_UPSTREAM_TIMEOUT_SECS)))
    }

    /// Load-time check: a deadline out of range is an error naming the field (not silently
    /// clamped when the file is the operator's).
    pub fn check(&self) -> std::result::Result<(), String> {
        match self.timeout_secs {
            Some(secs) if !(1..=MAX_UPSTREAM_TIMEOUT_SECS).contains(&secs) => {
                Err(format!("limits.timeout_secs must be between 1 and {MAX_UPSTREAM_TIMEOUT_SECS}, not {secs}"))
            }
            _ => Ok(()),
        }
    }
}

impl RateLimitDef {
    /// Seconds between two slots, and the seconds' worth a full bucket holds.
    fn interval_and_burst(&self) -> (f64, f64) {
        let capacity = f64::from(self.requests.max(1));
        let per_seconds = self.per_seconds.max(0.001);
        (per_seconds / capacity, per_seconds)
    }

    /// The 429 for a call that would wait too long; a slot is free again in `wait` seconds.
    fn used_up(&self, connector: &str, wait: f64) -> Error {
        Error::new(
            ErrorKind::RateLimited,
            format!(
                "{connector}: this account's rate limit ({} calls per {} s) is used up; retry in {:.1} s",
                self.requests, self.per_seconds, wait
            ),
        )
        .with_retry_after(Some(wait.ceil().clamp(0.0, agentkit_core::client::RETRY_AFTER_MAX.as_secs_f64()) as u64))
    }
}

impl RetryDef {
    /// How long to wait before attempt `attempt + 1`, given the provider's Retry-After.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let cap = Duration::from_millis(self.max_delay_ms);
        retry_after
            .unwrap_or_else(|| Duration::from_millis(self.backoff_ms.saturating_mul(1 << attempt.min(10))))
            .min(cap)
    }
}

/// Token buckets keyed by connector and account: in this process (one SQLite gateway), or in
/// the database every replica shares (PostgreSQL), so a limit holds however many replicas run.
#[derive(Default)]
pub struct RateLimiter {
    buckets: Mutex<HashMap<(String, String), Bucket>>,
    shared: Option<crate::store::Store>,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter").field("shared", &self.shared.is_some()).finish_non_exhaustive()
    }
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    refilled: Instant,
    /// From then on the bucket is full again, i.e. no different from a new one.
    full_at: Instant,
}

/// Bucket count above which full (forgettable) buckets are swept out.
const BUCKETS_SWEEP_AT: usize = 4096;

impl RateLimiter {
    /// Buckets in `store`'s database, shared with every replica on it.
    pub fn shared(store: crate::store::Store) -> RateLimiter {
        RateLimiter { buckets: Mutex::default(), shared: Some(store) }
    }

    /// Takes one call's slot for `account` on `connector`, waiting up to the rule's `max_wait_ms`.
    pub async fn acquire(&self, connector: &str, account: &str, rule: &RateLimitDef) -> Result<()> {
        let wait = match &self.shared {
            Some(store) => {
                let (interval, burst) = rule.interval_and_burst();
                let max_wait = rule.max_wait_ms as f64 / 1000.0;
                match store.take_rate_limit_slot(connector, account, interval, burst, max_wait).await? {
                    crate::store::SlotAnswer::Wait(wait) => Duration::from_secs_f64(wait.min(max_wait)),
                    crate::store::SlotAnswer::Refused(room_in) => {
                        crate::telemetry::metrics::rate_limit_refusal(connector);
                        return Err(rule.used_up(connector, room_in));
                    }
                }
            }
            None => self.reserve(connector, account, rule, Instant::now()).inspect_err(|_| {
                crate::telemetry::metrics::rate_limit_refusal(connector);
            })?,
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        Ok(())
    }

    /// Reserves a slot and says how long its holder must wait (slots are never handed out twice).
    fn reserve(&self, connector: &str, account: &str, rule: &RateLimitDef, now: Instant) -> Result<Duration> {
        let capacity = f64::from(rule.requests.max(1));
        let (per_token, _) = rule.interval_and_burst();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= BUCKETS_SWEEP_AT {
            buckets.retain(|_, b| b.full_at > now);
        }
        let bucket = buckets.entry((connector.to_string(), account.to_string())).or_insert(Bucket {
            tokens: capacity,
            refilled: now,
            full_at: now,
        });
        let elapsed = now.saturating_duration_since(bucket.refilled).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed / per_token).min(capacity);
        bucket.refilled = now;
        let wait = if bucket.tokens >= 1.0 { 0.0 } else { (1.0 - bucket.tokens) * per_token };
        if wait * 1000.0 > rule.max_wait_ms as f64 {
            return Err(rule.used_up(connector, wait));
        }
        bucket.tokens -= 1.0;
        bucket.full_at = now + Duration::from_secs_f64(((capacity - bucket.tokens) * per_token).max(0.0));
        Ok(Duration::from_secs_f64(wait))
    }
}

/// Cuts `answer` to at most `max_bytes` of JSON and marks the cut in `_truncated`: trailing items
/// of the biggest arrays go first (so what remains is whole records), then long strings are
/// shortened. Answers within the limit are untouched; the result never exceeds `max_bytes`.
///
/// Bounded work: sizes are measured once, each array is cut at most once (largest first) and each
/// string shortened at most once (longest first), so the cost is O(n log n) in the answer's size.
pub fn cap_output(answer: &mut Value, max_bytes: usize) {
    let original = json_len(answer);
    if original <= max_bytes {
        return;
    }
    // Room for the marker itself.
    let budget = max_bytes.saturating_sub(MARKER_ROOM.min(max_bytes / 8));
    let mut size = original;
    let mut omitted = serde_json::Map::new();
    let mut omitted_total = 0usize;
    let mut arrays = Vec::new();
    collect_arrays(answer, &mut String::new(), &mut arrays);
    // Largest first; a parent is never smaller than an array inside it.
    arrays.sort_by_key(|(_, size)| std::cmp::Reverse(*size));
    for (path, _) in arrays {
        if size <= budget {
            break;
        }
        // Gone when a larger array around it lost the item holding it.
        let Some(array) = pointer_mut(answer, &path).and_then(Value::as_array_mut) else { continue };
        let len = array.len();
        let mut keep = len;
        while keep > 0 && size > budget {
            keep -= 1;
            // The item and its separating comma.
            size = size.saturating_sub(json_len(&array[keep]) + usize::from(keep > 0));
        }
        array.truncate(keep);
        if keep < len {
            omitted_total += len - keep;
            // The marker names the first arrays cut; the total counts them all.
            if omitted.len() < MARKER_PATHS {
                let label =
                    if path.is_empty() { "/".to_string() } else { path.chars().take(MARKER_PATH_CHARS).collect() };
                omitted.insert(label, json!(len - keep));
            }
        }
    }
    let mut shortened = 0;
    if size > budget {
        shortened = shorten_strings(answer, size - budget);
    }
    let mut marker = json!({
        "original_bytes": original,
        "max_bytes": max_bytes,
        "omitted_items": omitted,
        "omitted_items_total": omitted_total,
        "shortened_string_bytes": shortened,
    });
    if json_len(answer) + json_len(&marker) + 16 > max_bytes {
        // Nothing left to cut but the answer itself (many small fields): keep only the marker.
        marker["dropped_answer"] = json!(true);
        *answer = json!({});
    }
    match answer {
        Value::Object(o) => {
            o.insert("_truncated".into(), marker);
        }
        other => *other = json!({"result": other.take(), "_truncated": marker}),
    }
}

/// Bytes kept free for the `_truncated` marker (an eighth of the cap, at most this).
const MARKER_ROOM: usize = 1024;
/// Most array paths the marker names, and the longest path it spells out.
const MARKER_PATHS: usize = 8;
const MARKER_PATH_CHARS: usize = 64;

/// Answers larger than this are capped on a blocking thread, not on an async worker.
const CAP_ON_WORKER_MAX_BYTES: usize = 64 * 1024;

/// [`cap_output`] for answers of any size: large ones are shaped on the blocking pool so a
/// pathological answer cannot stall other requests.
pub async fn cap_output_off_worker(mut answer: Value, max_bytes: usize) -> Value {
    let size = json_len(&answer);
    if size <= max_bytes {
        return answer;
    }
    if size <= CAP_ON_WORKER_MAX_BYTES {
        cap_output(&mut answer, max_bytes);
        return answer;
    }
    match tokio::task::spawn_blocking(move || {
        cap_output(&mut answer, max_bytes);
        answer
    })
    .await
    {
        Ok(answer) => answer,
        Err(_) => json!({"_truncated": {"max_bytes": max_bytes, "dropped_answer": true}}),
    }
}

/// Serialized size of `v`, counted without building the text.
fn json_len(v: &Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    match serde_json::to_writer(&mut count, v) {
        Ok(()) => count.0,
        Err(_) => 0,
    }
}

/// Every non-empty array: its JSON pointer and serialized size; returns the size of `v`.
fn collect_arrays(v: &Value, path: &mut String, out: &mut Vec<(String, usize)>) -> usize {
    match v {
        Value::Array(items) => {
            let mut size = 2 + items.len().saturating_sub(1);
            for (i, item) in items.iter().enumerate() {
                let before = path.len();
                path.push_str(&format!("/{i}"));
                size += collect_arrays(item, path, out);
                path.truncate(before);
            }
            if !items.is_empty() {
                out.push((path.clone(), size));
            }
            size
        }
        Value::Object(o) => {
            let mut size = 2 + o.len().saturating_sub(1);
            for (k, item) in o {
                let before = path.len();
                path.push('/');
                path.push_str(&k.replace('~', "~0").replace('/', "~1"));
                size += json_len(&Value::String(k.clone())) + 1 + collect_arrays(item, path, out);
                path.truncate(before);
            }
            size
        }
        leaf => json_len(leaf),
    }
}

fn pointer_mut<'a>(v: &'a mut Value, path: &str) -> Option<&'a mut Value> {
    if path.is_empty() {
        Some(v)
    } else {
        v.pointer_mut(path)
    }
}

/// Shortens the longest strings (each once, longest first) until `excess` bytes are gone;
/// returns the bytes removed.
fn shorten_strings(v: &mut Value, excess: usize) -> usize {
    let mut strings: Vec<&mut String> = Vec::new();
    long_strings(v, &mut strings);
    strings.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut removed = 0;
    for s in strings {
        if removed >= excess {
            break;
        }
        let cut = (excess - removed + 32).min(s.len() - 32);
        let mut end = s.len() - cut;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        removed += s.len() - end;
        s.truncate(end);
        s.push('…');
    }
    removed
}

/// Strings longer than 64 bytes (shorter ones are not worth cutting).
fn long_strings<'a>(v: &'a mut Value, out: &mut Vec<&'a mut String>) {
    match v {
        Value::String(s) if s.len() > 64 => out.push(s),
        Value::Array(items) => items.iter_mut().for_each(|i| long_strings(i, out)),
        Value::Object(o) => o.values_mut().for_each(|i| long_strings(i, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_answers_are_untouched() {
        let mut v = json!({"messages": [1, 2, 3]});
        cap_output(&mut v, 1000);
        assert_eq!(v, json!({"messages": [1, 2, 3]}));
    }

    #[test]
    fn big_arrays_lose_trailing_records_and_say_so() {
        let messages: Vec<Value> = (0..200).map(|i| json!({"id": i, "snippet": "x".repeat(100)})).collect();
        let mut v = json!({"messages": messages, "nextPageToken": "p2"});
        cap_output(&mut v, 4096);
        assert!(json_len(&v) <= 4096, "{}", json_len(&v));
        let kept = v["messages"].as_array().unwrap();
        assert!(!kept.is_empty() && kept[0]["id"] == 0, "the first records stay whole");
        assert_eq!(v["nextPageToken"], "p2");
        let omitted = v["_truncated"]["omitted_items"]["/messages"].as_u64().unwrap();
        assert_eq!(omitted as usize + kept.len(), 200);
    }

    #[test]
    fn long_strings_are_shortened_when_no_array_is_left() {
        let mut v = json!({"body": "é".repeat(10_000)});
        cap_output(&mut v, 2048);
        assert!(json_len(&v) <= 2048, "{}", json_len(&v));
        assert!(v["body"].as_str().unwrap().ends_with('…'));
        assert!(v["_truncated"]["shortened_string_bytes"].as_u64().unwrap() > 0);
    }

    #[test]
    fn many_small_arrays_are_capped_in_one_pass_within_the_limit() {
        // The shape that pinned a worker for 24 s: thousands of tiny arrays.
        let rows: Vec<Value> = (0..40_000).map(|i| json!([i, i + 1])).collect();
        let mut v =
            json!({"rows": rows, "fields": (0..2000).map(|i| json!({format!("f{i}"): [1, 2, 3]})).collect::<Vec<_>>()});
        let started = Instant::now();
        cap_output(&mut v, 64 * 1024);
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        assert!(json_len(&v) <= 64 * 1024, "{}", json_len(&v));
        // No big array at all: 30,000 tiny ones side by side, each emptied once.
        let mut wide = Value::Object((0..30_000).map(|i| (format!("k{i}"), json!([i, [i]]))).collect());
        let started = Instant::now();
        cap_output(&mut wide, 64 * 1024);
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        assert!(json_len(&wide) <= 64 * 1024, "{}", json_len(&wide));
        // Many small fields and no array to cut: only the marker is left, never over the cap.
        let mut flat = Value::Object((0..5000).map(|i| (format!("key{i}"), json!(i))).collect());
        cap_output(&mut flat, 1024);
        assert!(json_len(&flat) <= 1024);
        assert_eq!(flat["_truncated"]["dropped_answer"], true);
    }

    #[test]
    fn measured_sizes_match_serialization() {
        let v = json!({"a": [1, "x\"y", {"b/c": [true, null]}], "é": 1.5});
        let mut arrays = Vec::new();
        assert_eq!(collect_arrays(&v, &mut String::new(), &mut arrays), serde_json::to_vec(&v).unwrap().len());
        assert!(arrays.iter().any(|(p, _)| p == "/a/2/b~1c"));
    }

    #[test]
    fn rate_limit_hands_out_slots_then_refuses_with_retry_after() {
        let limiter = RateLimiter::default();
        let rule = RateLimitDef { requests: 2, per_seconds: 60.0, max_wait_ms: 0 };
        let now = Instant::now();
        assert!(limiter.reserve("slack", "ca_1", &rule, now).unwrap().is_zero());
        assert!(limiter.reserve("slack", "ca_1", &rule, now).unwrap().is_zero());
        let err = limiter.reserve("slack", "ca_1", &rule, now).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::RateLimited);
        assert_eq!(err.retry_after_secs(), Some(30));
        assert!(limiter.reserve("slack", "ca_2", &rule, now).is_ok(), "accounts have their own buckets");
        // Half the window later one slot has refilled.
        assert!(limiter.reserve("slack", "ca_1", &rule, now + Duration::from_secs(30)).is_ok());
    }

    #[test]
    fn buckets_that_refilled_are_forgotten() {
        let limiter = RateLimiter::default();
        let rule = RateLimitDef { requests: 10, per_seconds: 1.0, max_wait_ms: 0 };
        let now = Instant::now();
        for i in 0..BUCKETS_SWEEP_AT * 3 {
            limiter.reserve("slack", &format!("ca_{i}"), &rule, now + Duration::from_secs(2 * i as u64)).unwrap();
        }
        assert!(limiter.buckets.lock().unwrap().len() <= BUCKETS_SWEEP_AT, "the map stays bounded");
    }

    #[test]
    fn a_short_wait_is_waited_not_refused() {
        let limiter = RateLimiter::default();
        let rule = RateLimitDef { requests: 1, per_seconds: 1.0, max_wait_ms: 2_000 };
        let now = Instant::now();
        assert!(limiter.reserve("notion", "ca", &rule, now).unwrap().is_zero());
        let wait = limiter.reserve("notion", "ca", &rule, now).unwrap();
        assert!(wait > Duration::from_millis(900) && wait <= Duration::from_secs(1));
    }

    #[test]
    fn retry_delay_prefers_retry_after_and_is_capped() {
        let rule: RetryDef = serde_json::from_value(json!({"max_delay_ms": 5000})).unwrap();
        assert_eq!(rule.delay(0, Some(Duration::from_secs(2))), Duration::from_secs(2));
        assert_eq!(rule.delay(0, Some(Duration::from_secs(60))), Duration::from_secs(5));
        assert_eq!(rule.delay(1, None), Duration::from_millis(500));
    }

    #[test]
    fn the_upstream_deadline_defaults_to_30_s_and_is_checked_at_load() {
        let limits = |v: Value| serde_json::from_value::<LimitsDef>(v).unwrap();
        assert_eq!(limits(json!({})).upstream_timeout(), DEFAULT_UPSTREAM_TIMEOUT);
        assert_eq!(limits(json!({"timeout_secs": 5})).upstream_timeout(), Duration::from_secs(5));
        for bad in [0, MAX_UPSTREAM_TIMEOUT_SECS + 1] {
            let err = limits(json!({"timeout_secs": bad})).check().unwrap_err();
            assert!(err.contains("limits.timeout_secs"), "{err}");
        }
        let mut catalog = crate::catalog::connectors::Catalog::default();
        let file = r#"{"slug": "x", "display_name": "X", "base_url": "https://x.test", "auth": {"type": "API_KEY"},
                       "limits": {"timeout_secs": 0}, "tools": []}"#;
        assert_eq!(catalog.add_file("x.json", file).unwrap_err().field(), Some("limits.timeout_secs"));
    }
}
