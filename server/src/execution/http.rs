//! Runs a catalog tool against the provider: renders the HTTP mapping from the validated input,
//! injects the account's credential, fans out `expand` steps and shapes the answer.

use std::time::Duration;
use tracing::Instrument;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use futures::stream::{self, StreamExt, TryStreamExt};
use serde_json::{Map, Value};

use agentkit_core::model::{AuthorizationDetails, ToolErrorInfo};
use agentkit_core::{Error, ErrorKind, Result};

use crate::catalog::connectors::{AuthDef, BodyEncoding, CatalogTool, FlattenHeaders, RequestDef, ShapeDef};
use crate::catalog::templates::{dotted, encode_path_segment, scalar_text, whole_placeholder, Scope};
use crate::credentials::key_pair::KeyPairTokens;
use crate::execution::limits::RateLimiter;

/// The header that carries an account's credential to the provider; `as_user` picks the
/// user-scoped token of providers that issue two (Slack). A key-pair account's credential is a
/// JWT signed with its key (from `key_pairs`, which caches them).
pub fn credential_header(
    auth: &AuthDef,
    creds: Option<&AuthorizationDetails>,
    as_user: bool,
    key_pairs: &KeyPairTokens,
) -> Result<(String, String)> {
    let missing = || {
        Error::new(ErrorKind::FailedPrecondition, "the connected account has no stored credentials; authorize it first")
    };
    let creds = creds.ok_or_else(missing)?;
    if as_user {
        let token = creds.oauth_token.as_ref().map(|t| t.user_access_token.as_str()).unwrap_or_default();
        if token.is_empty() {
            return Err(Error::new(
                ErrorKind::FailedPrecondition,
                "this tool acts as the user, and the connected account holds no user token: authorize it again with the connection's user scopes",
            ));
        }
        return Ok((auth.credential_name().to_string(), format!("{}{token}", auth.prefix)));
    }
    if let Some(token) = creds.oauth_token.as_ref().filter(|t| !t.access_token.is_empty()) {
        return Ok((auth.credential_name().to_string(), format!("{}{}", auth.prefix, token.access_token)));
    }
    let details = creds.static_auth.as_ref().map(|s| &s.details).ok_or_else(missing)?;
    if let Some(def) = auth.key_pair.as_ref().filter(|_| crate::credentials::key_pair::holds_key(details)) {
        return Ok((auth.header.clone(), format!("{}{}", auth.prefix, key_pairs.token(def, details)?)));
    }
    let field = |names: &[&str]| names.iter().find_map(|n| details.get(*n).and_then(Value::as_str)).map(String::from);
    if let (Some(user), Some(pass)) = (field(&["username", "email"]), field(&["password", "api_token"])) {
        return Ok(("Authorization".into(), format!("Basic {}", B64.encode(format!("{user}:{pass}")))));
    }
    let secret = field(&["api_key", "token", "access_token", "bearer_token"]).ok_or_else(missing)?;
    Ok((auth.credential_name().to_string(), format!("{}{}", auth.prefix, secret)))
}

/// Puts the account's credential (from [`credential_header`]) where the connector says: its
/// header, or its query parameter (`auth.query_param`).
pub fn with_credential(
    request: crate::egress::OutboundRequest,
    auth: &AuthDef,
    (name, value): &(String, String),
) -> crate::egress::OutboundRequest {
    if auth.query_param.is_empty() {
        request.header(name.as_str(), value.as_str())
    } else {
        request.query(&[(name.as_str(), value.as_str())])
    }
}

/// Headers the connector sends next to the account's credential: its key-pair headers
/// (`X-Snowflake-Authorization-Token-Type: KEYPAIR_JWT`) when the account signs with a key.
pub fn credential_extra_headers(auth: &AuthDef, creds: Option<&AuthorizationDetails>) -> Vec<(String, String)> {
    let signs = creds
        .filter(|c| c.oauth_token.as_ref().is_none_or(|t| t.access_token.is_empty()))
        .and_then(|c| c.static_auth.as_ref())
        .is_some_and(|s| crate::credentials::key_pair::holds_key(&s.details));
    match (&auth.key_pair, signs) {
        (Some(def), true) => def.headers.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        _ => Vec::new(),
    }
}

fn apply_shape(shape: &ShapeDef, value: &mut Value) {
    rename_fields(shape, value);
    if let Some(flatten) = &shape.flatten_headers {
        match &flatten.each {
            Some(field) => {
                for item in value.get_mut(field).and_then(Value::as_array_mut).into_iter().flatten() {
                    flatten_headers(flatten, item);
                }
            }
            None => flatten_headers(flatten, value),
        }
    }
}

