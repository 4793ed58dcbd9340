//! Declarative connectors: one JSON file per connector (auth, base URL, tools with a JSON Schema
//! input, an HTTP mapping and output shaping). Built-in files live in `server/connectors/` and are
//! compiled in; the [`Catalog`] indexes every tool by name.
//!
//! Templates: a string that is exactly `"{{field}}"` takes the input's value with its JSON type
//! (absent optional fields drop the key); `"a/{{field}}/b"` interpolates (path parts URL-encoded).
//! `{{item.x}}` reads the current item of an `expand` step or a `$map`. Operators (objects keyed
//! by `$op`): `{"$mime": {...}}` builds a base64url RFC 2822 message (mail-sending tools);
//! `{"$if": c, "then": a, "else": b}` picks a branch by `c`'s truthiness (no branch drops the key);
//! `{"$map": list, "to": t}` renders `t` per element (`{{item}}`); `{"$add_time": start, "hours": h,
//! "minutes": m}` computes an end time; `{"$adf": text}` wraps text as an Atlassian document.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;

pub use crate::catalog::templates::dotted;

use agentkit_core::model::{ConnectorType, Tool};
use agentkit_core::Result;

use super::input_schema::InputValidator;

/// Built-in connector files, compiled into the binary.
pub(crate) const BUILT_IN: &[(&str, &str)] = &[
    ("gmail.json", include_str!("../../connectors/gmail.json")),
    ("github.json", include_str!("../../connectors/github.json")),
    ("slack.json", include_str!("../../connectors/slack.json")),
    ("notion.json", include_str!("../../connectors/notion.json")),
    ("hubspot.json", include_str!("../../connectors/hubspot.json")),
    ("linear.json", include_str!("../../connectors/linear.json")),
    ("salesforce.json", include_str!("../../connectors/salesforce.json")),
    ("googlecalendar.json", include_str!("../../connectors/googlecalendar.json")),
    ("jira.json", include_str!("../../connectors/jira.json")),
    ("postgres.json", include_str!("../../connectors/postgres.json")),
    ("snowflake.json", include_str!("../../connectors/snowflake.json")),
    ("googledrive.json", include_str!("../../connectors/googledrive.json")),
    ("googledocs.json", include_str!("../../connectors/googledocs.json")),
    ("googlesheets.json", include_str!("../../connectors/googlesheets.json")),
    ("bigquery.json", include_str!("../../connectors/bigquery.json")),
    ("outlook.json", include_str!("../../connectors/outlook.json")),
    ("outlookcalendar.json", include_str!("../../connectors/outlookcalendar.json")),
    ("microsoftteams.json", include_str!("../../connectors/microsoftteams.json")),
    ("onedrive.json", include_str!("../../connectors/onedrive.json")),
    ("confluence.json", include_str!("../../connectors/confluence.json")),
    ("asana.json", include_str!("../../connectors/asana.json")),
    ("trello.json", include_str!("../../connectors/trello.json")),
    ("clickup.json", include_str!("../../connectors/clickup.json")),
    ("monday.json", include_str!("../../connectors/monday.json")),
    ("todoist.json", include_str!("../../connectors/todoist.json")),
    ("calendly.json", include_str!("../../connectors/calendly.json")),
    ("airtable.json", include_str!("../../connectors/airtable.json")),
    ("zoom.json", include_str!("../../connectors/zoom.json")),
    ("zendesk.json", include_str!("../../connectors/zendesk.json")),
    ("intercom.json", include_str!("../../connectors/intercom.json")),
    ("freshdesk.json", include_str!("../../connectors/freshdesk.json")),
    ("pipedrive.json", include_str!("../../connectors/pipedrive.json")),
    ("mailchimp.json", include_str!("../../connectors/mailchimp.json")),
    ("stripe.json", include_str!("../../connectors/stripe.json")),
    ("shopify.json", include_str!("../../connectors/shopify.json")),
    ("dropbox.json", include_str!("../../connectors/dropbox.json")),
    ("box.json", include_str!("../../connectors/box.json")),
    ("twilio.json", include_str!("../../connectors/twilio.json")),
    ("sendgrid.json", include_str!("../../connectors/sendgrid.json")),
    ("bitbucket.json", include_str!("../../connectors/bitbucket.json")),
    ("discord.json", include_str!("../../connectors/discord.json")),
    ("gitlab.json", include_str!("../../connectors/gitlab.json")),
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectorDef {
    /// Catalog slug (`gmail`), also the `provider` of its tools.
    pub slug: String,
    pub display_name: String,
    pub auth: AuthDef,
    /// Default API base; a connection's `base_url` overrides it. Empty for remote MCP connectors.
    #[serde(default)]
    pub base_url: String,
    /// Output size cap, per-account rate limit and retry rule of this connector's calls.
    #[serde(default)]
    pub limits: super::runner_defs::LimitsDef,
    /// Declared tools; empty for a remote MCP connector, whose tools are discovered per connection.
    #[serde(default)]
    pub tools: Vec<ToolDef>,
    /// A remote MCP server: the connector's tools are the server's, listed with `tools/list` and
    /// run with `tools/call` (see `catalog::remote_tools`).
    #[serde(default)]
    pub mcp: Option<McpDef>,
    /// Host patterns (`*.my.salesforce.com`) an API client may set a templated `api_config`
    /// URL field to; values from the provider's own token answer are not held to them.
    #[serde(default)]
    pub api_config_hosts: std::collections::BTreeMap<String, Vec<String>>,
    /// May API clients send raw requests through `/proxy` with this connector's credentials?
    #[serde(default = "proxy_enabled_default")]
    pub proxy_enabled: bool,
    /// What a developer does at the provider before a first call (every built-in connector
    /// says; shown in the generated catalog of docs/connectors.md).
    #[serde(default)]
    pub setup: Option<SetupDef>,
    /// Where the tools' `sql` statements run: a PostgreSQL connection (the default) or
    /// Snowflake's SQL API under `base_url`.
    #[serde(default)]
    pub sql_engine: SqlEngine,
    /// What accounts of this connector can be watched for (`catalog::triggers`).
    #[serde(default)]
    pub triggers: Vec<super::triggers::TriggerDef>,
}

/// Where the provider app (or key) is made, what to give it, and what the provider's review
/// asks before other users may authorize: the time to a first real call, said up front.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetupDef {
    /// The page where the app, OAuth client or key is created.
    pub app_console: String,
    /// What to do there: the app type, the redirect URI (`<public_url>/oauth/callback` for
    /// OAuth), the scopes or permissions to give it.
    pub steps: String,
    /// What the provider's review requires before users outside the developer's own workspace
    /// may authorize (empty: none).
    #[serde(default)]
    pub review: String,
}

