//! What a connector file says about how its calls run — limits, retries, a tool's SQL mapping —
//! as the catalog loads it. The runners in `execution` act on these definitions (and hold their
//! behaviour); the catalog never needs the runners.

use serde::Deserialize;
use serde_json::Value;

/// A connector file's `limits` block: the answer size a tool may hand an agent, how fast one
/// account may call the provider, when an answer is retried, how long a request may take.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct LimitsDef {
    #[serde(default)]
    pub max_output_bytes: Option<usize>,
    #[serde(default)]
    pub rate_limit: Option<RateLimitDef>,
    #[serde(default)]
    pub retry: Option<RetryDef>,
    /// Seconds one provider request may take, from connecting to the end of the answer (30 s when
    /// absent; 1 to 600). A provider that has not answered by then fails the call with a 504
    /// naming the deadline.
    #[serde(default)]
    pub timeout_secs: Option<u64>,
}

/// At most `requests` provider requests (fan-out and retries included) per `per_seconds` for one
/// connected account; a request that would wait longer than `max_wait_ms` fails the tool call at
/// once with HTTP 429 and a Retry-After.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitDef {
    pub requests: u32,
    pub per_seconds: f64,
    #[serde(default = "default_max_wait_ms")]
    pub max_wait_ms: u64,
}

fn default_max_wait_ms() -> u64 {
    2_000
}

/// Provider answers with one of `on_status` are tried again, up to `max_attempts` in all, after
/// the provider's Retry-After (capped at `max_delay_ms`) or an exponential `backoff_ms`. Only
/// requests that are safe to repeat are retried (GET/HEAD/PUT/DELETE, or an idempotent tool).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryDef {
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
    #[serde(default = "default_retry_statuses")]
    pub on_status: Vec<u16>,
    #[serde(default = "default_backoff_ms")]
    pub backoff_ms: u64,
    #[serde(default = "default_max_delay_ms")]
    pub max_delay_ms: u64,
}

fn default_attempts() -> u32 {
    3
}
fn default_retry_statuses() -> Vec<u16> {
    vec![429, 502, 503, 504]
}
fn default_backoff_ms() -> u64 {
    250
}
fn default_max_delay_ms() -> u64 {
    10_000
}

/// A tool's SQL mapping: `statement` is fixed text or `"{{sql}}"` (the caller's statement);
/// `params` is a template of the whole parameter list or a list of per-parameter templates.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SqlDef {
    pub statement: String,
    #[serde(default)]
    pub params: Option<Value>,
    /// Writes data: allowed only on connections with `allow_writes = true`.
    #[serde(default)]
    pub write: bool,
    /// Snowflake: the statement's `database`, `schema`, `warehouse` and `role`, templated from
    /// the input (each defaults to the account's setting of that name).
    #[serde(default)]
    pub context: std::collections::BTreeMap<String, Value>,
}

/// The statement context a Snowflake tool or account may set.
pub const SNOWFLAKE_CONTEXT_FIELDS: [&str; 4] = ["database", "schema", "warehouse", "role"];
