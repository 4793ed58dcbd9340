//! The gateway's configuration file (TOML): built-in defaults (`server/default.toml`), the
//! operator's file and `AGENTKIT_*` variables layered in `config::layers`, then deserialized and
//! validated once here ([`Config::parse`]).
//!
//! ```toml
//! [server]
//! listen = "127.0.0.1:8080"            # address to bind
//! public_url = "https://agentkit.example.com"  # base of links handed to users (default: http://<listen>)
//! data_dir = "./agentkit-data"          # SQLite file and generated signing key live here
//! database_url = "sqlite://./agentkit-data/agentkit.db"  # optional override
//! connectors_dir = "./connectors"       # optional: extra connector files (*.json)
//! vault_key_file = "/run/secrets/agentkit-vault.keys"  # default <data_dir>/vault.keys; replicas share one
//!
//! [[api_clients]]
//! client_id = "skc_app"
//! client_secret_sha256 = "<hex sha256 of the secret>"   # or client_secret = "..." (hashed on load)
//! read_credentials = true    # false: this client may not read stored credentials
//! scopes = ["tools", "accounts", "admin", "credentials:read"]   # default: all of them
//!
//! [egress]                 # internal hosts providers may live at (refused by default)
//! allow = ["10.2.0.0/16", "127.0.0.1:9100", "intranet.example.com"]
//!
//! [[connections]]
//! name = "gmail"             # the connection name your code passes as connection_name
//! connector = "gmail"        # which catalog connector it uses
//! base_url = "http://127.0.0.1:9100"   # optional: enterprise / self-hosted / sandbox upstream
//! scopes = ["https://www.googleapis.com/auth/gmail.readonly"]
//! client_id = "..."          # OAuth app credentials (used by the authorization flow)
//! client_secret = "..."
//! token_auth_method = "client_secret_post"   # or client_secret_basic
//! # authorize_url / token_url / revoke_url override the connector's endpoints
//! # authorize_params = { prompt = "consent" }   # merged over the connector's
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use agentkit_core::{Error, Result};

mod layers;
pub use layers::DEFAULTS;

/// The built-in defaults of the section at `path` (`"server"`, `"mcp_oauth"`; `""`: all of
/// them): what a `Default` of a section's settings is. `server/default.toml` is built in and
/// checked by a unit test.
pub(crate) fn builtin<T: serde::de::DeserializeOwned>(path: &str) -> T {
    let table =
        if path.is_empty() { layers::over_defaults(toml::Table::new()) } else { layers::section_defaults(path) };
    match T::deserialize(toml::Value::Table(table)) {
        Ok(section) => section,
        Err(e) => panic!("server/default.toml [{path}]: {e}"),
    }
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    /// Where the store lives and how much of it is kept in memory (`[database]`).
    pub database: DatabaseConfig,
    /// How long records are kept (`[retention]`).
    pub retention: RetentionConfig,
    /// Execution records and `last_used_at`, written in batches (`[bookkeeping]`).
    pub bookkeeping: BookkeepingConfig,
    #[serde(default)]
    pub api_clients: Vec<ApiClientConfig>,
    #[serde(default)]
    pub connections: Vec<ConnectionConfig>,
    /// Internal destinations providers may be reached at (see `egress`).
    pub egress: crate::egress::EgressConfig,
    /// The authorization server for MCP clients (OAuth sign-in on config URLs); off when absent.
    #[serde(default)]
    pub mcp_oauth: Option<McpOAuthConfig>,
    /// How log lines are written (`format = "text" | "json"`).
    pub logging: crate::telemetry::logging::LoggingConfig,
    /// Where `/metrics` is served (`listen = "127.0.0.1:9464"`); off when absent.
    pub metrics: crate::telemetry::metrics::MetricsConfig,
    /// Webhook endpoints of the config file, retry schedule, loopback receivers.
    pub webhooks: WebhooksConfig,
    /// The operators' console (`/console`): on, and where it is served.
    pub console: ConsoleConfig,
    /// Trigger subscriptions (`[triggers]`).
    pub triggers: TriggersConfig,
    /// What the file should change (keys of an older release), shown as problems.
    #[serde(skip)]
    pub warnings: Vec<String>,
}

impl Default for Config {
    /// The built-in defaults, nothing else.
    fn default() -> Config {
        builtin("")
    }
}

/// `[webhooks]` in the config file.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct WebhooksConfig {
    /// Seconds to wait before each retry (Standard Webhooks' suggested schedule by default); a
    /// delivery fails for good after the last.
    pub retry_schedule_secs: Vec<u64>,
    /// Receivers on loopback addresses are allowed (`agentkit dev`); the egress policy applies
    /// otherwise.
    pub allow_loopback: bool,
    #[serde(default)]
    pub endpoints: Vec<ConfiguredEndpoint>,
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        builtin("webhooks")
    }
}