/// The database a connector's SQL tools speak to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SqlEngine {
    /// A PostgreSQL server the account's credentials name (the SQL runner).
    #[default]
    Postgres,
    /// Snowflake's SQL API v2 over HTTPS (the Snowflake runner).
    Snowflake,
}

fn proxy_enabled_default() -> bool {
    true
}

/// Where a remote MCP server listens and how often its tool list is read again.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct McpDef {
    /// The server's MCP endpoint (`https://mcp.example.com/mcp`); a connection's `base_url`
    /// overrides it.
    pub url: String,
    #[serde(default)]
    pub transport: McpTransport,
    /// Seconds between two discoveries of the server's tools (a `notifications/tools/list_changed`
    /// seen on a call's stream asks for one sooner).
    #[serde(default = "default_mcp_refresh_secs")]
    pub refresh_secs: u64,
}

/// Fewest and most seconds between two discoveries of a remote MCP server's tools.
pub const MCP_REFRESH_SECS: std::ops::RangeInclusive<u64> = 10..=86_400;

fn default_mcp_refresh_secs() -> u64 {
    300
}

/// The MCP transport of a remote server.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum McpTransport {
    /// Streamable HTTP (protocol 2025-03-26 and later).
    #[default]
    StreamableHttp,
    /// The legacy HTTP+SSE transport (2024-11-05): `url` is the event stream (`…/sse`).
    Sse,
}

/// Which remote MCP tool a discovered catalog tool runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteToolRef {
    /// The connection whose server lists it (its accounts' credentials run it).
    pub connection: String,
    /// The tool's name on the remote server (our name is namespaced and sanitized).
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthDef {
    #[serde(rename = "type")]
    /// `OAUTH`, `API_KEY`, `BASIC_AUTH`, `BEARER_TOKEN`, … — parsed at load (a typo is a load error).
    pub auth_type: ConnectorType,
    /// Header carrying the credential.
    #[serde(default = "default_auth_header")]
    pub header: String,
    /// Prefix before the credential value (`"Bearer "`).
    #[serde(default = "default_auth_prefix")]
    pub prefix: String,
    /// Query parameter carrying the credential instead of `header`, for APIs that take
    /// `?api_key=…` (OpenAPI `in: query`). Empty: the header.
    #[serde(default)]
    pub query_param: String,
    #[serde(default)]
    pub authorize_url: String,
    #[serde(default)]
    pub token_url: String,
    #[serde(default)]
    pub revoke_url: String,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub authorize_params: BTreeMap<String, String>,
    /// Token-response fields kept in the account's `api_config` (e.g. `instance_url`).
    #[serde(default)]
    pub token_response_fields: Vec<String>,
    /// A provider call made once at connect time whose answer fills `api_config` fields
    /// (Atlassian's cloud id, from accessible-resources).
    #[serde(default)]
    pub account_lookup: Option<AccountLookup>,
    /// Key-pair authentication (required with `KEY_PAIR`; beside `OAUTH`, an account may bring
    /// either): the account's RSA key signs a JWT per call, claims templated from its details.
    #[serde(default)]
    pub key_pair: Option<KeyPairDef>,
}

/// A connector's key-pair settings (`auth.key_pair`; run by `credentials::key_pair`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyPairDef {
    /// Claim → template over the account's details and `{{public_key_fingerprint}}` (operators
    /// such as `$upper` and `$join` apply). `iat` and `exp` are set by the gateway.
    pub claims: serde_json::Map<String, Value>,
    /// Seconds a token is valid, at most [`MAX_KEY_PAIR_LIFETIME_SECS`].
    #[serde(default = "default_key_pair_lifetime")]
    pub lifetime_secs: u64,
    /// Headers sent next to the token (`X-Snowflake-Authorization-Token-Type: KEYPAIR_JWT`).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