fn rename_fields(shape: &ShapeDef, value: &mut Value) {
    if let Some(obj) = value.as_object_mut() {
        for (from, to) in &shape.rename {
            if let Some(v) = obj.remove(from) {
                obj.insert(to.clone(), v);
            }
        }
    }
}

/// The shape of a tool with `expand`: `flatten_headers` without `each` applies to each expanded
/// item (`item_level`), and `rename` and `flatten_headers` with `each` to the whole answer.
fn apply_expanded_shape(shape: &ShapeDef, value: &mut Value, item_level: bool) {
    let flatten = shape.flatten_headers.as_ref();
    if item_level {
        if let Some(flatten) = flatten.filter(|f| f.each.is_none()) {
            flatten_headers(flatten, value);
        }
        return;
    }
    rename_fields(shape, value);
    if let Some((flatten, field)) = flatten.and_then(|f| Some((f, f.each.as_deref()?))) {
        for item in value.get_mut(field).and_then(Value::as_array_mut).into_iter().flatten() {
            flatten_headers(flatten, item);
        }
    }
}

/// Copies the wanted `name: value` header pairs of `value` to lower-case top-level fields.
fn flatten_headers(flatten: &FlattenHeaders, value: &mut Value) {
    let pairs: Vec<(String, String)> = dotted(value, &flatten.path)
        .and_then(Value::as_array)
        .map(|headers| {
            headers
                .iter()
                .filter_map(|h| Some((h.get("name")?.as_str()?.to_string(), h.get("value")?.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    if let Some(obj) = value.as_object_mut() {
        for wanted in &flatten.names {
            if let Some((_, v)) = pairs.iter().find(|(n, _)| n.eq_ignore_ascii_case(wanted)) {
                obj.insert(wanted.to_ascii_lowercase(), Value::String(v.clone()));
            }
        }
    }
}

/// What every provider request of one tool execution shares: the tool, where and as whom it
/// calls, and whose rate limit each request draws on.
pub struct Upstream<'a> {
    pub tool: &'a CatalogTool,
    pub base_url: &'a str,
    pub credential: &'a (String, String),
    /// Sent next to the credential (see [`credential_extra_headers`]).
    pub credential_extras: &'a [(String, String)],
    pub limiter: &'a RateLimiter,
    pub account_id: &'a str,
    /// The way out to the provider.
    pub egress: &'a crate::egress::Egress,
    /// Send the call's `traceparent` to the provider (the connection's `propagate_trace_context`).
    pub propagate_trace_context: bool,
}

/// The host of a provider URL, for span attributes (never its path or query, which can hold ids).
fn host_of(url: &str) -> String {
    url::Url::parse(url).ok().and_then(|u| u.host_str().map(String::from)).unwrap_or_default()
}

/// How much of one provider answer a tool reads, as a multiple of the tool's output cap (answers
/// shrink when shaped; a larger one is refused rather than buffered).
const ANSWER_BUDGET_FACTOR: usize = 8;

impl Upstream<'_> {
    fn answer_budget(&self) -> usize {
        let cap =
            self.tool.connector.limits.max_output_bytes.unwrap_or(crate::execution::limits::DEFAULT_MAX_OUTPUT_BYTES);
        cap.saturating_mul(ANSWER_BUDGET_FACTOR)
    }
}

/// The provider request a tool's template makes from one input, before the credential is added:
/// what `call_upstream` sends and what `agentkit connectors try --dry-run` shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderRequest {
    pub method: reqwest::Method,
    /// Base URL and path, without the query.
    pub url: String,
    /// In order; an array input is one pair per element.
    pub query: Vec<(String, String)>,
    /// The connector's headers (and the default `accept`), never the credential.
    pub headers: Vec<(String, String)>,
    /// The body, when the template renders one, encoded as the request declares.
    pub body: Option<ProviderBody>,
}

/// A provider request's body in the encoding its connector declares (`body_encoding`).
#[derive(Debug, Clone, PartialEq)]
pub enum ProviderBody {
    /// Sent as `application/json`.
    Json(Value),
    /// Sent as `application/x-www-form-urlencoded`: the pairs in order (an array field is one
    /// pair per element), encoded by reqwest as a query is.
    Form(Vec<(String, String)>),
}

impl ProviderBody {
    /// The `content-type` this body is sent with (unless the connector's headers set one).
    pub fn content_type(&self) -> &'static str {
        match self {
            ProviderBody::Json(_) => "application/json",
            ProviderBody::Form(_) => "application/x-www-form-urlencoded",
        }
    }
}

/// `application/x-www-form-urlencoded` text of `pairs`: what reqwest sends for a query or a form.
fn form_text(pairs: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

/// The form fields of a rendered body: scalars as their text, arrays as one pair per element,
/// null left out. A body that is no object, or a field holding an object, cannot be a form: an
/// error naming the input the field comes from (`template` maps field → `{{input}}`).
fn form_pairs(body: Value, template: Option<&Value>) -> Result<Vec<(String, String)>> {
    let Value::Object(fields) = body else {
        return Err(Error::new(
            ErrorKind::Server,
            "the request's body_encoding is \"form\" and its body did not render to an object of form fields",
        ));
    };
    let mut pairs = Vec::new();
    for (key, value) in fields {
        let not_a_form_value = |key: &str| {
            let input = template
                .and_then(|t| t.get(key))
                .and_then(Value::as_str)
                .and_then(whole_placeholder)
                .filter(|name| *name != "item" && !name.starts_with("item."))
                .unwrap_or(key);
            Error::invalid_field(
                format!("tool_input.{input}"),
                format!("{input} cannot be sent in a form body: it must be text, a number, a boolean or a list of those, not an object"),
            )
        };
        match value {
            Value::Null => {}
            Value::Object(_) => return Err(not_a_form_value(&key)),
            Value::Array(items) => {
                for item in items {
                    match item {
                        Value::Null => {}
                        Value::Object(_) | Value::Array(_) => return Err(not_a_form_value(&key)),
                        scalar => pairs.push((key.clone(), scalar_text(&scalar))),
                    }
                }
            }
            scalar => pairs.push((key, scalar_text(&scalar))),
        }
    }
    Ok(pairs)
}

impl ProviderRequest {
    /// Renders `req` for `scope` under `base_url`.
    pub(crate) fn render(req: &RequestDef, base_url: &str, scope: &Scope<'_>) -> Result<ProviderRequest> {
        scope.check_path_values(&req.path)?;
        let path = scope.interpolate(&req.path, encode_path_segment);
        let url = agentkit_core::model::proxy_path::join_under_base(base_url, &path)?;
        let mut query: Vec<(String, String)> = Vec::new();
        for (key, template) in &req.query {
            match scope.render(template) {
                Some(Value::Array(items)) => query.extend(items.iter().map(|v| (key.clone(), scalar_text(v)))),
                Some(v) => {
                    let text = scalar_text(&v);
                    if !text.is_empty() {
                        query.push((key.clone(), text));
                    }
                }
                None => {}
            }
        }
        let mut headers = Vec::new();
        // The connector's headers replace defaults of the same name (e.g. GitHub's Accept).
        if !req.headers.keys().any(|k| k.eq_ignore_ascii_case("accept")) {
            headers.push(("accept".to_string(), "application/json".to_string()));
        }
        for (k, v) in &req.headers {
            // A header that is one placeholder of an absent optional input is left out, not sent empty.
            if whole_placeholder(v).is_some_and(|name| scope.lookup(name).is_none()) {
                continue;
            }
            headers.push((k.clone(), scope.interpolate(v, |s| s.to_string())));
        }
        // A body that renders to nothing (one placeholder of an absent optional input) is not sent.
        let body = match (req.body.as_ref().and_then(|b| scope.render(b)), req.body_encoding) {
            (None, _) => None,
            (Some(body), BodyEncoding::Json) => Some(ProviderBody::Json(body)),
            (Some(body), BodyEncoding::Form) => Some(ProviderBody::Form(form_pairs(body, req.body.as_ref())?)),
        };
        Ok(ProviderRequest { method: req.method.clone(), url, query, headers, body })
    }
}

impl ProviderRequest {
    /// The request as text — method and URL, headers, body — with the credential shown as a
    /// placeholder of where the connected account's value goes.
    pub fn describe(&self, auth: &AuthDef) -> String {
        let mut url = self.url.clone();
        let mut query = form_text(&self.query);
        if !auth.query_param.is_empty() {
            let placeholder = format!("{}=<the connected account's credential>", auth.query_param);
            query = if query.is_empty() { placeholder } else { format!("{query}&{placeholder}") };
        }
        if !query.is_empty() {
            url = format!("{url}?{query}");
        }
        let mut text = format!("{} {url}\n", self.method);
        let credential = if auth.connector_type() == agentkit_core::model::ConnectorType::BasicAuth {
            Some(("Authorization".to_string(), "Basic <the connected account's username:password>".to_string()))
        } else if auth.query_param.is_empty() {
            Some((auth.header.clone(), format!("{}<the connected account's credential>", auth.prefix)))
        } else {
            None
        };
        for (name, value) in credential.iter().chain(&self.headers) {
            text.push_str(&format!("{name}: {value}\n"));
        }
        if let Some(body) = &self.body {
            // As when sending: the connector's own content-type wins over the encoding's.
            if !self.headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("content-type")) {
                text.push_str(&format!("content-type: {}\n", body.content_type()));
            }
            text.push('\n');
            match body {
                ProviderBody::Json(value) => text.push_str(&serde_json::to_string_pretty(value).unwrap_or_default()),
                ProviderBody::Form(pairs) => text.push_str(&form_text(pairs)),
            }
            text.push('\n');
        }
        text
    }
}

/// The request a tool would send first for `input` (validated against its schema), under
/// `base_url` (the connector's own when `None`): the dry run of `agentkit connectors try`. A tool
/// that runs SQL has no HTTP request: an error says so.
pub fn preview_request(tool: &CatalogTool, input: &Value, base_url: Option<&str>) -> Result<ProviderRequest> {
    let input = tool.validate_input(Some(input))?;
    let request = tool.def.request.as_ref().ok_or_else(|| {
        Error::invalid_field("tool", format!("{} runs SQL, not an HTTP request: nothing to preview", tool.def.name))
    })?;
    let base_url = base_url.unwrap_or(&tool.connector.base_url);
    ProviderRequest::render(request, base_url, &Scope::new(&input))
}

/// One provider call; answers that are not 2xx become tool errors.
async fn call_upstream(upstream: &Upstream<'_>, req: &RequestDef, scope: &Scope<'_>) -> Result<Value> {
    let Upstream {
        tool,
        base_url,
        credential,
        credential_extras,
        limiter,
        account_id,
        egress,
        propagate_trace_context,
    } = *upstream;
    let ProviderRequest { method, url, query, headers, body } = ProviderRequest::render(req, base_url, scope)?;
    let mut builder = egress.request(method.clone(), &url).timeout(tool.connector.limits.upstream_timeout());
    for (name, value) in credential_extras {
        builder = builder.header(name.as_str(), value.as_str());
    }
    if !query.is_empty() {
        builder = builder.query(&query);
    }
    builder = with_credential(builder, &tool.connector.auth, credential);
    for (name, value) in &headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    match &body {
        Some(ProviderBody::Json(value)) => builder = builder.json(value),
        Some(ProviderBody::Form(pairs)) => builder = builder.form(pairs),
        None => {}
    }
    // The connector's retry rule, for requests that are safe to send again.
    let repeatable = repeatable(&method, tool);
    let retry = tool.connector.limits.retry.as_ref().filter(|_| repeatable);
    let mut attempt = 0;
    // A repeatable request whose connection was lost before any answer goes once more.
    let mut resent_after_loss = false;
    let resp = loop {
        // Every request to the provider, retries and fan-out included, draws on the account's limit.
        if let Some(rule) = &tool.connector.limits.rate_limit {
            limiter.acquire(&tool.connector.slug, account_id, rule).await?;
        }
        // Only a request that failed to build cannot be copied; sending it names the problem.
        let Some(this_try) = builder.try_clone() else {
            return Err(builder.send().await.err().unwrap_or_else(|| {
                Error::new(ErrorKind::Server, format!("{}: the provider request could not be built", tool.def.name))
            }));
        };
        // A client span per try (OpenTelemetry's HTTP conventions: named by the method).
        let span = tracing::info_span!(
        target: crate::telemetry::traces::SPAN_TARGET,
            "provider_call",
            otel.name = %method,
            otel.kind = "client",
            http.request.method = %method,
            server.address = %host_of(&url),
            agentkit.connector = %tool.connector.slug,
            http.response.status_code = tracing::field::Empty,
        );
        let mut this_try = this_try;
        if propagate_trace_context {
            for (name, value) in crate::telemetry::traces::trace_headers(&span) {
                this_try = this_try.header(name, value);
            }
        }
        let sent_at = std::time::Instant::now();
        let sent = this_try.send().instrument(span.clone()).await;
        let status = sent.as_ref().ok().map(|r| r.status().as_u16());
        if let Some(status) = status {
            span.record("http.response.status_code", i64::from(status));
        }
        crate::telemetry::metrics::upstream_call(&tool.connector.slug, status, sent_at.elapsed());
        let resp = match sent {
            Ok(resp) => resp,
            // The provider closed or reset the connection before answering (a stale pooled
            // connection, a restart): it never answered, so a request that is safe to repeat is
            // sent again at once — once, on a fresh try that draws on the limit like any other.
            Err(e) if repeatable && !resent_after_loss && crate::egress::lost_before_answer(&e) => {
                let (connector, error) = (&tool.connector.slug, e.message());
                tracing::info!(%connector, %error, "provider dropped the connection; sending again");
                resent_after_loss = true;
                continue;
            }
            Err(e) => {
                return Err(match e.kind() {
                    ErrorKind::Forbidden | ErrorKind::InvalidInput => e,
                    kind => {
                        Error::new(kind, format!("{}: {}", tool.def.name, e.message())).with_error_code("TOOL_ERROR")
                    }
                })
            }
        };
        match retry {
            Some(rule) if attempt + 1 < rule.max_attempts && rule.on_status.contains(&resp.status().as_u16()) => {
                tokio::time::sleep(rule.delay(attempt, retry_after(resp.headers()))).await;
                attempt += 1;
            }
            _ => break resp,
        }
    };
    let status = resp.status().as_u16();
    // Taken before the body is read (which consumes the answer): a final 429 passes it on.
    let provider_retry_after = retry_after(resp.headers());
    let bytes = crate::egress::read_bounded(resp, upstream.answer_budget()).await?;
    let body: Value = if bytes.is_empty() {
        Value::Object(Map::new())
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    if status >= 400 {
        return Err(upstream_error(&tool.def.name, status, &body, provider_retry_after));
    }
    if let Some(reason) = tool.def.failure.as_ref().and_then(|f| f.reason(&body)) {
        return Err(Error::new(
            ErrorKind::ToolExecution,
            format!("{} failed: the provider reported {reason:?}", tool.def.name),
        )
        .with_status(400)
        .with_tool_error(ToolErrorInfo {
            execution_id: String::new(),
            tool_error_message: reason,
            tool_error_code: status.to_string(),
        }));
    }
    Ok(body)
}

/// A request that may be sent twice: an idempotent HTTP method, or a tool declared read-only or
/// idempotent (searches that POST a query).
fn repeatable(method: &reqwest::Method, tool: &CatalogTool) -> bool {
    method.is_idempotent() || tool.def.hint("read_only_hint") || tool.def.hint("idempotent_hint")
}

/// The provider's Retry-After (seconds or an HTTP-date), clamped: the provider controls it.
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    agentkit_core::client::parse_retry_after(value, std::time::SystemTime::now())
}

/// A provider failure as a tool error that keeps the provider's status class (401/403/429 stay)
/// and its `Retry-After`, so the caller's answer says when to come back (the connector's retry
/// rule, if any, has run out by now).
/// The most of a provider's error message an error carries.
const PROVIDER_MESSAGE_MAX_CHARS: usize = 1024;

pub(crate) fn upstream_error(tool_name: &str, status: u16, body: &Value, retry_after: Option<Duration>) -> Error {
    // Stripe/Google `error.message`, OAuth `error_description`, GitHub `message`, the first of a
    // list of `errors` (Intercom's error.list, Freshdesk's validation errors), else `error`.
    let provider_message = body
        .pointer("/error/message")
        .or_else(|| body.get("error_description"))
        .or_else(|| body.get("message"))
        .or_else(|| body.pointer("/errors/0/message"))
        .or_else(|| body.get("error"))
        .map(scalar_text)
        .unwrap_or_default();
    // A provider's message goes into the error twice and into logs: at most 1 KiB of it.
    let provider_message = match provider_message.char_indices().nth(PROVIDER_MESSAGE_MAX_CHARS) {
        Some((cut, _)) => format!("{}…", &provider_message[..cut]),
        None => provider_message,
    };
    let relayed = match status {
        400 | 401 | 403 | 404 | 409 | 429 => status,
        _ => 502,
    };
    let kind_hint = match status {
        401 => " (the user's credential was rejected: re-authorize the connected account)",
        _ => "",
    };
    Error::new(
        ErrorKind::ToolExecution,
        format!("{tool_name} failed: provider answered HTTP {status}{kind_hint}: {provider_message}"),
    )
    .with_status(relayed)
    .with_retry_after(retry_after.map(|wait| wait.as_secs()))
    .with_tool_error(ToolErrorInfo {
        execution_id: String::new(),
        tool_error_message: provider_message,
        tool_error_code: status.to_string(),
    })
}

/// The values at `pattern` (a JSON pointer whose `*` steps through every element of an array),
/// in order, each `id` once: the items of an answer that nests them (Gmail's history records).
fn gathered(answer: &Value, pattern: &str) -> Vec<Value> {
    let mut at: Vec<&Value> = vec![answer];
    for step in pattern.split('/').skip(1) {
        at = at
            .into_iter()
            .flat_map(|v| match (step, v) {
                ("*", Value::Array(items)) => items.iter().collect::<Vec<_>>(),
                ("*", _) => Vec::new(),
                (key, v) => v.get(key.replace("~1", "/").replace("~0", "~")).into_iter().collect(),
            })
            .collect();
    }
    let mut ids = std::collections::HashSet::new();
    at.into_iter().filter(|v| v.get("id").is_none_or(|id| ids.insert(id.to_string()))).cloned().collect()
}

/// One `expand` call for `item`, shaped like a single answer.
async fn expand_one(
    upstream: &Upstream<'_>,
    request: &RequestDef,
    input: &Map<String, Value>,
    item: Value,
) -> Result<Value> {
    let scope = Scope { input, item: Some(&item) };
    let mut one = call_upstream(upstream, request, &scope).await?;
    if let Some(shape) = &upstream.tool.def.shape {
        apply_expanded_shape(shape, &mut one, true);
    }
    Ok(one)
}

/// Runs the upstream's tool with validated `input`.
pub async fn run_tool(upstream: &Upstream<'_>, input: &Map<String, Value>) -> Result<Value> {
    let tool = upstream.tool;
    let scope = Scope { input, item: None };
    let request = tool
        .def
        .request
        .as_ref()
        .ok_or_else(|| Error::new(ErrorKind::Server, format!("{} has no HTTP request mapping", tool.def.name)))?;
    let mut answer = call_upstream(upstream, request, &scope).await?;
    match &tool.def.expand {
        Some(expand) => {
            let items: Vec<Value> = match &expand.gather {
                Some(pattern) => gathered(&answer, pattern),
                None => answer.get(&expand.items).and_then(Value::as_array).cloned().unwrap_or_default(),
            };
            let expanded: Vec<Option<Value>> = stream::iter(items)
                .map(|item| async move {
                    match expand_one(upstream, &expand.request, input, item).await {
                        Err(e) if expand.skip_missing && e.tool_error().is_some_and(|t| t.tool_error_code == "404") => {
                            Ok(None)
                        }
                        other => other.map(Some),
                    }
                })
                .buffered(expand.concurrency.max(1))
                .try_collect()
                .await?;
            let expanded: Vec<Value> = expanded.into_iter().flatten().collect();
            if let Some(obj) = answer.as_object_mut() {
                obj.insert(expand.items.clone(), Value::Array(expanded));
            }
            if let Some(shape) = &tool.def.shape {
                apply_expanded_shape(shape, &mut answer, false);
            }
        }
        None => {
            if let Some(shape) = &tool.def.shape {
                apply_shape(shape, &mut answer);
            }
        }
    }
    if !answer.is_object() {
        answer = serde_json::json!({ "result": answer });
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_items_are_gathered_once_each_in_order() {
        let answer = serde_json::json!({"history": [
            {"messagesAdded": [{"message": {"id": "a"}}, {"message": {"id": "b"}}]},
            {"messages": [{"id": "x"}]},
            {"messagesAdded": [{"message": {"id": "a"}}, {"message": {"id": "c"}}]},
        ]});
        let ids: Vec<Value> =
            gathered(&answer, "/history/*/messagesAdded/*/message").into_iter().map(|m| m["id"].clone()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
        assert!(gathered(&serde_json::json!({"history": "no"}), "/history/*/message").is_empty());
    }
    use crate::catalog::templates::{add_minutes, build_mime};
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
    use serde_json::json;

    #[test]
    fn a_providers_error_message_is_read_from_its_usual_places_and_kept_short() {
        let listed = json!({"type": "error.list", "errors": [{"code": "conflict", "message": "already exists"}]});
        assert!(upstream_error("t", 409, &listed, None).message().ends_with("already exists"));
        let huge = json!({"message": "é".repeat(5000)});
        let err = upstream_error("t", 400, &huge, None);
        let kept = &err.tool_error().unwrap().tool_error_message;
        assert_eq!(kept.chars().count(), PROVIDER_MESSAGE_MAX_CHARS + 1, "1 KiB and an ellipsis");
        assert!(err.message().len() < 3000);
    }

    #[test]
    fn number_and_merge_build_filters_from_optional_parts() {
        let input = json!({"priority": "2", "state": "Todo", "filter": {"state": {"type": {"eq": "started"}}, "team": {"key": {"eq": "ENG"}}}, "bad": "high"});
        let scope = Scope { input: input.as_object().unwrap(), item: None };
        assert_eq!(scope.render(&json!({"$number": "{{priority}}"})), Some(json!(2)));
        assert_eq!(scope.render(&json!({"$number": "{{bad}}"})), None);
        assert_eq!(scope.render(&json!({"$number": "{{missing}}"})), None);
        let template = json!({"$merge": [
            "{{filter}}",
            {"$if": "{{state}}", "then": {"state": {"name": {"eqIgnoreCase": "{{state}}"}}}},
            {"$if": "{{priority}}", "then": {"priority": {"eq": {"$number": "{{priority}}"}}}},
            {"$if": "{{assignee}}", "then": {"assignee": {"email": {"eqIgnoreCase": "{{assignee}}"}}}}
        ]});
        assert_eq!(
            scope.render(&template),
            Some(
                json!({"state": {"type": {"eq": "started"}, "name": {"eqIgnoreCase": "Todo"}}, "team": {"key": {"eq": "ENG"}}, "priority": {"eq": 2}})
            )
        );
        let empty = Map::new();
        assert_eq!(Scope { input: &empty, item: None }.render(&template), None, "no part: the field is left out");
    }

    #[test]
    fn renders_typed_placeholders_and_drops_missing() {
        let input = json!({"q": "is:unread", "n": 5.0, "ids": ["A", "B"]});
        let scope = Scope { input: input.as_object().unwrap(), item: None };
        assert_eq!(scope.render(&json!("{{n}}")), Some(json!(5.0)));
        assert_eq!(scope.render(&json!("{{missing}}")), None);
        assert_eq!(scope.render(&json!({"a": "{{q}}", "b": "{{missing}}"})), Some(json!({"a": "is:unread"})));
        assert_eq!(scope.interpolate("/m/{{q}}", encode_path_segment), "/m/is%3Aunread");
        assert_eq!(scalar_text(&json!(5.0)), "5");
    }

    #[test]
    fn conditional_mapped_and_computed_templates() {
        let input = json!({"emails": ["a@x.test", "b@x.test"], "meet": false, "start": "2026-11-26T10:00:00Z",
                           "local": "2026-11-26T10:00", "h": 1, "m": 30});
        let scope = Scope { input: input.as_object().unwrap(), item: None };
        let mapped = scope.render(&json!({"$map": "{{emails}}", "to": {"email": "{{item}}"}}));
        assert_eq!(mapped, Some(json!([{"email": "a@x.test"}, {"email": "b@x.test"}])));
        assert_eq!(scope.render(&json!({"$if": "{{meet}}", "then": "yes", "else": "no"})), Some(json!("no")));
        assert_eq!(scope.render(&json!({"$if": "{{absent}}", "then": "yes"})), None);
        let end = json!({"$add_time": "{{start}}", "hours": "{{h}}", "minutes": "{{m}}"});
        assert_eq!(scope.render(&end), Some(json!("2026-11-26T11:30:00Z")));
        let end = json!({"$add_time": "{{local}}", "hours": "{{h}}"});
        assert_eq!(scope.render(&end), Some(json!("2026-11-26T11:00:00")));
        // Durations a model may send that chrono cannot represent leave the field out.
        for huge in [json!(3e9), json!(1e300), json!(i64::MAX), json!(-9e18)] {
            let input = json!({"start": "2026-11-26T10:00:00Z", "h": huge});
            let scope = Scope { input: input.as_object().unwrap(), item: None };
            assert_eq!(scope.render(&json!({"$add_time": "{{start}}", "hours": "{{h}}"})), None);
        }
        assert_eq!(add_minutes("2026-11-26T10:00:00Z", i64::MAX), None);
        let doc = scope.render(&json!({"$adf": "one\n\ntwo"})).unwrap();
        assert_eq!(doc["content"][1]["content"][0]["text"], "two");
    }

    #[test]
    fn join_writes_arrays_as_one_delimited_value() {
        let input = json!({"tags": ["a", "b c", 3], "one": "x"});
        let scope = Scope { input: input.as_object().unwrap(), item: None };
        assert_eq!(scope.render(&json!({"$join": "{{tags}}"})), Some(json!("a,b c,3")));
        assert_eq!(scope.render(&json!({"$join": "{{tags}}", "separator": "|"})), Some(json!("a|b c|3")));
        assert_eq!(scope.render(&json!({"$join": "{{one}}"})), Some(json!("x")));
        assert_eq!(scope.render(&json!({"$join": "{{absent}}"})), None, "absent: the key is left out");
    }

    #[test]
    fn mime_is_base64url_rfc2822() {
        let raw = build_mime(&json!({"to": "a@x.test", "subject": "Hé", "body": "hello"}));
        let text = String::from_utf8(B64URL.decode(raw).unwrap()).unwrap();
        assert!(text.starts_with("To: a@x.test\r\nSubject: =?UTF-8?B?"));
        assert!(text.ends_with("\r\n\r\nhello"));
    }

    #[test]
    fn mime_headers_cannot_be_injected_and_replies_thread() {
        let raw = build_mime(&json!({"to": "a@x.test\r\nBcc: spy@evil.test", "subject": "Re:",
                                     "in_reply_to": "<m1@mail.test>", "body": "line1\r\nline2"}));
        let text = String::from_utf8(B64URL.decode(raw).unwrap()).unwrap();
        assert!(text.starts_with("To: a@x.test  Bcc: spy@evil.test\r\nSubject: Re:\r\n"), "{text}");
        assert!(text.contains("In-Reply-To: <m1@mail.test>\r\nReferences: <m1@mail.test>\r\n"));
        assert!(text.ends_with("line1\r\nline2"));
    }

    fn form_request(body: Value) -> RequestDef {
        serde_json::from_value(json!({"method": "POST", "path": "/t", "body_encoding": "form", "body": body})).unwrap()
    }

    #[test]
    fn form_bodies_send_scalars_as_text_and_arrays_as_repeated_keys() {
        let req = form_request(json!({"name": "{{name}}", "tag": "{{tags}}", "urgent": "{{urgent}}",
                                      "price": "{{price}}", "count": "{{count}}", "note": "{{note}}",
                                      "gone": "{{absent}}", "kind": "fixed"}));
        let input = json!({"name": "a b&c=d", "tags": ["x", "y z"], "urgent": false, "price": 0.5, "count": 3,
                           "note": null});
        let scope = Scope::new(input.as_object().unwrap());
        let request = ProviderRequest::render(&req, "https://api.example.test", &scope).unwrap();
        let pairs = |p: &[(&str, &str)]| p.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>();
        assert_eq!(
            request.body,
            Some(ProviderBody::Form(pairs(&[
                ("count", "3"),
                ("kind", "fixed"),
                ("name", "a b&c=d"),
                ("price", "0.5"),
                ("tag", "x"),
                ("tag", "y z"),
                ("urgent", "false"),
            ])))
        );
        let auth: AuthDef = serde_json::from_value(json!({"type": "BEARER_TOKEN"})).unwrap();
        let text = request.describe(&auth);
        assert!(
            text.ends_with(
                "content-type: application/x-www-form-urlencoded\n\n\
                 count=3&kind=fixed&name=a+b%26c%3Dd&price=0.5&tag=x&tag=y+z&urgent=false\n"
            ),
            "{text}"
        );
        // What the dry run shows is what reqwest sends.
        let Some(ProviderBody::Form(fields)) = &request.body else { panic!("a form body") };
        let sent = reqwest::Client::new().post("https://api.example.test/t").form(fields).build().unwrap();
        let bytes = sent.body().and_then(|b| b.as_bytes()).unwrap_or_default();
        assert!(text.ends_with(&format!("\n\n{}\n", String::from_utf8_lossy(bytes))), "{text}");

        // Nothing present: an empty form, still sent as one.
        let empty = Map::new();
        let request = ProviderRequest::render(&req, "https://api.example.test", &Scope::new(&empty)).unwrap();
        assert_eq!(request.body, Some(ProviderBody::Form(pairs(&[("kind", "fixed")]))));
    }

    #[test]
    fn a_form_field_holding_an_object_is_a_400_naming_the_input() {
        let req = form_request(json!({"meta": "{{metadata}}", "tag": "{{tags}}"}));
        for (input, field) in [
            (json!({"metadata": {"a": 1}}), "tool_input.metadata"),
            (json!({"tags": ["x", {"a": 1}]}), "tool_input.tags"),
            (json!({"tags": [["x"]]}), "tool_input.tags"),
        ] {
            let scope = Scope::new(input.as_object().unwrap());
            let err = ProviderRequest::render(&req, "https://api.example.test", &scope).unwrap_err();
            assert_eq!((err.kind(), err.status(), err.field()), (ErrorKind::InvalidInput, 400, Some(field)), "{input}");
            assert!(err.message().contains("form body"), "{}", err.message());
        }
    }

    #[test]
    fn json_stays_the_default_body_encoding() {
        let req: RequestDef =
            serde_json::from_value(json!({"method": "POST", "path": "/t", "body": {"n": "{{n}}"}})).unwrap();
        assert_eq!(req.body_encoding, BodyEncoding::Json);
        let input = json!({"n": 2});
        let request = ProviderRequest::render(&req, "https://x.test", &Scope::new(input.as_object().unwrap())).unwrap();
        assert_eq!(request.body, Some(ProviderBody::Json(json!({"n": 2}))));
        let auth: AuthDef = serde_json::from_value(json!({"type": "BEARER_TOKEN"})).unwrap();
        assert!(request.describe(&auth).contains("content-type: application/json\n\n{"));
        let err = serde_json::from_value::<RequestDef>(json!({"method": "POST", "path": "/t", "body_encoding": "xml"}))
            .unwrap_err();
        assert!(err.to_string().contains("xml") && err.to_string().contains("form"), "{err}");
    }

    #[test]
    fn flattens_headers() {
        let mut msg =
            json!({"payload": {"headers": [{"name": "Subject", "value": "Hi"}, {"name": "from", "value": "a@x"}]}});
        let shape: ShapeDef = serde_json::from_value(
            json!({"flatten_headers": {"path": "payload.headers", "names": ["From", "Subject", "Date"]}}),
        )
        .unwrap();
        apply_shape(&shape, &mut msg);
        assert_eq!(msg["subject"], "Hi");
        assert_eq!(msg["from"], "a@x");
        assert!(msg.get("date").is_none());
    }
}