/// `[[webhooks.endpoints]]`: a receiver of the config file.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConfiguredEndpoint {
    pub url: String,
    /// Event types sent there; empty: all.
    #[serde(default)]
    pub events: Vec<String>,
    /// `whsec_…`
    pub secret: String,
}

/// `[database]` in the config file.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://…` or `postgres://…`; absent: SQLite in the data dir.
    pub url: Option<String>,
    /// PostgreSQL: connections for queries and writes; a replica opens at most this many plus
    /// `REFRESH_LOCK_CONNECTIONS` of the store (8) plus one for change notifications.
    pub max_connections: u32,
    /// Identifiers whose accounts the call path keeps in memory (0: no cache).
    pub account_cache_capacity: usize,
    /// Milliseconds a cached account may miss a write made by another process on the same
    /// database (this process's own writes are seen at once).
    pub account_cache_ttl_ms: u64,
}

/// `[retention]` in the config file: how long records are kept (0: forever).
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionConfig {
    pub execution_days: u32,
    pub audit_days: u32,
    /// Hours an expired authorization request is kept.
    pub auth_request_hours: u32,
}

/// `[bookkeeping]` in the config file.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct BookkeepingConfig {
    /// Milliseconds bookkeeping (execution records, `last_used_at`) may wait before it is
    /// committed in one batch: what a crash can lose of it. Credentials and account state are
    /// always written at once.
    pub flush_ms: u64,
    /// Most entries queued in memory; calls wait when it is full.
    pub queue: usize,
    /// Answer a tool call only once its execution record is committed (with other calls' in one
    /// transaction), so a crash loses no acknowledged call's record; costs a commit's latency.
    pub durable_execution_records: bool,
    /// The share (0 to 1) of successful tool calls whose execution record is kept; a failed
    /// call's always is. Below 1, the metrics still count every call.
    pub successful_execution_sample: f64,
}

/// `[triggers]` in the config file.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct TriggersConfig {
    /// Subscriptions may poll as often as every second, below the triggers' declared minimums
    /// (which keep providers' rate limits): `agentkit dev` only.
    pub short_intervals: bool,
    /// Pushes one address may make to the ingress URLs a minute (providers send from few
    /// addresses, so the bound is generous; it keeps a forger's audit rows few).
    pub pushes_per_minute: u32,
    /// The largest push taken, in bytes (413 above).
    pub push_max_bytes: usize,
    /// Refused pushes from one address audited a minute; beyond, they are counted in
    /// `agentkit_trigger_pushes_total` only.
    pub audited_refusals_per_minute: u32,
    /// How long a replica holds a subscription it polls (5 s to an hour): after a crash, its
    /// subscriptions are polled again by another replica at most this late.
    pub poll_lease_secs: u32,
}

impl Default for TriggersConfig {
    fn default() -> Self {
        builtin("triggers")
    }
}

/// `[console]` in the config file.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleConfig {
    /// Serve the console at all.
    pub enabled: bool,
    /// Serve it on a listener of its own (e.g. a private "10.0.0.5:9443") rather than next to
    /// the API; absent: at `/console` of `server.listen`.
    pub listen: Option<SocketAddr>,
    /// The console's URL as browsers reach it, when it has its own listener (default
    /// `http://<listen>`): its cookies and same-origin checks use it.
    pub public_url: Option<String>,
    /// Operators sign in through the organisation's OpenID Connect provider (as well as with
    /// local passwords).
    pub oidc: Option<ConsoleOidcConfig>,
}

/// `[console.oidc]`: the organisation's OpenID Connect provider for operators (redirect URI to
/// register there: `<console URL>/console/login/oidc/callback`). Who may sign in, and as what,
/// is listed here by the identifier claim's value; anyone else is refused.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleOidcConfig {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// The userinfo claim that names the operator (verified emails only).
    pub identifier_claim: String,
    /// Identifiers that sign in as `admin`.
    pub admins: Vec<String>,
    /// Identifiers that sign in as `viewer`.
    pub viewers: Vec<String>,
}

impl Default for ConsoleConfig {
    fn default() -> ConsoleConfig {
        builtin("console")
    }
}

/// OAuth sign-in for MCP clients on config URLs. Who the user is comes from the app, one of two
/// ways. `login_url` + `login_secret`: the gateway sends the browser to the app's `login_url`
/// with a signed `request` and a `return_to` URL; the app signs its user in and sends the
/// browser back to `return_to` with `request`, `identifier` and `signature` = hex HMAC-SHA256
/// over `<request>.<identifier>` keyed with `login_secret`. Or `[mcp_oauth.oidc]`: the app's
/// OpenID Connect provider signs the user in (discovery, code flow with PKCE) and the
/// `identifier_claim` of its userinfo names the user.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct McpOAuthConfig {
    #[serde(default)]
    pub login_url: Option<String>,
    #[serde(default)]
    pub login_secret: Option<String>,
    #[serde(default)]
    pub oidc: Option<McpOidcConfig>,
    /// Lifetime of the access tokens issued to MCP clients, seconds.
    pub access_token_ttl_secs: u64,
    /// Client ID Metadata Documents are fetched from public addresses only (an unauthenticated
    /// caller names the URL); internal hosts that serve them must be listed here, in the
    /// `[egress] allow` syntax. The egress allow-list of providers does not apply.
    pub client_metadata_allow: Vec<String>,
    /// Authorization requests one client address may start in a minute (0: no limit).
    pub authorize_per_minute: u32,
    /// Dynamic client registrations one client address may make in a minute (0: no limit).
    pub registrations_per_minute: u32,
    /// Hours a registered client no user ever consented to is kept (0: forever).
    pub unconsented_client_ttl_hours: u32,
}