/// Longest lifetime a connector may give its key-pair tokens (Snowflake refuses more than an hour).
pub const MAX_KEY_PAIR_LIFETIME_SECS: u64 = 3600;

fn default_key_pair_lifetime() -> u64 {
    MAX_KEY_PAIR_LIFETIME_SECS
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountLookup {
    /// GET with the fresh access token; a connection's `account_lookup_url` overrides it.
    pub url: String,
    /// `api_config` field → dotted path in the answer (`0.id`).
    pub fields: BTreeMap<String, String>,
}

fn default_auth_header() -> String {
    "Authorization".into()
}
fn default_auth_prefix() -> String {
    "Bearer ".into()
}

impl AuthDef {
    pub fn connector_type(&self) -> ConnectorType {
        self.auth_type
    }

    /// The header, or the query parameter, that carries the credential.
    pub fn credential_name(&self) -> &str {
        if self.query_param.is_empty() {
            &self.header
        } else {
            &self.query_param
        }
    }
}

impl ConnectorDef {
    /// Where a connection's calls go: its `base_url`, else the connector's (a remote MCP
    /// server's `mcp.url`). May hold `{{api_config.…}}` placeholders an account fills.
    pub fn base_url_of(&self, connection: &crate::config::ConnectionConfig) -> String {
        match &connection.base_url {
            Some(url) => url.clone(),
            None => self.mcp.as_ref().map_or_else(|| self.base_url.clone(), |mcp| mcp.url.clone()),
        }
    }

    /// A remote MCP server whose users sign in with OAuth at an authorization server the gateway
    /// discovers (the connector names no authorize/token endpoints): see
    /// `credentials::upstream_oauth`.
    pub fn oauth_discovered(&self) -> bool {
        self.mcp.is_some()
            && self.auth.auth_type == ConnectorType::Oauth
            && self.auth.authorize_url.is_empty()
            && self.auth.token_url.is_empty()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolDef {
    pub name: String,
    pub description: String,
    /// (`inputSchema` accepted too: Node callers send back the camelCase the SDK returned.)
    #[serde(alias = "inputSchema")]
    pub input_schema: Value,
    #[serde(default)]
    pub annotations: Option<Value>,
    /// The HTTP call (HTTP connectors); exactly one of `request` and `sql` is given.
    #[serde(default)]
    pub request: Option<RequestDef>,
    /// The database statement (SQL connectors such as PostgreSQL).
    #[serde(default)]
    pub sql: Option<super::runner_defs::SqlDef>,
    /// Fan-out: for each element of `items` in the first answer, run `request` and replace it.
    #[serde(default)]
    pub expand: Option<ExpandDef>,
    /// Shaping of the final answer (or of each expanded item).
    #[serde(default)]
    pub shape: Option<ShapeDef>,
    /// For APIs that answer 200 on errors (Slack's `{"ok": false, "error": ...}`).
    #[serde(default)]
    pub failure: Option<FailureDef>,
    /// Which of the account's tokens the tool sends (`"user"`: the user-scoped one, Slack's
    /// `xoxp-`); parsed at load, so a typo is a load error naming the field.
    #[serde(default)]
    pub credential: CredentialKind,
    /// Set on tools discovered on a remote MCP server (never read from a file).
    #[serde(skip)]
    pub remote: Option<RemoteToolRef>,
}

/// The token of an account a tool calls with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CredentialKind {
    /// The account's (bot / app) access token.
    #[default]
    Account,
    /// The user-scoped token of providers that issue two.
    User,
}

impl ToolDef {
    /// Whether the tool declares the boolean annotation `name` (`read_only_hint`, …) as true.
    pub fn hint(&self, name: &str) -> bool {
        self.annotations.as_ref().and_then(|a| a.get(name)).and_then(Value::as_bool).unwrap_or(false)
    }
}

/// A 2xx answer that is a failure when `field` equals `equals` (Slack's `ok: false`) or, without
/// `equals`, when `field` is present (GraphQL's `errors`); `message_field` (dotted) says why.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailureDef {
    pub field: String,
    #[serde(default)]
    pub equals: Option<Value>,
    #[serde(default)]
    pub message_field: String,
}

impl FailureDef {
    /// Why `body` is a failure, or `None` when it is not.
    pub fn reason(&self, body: &Value) -> Option<String> {
        let value = body.get(&self.field).filter(|v| !v.is_null())?;
        if self.equals.as_ref().is_some_and(|expected| expected != value) {
            return None;
        }
        let reason = dotted(body, &self.message_field);
        Some(reason.map(|r| r.as_str().map(String::from).unwrap_or_else(|| r.to_string())).unwrap_or_default())
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestDef {
    /// Parsed when the file is loaded, so a bad method is a load error naming the file and field.
    #[serde(deserialize_with = "http_method")]
    pub method: reqwest::Method,
    pub path: String,
    #[serde(default)]
    pub query: BTreeMap<String, Value>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub body: Option<Value>,
    /// How the rendered `body` goes on the wire: JSON, or a form for APIs that take only
    /// `application/x-www-form-urlencoded` (OAuth-style endpoints, Stripe, Twilio).
    #[serde(default)]
    pub body_encoding: BodyEncoding,
}

/// The wire form of a request body; parsed at load, so a typo is a load error naming the field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BodyEncoding {
    /// `application/json`: the rendered value as it is.
    #[default]
    Json,
    /// `application/x-www-form-urlencoded`: the rendered object's fields as `key=value` pairs
    /// (an array is one pair per element, an absent or null field is left out).
    Form,
}

/// An HTTP method in upper case (`GET`, `POST`, …), as connector files write it.
fn http_method<'de, D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<reqwest::Method, D::Error> {
    let text = String::deserialize(deserializer)?;
    let known = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
    if !known.contains(&text.as_str()) {
        return Err(serde::de::Error::custom(format!("method {text:?} is not one of {}", known.join(", "))));
    }
    reqwest::Method::from_bytes(text.as_bytes()).map_err(serde::de::Error::custom)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpandDef {
    /// Field of the first answer holding the array to expand (and, with `gather`, where the
    /// expanded items are put).
    pub items: String,
    pub request: RequestDef,
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// Where the items are when they are nested: a JSON pointer whose `*` steps through every
    /// element of an array (`/history/*/messagesAdded/*/message`); the items are taken from
    /// there, in order, once per `id`.
    #[serde(default)]
    pub gather: Option<String>,
    /// An item the provider no longer has (its expand call answers 404: a message deleted since
    /// it was listed) is left out instead of failing the whole call.
    #[serde(default)]
    pub skip_missing: bool,
}

fn default_concurrency() -> usize {
    5
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ShapeDef {
    /// Copies `name: value` header pairs found at `path` to lower-case top-level fields.
    #[serde(default)]
    pub flatten_headers: Option<FlattenHeaders>,
    /// Top-level fields renamed in the answer (`items` → `events`, `nextPageToken` →
    /// `next_page_token`), so documented output names hold whatever the provider calls them.
    #[serde(default)]
    pub rename: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlattenHeaders {
    pub path: String,
    pub names: Vec<String>,
    /// Array field whose elements are flattened one by one (a thread's `messages`).
    #[serde(default)]
    pub each: Option<String>,
}

/// One tool with the connector it belongs to.
#[derive(Debug, Clone)]
pub struct CatalogTool {
    pub connector: Arc<ConnectorDef>,
    pub def: ToolDef,
    /// The wire form returned by list calls, built once.
    pub wire: Tool,
    /// `def.input_schema`, compiled when the connector loaded.
    input_validator: InputValidator,
}

impl CatalogTool {
    /// The caller's input checked against the tool's schema, with defaults filled in (a 400 naming
    /// the field otherwise).
    pub fn validate_input(&self, input: Option<&Value>) -> Result<serde_json::Map<String, Value>> {
        self.input_validator.validate(&self.def.input_schema, input)
    }

    /// Whether a connection (`connection` of `connector`) runs this tool: any tool of its
    /// connector, except a remote MCP tool, which is its own connection's only.
    pub fn runs_on(&self, connector: &str, connection: &str) -> bool {
        self.connector.slug == connector && self.def.remote.as_ref().is_none_or(|r| r.connection == connection)
    }
}

/// Every loaded connector, with tools indexed by name and by the words of their names and
/// descriptions (for search).
#[derive(Debug, Default)]
pub struct Catalog {
    connectors: BTreeMap<String, Arc<ConnectorDef>>,
    tools: BTreeMap<String, Arc<CatalogTool>>,
    /// Lower-case word → the tools whose name, description or connector name holds it.
    words: BTreeMap<String, Vec<Arc<CatalogTool>>>,
}

/// The searchable words of a tool: its name whole and split on `_`, its description's words,
/// and its connector's slug and display name.
fn search_words(tool: &ToolDef, connector: &ConnectorDef) -> std::collections::BTreeSet<String> {
    let text = format!("{} {} {} {}", tool.name, tool.description, connector.slug, connector.display_name);
    let mut words = std::collections::BTreeSet::new();
    for word in text.to_lowercase().split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        // "repositories" is found by "repository" too.
        words.insert(singular(word));
        words.insert(word.to_string());
    }
    words.insert(tool.name.to_lowercase());
    words
}

/// A word's singular, by the common English endings ("repositories" → "repository").
fn singular(word: &str) -> String {
    match word.len() {
        n if n > 4 && word.ends_with("ies") => format!("{}y", &word[..n - 3]),
        n if n > 3 && word.ends_with('s') && !word.ends_with("ss") => word[..n - 1].to_string(),
        _ => word.to_string(),
    }
}

/// Shortest word taken for an abbreviation of a longer query term ("repo" for "repository").
const MIN_ABBREVIATION_LEN: usize = 3;

/// Verbs tool names start with when they are not named after a resource first.
const ACTION_WORDS: &[&str] = &[
    "add", "archive", "cancel", "check", "close", "copy", "create", "delete", "describe", "download", "execute",
    "fetch", "find", "get", "invite", "list", "merge", "modify", "move", "open", "post", "query", "read", "remove",
    "reply", "run", "search", "send", "set", "star", "unstar", "update", "upload", "write",
];

/// Words that carry no meaning in a request for a tool.
const FILLER_WORDS: &[&str] = &[
    "a", "about", "all", "an", "and", "any", "are", "as", "at", "be", "by", "can", "could", "do", "for", "from", "i",
    "in", "into", "is", "it", "me", "my", "of", "on", "or", "our", "please", "some", "that", "the", "this", "to",
    "using", "via", "want", "we", "with", "would", "you", "your",
];

/// A query's search terms: lower-cased words without filler, plurals trimmed, each once.
fn query_terms(query: &str) -> Vec<String> {
    let mut terms: Vec<String> = Vec::new();
    for word in query.to_lowercase().split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        if FILLER_WORDS.contains(&word) {
            continue;
        }
        let term = singular(word);
        if !terms.contains(&term) {
            terms.push(term);
        }
    }
    terms
}

impl Catalog {
    /// Whether `slug` is a connector whose users can only authorize with an OAuth app the
    /// connection configures (not one the gateway registers itself at a remote MCP server, nor
    /// one whose accounts may hold a key pair instead).
    pub fn is_oauth(&self, slug: &str) -> bool {
        self.connector(slug).is_some_and(|d| {
            d.auth.connector_type() == ConnectorType::Oauth && !d.oauth_discovered() && d.auth.key_pair.is_none()
        })
    }

    /// Adds a connector that was checked and found without error (`connector_check`), with each
    /// tool's input schema compiled, in order.
    pub(crate) fn add_checked(&mut self, def: ConnectorDef, validators: Vec<InputValidator>) {
        let def = Arc::new(def);
        for (tool, input_validator) in def.tools.iter().zip(validators) {
            self.insert_tool(&def, tool.clone(), input_validator);
        }
        self.connectors.insert(def.slug.clone(), def);
    }

    /// Adds tools discovered on a connection's remote MCP server (already checked by
    /// `remote_tools`); a name the catalog already holds is skipped, with the reason logged.
    pub(crate) fn add_remote_tools(&mut self, connector: &Arc<ConnectorDef>, tools: &[(ToolDef, InputValidator)]) {
        for (tool, input_validator) in tools {
            if self.tools.contains_key(&tool.name) {
                tracing::warn!(tool = %tool.name, connector = %connector.slug, "remote MCP tool skipped: the catalog already has a tool of that name");
                continue;
            }
            self.insert_tool(connector, tool.clone(), input_validator.clone());
        }
    }

    fn insert_tool(&mut self, def: &Arc<ConnectorDef>, tool: ToolDef, input_validator: InputValidator) {
        let mut definition = serde_json::json!({
            "name": tool.name,
            "description": tool.description,
            "input_schema": tool.input_schema,
        });
        if let Some(a) = &tool.annotations {
            definition["annotations"] = a.clone();
        }
        let mut metadata = serde_json::json!({"connector": def.slug, "display_name": def.display_name});
        if let Some(remote) = &tool.remote {
            metadata["connection"] = Value::String(remote.connection.clone());
            metadata["remote_name"] = Value::String(remote.name.clone());
        }
        let wire = Tool {
            id: format!("tol_{}", tool.name),
            provider: def.slug.to_ascii_uppercase(),
            definition,
            metadata,
            tags: vec![def.slug.clone()],
            is_default: Some(true),
            updated_at: None,
        };
        let entry = Arc::new(CatalogTool { connector: def.clone(), def: tool, wire, input_validator });
        for word in search_words(&entry.def, def) {
            self.words.entry(word).or_default().push(entry.clone());
        }
        self.tools.insert(entry.def.name.clone(), entry);
    }

    pub fn connectors(&self) -> impl Iterator<Item = &Arc<ConnectorDef>> {
        self.connectors.values()
    }

    pub fn connector(&self, slug: &str) -> Option<&Arc<ConnectorDef>> {
        self.connectors.get(slug)
    }

    pub fn tool(&self, name: &str) -> Option<&Arc<CatalogTool>> {
        self.tools.get(name)
    }

    /// Tools matching every word of `query` (each word a prefix of a word of the tool's name,
    /// description or connector), in name order. Served from the word index, so it stays fast
    /// with tens of thousands of tools.
    pub fn search(&self, query: &str) -> Vec<&Arc<CatalogTool>> {
        let mut matching: Option<std::collections::BTreeMap<&str, &Arc<CatalogTool>>> = None;
        for word in query.to_lowercase().split(|c: char| !c.is_alphanumeric() && c != '_').filter(|w| !w.is_empty()) {
            let mut hits = std::collections::BTreeMap::new();
            for (_, tools) in self.words.range(word.to_string()..).take_while(|(w, _)| w.starts_with(word)) {
                for tool in tools {
                    if matching.as_ref().is_none_or(|m| m.contains_key(tool.def.name.as_str())) {
                        hits.insert(tool.def.name.as_str(), tool);
                    }
                }
            }
            matching = Some(hits);
        }
        matching.map(|m| m.into_values().collect()).unwrap_or_else(|| self.tools.values().collect())
    }

    /// Up to `limit` tools ranked by relevance to a natural-language `query`, best first, with
    /// their scores (comparable within one answer only). Each query term adds its rarity
    /// (BM25's idf) to the tools it matches: fully for a whole word, less for a word it starts,
    /// twice when the tool's name or connector holds it. Filler words are dropped and plurals
    /// trimmed, so "send emails to my team" ranks the send-mail tools first.
    pub fn rank(&self, query: &str, limit: usize) -> Vec<(&Arc<CatalogTool>, f64)> {
        let total = self.tools.len() as f64;
        let terms = query_terms(query);
        let mut scores: BTreeMap<&str, (&Arc<CatalogTool>, f64)> = BTreeMap::new();
        for term in &terms {
            let term = term.clone();
            let mut hits: BTreeMap<&str, (&Arc<CatalogTool>, f64)> = BTreeMap::new();
            for (word, tools) in self.words.range(term.clone()..).take_while(|(w, _)| w.starts_with(&term)) {
                let weight = match (word == &term, term.len() >= 3) {
                    (true, _) => 1.0,
                    (false, true) => 0.6,
                    (false, false) => continue,
                };
                for tool in tools {
                    let best = hits.entry(tool.def.name.as_str()).or_insert((tool, 0.0));
                    best.1 = best.1.max(weight);
                }
            }
            // A word the term starts with is its abbreviation in many APIs' names ("repos_list_for_org"
            // for "list the repositories of an organization").
            let abbreviations = (MIN_ABBREVIATION_LEN..term.len()).filter_map(|end| term.get(..end));
            for tools in abbreviations.filter_map(|abbreviation| self.words.get(abbreviation)) {
                for tool in tools {
                    let best = hits.entry(tool.def.name.as_str()).or_insert((tool, 0.0));
                    best.1 = best.1.max(0.5);
                }
            }
            let found = hits.len() as f64;
            let idf = ((total - found + 0.5) / (found + 0.5) + 1.0).ln();
            for (name, (tool, weight)) in hits {
                let in_name = tool
                    .def
                    .name
                    .split('_')
                    .chain([tool.connector.slug.as_str()])
                    .any(|w| w.starts_with(&term) || (w.len() >= MIN_ABBREVIATION_LEN && term.starts_with(w)));
                let entry = scores.entry(name).or_insert((tool, 0.0));
                entry.1 += idf * weight * if in_name { 2.0 } else { 1.0 };
            }
        }
        // Among equals, the tool whose name the query covers best ("github issue create" over
        // "github issue comment create").
        let coverage = |tool: &CatalogTool| {
            let words: Vec<&str> = tool.def.name.split('_').collect();
            let covered = words
                .iter()
                .filter(|w| {
                    terms
                        .iter()
                        .any(|t| w.starts_with(t.as_str()) || (w.len() >= MIN_ABBREVIATION_LEN && t.starts_with(**w)))
                })
                .count();
            covered as f64 / words.len().max(1) as f64
        };
        // Imported APIs name a tool after its resource first ("reactions_create_for_pull_request_
        // review_comment"): a tool about a resource the query never names ranks below one about
        // what was asked ("comment on a pull request" wants comments, not reactions to them).
        let about_something_else = |tool: &CatalogTool| {
            let name = tool.def.name.strip_prefix(&format!("{}_", tool.connector.slug)).unwrap_or(&tool.def.name);
            let mut words = name.split('_');
            let subject = words.next().unwrap_or_default();
            let matched = |w: &str| {
                terms.iter().any(|t| w.starts_with(t.as_str()) || (w.len() >= MIN_ABBREVIATION_LEN && t.starts_with(w)))
            };
            // Only resource-first names long enough to have a subject and an object
            // ("gmail_send_email" starts with its verb).
            words.count() >= 3 && !ACTION_WORDS.contains(&subject) && !matched(subject)
        };
        let mut ranked: Vec<(&Arc<CatalogTool>, f64)> = scores
            .into_values()
            .map(|(tool, score)| {
                let score = if about_something_else(tool) { score * 0.6 } else { score };
                (tool, ((score + 0.5 * coverage(tool)) * 1e4).round() / 1e4)
            })
            .collect();
        // Best first; equal scores in name order (the map's order, kept by a stable sort).
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        ranked.truncate(limit);
        ranked
    }

    /// Tools in name order (stable paging).
    pub fn tools(&self) -> impl Iterator<Item = &Arc<CatalogTool>> {
        self.tools.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_catalog_has_the_gmail_tools() {
        let c = Catalog::built_in().unwrap();
        for name in ["gmail_fetch_mails", "gmail_get_message_by_id", "gmail_send_message", "gmail_list_labels"] {
            assert!(c.tool(name).is_some(), "{name}");
        }
    }

    #[test]
    fn search_matches_word_prefixes_in_names_and_descriptions() {
        let c = Catalog::built_in().unwrap();
        let names = |q: &str| c.search(q).iter().map(|t| t.def.name.clone()).collect::<Vec<_>>();
        // Every word must match (a prefix of a word of the name or description): Trello cards
        // listed with their labels match too, a tool with only one of the words does not.
        let both = names("list labels");
        assert!(both.contains(&"gmail_list_labels".to_string()), "{both:?}");
        assert!(!both.contains(&"gmail_send_message".to_string()), "{both:?}");
        for name in &both {
            let tool = c.tool(name).unwrap();
            let text = format!("{} {}", tool.def.name, tool.def.description).to_lowercase();
            assert!(text.contains("list") && text.contains("label"), "{name}");
        }
        assert!(names("label").contains(&"gmail_modify_message_labels".to_string()));
        assert!(names("GMAIL_FETCH").contains(&"gmail_fetch_mails".to_string()), "whole names, any case");
        let calendar = names("calendar event");
        assert!(
            !calendar.is_empty()
                && calendar.iter().all(|n| n.starts_with("googlecalendar_") || n.starts_with("outlookcalendar_")),
            "{calendar:?}"
        );
        assert!(names("zzzz").is_empty());
        assert_eq!(names("  ").len(), c.tools().count(), "no words: every tool");
    }

    #[test]
    fn rank_puts_the_tools_a_sentence_asks_for_first() {
        let c = Catalog::built_in().unwrap();
        let top = |q: &str, k: usize| c.rank(q, k).iter().map(|(t, _)| t.def.name.clone()).collect::<Vec<_>>();
        // gmail_send_email is gmail_send_message under the SDK reference pages' name; Outlook and
        // SendGrid send email too: any of them is right.
        let send = top("send an email to my team", 2);
        assert!(
            send.iter().all(|n| [
                "gmail_send_email",
                "gmail_send_message",
                "outlook_send_email",
                "sendgrid_send_email"
            ]
            .contains(&n.as_str())),
            "{send:?}"
        );
        assert_eq!(top("create a github issue", 1), ["github_issue_create"]);
        assert!(top("list my calendar events", 3).iter().any(|n| n.starts_with("googlecalendar_")));
        assert!(top("github issues", 5).iter().all(|n| n.starts_with("github_")), "{:?}", top("github issues", 5));
        let scores: Vec<f64> = c.rank("fetch mails", 10).iter().map(|(_, s)| *s).collect();
        assert!(scores.windows(2).all(|w| w[0] >= w[1]) && scores[0] > 0.0, "{scores:?}");
        assert_eq!(c.rank("gmail", 3).len(), 3, "limit");
        assert!(c.rank("the a to", 10).is_empty(), "filler words alone match nothing");
        assert!(c.rank("zzzz", 10).is_empty());
        assert_eq!(query_terms("Labels, labels and Issues!"), ["label", "issue"]);
    }

    /// Imported APIs abbreviate in their names ("repos_list_for_org") and pluralize in their
    /// descriptions: a plain request still finds the tool.
    #[test]
    fn rank_finds_abbreviated_names_and_plural_descriptions() {
        let mut c = Catalog::built_in().unwrap();
        let tool = |name: &str, description: &str| {
            serde_json::json!({"name": name, "description": description, "input_schema": {"type": "object"},
                               "request": {"method": "GET", "path": "/x"}})
        };
        let file = serde_json::json!({"slug": "gh", "display_name": "GH", "base_url": "https://api.gh.example",
        "auth": {"type": "BEARER_TOKEN"}, "tools": [
            tool("gh_repos_list_for_org", "Lists repositories for the specified organization."),
            tool("gh_actions_list_repo_organization_secrets", "Lists all organization secrets shared with a repository."),
        ]});
        c.add_file("gh.json", &file.to_string()).unwrap();
        let top = c.rank("list the repositories of an organization", 2);
        assert_eq!(
            top[0].0.def.name,
            "gh_repos_list_for_org",
            "{:?}",
            top.iter().map(|(t, s)| (&t.def.name, s)).collect::<Vec<_>>()
        );
    }

    /// A tool named after another resource ("reactions to a pull request review comment") holds
    /// every word of "comment on a pull request" in its name: the comment tools still come first.
    #[test]
    fn rank_prefers_the_resource_asked_for() {
        let mut c = Catalog::default();
        let tool = |name: &str, description: &str| {
            serde_json::json!({"name": name, "description": description, "input_schema": {"type": "object"},
                               "request": {"method": "POST", "path": "/x"}})
        };
        let file = serde_json::json!({"slug": "gh", "display_name": "GH", "base_url": "https://api.gh.example",
        "auth": {"type": "BEARER_TOKEN"}, "tools": [
            tool("gh_reactions_create_for_pull_request_review_comment", "Create a reaction to a pull request review comment."),
            tool("gh_reactions_list_for_pull_request_review_comment", "List the reactions to a pull request review comment."),
            tool("gh_pulls_create_review_comment", "Creates a review comment on the diff of a specified pull request."),
            tool("gh_pulls_list_review_comments", "Lists all review comments for a specified pull request."),
            tool("gh_issues_create_comment", "Creates a comment on an issue or a pull request."),
            tool("gh_pulls_merge", "Merges a pull request into the base branch."),
        ]});
        c.add_file("gh.json", &file.to_string()).unwrap();
        let top: Vec<String> = c.rank("comment on a pull request", 3).iter().map(|(t, _)| t.def.name.clone()).collect();
        assert_eq!(top[0], "gh_pulls_create_review_comment", "{top:?}");
        assert!(!top.iter().any(|name| name.contains("reactions")), "{top:?}");
        let top: Vec<String> = c.rank("react to a review comment", 1).iter().map(|(t, _)| t.def.name.clone()).collect();
        assert!(top[0].starts_with("gh_reactions_"), "{top:?}");
    }

    #[test]
    fn a_credential_in_the_query_is_checked() {
        let good = r#"{"slug": "weather", "display_name": "Weather", "base_url": "https://w.example.com",
            "auth": {"type": "API_KEY", "query_param": "appid", "prefix": ""},
            "tools": [{"name": "weather_now", "description": "", "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}},
                       "request": {"method": "GET", "path": "/now", "query": {"q": "{{q}}"}}}]}"#;
        Catalog::default().add_file("weather.json", good).unwrap();
        for (text, names) in [
            (good.replace(r#""query": {"q""#, r#""query": {"appid""#), "sets the query parameter \"appid\""),
            (good.replace("API_KEY", "BASIC_AUTH"), "auth.type BASIC_AUTH sends its credential in a header"),
            (good.replace(r#""query_param": "appid""#, r#""query_param": "app id""#), "must be letters"),
        ] {
            let err = Catalog::default().add_file("weather.json", &text).unwrap_err();
            assert!(err.message().contains(names), "{names}: {}", err.message());
        }
    }

    #[test]
    fn remote_mcp_connector_files_are_checked() {
        let mut c = Catalog::default();
        let good = r#"{"slug": "docs", "display_name": "Docs", "auth": {"type": "BEARER_TOKEN"},
                       "mcp": {"url": "https://mcp.example.com/mcp"}}"#;
        c.add_file("docs.json", good).unwrap();
        let mcp = c.connector("docs").unwrap().mcp.clone().unwrap();
        assert_eq!((mcp.transport, mcp.refresh_secs), (McpTransport::StreamableHttp, 300));
        let legacy = good.replace("docs", "legacy").replace(r#""url""#, r#""transport": "sse", "url""#);
        c.add_file("legacy.json", &legacy).unwrap();
        assert_eq!(c.connector("legacy").unwrap().mcp.as_ref().unwrap().transport, McpTransport::Sse);
        for (text, names) in [
            (good.replace("https://mcp.example.com", "http://mcp.example.com"), "mcp.url"),
            (good.replace(r#""url""#, r#""transport": "ssh", "url""#), "mcp.transport"),
            (good.replace("BEARER_TOKEN", "BASIC_AUTH"), "auth.type BASIC_AUTH"),
            (
                good.replace(r#""BEARER_TOKEN""#, r#""OAUTH", "authorize_url": "https://a.example.com/authorize""#),
                "or neither",
            ),
            (good.replace(r#"}}"#, r#", "refresh_secs": 1}}"#), "mcp.refresh_secs"),
            (good.replace(r#""mcp""#, r#""base_url": "https://x.example.com", "mcp""#), "no base_url"),
        ] {
            let err = Catalog::default().add_file("docs.json", &text).unwrap_err();
            assert!(err.message().contains(names), "{names}: {}", err.message());
        }
        // OAuth whose authorization server is discovered from the server (no endpoints named).
        let oauth = good.replace("docs", "secure").replace("BEARER_TOKEN", "OAUTH");
        c.add_file("secure.json", &oauth).unwrap();
        assert!(c.connector("secure").unwrap().oauth_discovered());
        assert!(!c.is_oauth("secure"), "no OAuth app for the connection to configure");
        let built_in = Catalog::built_in().unwrap();
        assert!(
            built_in.is_oauth("gmail") && !built_in.is_oauth("snowflake"),
            "Snowflake accounts may hold a key pair"
        );
        let with_tools = good.replace(r#""mcp""#, r#""tools": [{"name": "docs_x", "description": "", "input_schema": {"type": "object"}, "request": {"method": "GET", "path": "/"}}], "mcp""#);
        let err = Catalog::default().add_file("docs.json", &with_tools).unwrap_err();
        assert!(err.message().contains("declares no tools"), "{}", err.message());
    }

    #[test]
    fn malformed_file_names_file_and_line() {
        let mut c = Catalog::default();
        let err = c.add_file("bad.json", "{\n \"slug\": \"x\",\n \"tools\": 3\n}").unwrap_err();
        assert!(err.message().starts_with("bad.json:3:"), "{}", err.message());
        let text = r#"{"slug": "x", "display_name": "X", "base_url": "http://x", "auth": {"type": "API_KEY"},
            "tools": [{"name": "x_a", "description": "", "input_schema": {"type": "object"},
                       "request": {"path": "/a"}}]}"#;
        let err = c.add_file("x.json", text).unwrap_err();
        assert!(err.message().contains("tools[0].request: missing field `method`"), "{}", err.message());
        // A method no provider speaks is caught when the file is loaded, not at the first call.
        let err =
            c.add_file("x.json", &text.replace(r#""path": "/a""#, r#""method": "FETCH", "path": "/a""#)).unwrap_err();
        assert!(
            err.message().contains("tools[0].request.method") || err.message().contains("FETCH"),
            "{}",
            err.message()
        );
        assert!(err.message().starts_with("x.json:"), "{}", err.message());
        let err = c
            .add_file(
                "x.json",
                &text
                    .replace(r#""path": "/a""#, r#""method": "GET", "path": "/a""#)
                    .replace(r#""name": "x_a","#, r#""name": "x_a", "credential": "bot","#),
            )
            .unwrap_err();
        assert!(err.message().contains("credential") || err.message().contains("bot"), "{}", err.message());
        let err = c.add_file("x.json", &text.replace(r#""type": "API_KEY""#, r#""type": "APIKEY""#)).unwrap_err();
        assert!(err.message().contains("auth") && err.message().contains("APIKEY"), "{}", err.message());
    }
}