/// The app's OpenID Connect provider, for MCP clients' sign-in (redirect URI to register there:
/// `<public_url>/mcp/oauth/oidc/callback`).
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct McpOidcConfig {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// The userinfo claim that is the user's identifier (`email` is common).
    pub identifier_claim: String,
}

impl McpOAuthConfig {
    /// Settings for this way of signing users in, everything else at its default.
    pub fn signing_in_with(
        login_url: Option<String>,
        login_secret: Option<String>,
        oidc: Option<McpOidcConfig>,
    ) -> Self {
        McpOAuthConfig { login_url, login_secret, oidc, ..builtin("mcp_oauth") }
    }

    /// Exactly one way to sign users in, completely configured.
    pub fn check(&self) -> agentkit_core::Result<()> {
        let app = self.login_url.is_some() || self.login_secret.is_some();
        match (app, &self.oidc) {
            (true, Some(_)) => Err(agentkit_core::Error::invalid_field(
                "mcp_oauth",
                "mcp_oauth: set login_url + login_secret or [mcp_oauth.oidc], not both",
            )),
            (false, None) => Err(agentkit_core::Error::invalid_field(
                "mcp_oauth",
                "mcp_oauth: set login_url + login_secret or [mcp_oauth.oidc] (how users sign in)",
            )),
            (true, None) => match (&self.login_url, &self.login_secret) {
                (Some(url), Some(secret)) if url::Url::parse(url).is_ok() && secret.len() >= 32 => Ok(()),
                _ => Err(agentkit_core::Error::invalid_field(
                    "mcp_oauth.login_secret",
                    "mcp_oauth: login_url must be a URL and login_secret at least 32 characters",
                )),
            },
            (false, Some(oidc)) if url::Url::parse(&oidc.issuer).is_ok() && !oidc.client_id.is_empty() => Ok(()),
            (false, Some(_)) => Err(agentkit_core::Error::invalid_field(
                "mcp_oauth.oidc.issuer",
                "mcp_oauth.oidc: issuer must be a URL and client_id set",
            )),
        }
    }
}

/// `[server]` in the config file: the API's listener and its limits.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// Base of authorization links and OAuth redirect URIs (default `http://<listen>`).
    pub public_url: Option<String>,
    /// The SQLite file, the generated signing key and vault keys, the pid file.
    pub data_dir: PathBuf,
    /// The vault's key file (used when `AGENTKIT_VAULT_KEYS` is unset). Replicas point at one
    /// shared file, so `agentkit keys rotate` reaches all of them.
    pub vault_key_file: Option<PathBuf>,
    /// Lifetime of API access tokens, seconds.
    pub token_ttl_secs: u64,
    /// Directory of extra connector files (`*.json`, the format of `server/connectors/`), loaded
    /// at start after the built-in catalog.
    pub connectors_dir: Option<PathBuf>,
    /// Lifetime of authorization links, seconds.
    pub link_ttl_secs: u64,
    /// Most bytes of one provider answer `/proxy` relays (streamed).
    pub proxy_max_answer_bytes: u64,
    /// Most bytes of one request body `/proxy` takes (held in memory: a refreshed token re-sends
    /// it). Room for the SDKs' largest resumable-upload chunk.
    pub proxy_max_request_bytes: usize,
    /// Most client connections held at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// Connections one client address may hold at once (behind a reverse proxy every client has
    /// the proxy's address: raise it to `max_connections` there).
    pub max_connections_per_ip: usize,
    /// Failed `/oauth/token` sign-ins one client address may make in a minute; beyond, its
    /// sign-ins are answered 429 until the minute ends (0: no limit). Behind a reverse proxy
    /// every client has the proxy's address.
    pub failed_logins_per_minute: u32,
    /// Seconds a connection may stay open with no request in flight (kept alive for the next one).
    pub idle_timeout_secs: u64,
    /// Seconds a client has to send its first request on a new connection, and a request's
    /// headers (counted from the request's first byte).
    pub header_read_timeout_secs: u64,
    /// Seconds a client has to send a request's body.
    pub request_body_timeout_secs: u64,
    /// Hosts `user_verify_url` may point at (`app.example.com`, `*.example.com`); empty: any
    /// https host. Loopback hosts are always allowed (over http too) for local development.
    pub user_verify_hosts: Vec<String>,
    /// The app page that verifies the user of every authorization link that names none itself —
    /// above all the links the gateway mints on its own (MCP connect prompts, errors of
    /// `execute_tool` and `/proxy` naming an account to authorize). Unset: such links connect
    /// the account without verification.
    pub user_verify_url: Option<String>,
    /// Seconds a stopping gateway waits for requests in flight to finish.
    pub shutdown_drain_secs: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        builtin("server")
    }
}

fn default_true() -> bool {
    true
}

/// An application allowed to call the API with the client-credentials grant.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ApiClientConfig {
    pub client_id: String,
    /// May this client read stored credentials (`get_connected_account`)? Default true, as the
    /// documented API expects; set false for clients that only run tools.
    #[serde(default = "default_true")]
    pub read_credentials: bool,
    /// What this client may do: `tools`, `accounts`, `admin`, `credentials:read`. Absent: all
    /// of them (`credentials:read` only with `read_credentials`).
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    #[serde(default)]
    pub client_secret_sha256: Option<String>,
    #[serde(default)]
    pub client_secret: Option<String>,
}

impl ApiClientConfig {
    /// Hex SHA-256 of the secret; the plaintext is never kept after loading.
    pub fn secret_hash(&self) -> Result<String> {
        match (&self.client_secret_sha256, &self.client_secret) {
            // A digest that is not 64 hex digits matches no secret: the client could never sign in.
            (Some(hash), _) if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Err(Error::invalid_field(
                    "api_clients.client_secret_sha256",
                    format!(
                        "api client {:?}: client_secret_sha256 must be the 64 hex digits of a SHA-256 (e.g. `printf %s \"$SECRET\" | sha256sum`)",
                        self.client_id
                    ),
                ))
            }
            (Some(hash), _) => Ok(hash.to_ascii_lowercase()),
            (None, Some(secret)) => Ok(sha256_hex(secret)),
            (None, None) => Err(Error::invalid_field(
                "api_clients.client_secret_sha256",
                format!("api client {:?} needs client_secret_sha256 or client_secret", self.client_id),
            )),
        }
    }
}

/// A configured connection: a catalog connector plus the app's settings for it (a
/// `[[connections]]` entry, or the body of `POST /api/v1/connections`).
#[derive(Debug, Clone, Deserialize, serde::Serialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionConfig {
    pub name: String,
    pub connector: String,
    #[serde(default)]
    pub base_url: Option<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub client_secret: Option<String>,
    /// Overrides of the connector's OAuth endpoints (self-hosted providers, test servers).
    #[serde(default)]
    pub authorize_url: Option<String>,
    #[serde(default)]
    pub token_url: Option<String>,
    #[serde(default)]
    pub revoke_url: Option<String>,
    /// How the app authenticates at the token endpoint: `client_secret_post` (default) or
    /// `client_secret_basic`.
    #[serde(default)]
    pub token_auth_method: Option<String>,
    /// Extra authorize-request parameters, merged over the connector's.
    #[serde(default)]
    pub authorize_params: std::collections::BTreeMap<String, String>,
    /// Overrides the connector's connect-time account lookup URL (test servers).
    #[serde(default)]
    pub account_lookup_url: Option<String>,
    /// SQL connectors: allow tools that write (read-only otherwise).
    #[serde(default)]
    pub allow_writes: bool,
    /// More host patterns API clients may set templated `api_config` URL fields to, next to the
    /// connector's (`{ instance_url = ["*.sandbox.my.salesforce.com"] }`).
    #[serde(default)]
    pub api_config_hosts: std::collections::BTreeMap<String, Vec<String>>,
    /// Send the W3C `traceparent` of each provider call to the provider (off: a provider learns
    /// nothing of the caller's traces unless the operator opts in).
    #[serde(default)]
    pub propagate_trace_context: bool,
    /// Send the account's identifier to the provider as `login_hint` (pre-fills its sign-in).
    /// Off: the app's identifier for its user is not the provider's business unless the
    /// operator opts in.
    #[serde(default)]
    pub send_login_hint: bool,
}

impl ConnectionConfig {
    /// The connection a custom provider gets: its own name, the connector's defaults.
    pub fn for_connector(slug: &str) -> ConnectionConfig {
        ConnectionConfig { name: slug.to_string(), connector: slug.to_string(), ..Default::default() }
    }
}

/// A mistake in a configuration (see [`Config::problems`]).
#[derive(Debug, Clone)]
pub struct Problem {
    /// `serve` does not start with it.
    pub refuse: bool,
    pub message: String,
}

impl Problem {
    fn refuse(message: String) -> Problem {
        Problem { refuse: true, message }
    }

    fn warn(message: String) -> Problem {
        Problem { refuse: false, message }
    }
}

/// Keys whose value is a secret. Each may instead be named where it lives: `<key>_env = "VAR"`
/// (an environment variable) or `<key>_file = "/run/secrets/x"` (a file; one trailing newline
/// dropped) — so a config file can be committed without its secrets.
pub const SECRET_KEYS: [&str; 4] = ["client_secret", "client_secret_sha256", "secret", "login_secret"];

/// Largest secret file read.
const MAX_SECRET_FILE_BYTES: u64 = 64 * 1024;

/// Replaces every `<secret>_env` / `<secret>_file` in `table` (and the tables below it) by the
/// secret it names; `at` is the table's path, for messages. Whether any reference was found.
fn resolve_secret_references(table: &mut toml::Table, at: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<bool> {
    let path = |key: &str| if at.is_empty() { key.to_string() } else { format!("{at}.{key}") };
    let mut found = false;
    for key in SECRET_KEYS {
        let (env_key, file_key) = (format!("{key}_env"), format!("{key}_file"));
        let (by_env, by_file) = (table.remove(&env_key), table.remove(&file_key));
        let reference_name = |value: &toml::Value, field: &str| {
            value
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| Error::invalid_field(field, format!("{field} must be a string")))
        };
        let secret = match (by_env, by_file) {
            (None, None) => continue,
            (Some(_), Some(_)) => {
                return Err(Error::invalid_field(
                    path(key),
                    format!("{}: give {env_key} or {file_key}, not both", path(key)),
                ))
            }
            (Some(var), None) => {
                let field = path(&env_key);
                let var = reference_name(&var, &field)?;
                env(&var).ok_or_else(|| {
                    Error::invalid_field(&field, format!("{field}: the environment variable {var:?} is not set"))
                })?
            }
            (None, Some(file)) => {
                let field = path(&file_key);
                let file = reference_name(&file, &field)?;
                read_secret_file(std::path::Path::new(&file))
                    .map_err(|why| Error::invalid_field(&field, format!("{field}: cannot read {file:?}: {why}")))?
            }
        };
        if table.contains_key(key) {
            return Err(Error::invalid_field(
                path(key),
                format!("{}: given both directly and by reference", path(key)),
            ));
        }
        if secret.is_empty() {
            return Err(Error::invalid_field(path(key), format!("{}: the referenced secret is empty", path(key))));
        }
        table.insert(key.to_string(), toml::Value::String(secret));
        found = true;
    }
    for (key, value) in table.iter_mut() {
        match value {
            toml::Value::Table(inner) => found |= resolve_secret_references(inner, &path(key), env)?,
            toml::Value::Array(items) => {
                for (n, item) in items.iter_mut().enumerate() {
                    if let toml::Value::Table(inner) = item {
                        found |= resolve_secret_references(inner, &format!("{}[{n}]", path(key)), env)?;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(found)
}

/// A secret file's text without its trailing newline; bounded.
fn read_secret_file(path: &std::path::Path) -> std::result::Result<String, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut text = String::new();
    file.take(MAX_SECRET_FILE_BYTES + 1).read_to_string(&mut text).map_err(|e| e.to_string())?;
    if text.len() as u64 > MAX_SECRET_FILE_BYTES {
        return Err(format!("larger than {MAX_SECRET_FILE_BYTES} bytes"));
    }
    let trimmed = text.strip_suffix("\r\n").or_else(|| text.strip_suffix('\n')).unwrap_or(&text);
    Ok(trimmed.to_string())
}

/// The config as TOML with every secret replaced by `"<redacted>"` and the password of
/// every `url` hidden: what `agentkit config check` prints.
pub fn redacted(config: &Config) -> String {
    fn redact(value: &mut toml::Value) {
        match value {
            toml::Value::Table(table) => {
                for (key, inner) in table.iter_mut() {
                    if SECRET_KEYS.contains(&key.as_str()) {
                        *inner = toml::Value::String("<redacted>".into());
                    } else if key == "url" {
                        if let Some(url) = inner.as_str().and_then(|u| url::Url::parse(u).ok()) {
                            let mut url = url;
                            if url.password().is_some() {
                                let _ = url.set_password(Some("<redacted>"));
                            }
                            *inner = toml::Value::String(url.to_string());
                        }
                    } else {
                        redact(inner);
                    }
                }
            }
            toml::Value::Array(items) => items.iter_mut().for_each(redact),
            _ => {}
        }
    }
    let mut value = match toml::Value::try_from(config) {
        Ok(value) => value,
        Err(e) => return format!("# the configuration cannot be shown: {e}\n"),
    };
    redact(&mut value);
    toml::to_string_pretty(&value).unwrap_or_else(|e| format!("# the configuration cannot be shown: {e}\n"))
}

pub fn sha256_hex(s: &str) -> String {
    let digest = Sha256::digest(s.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

impl Config {
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::invalid_field("config", format!("cannot read config file {}: {e}", path.display())))?;
        Config::parse(&text, &path.display().to_string())
    }

    /// The configuration a file's text makes, with this process's environment.
    pub fn parse(text: &str, origin: &str) -> Result<Config> {
        Config::from_layers(text, origin, &environment(), &|name| std::env::var(name).ok())
    }

    /// The built-in defaults under the environment's `AGENTKIT_*` settings (no file).
    pub fn from_environment() -> Result<Config> {
        Config::parse("", "the environment")
    }

    /// This configuration with the environment's `AGENTKIT_*` settings laid over it (for
    /// configurations made in code, such as `agentkit dev`'s).
    pub fn with_environment(self) -> Result<Config> {
        let mut table = match toml::Value::try_from(&self) {
            Ok(toml::Value::Table(table)) => table,
            _ => return Err(Error::new(agentkit_core::ErrorKind::Server, "the configuration cannot be serialized")),
        };
        layers::apply_environment(&mut table, &environment())?;
        let mut config = Config::checked(table, "the environment")?;
        config.warnings = self.warnings;
        Ok(config)
    }

    /// Defaults, then `text`, then `vars` (`AGENTKIT_*`), secret references resolved with `lookup`;
    /// deserialized and validated.
    pub fn from_layers(
        text: &str,
        origin: &str,
        vars: &[(String, String)],
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config> {
        let bad = |e: toml::de::Error| Error::invalid_field("config", format!("{origin}: {e}"));
        let mut file: toml::Table = toml::from_str(text).map_err(bad)?;
        let warnings = layers::move_old_keys(&mut file, origin)?;
        layers::apply_environment(&mut file, vars)?;
        resolve_secret_references(&mut file, "", lookup)?;
        let mut config = Config::checked(layers::over_defaults(file), origin)?;
        config.warnings = warnings;
        Ok(config)
    }

    /// A complete table deserialized, and everything checked that needs more than a field's type.
    fn checked(table: toml::Table, origin: &str) -> Result<Config> {
        // The key a mistake is at is named: the file's line is gone once the layers are merged.
        let config: Config = serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
            let at = e.path().to_string();
            let field = if at == "." { "config".to_string() } else { at.clone() };
            Error::invalid_field(field, format!("{origin}: {at}: {}", e.inner()))
        })?;
        for client in &config.api_clients {
            client.secret_hash()?;
            crate::permissions::Grants::from_config(client.scopes.as_deref(), client.read_credentials)?;
        }
        crate::egress::EgressPolicy::new(&config.egress)?;
        let sample = config.bookkeeping.successful_execution_sample;
        if !(0.0..=1.0).contains(&sample) {
            return Err(Error::invalid_field(
                "bookkeeping.successful_execution_sample",
                format!("{origin}: bookkeeping.successful_execution_sample must be 0 to 1, not {sample}"),
            ));
        }
        if sample < 1.0 && config.bookkeeping.durable_execution_records {
            return Err(Error::invalid_field(
                "bookkeeping.successful_execution_sample",
                format!(
                    "{origin}: bookkeeping.durable_execution_records keeps every call's record: \
                     successful_execution_sample must be 1 with it, not {sample}"
                ),
            ));
        }
        if !(5..=3600).contains(&config.triggers.poll_lease_secs) {
            return Err(Error::invalid_field(
                "triggers.poll_lease_secs",
                format!(
                    "{origin}: triggers.poll_lease_secs must be 5 to 3600, not {}",
                    config.triggers.poll_lease_secs
                ),
            ));
        }
        let mut names = std::collections::HashSet::new();
        for c in &config.connections {
            if !names.insert(c.name.as_str()) {
                return Err(Error::invalid_field(
                    "connections.name",
                    format!("{origin}: connection {:?} is defined twice", c.name),
                ));
            }
        }
        Ok(config)
    }

    /// Mistakes a configuration can start with: `refuse` ones stop `serve`, the others are named
    /// loudly in its log (and by `agentkit config check`). `is_oauth` tells whether a connector
    /// authorizes users with OAuth (the catalog knows; this module does not depend on it).
    pub fn problems(&self, is_oauth: &dyn Fn(&str) -> bool) -> Vec<Problem> {
        let mut problems: Vec<Problem> = self.warnings.iter().cloned().map(Problem::warn).collect();
        let usable = |url: &str| {
            url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        };
        match &self.server.public_url {
            Some(url) if !usable(url) => {
                problems.push(Problem::refuse(format!("server.public_url {url:?} must be an absolute http(s) URL")));
            }
            None if self.server.listen.ip().is_unspecified() => problems.push(Problem::warn(format!(
                "server.listen is {} and server.public_url is not set: every authorization link and OAuth redirect URI \
                 would start with http://{}; set server.public_url to the address users and providers reach",
                self.server.listen, self.server.listen
            ))),
            _ => {}
        }
        if self.api_clients.is_empty() {
            problems.push(Problem::warn(
                "no [[api_clients]]: only API clients stored by earlier runs (POST /api/v1/api_clients) can sign in"
                    .into(),
            ));
        }
        for c in &self.connections {
            if is_oauth(&c.connector) && (c.client_id.is_none() || c.client_secret.is_none()) {
                problems.push(Problem::warn(format!(
                    "connection {:?} ({}) has no client_id or client_secret: its users cannot authorize",
                    c.name, c.connector
                )));
            }
        }
        problems
    }

    pub fn public_url(&self, bound: SocketAddr) -> String {
        self.server.public_url.clone().unwrap_or_else(|| format!("http://{bound}")).trim_end_matches('/').to_string()
    }

    /// `server.vault_key_file`, else `vault.keys` in the data dir.
    pub fn vault_key_file(&self) -> PathBuf {
        self.server.vault_key_file.clone().unwrap_or_else(|| self.server.data_dir.join("vault.keys"))
    }

    /// `database.url` (or `AGENTKIT_DATABASE_URL`), else SQLite in the data dir.
    pub fn database_url(&self) -> String {
        self.database
            .url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.server.data_dir.join("agentkit.db").display()))
    }
}

/// The process's `AGENTKIT_*` variables (the only settings read from the environment).
fn environment() -> Vec<(String, String)> {
    std::env::vars().filter(|(name, _)| name.starts_with("AGENTKIT_")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_unknown_keys_and_duplicate_connections() {
        let err = Config::parse("[server]\nlisten = \"127.0.0.1:1\"\nlsten = 1\n", "x.toml").unwrap_err();
        assert!(err.message().contains("lsten"), "{}", err.message());
        let dup = "[[connections]]\nname='a'\nconnector='gmail'\n[[connections]]\nname='a'\nconnector='gmail'\n";
        assert!(Config::parse(dup, "x.toml").unwrap_err().message().contains("twice"));
        let ok = Config::parse("[[api_clients]]\nclient_id='c'\nclient_secret='s'\n", "x.toml").unwrap();
        assert_eq!(ok.api_clients[0].secret_hash().unwrap(), sha256_hex("s"));
        let lease = Config::parse("[triggers]\npoll_lease_secs = 1\n", "x.toml").unwrap_err();
        assert_eq!(lease.field(), Some("triggers.poll_lease_secs"), "{}", lease.message());
        assert_eq!(Config::parse("[triggers]\npoll_lease_secs = 6\n", "x.toml").unwrap().triggers.poll_lease_secs, 6);
    }

    #[test]
    fn every_section_has_its_defaults_and_the_docs_show_them() {
        let none = Config::from_layers("", "t", &[], &|_| None).unwrap();
        assert_eq!(none.server.listen.to_string(), "127.0.0.1:8080");
        assert_eq!((none.database.max_connections, none.bookkeeping.flush_ms), (10, 100));
        assert_eq!(none.webhooks.retry_schedule_secs, [5, 300, 1800, 7200, 18000, 36000, 36000]);
        assert!(none.mcp_oauth.is_none() && none.console.oidc.is_none() && none.metrics.listen.is_none());
        assert_eq!(Config::default().retention.audit_days, 365);
        // Each section's own default is the file's.
        assert_eq!(TriggersConfig::default().poll_lease_secs, none.triggers.poll_lease_secs);
        assert_eq!(ServerConfig::default().token_ttl_secs, 86_399);
        let oauth = McpOAuthConfig::signing_in_with(Some("https://app/login".into()), None, None);
        assert_eq!((oauth.access_token_ttl_secs, oauth.registrations_per_minute), (3600, 20));
        let oidc = Config::from_layers(
            "[console.oidc]\nissuer = \"https://i\"\nclient_id = \"c\"\nclient_secret = \"s\"\n",
            "t",
            &[],
            &|_| None,
        )
        .unwrap();
        assert_eq!(oidc.console.oidc.map(|o| o.identifier_claim).as_deref(), Some("email"));
        let docs = include_str!("../../docs/gateway.md");
        assert!(
            docs.contains(&format!("```toml\n{DEFAULTS}```")),
            "docs/gateway.md must show server/default.toml verbatim"
        );
    }

    #[test]
    fn keys_of_the_last_release_are_read_with_a_warning() {
        let old = "[server]\nexecution_retention_days = 7\ndurable_execution_records = true\ndatabase_url = \"sqlite://x.db\"\n";
        let config = Config::from_layers(old, "t", &[], &|_| None).unwrap();
        assert_eq!(config.retention.execution_days, 7);
        assert!(config.bookkeeping.durable_execution_records);
        assert_eq!(config.database_url(), "sqlite://x.db");
        let warned: Vec<String> =
            config.problems(&|_| false).into_iter().filter(|p| !p.refuse).map(|p| p.message).collect();
        assert!(
            warned.iter().any(|w| w.contains("server.execution_retention_days is now retention.execution_days")),
            "{warned:?}"
        );
        // The environment wins over the file, moved keys included.
        let vars = [("AGENTKIT_DATABASE_URL".to_string(), "postgres://h/db".to_string())];
        assert_eq!(Config::from_layers(old, "t", &vars, &|_| None).unwrap().database_url(), "postgres://h/db");
        let bad =
            Config::from_layers("", "t", &[("AGENTKIT_DATABASE__MAX_CONNECTIONS".into(), "many".into())], &|_| None)
                .unwrap_err();
        assert!(bad.message().contains("max_connections"), "{}", bad.message());
    }

    #[test]
    fn the_hot_path_knobs_are_checked() {
        let sampled = [("AGENTKIT_BOOKKEEPING__SUCCESSFUL_EXECUTION_SAMPLE".to_string(), "0.25".to_string())];
        let config = Config::from_layers("", "t", &sampled, &|_| None).unwrap();
        assert_eq!(config.bookkeeping.successful_execution_sample, 0.25);
        let durable = "[bookkeeping]\ndurable_execution_records = true\n";
        let refused = Config::from_layers(durable, "t", &sampled, &|_| None).unwrap_err();
        assert_eq!(refused.field(), Some("bookkeeping.successful_execution_sample"), "{}", refused.message());
        let over = Config::from_layers("[bookkeeping]\nsuccessful_execution_sample = 2.0\n", "t", &[], &|_| None);
        assert!(over.unwrap_err().message().contains("must be 0 to 1"));
        let level = [("AGENTKIT_LOG".to_string(), "info,agentkit::request=warn".to_string())];
        assert_eq!(
            Config::from_layers("", "t", &level, &|_| None).unwrap().logging.level,
            "info,agentkit::request=warn"
        );
    }
}

#[cfg(test)]
mod secret_reference_tests {
    use super::*;

    fn resolve(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<toml::Table> {
        let mut table: toml::Table = toml::from_str(text).unwrap();
        resolve_secret_references(&mut table, "", env)?;
        Ok(table)
    }

    #[test]
    fn secrets_come_from_the_environment_or_a_file_by_name() {
        let dir = std::env::temp_dir().join(format!("agentkit-secret-ref-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("gmail");
        std::fs::write(&file, "from-the-file\n").unwrap();
        let env = |name: &str| (name == "APP_SECRET").then(|| "from-the-env".to_string());
        let text = format!(
            "[[api_clients]]\nclient_id = \"a\"\nclient_secret_env = \"APP_SECRET\"\n\
             [[connections]]\nname = \"gmail\"\nconnector = \"gmail\"\nclient_secret_file = \"{}\"\n\
             [server]\nvault_key_file = \"/keys\"\n",
            file.display()
        );
        let table = resolve(&text, &env).unwrap();
        assert_eq!(table["api_clients"][0]["client_secret"].as_str(), Some("from-the-env"));
        assert_eq!(table["connections"][0]["client_secret"].as_str(), Some("from-the-file"));
        assert!(table["connections"][0].get("client_secret_file").is_none());
        assert_eq!(table["server"]["vault_key_file"].as_str(), Some("/keys"), "not a secret key: untouched");

        let missing = resolve("[[api_clients]]\nclient_id = \"a\"\nclient_secret_env = \"NOPE\"\n", &env).unwrap_err();
        assert!(missing.message().contains("api_clients[0].client_secret_env") && missing.message().contains("NOPE"));
        let twice =
            resolve("[mcp_oauth]\nlogin_secret = \"x\"\nlogin_secret_env = \"APP_SECRET\"\n", &env).unwrap_err();
        assert!(twice.message().contains("mcp_oauth.login_secret"), "{}", twice.message());
        let unreadable = resolve("[[webhooks.endpoints]]\nsecret_file = \"/nonexistent/x\"\n", &env).unwrap_err();
        assert!(unreadable.message().contains("webhooks.endpoints[0].secret_file"), "{}", unreadable.message());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_malformed_digest_and_a_bad_public_url_refuse_the_start() {
        let bad =
            Config::parse("[[api_clients]]\nclient_id = \"a\"\nclient_secret_sha256 = \"abc\"\n", "t").unwrap_err();
        assert!(bad.message().contains("64 hex digits"), "{}", bad.message());
        let config = Config::parse("[server]\npublic_url = \"agentkit.example.com\"\n", "t").unwrap();
        assert!(config.problems(&|_| false).iter().any(|p| p.refuse && p.message.contains("public_url")));
        let open = Config::parse("[server]\nlisten = \"0.0.0.0:8080\"\n", "t").unwrap();
        let problems = open.problems(&|_| false);
        assert!(problems.iter().any(|p| !p.refuse && p.message.contains("http://0.0.0.0:8080")), "{problems:?}");
        assert!(problems.iter().any(|p| p.message.contains("no [[api_clients]]")));
    }

    #[test]
    fn the_printed_configuration_hides_every_secret() {
        let config = Config::parse(
            "[server]\ndatabase_url = \"postgres://u:db-password@h/db\"\n[[api_clients]]\nclient_id = \"a\"\nclient_secret = \"api-secret\"\n\
             [[connections]]\nname = \"g\"\nconnector = \"gmail\"\nclient_secret = \"oauth-secret\"\n",
            "t",
        )
        .unwrap();
        let shown = redacted(&config);
        for secret in ["db-password", "api-secret", "oauth-secret"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("<redacted>") && shown.contains("client_id = \"a\""), "{shown}");
    }
}
