//! OpenAPI import: an OpenAPI 3.0 / 3.1 or Swagger 2.0 description (JSON or YAML) in, a connector
//! file in our declarative format out, so an imported API is read, reviewed, edited and versioned
//! like any hand-written connector and runs with the same vault, egress policy and SDKs.
//!
//! Pure: text in, [`Imported`] out (the connector JSON, every operation left out with its reason,
//! and notes on what was approximated); no I/O. The description is untrusted input: its size and
//! nesting depth are bounded, `$ref` chains are followed with cycle detection, and the schemas of
//! one operation have a size budget.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use agentkit_core::{Error, Result};

/// Largest description accepted (GitHub's own, 1,223 operations, is 13 MB).
pub const MAX_DESCRIPTION_BYTES: usize = 32 * 1024 * 1024;
/// Deepest nesting of objects and arrays accepted in the description itself.
pub const MAX_NESTING_DEPTH: usize = 64;
/// How deep a resolved input schema may get before the rest is cut (long `$ref` chains).
const MAX_SCHEMA_DEPTH: usize = 24;
/// Schema nodes one operation may resolve to: `$ref`s reused many times can grow exponentially.
const MAX_SCHEMA_NODES: usize = 20_000;
/// Longest tool name (the model vendors' limit on function names).
pub const MAX_TOOL_NAME: usize = 64;
/// Longest generated connector slug (the tool names start with it).
const MAX_SLUG: usize = 32;
/// Longest tool description kept.
const MAX_DESCRIPTION_CHARS: usize = 2_000;
/// Hops a chain of parameter or request-body `$ref`s may take.
const MAX_REF_HOPS: usize = 16;

/// What to import and under which name.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// The connector slug (also the tool-name prefix); derived from `info.title` when absent.
    pub slug: Option<String>,
    /// Keep only operations tagged with one of these (none: every tag).
    pub include_tags: Vec<String>,
    /// Keep only operations whose path matches one of these: a prefix that ends on a segment
    /// boundary (`/pets` matches `/pets` and `/pets/{id}`, not `/petstore`), or a glob when it
    /// holds `*` (any run of characters, `/` included: `/pets/*/photos`).
    pub include_paths: Vec<String>,
}

/// One operation of the description that did not become a tool, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SkippedOperation {
    /// `GET /pets/{id}`.
    pub operation: String,
    pub reason: String,
}

/// The result of an import.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The connector file (loadable by `Catalog::add_file`).
    pub connector: Value,
    pub skipped: Vec<SkippedOperation>,
    /// What was approximated or needs a reviewer's eye (server variables, auth choices, cycles).
    pub notes: Vec<String>,
}

impl Imported {
    /// How many tools the connector holds.
    pub fn tool_count(&self) -> usize {
        self.connector.get("tools").and_then(Value::as_array).map_or(0, Vec::len)
    }

    /// The connector file as people read it: pretty JSON with the connector's and each tool's
    /// fields in the order of hand-written files (slug first, request last), not alphabetical.
    pub fn file_text(&self) -> String {
        let field = |v: &'_ Value, key: &str| v.get(key).cloned().unwrap_or(Value::Null);
        let tools: Vec<FileTool> = self
            .connector
            .get("tools")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|tool| {
                let request = tool.get("request").cloned().unwrap_or_default();
                FileTool {
                    name: field(tool, "name"),
                    description: field(tool, "description"),
                    annotations: field(tool, "annotations"),
                    input_schema: field(tool, "input_schema"),
                    request: FileRequest {
                        method: field(&request, "method"),
                        path: field(&request, "path"),
                        query: request.get("query").cloned(),
                        headers: request.get("headers").cloned(),
                        body_encoding: request.get("body_encoding").cloned(),
                        body: request.get("body").cloned(),
                    },
                }
            })
            .collect();
        let file = FileConnector {
            slug: field(&self.connector, "slug"),
            display_name: field(&self.connector, "display_name"),
            base_url: field(&self.connector, "base_url"),
            auth: field(&self.connector, "auth"),
            tools,
        };
        // Serializing values and plain structs cannot fail.
        serde_json::to_string_pretty(&file).unwrap_or_default()
    }
}

#[derive(serde::Serialize)]
struct FileConnector {
    slug: Value,
    display_name: Value,
    base_url: Value,
    auth: Value,
    tools: Vec<FileTool>,
}

#[derive(serde::Serialize)]
struct FileTool {
    name: Value,
    description: Value,
    annotations: Value,
    input_schema: Value,
    request: FileRequest,
}

#[derive(serde::Serialize)]
struct FileRequest {
    method: Value,
    path: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    query: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    headers: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body_encoding: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Swagger2,
    OpenApi30,
    OpenApi31,
}

/// Methods in the order OpenAPI lists them in a path item.
const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// Schema keywords kept in input schemas (JSON Schema that the vendors' tool formats accept);
/// others (`discriminator`, `xml`, `example`, `x-…`) say nothing about what to send.
const KEPT_KEYWORDS: &[&str] = &[
    "type",
    "format",
    "description",
    "title",
    "enum",
    "const",
    "default",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "required",
    "minProperties",
    "maxProperties",
];

/// Imports `text` (an OpenAPI 3.0 / 3.1 or Swagger 2.0 description, JSON or YAML).
pub fn import_openapi(text: &str, options: &ImportOptions) -> Result<Imported> {
    let doc = parse_description(text)?;
    let dialect = dialect_of(&doc)?;
    let mut importer =
        Importer { doc: &doc, dialect, notes: BTreeSet::new(), skipped: Vec::new(), credential_param: String::new() };
    importer.run(options)
}

/// Parses JSON or YAML within the size and depth limits.
fn parse_description(text: &str) -> Result<Value> {
    if text.len() > MAX_DESCRIPTION_BYTES {
        return Err(Error::invalid_field(
            "description",
            format!("the description is {} bytes, over the limit of {MAX_DESCRIPTION_BYTES} bytes", text.len()),
        ));
    }
    let too_deep = |message: String| {
        if message.contains("recursion limit") {
            format!("the description nests deeper than the limit of {MAX_NESTING_DEPTH} levels ({message})")
        } else {
            message
        }
    };
    let value: Value = if text.trim_start().starts_with('{') {
        serde_json::from_str(text)
            .map_err(|e| Error::invalid_field("description", format!("not valid JSON: {}", too_deep(e.to_string()))))?
    } else {
        // serde_norway: the maintained fork of serde_yaml (deprecated), deserializing straight into
        // serde_json::Value; it refuses alias "billion laughs" expansions and bounds recursion.
        serde_norway::from_str(text)
            .map_err(|e| Error::invalid_field("description", format!("not valid YAML: {}", too_deep(e.to_string()))))?
    };
    let depth = nesting_depth(&value);
    if depth > MAX_NESTING_DEPTH {
        return Err(Error::invalid_field(
            "description",
            format!("the description nests {depth} levels deep, over the limit of {MAX_NESTING_DEPTH}"),
        ));
    }
    Ok(value)
}

/// Deepest nesting of arrays and objects, counted without recursion.
fn nesting_depth(value: &Value) -> usize {
    let mut deepest = 0;
    let mut pending = vec![(value, 1usize)];
    while let Some((v, depth)) = pending.pop() {
        deepest = deepest.max(depth);
        match v {
            Value::Array(items) => pending.extend(items.iter().map(|i| (i, depth.saturating_add(1)))),
            Value::Object(fields) => pending.extend(fields.values().map(|i| (i, depth.saturating_add(1)))),
            _ => {}
        }
    }
    deepest
}

fn dialect_of(doc: &Value) -> Result<Dialect> {
    if let Some(version) = doc.get("openapi") {
        let text = version.as_str().unwrap_or_default();
        return match text {
            t if t.starts_with("3.0") => Ok(Dialect::OpenApi30),
            t if t.starts_with("3.1") => Ok(Dialect::OpenApi31),
            _ => Err(Error::invalid_field("openapi", format!("OpenAPI version {version} is not 3.0 or 3.1"))),
        };
    }
    match doc.get("swagger") {
        Some(v) if v.as_str() == Some("2.0") => Ok(Dialect::Swagger2),
        Some(v) => Err(Error::invalid_field("swagger", format!("Swagger version {v} is not 2.0"))),
        None => Err(Error::invalid_field(
            "openapi",
            "not an OpenAPI description: neither an `openapi` (3.x) nor a `swagger` (2.0) field",
        )),
    }
}

/// Why one operation cannot be imported (becomes a [`SkippedOperation`]).
type Skip = String;

struct Importer<'a> {
    doc: &'a Value,
    dialect: Dialect,
    notes: BTreeSet<String>,
    skipped: Vec<SkippedOperation>,
    /// The query parameter the chosen security scheme puts the API key in (empty: none): filled
    /// from the account, never a tool input.
    credential_param: String,
}

/// One input of a tool and where it goes in the request.
struct Input {
    /// Property name in the input schema (and in `{{…}}` placeholders).
    name: String,
    schema: Value,
    required: bool,
}

/// A request being assembled for one operation.
#[derive(Default)]
struct RequestParts {
    inputs: Vec<Input>,
    path: String,
    query: Map<String, Value>,
    headers: Map<String, Value>,
    body: Option<Value>,
    /// The body is a form (`application/x-www-form-urlencoded`), not JSON.
    form: bool,
}

impl RequestParts {
    fn takes(&self, name: &str) -> bool {
        self.inputs.iter().any(|i| i.name == name)
    }
}

impl<'a> Importer<'a> {
    fn run(&mut self, options: &ImportOptions) -> Result<Imported> {
        let title = self.doc.pointer("/info/title").and_then(Value::as_str).unwrap_or_default().to_string();
        let slug = match &options.slug {
            Some(slug) => {
                if slug.is_empty() || slug.len() > MAX_SLUG || !slug.chars().all(is_name_char) {
                    return Err(Error::invalid_field(
                        "name",
                        format!("connector name {slug:?} must be 1–{MAX_SLUG} lowercase letters, digits and _"),
                    ));
                }
                slug.clone()
            }
            None => {
                let derived = truncate_name(&slug_from_title(&title), MAX_SLUG);
                if derived.is_empty() {
                    "imported".to_string()
                } else {
                    derived
                }
            }
        };
        let base_url = self.base_url();
        let auth = self.auth();
        self.credential_param = auth.get("query_param").and_then(Value::as_str).unwrap_or_default().to_string();
        let tools = self.tools(&slug, options)?;
        let display_name = if title.trim().is_empty() { slug.clone() } else { title.trim().to_string() };
        let connector = json!({
            "slug": slug,
            "display_name": display_name,
            "base_url": base_url,
            "auth": auth,
            "tools": tools,
        });
        Ok(Imported {
            connector,
            skipped: std::mem::take(&mut self.skipped),
            notes: std::mem::take(&mut self.notes).into_iter().collect(),
        })
    }

    fn note(&mut self, text: impl Into<String>) {
        self.notes.insert(text.into());
    }

    // ---- base URL ----

    /// The first server (3.x) or `schemes`/`host`/`basePath` (2.0), variables at their defaults.
    fn base_url(&mut self) -> String {
        let (url, at) = match self.dialect {
            Dialect::Swagger2 => {
                let schemes: Vec<&str> = self
                    .doc
                    .get("schemes")
                    .and_then(Value::as_array)
                    .map(|s| s.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let scheme = if schemes.is_empty() || schemes.contains(&"https") {
                    "https"
                } else if schemes.contains(&"http") {
                    "http"
                } else {
                    "https"
                };
                let base_path = self.doc.get("basePath").and_then(Value::as_str).unwrap_or_default();
                match self.doc.get("host").and_then(Value::as_str) {
                    Some(host) if !host.is_empty() => (format!("{scheme}://{host}{base_path}"), "host"),
                    _ => (base_path.to_string(), "host"),
                }
            }
            _ => {
                let server = self.doc.get("servers").and_then(Value::as_array).and_then(|s| s.first());
                let url = server.and_then(|s| s.get("url")).and_then(Value::as_str).unwrap_or("/").to_string();
                let variables = server.and_then(|s| s.get("variables")).and_then(Value::as_object);
                (self.substitute_server_variables(&url, variables), "servers[0].url")
            }
        };
        let url = url.trim_end_matches('/').to_string();
        let parsed = url::Url::parse(&url).ok().filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host());
        if parsed.is_some() {
            return url;
        }
        let placeholder =
            format!("https://api.example.invalid{}", if url.starts_with('/') { url.as_str() } else { "" });
        self.note(format!(
            "{at} ({url:?}) is not an absolute http(s) URL: base_url is {placeholder:?}; set the API's real address \
             there or per connection with `base_url`"
        ));
        placeholder
    }

    fn substitute_server_variables(&mut self, url: &str, variables: Option<&Map<String, Value>>) -> String {
        let mut out = String::new();
        let mut rest = url;
        let mut used = Vec::new();
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}') else { break };
            out.push_str(&rest[..open]);
            let name = &rest[open + 1..open + close];
            let default = variables.and_then(|v| v.get(name)).and_then(|v| v.get("default")).map(scalar_text);
            match default {
                Some(value) => {
                    used.push(format!("{name}={value}"));
                    out.push_str(&value);
                }
                None => out.push_str(&rest[open..open + close + 1]),
            }
            rest = &rest[open + close + 1..];
        }
        out.push_str(rest);
        if !used.is_empty() {
            self.note(format!(
                "servers[0].url has variables; their defaults were used ({}): a connection can point elsewhere \
                 with its `base_url`",
                used.join(", ")
            ));
        }
        out
    }

    // ---- auth ----

    /// The connector's `auth` from the description's security schemes: the first scheme of the
    /// top-level `security` that we can run, else the first declared one we can run.
    fn auth(&mut self) -> Value {
        let schemes_at = match self.dialect {
            Dialect::Swagger2 => "/securityDefinitions",
            _ => "/components/securitySchemes",
        };
        let schemes: Vec<(String, Value)> = self
            .doc
            .pointer(schemes_at)
            .and_then(Value::as_object)
            .map(|s| s.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        let schemes: Vec<(String, Value)> = schemes
            .into_iter()
            .map(|(name, scheme)| {
                let resolved = self.follow_refs(&scheme).unwrap_or(scheme);
                (name, resolved)
            })
            .collect();
        if schemes.is_empty() {
            self.note(
                "the description declares no security scheme: auth is BEARER_TOKEN (Authorization: Bearer …); \
                 edit `auth` if the API wants something else",
            );
            return json!({"type": "BEARER_TOKEN", "header": "Authorization", "prefix": "Bearer "});
        }
        // Preferred order: the schemes the top-level `security` names, in its order, then the rest.
        let mut order: Vec<String> = Vec::new();
        for requirement in self.doc.get("security").and_then(Value::as_array).into_iter().flatten() {
            for name in requirement.as_object().into_iter().flat_map(|r| r.keys()) {
                if !order.contains(name) {
                    order.push(name.clone());
                }
            }
        }
        for (name, _) in &schemes {
            if !order.contains(name) {
                order.push(name.clone());
            }
        }
        let mut chosen: Option<(String, Value)> = None;
        let mut passed_over = Vec::new();
        for name in &order {
            let Some((_, scheme)) = schemes.iter().find(|(n, _)| n == name) else { continue };
            // Notes are about the scheme used; a passed-over scheme's are dropped.
            let notes_before = self.notes.clone();
            match self.auth_from_scheme(name, scheme) {
                Ok(auth) if chosen.is_none() => chosen = Some((name.clone(), auth)),
                Ok(_) => {
                    self.notes = notes_before;
                    passed_over.push(format!("{name:?} (usable, but one scheme is used per connector)"))
                }
                Err(why) => {
                    self.notes = notes_before;
                    passed_over.push(format!("{name:?} ({why})"))
                }
            }
        }
        match chosen {
            Some((name, auth)) => {
                if !passed_over.is_empty() {
                    self.note(format!("auth uses security scheme {name:?}; not used: {}", passed_over.join("; ")));
                }
                auth
            }
            None => {
                self.note(format!(
                    "no security scheme of the description can be run by the gateway ({}): auth is BEARER_TOKEN; \
                     edit `auth` before use",
                    passed_over.join("; ")
                ));
                json!({"type": "BEARER_TOKEN", "header": "Authorization", "prefix": "Bearer "})
            }
        }
    }

    fn auth_from_scheme(&mut self, name: &str, scheme: &Value) -> std::result::Result<Value, String> {
        let kind = scheme.get("type").and_then(Value::as_str).unwrap_or_default();
        match kind {
            "apiKey" => {
                let header = scheme.get("name").and_then(Value::as_str).unwrap_or_default();
                if header.is_empty() || !is_token(header) {
                    return Err(format!("API key name {header:?} is not a valid header name"));
                }
                match scheme.get("in").and_then(Value::as_str).unwrap_or_default() {
                    "header" => Ok(json!({"type": "API_KEY", "header": header, "prefix": ""})),
                    // A cookie is a header: `Cookie: <name>=<key>`.
                    "cookie" => Ok(json!({"type": "API_KEY", "header": "Cookie", "prefix": format!("{header}=")})),
                    "query" => Ok(json!({"type": "API_KEY", "query_param": header, "prefix": ""})),
                    other => Err(format!("API key location {other:?} is unknown")),
                }
            }
            "http" => {
                match scheme.get("scheme").and_then(Value::as_str).unwrap_or_default().to_ascii_lowercase().as_str() {
                    "basic" => Ok(json!({"type": "BASIC_AUTH", "header": "Authorization", "prefix": ""})),
                    "bearer" => Ok(json!({"type": "BEARER_TOKEN", "header": "Authorization", "prefix": "Bearer "})),
                    other => Err(format!("HTTP auth scheme {other:?} is not supported (basic and bearer are)")),
                }
            }
            "basic" => Ok(json!({"type": "BASIC_AUTH", "header": "Authorization", "prefix": ""})),
            "oauth2" => {
                let flow = match self.dialect {
                    Dialect::Swagger2 => {
                        (scheme.get("flow").and_then(Value::as_str) == Some("accessCode")).then(|| scheme.clone())
                    }
                    _ => scheme.pointer("/flows/authorizationCode").cloned(),
                };
                let Some(flow) = flow else {
                    return Err("OAuth 2 without an authorization-code flow is not supported".into());
                };
                let url = |key: &str| flow.get(key).and_then(Value::as_str).unwrap_or_default().to_string();
                let (authorize_url, token_url) = (url("authorizationUrl"), url("tokenUrl"));
                if authorize_url.is_empty() || token_url.is_empty() {
                    return Err("the authorization-code flow lacks its authorizationUrl or tokenUrl".into());
                }
                let scopes = self.required_scopes(name, &flow);
                Ok(json!({
                    "type": "OAUTH",
                    "authorize_url": authorize_url,
                    "token_url": token_url,
                    "scopes": scopes,
                }))
            }
            "openIdConnect" => Err("OpenID Connect discovery is not supported".into()),
            other => Err(format!("scheme type {other:?} is not supported")),
        }
    }

    /// The scopes the operations ask for under `scheme` (all the flow's scopes when none names any).
    fn required_scopes(&mut self, scheme: &str, flow: &Value) -> Vec<String> {
        let mut scopes = BTreeSet::new();
        let mut requirements: Vec<&Value> = self.doc.get("security").into_iter().collect();
        for item in self.doc.get("paths").and_then(Value::as_object).into_iter().flat_map(|p| p.values()) {
            for method in METHODS {
                if let Some(security) = item.get(*method).and_then(|op| op.get("security")) {
                    requirements.push(security);
                }
            }
        }
        for requirement in requirements.iter().filter_map(|r| r.as_array()).flatten() {
            for scope in requirement.get(scheme).and_then(Value::as_array).into_iter().flatten() {
                if let Some(scope) = scope.as_str() {
                    scopes.insert(scope.to_string());
                }
            }
        }
        if scopes.is_empty() {
            let declared: Vec<String> =
                flow.get("scopes").and_then(Value::as_object).map(|s| s.keys().cloned().collect()).unwrap_or_default();
            if !declared.is_empty() {
                self.note(format!(
                    "no operation names the OAuth scopes it needs: every declared scope of {scheme:?} is requested"
                ));
            }
            return declared;
        }
        scopes.into_iter().collect()
    }

    // ---- operations ----

    fn tools(&mut self, slug: &str, options: &ImportOptions) -> Result<Vec<Value>> {
        let Some(paths) = self.doc.get("paths") else {
            return Err(Error::invalid_field("paths", "the description has no `paths`"));
        };
        let paths = paths.as_object().ok_or_else(|| Error::invalid_field("paths", "`paths` is not an object"))?;
        let mut tools = Vec::new();
        let mut used_names = BTreeSet::new();
        for (path, item) in paths {
            let at = format!("paths.{path}");
            let item = match self.follow_refs(item) {
                Ok(item) => item,
                Err(why) => {
                    self.skipped.push(SkippedOperation { operation: format!("* {path}"), reason: why });
                    continue;
                }
            };
            let Some(item) = item.as_object() else {
                return Err(Error::invalid_field(at, "a path item must be an object"));
            };
            for method in METHODS {
                let Some(operation) = item.get(*method) else { continue };
                let label = format!("{} {path}", method.to_ascii_uppercase());
                let op_at = format!("{at}.{method}");
                let Some(operation) = operation.as_object() else {
                    return Err(Error::invalid_field(op_at, "an operation must be an object"));
                };
                if let Some(why) = filtered_out(path, operation, options) {
                    self.skipped.push(SkippedOperation { operation: label, reason: why });
                    continue;
                }
                match self.tool(slug, path, method, item, operation, &op_at, &mut used_names) {
                    Ok(tool) => {
                        // What the connector check would refuse (an inconsistent description: a
                        // `required` name that is no property) skips this operation only.
                        let errors = super::connector_check::tool_errors(&tool);
                        if errors.is_empty() {
                            tools.push(tool);
                        } else {
                            let reason = format!("the tool it makes fails the connector check: {}", errors.join("; "));
                            self.skipped.push(SkippedOperation { operation: label, reason });
                        }
                    }
                    Err(why) => self.skipped.push(SkippedOperation { operation: label, reason: why }),
                }
            }
        }
        Ok(tools)
    }

    #[allow(clippy::too_many_arguments)]
    fn tool(
        &mut self,
        slug: &str,
        path: &str,
        method: &str,
        item: &Map<String, Value>,
        operation: &Map<String, Value>,
        at: &str,
        used_names: &mut BTreeSet<String>,
    ) -> std::result::Result<Value, Skip> {
        if method == "trace" {
            return Err("TRACE is not a method connectors can send".into());
        }
        if self.dialect != Dialect::Swagger2 {
            for servers in [operation.get("servers"), item.get("servers")].into_iter().flatten() {
                let first = servers.as_array().and_then(|s| s.first()).and_then(|s| s.get("url"));
                let root = self
                    .doc
                    .get("servers")
                    .and_then(Value::as_array)
                    .and_then(|s| s.first())
                    .and_then(|s| s.get("url"));
                if let Some(url) = first.filter(|_| first != root) {
                    return Err(format!(
                        "{at}: it has its own `servers` ({}), another base URL than the connector's",
                        scalar_text(url)
                    ));
                }
            }
        }
        let mut resolver = SchemaResolver::new(self.doc, self.dialect);
        let mut parts = RequestParts::default();
        let parameters = self.parameters(item, operation, at)?;
        let mut path_inputs: BTreeMap<String, String> = BTreeMap::new();
        let mut form_params: Vec<(Value, String)> = Vec::new();
        let mut body_param: Option<(Value, String, bool)> = None;
        for (index, parameter) in parameters {
            let param_at = format!("{at}.parameters[{index}]");
            let name = parameter.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
            let location = parameter.get("in").and_then(Value::as_str).unwrap_or_default().to_string();
            if name.is_empty() {
                return Err(format!("{param_at}: a parameter without a name"));
            }
            match location.as_str() {
                "body" => {
                    let schema = parameter.get("schema").cloned().unwrap_or_else(|| json!({}));
                    let required = parameter.get("required").and_then(Value::as_bool).unwrap_or(false);
                    let mut schema = schema;
                    if let (Some(description), Some(fields)) =
                        (parameter.get("description").and_then(Value::as_str), schema.as_object_mut())
                    {
                        // Beside a `$ref` too: the resolver keeps a sibling description.
                        fields.insert("description".into(), Value::String(description.to_string()));
                    }
                    body_param = Some((schema, format!("{param_at}.schema"), required));
                    continue;
                }
                "formData" => {
                    form_params.push((parameter, param_at));
                    continue;
                }
                "header"
                    if ["accept", "content-type", "authorization"].contains(&name.to_ascii_lowercase().as_str()) =>
                {
                    self.note(format!(
                        "{param_at}: header parameter {name:?} is left out (OpenAPI ignores Accept, Content-Type and \
                         Authorization parameters; the gateway sets them)"
                    ));
                    continue;
                }
                "query" if name == self.credential_param => {
                    self.note(format!(
                        "{param_at}: query parameter {name:?} carries the API key: the gateway fills it from the \
                         connected account"
                    ));
                    continue;
                }
                "path" | "query" | "header" => {}
                "cookie" => {
                    if parameter.get("required").and_then(Value::as_bool) == Some(true) {
                        return Err(format!(
                            "{param_at}: cookie parameter {name:?} is required and cookies are not sent"
                        ));
                    }
                    self.note(format!(
                        "{param_at}: optional cookie parameter {name:?} is left out (cookies are not sent)"
                    ));
                    continue;
                }
                other => return Err(format!("{param_at}: parameter location {other:?} is unknown")),
            }
            let required = location == "path" || parameter.get("required").and_then(Value::as_bool) == Some(true);
            let mut schema = self.parameter_schema(&parameter, &param_at, &mut resolver)?;
            if let (Some(description), Some(fields)) =
                (parameter.get("description").and_then(Value::as_str), schema.as_object_mut())
            {
                fields.insert("description".into(), Value::String(description.to_string()));
            }
            let input = unique_input_name(&name, &location, &parts);
            let placeholder = Value::String(format!("{{{{{input}}}}}"));
            let is_array = has_type(&schema, "array") || schema.get("items").is_some();
            let is_object = has_type(&schema, "object") || schema.get("properties").is_some();
            match location.as_str() {
                "path" => {
                    if is_array || is_object {
                        return Err(format!("{param_at}: array or object path parameter {name:?} is not supported"));
                    }
                    path_inputs.insert(name.clone(), input.clone());
                }
                "query" => {
                    if is_object {
                        return Err(format!(
                            "{param_at}: object query parameter {name:?} (form or deepObject style) is not supported"
                        ));
                    }
                    let template = match is_array.then(|| self.array_separator(&parameter)) {
                        Some(Some(separator)) => json!({"$join": placeholder, "separator": separator}),
                        Some(None) | None => placeholder,
                    };
                    parts.query.insert(name.clone(), template);
                }
                _ => {
                    if is_array || is_object {
                        return Err(format!("{param_at}: array or object header parameter {name:?} is not supported"));
                    }
                    if !is_token(&name) {
                        return Err(format!("{param_at}: {name:?} is not a valid header name"));
                    }
                    parts.headers.insert(name.clone(), placeholder);
                }
            }
            parts.inputs.push(Input { name: input, schema, required });
        }
        parts.path = path_template(path, &path_inputs).map_err(|why| format!("{at}: {why}"))?;
        match self.dialect {
            Dialect::Swagger2 => {
                let consumes = operation.get("consumes").or_else(|| self.doc.get("consumes"));
                let media: Vec<&str> = consumes
                    .and_then(Value::as_array)
                    .map(|c| c.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                if !form_params.is_empty() {
                    if body_param.is_some() {
                        return Err(format!("{at}: it has both a body parameter and formData parameters"));
                    }
                    self.form_parameters(&form_params, &media, at, &mut parts, &mut resolver)?;
                }
                if let Some((schema, schema_at, required)) = body_param {
                    let json = media.is_empty() || media.iter().any(|m| is_json_media(m));
                    if !json && media.iter().any(|m| is_form_media(m)) {
                        self.form_body(&schema, &schema_at, required, None, &mut parts, &mut resolver)?;
                    } else if !json {
                        return Err(format!("{at}: the body is sent as {} and {BODIES_SENT}", media.join(", ")));
                    } else {
                        self.body(&schema, &schema_at, required, &mut parts, &mut resolver)?;
                    }
                }
            }
            _ => {
                if let Some(body) = operation.get("requestBody") {
                    let body_at = format!("{at}.requestBody");
                    let body = self.follow_refs(body).map_err(|why| format!("{body_at}: {why}"))?;
                    let required = body.get("required").and_then(Value::as_bool).unwrap_or(false);
                    let content = body.get("content").and_then(Value::as_object).cloned().unwrap_or_default();
                    // JSON when the operation takes it, else a form; other media cannot be sent.
                    let json_media = content.iter().find(|(media, _)| is_json_media(media));
                    let form_media = content.iter().find(|(media, _)| is_form_media(media));
                    match (json_media, form_media) {
                        (Some((media, entry)), _) => {
                            let schema = entry.get("schema").cloned().unwrap_or_else(|| json!({}));
                            let schema_at = format!("{body_at}.content.{media}.schema");
                            self.body(&schema, &schema_at, required, &mut parts, &mut resolver)?;
                        }
                        (None, Some((media, entry))) => {
                            let schema = entry.get("schema").cloned().unwrap_or_else(|| json!({}));
                            let schema_at = format!("{body_at}.content.{media}.schema");
                            let encoding = entry.get("encoding");
                            match self.form_body(&schema, &schema_at, required, encoding, &mut parts, &mut resolver) {
                                Ok(()) => {}
                                Err(why) if required => return Err(why),
                                Err(why) => self.note(format!("the optional form body is left out: {why}")),
                            }
                        }
                        (None, None) if content.is_empty() => {}
                        (None, None) => {
                            let media: Vec<&str> = content.keys().map(String::as_str).collect();
                            if required {
                                return Err(format!(
                                    "{body_at}: a {} body cannot be sent: {BODIES_SENT}",
                                    media.join(", ")
                                ));
                            }
                            self.note(format!(
                                "{body_at}: the optional {} body is left out ({BODIES_SENT})",
                                media.join(", ")
                            ));
                        }
                    }
                }
            }
        }
        for note in resolver.notes {
            self.note(note);
        }
        let name = self.tool_name(slug, method, path, operation, used_names);
        let description = tool_description(method, path, operation);
        let mut properties = Map::new();
        let mut required = Vec::new();
        for input in parts.inputs {
            if input.required {
                required.push(Value::String(input.name.clone()));
            }
            properties.insert(input.name, input.schema);
        }
        let mut input_schema = json!({"type": "object", "properties": properties});
        if !required.is_empty() {
            input_schema["required"] = Value::Array(required);
        }
        let mut request = json!({"method": method.to_ascii_uppercase(), "path": parts.path});
        if !parts.query.is_empty() {
            request["query"] = Value::Object(parts.query);
        }
        if !parts.headers.is_empty() {
            request["headers"] = Value::Object(parts.headers);
        }
        if parts.form {
            request["body_encoding"] = json!("form");
        }
        if let Some(body) = parts.body {
            request["body"] = body;
        }
        let annotations = json!({
            "read_only_hint": matches!(method, "get" | "head" | "options"),
            "destructive_hint": method == "delete",
            "idempotent_hint": matches!(method, "put" | "delete"),
            "open_world_hint": true,
        });
        Ok(json!({
            "name": name,
            "description": description,
            "annotations": annotations,
            "input_schema": input_schema,
            "request": request,
        }))
    }

    /// Path-item and operation parameters (the operation's win on the same name and location),
    /// `$ref`s followed, each with its index in the operation's own list (path-item ones after).
    fn parameters(
        &mut self,
        item: &Map<String, Value>,
        operation: &Map<String, Value>,
        at: &str,
    ) -> std::result::Result<Vec<(usize, Value)>, Skip> {
        let mut out: Vec<(usize, Value)> = Vec::new();
        let own = operation.get("parameters").and_then(Value::as_array).cloned().unwrap_or_default();
        let shared = item.get("parameters").and_then(Value::as_array).cloned().unwrap_or_default();
        let own_len = own.len();
        for (index, parameter) in own.iter().chain(shared.iter()).enumerate() {
            let parameter = self.follow_refs(parameter).map_err(|why| format!("{at}.parameters[{index}]: {why}"))?;
            let key = |p: &Value| {
                (
                    p.get("name").and_then(Value::as_str).unwrap_or_default().to_string(),
                    p.get("in").and_then(Value::as_str).unwrap_or_default().to_string(),
                )
            };
            if index >= own_len && out.iter().any(|(_, p)| key(p) == key(&parameter)) {
                continue;
            }
            out.push((index, parameter));
        }
        Ok(out)
    }

    /// The JSON Schema of a path, query or header parameter.
    fn parameter_schema(
        &mut self,
        parameter: &Value,
        at: &str,
        resolver: &mut SchemaResolver,
    ) -> std::result::Result<Value, Skip> {
        if parameter.get("content").is_some() {
            return Err(format!(
                "{at}: parameters described by `content` (serialized as a media type) are not supported"
            ));
        }
        match self.dialect {
            Dialect::Swagger2 => {
                // 2.0 parameters carry their schema keywords inline.
                let mut schema = Map::new();
                for (key, value) in parameter.as_object().into_iter().flatten() {
                    if matches!(key.as_str(), "type" | "format" | "items" | "enum" | "default" | "pattern")
                        || KEPT_KEYWORDS.contains(&key.as_str()) && !matches!(key.as_str(), "description" | "required")
                    {
                        schema.insert(key.clone(), value.clone());
                    }
                }
                if schema.get("type").and_then(Value::as_str) == Some("file") {
                    return Err(format!("{at}: file parameters are not supported"));
                }
                resolver.schema(&Value::Object(schema), at, 0)
            }
            _ => {
                let schema = parameter.get("schema").cloned().unwrap_or_else(|| json!({"type": "string"}));
                resolver.schema(&schema, &format!("{at}.schema"), 0)
            }
        }
    }

    /// How an array query parameter is written: `None` for repeated keys (`a=1&a=2`, OpenAPI
    /// 3's default and 2.0's `multi`), else the separator of one joined value.
    fn array_separator(&self, parameter: &Value) -> Option<&'static str> {
        match self.dialect {
            Dialect::Swagger2 => match parameter.get("collectionFormat").and_then(Value::as_str).unwrap_or("csv") {
                "multi" => None,
                "ssv" => Some(" "),
                "tsv" => Some("\t"),
                "pipes" => Some("|"),
                _ => Some(","),
            },
            _ => {
                let style = parameter.get("style").and_then(Value::as_str).unwrap_or("form");
                let explode = parameter.get("explode").and_then(Value::as_bool).unwrap_or(style == "form");
                match (style, explode) {
                    (_, true) => None,
                    ("spaceDelimited", false) => Some(" "),
                    ("pipeDelimited", false) => Some("|"),
                    _ => Some(","),
                }
            }
        }
    }

    /// A JSON body: its properties flattened into the input when that is unambiguous, else
    /// the whole body under one `body` input.
    fn body(
        &mut self,
        schema: &Value,
        at: &str,
        required: bool,
        parts: &mut RequestParts,
        resolver: &mut SchemaResolver,
    ) -> std::result::Result<(), Skip> {
        let resolved = resolver.schema(schema, at, 0)?;
        let properties = resolved.get("properties").and_then(Value::as_object);
        let is_plain_object = resolved.get("type").and_then(Value::as_str).is_none_or(|t| t == "object")
            && ["oneOf", "anyOf", "not"].iter().all(|k| resolved.get(*k).is_none())
            && resolved.get("additionalProperties").is_none_or(|a| a == &Value::Bool(false));
        if let (Some(properties), true) = (properties, is_plain_object) {
            let flattenable = !properties.is_empty()
                && properties.keys().all(|name| is_input_name(name) && !parts.takes(name))
                && !properties.contains_key("body");
            if flattenable {
                let body_required: BTreeSet<&str> = resolved
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let mut template = Map::new();
                for (name, property) in properties {
                    template.insert(name.clone(), Value::String(format!("{{{{{name}}}}}")));
                    let required = required && body_required.contains(name.as_str());
                    parts.inputs.push(Input { name: name.clone(), schema: property.clone(), required });
                }
                parts.body = Some(Value::Object(template));
                return Ok(());
            }
        }
        let name = ["body", "request_body"].into_iter().find(|n| !parts.takes(n)).unwrap_or("request_body_value");
        let mut schema = resolved;
        if let Some(fields) = schema.as_object_mut() {
            fields.entry("description").or_insert_with(|| Value::String("The request body (JSON).".into()));
        }
        parts.inputs.push(Input { name: name.to_string(), schema, required });
        parts.body = Some(Value::String(format!("{{{{{name}}}}}")));
        Ok(())
    }

    /// A form body (`application/x-www-form-urlencoded`): each property is one input and one
    /// form field; an array follows the media type's `encoding` (repeated keys unless
    /// `explode: false`). A form cannot carry an object, so a body that is no plain object of
    /// properties, or a property holding an object, skips the operation. Nothing is kept on error.
    fn form_body(
        &mut self,
        schema: &Value,
        at: &str,
        required: bool,
        encoding: Option<&Value>,
        parts: &mut RequestParts,
        resolver: &mut SchemaResolver,
    ) -> std::result::Result<(), Skip> {
        let resolved = resolver.schema(schema, at, 0)?;
        let is_plain_object = resolved.get("type").and_then(Value::as_str).is_none_or(|t| t == "object")
            && ["oneOf", "anyOf", "not"].iter().all(|k| resolved.get(*k).is_none())
            && resolved.get("additionalProperties").is_none_or(|a| a == &Value::Bool(false));
        let properties = resolved.get("properties").and_then(Value::as_object).filter(|p| !p.is_empty());
        let Some(properties) = properties.filter(|_| is_plain_object) else {
            return Err(format!(
                "{at}: the form body is not an object of declared properties (oneOf, free-form or empty), \
                 so its fields cannot be listed as inputs"
            ));
        };
        let body_required: BTreeSet<&str> = resolved
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        // Without an `encoding` entry an array is repeated keys (3.x's style form, explode true).
        let repeated = match self.dialect {
            Dialect::Swagger2 => json!({"collectionFormat": "multi"}),
            _ => json!({}),
        };
        let before = parts.inputs.len();
        let mut template = Map::new();
        for (name, property) in properties {
            let style = encoding.and_then(|e| e.get(name)).unwrap_or(&repeated);
            let field_required = required && body_required.contains(name.as_str());
            let field_at = format!("{at}.properties.{name}");
            if let Err(why) =
                self.form_field(name, property.clone(), field_required, style, &field_at, parts, &mut template)
            {
                parts.inputs.truncate(before);
                return Err(why);
            }
        }
        parts.body = Some(Value::Object(template));
        parts.form = true;
        Ok(())
    }

    /// Swagger 2.0 `formData` parameters as a form body (`application/x-www-form-urlencoded`); a
    /// file, or an operation that consumes `multipart/form-data` and not a plain form, skips.
    fn form_parameters(
        &mut self,
        params: &[(Value, String)],
        consumes: &[&str],
        at: &str,
        parts: &mut RequestParts,
        resolver: &mut SchemaResolver,
    ) -> std::result::Result<(), Skip> {
        for (parameter, param_at) in params {
            if parameter.get("type").and_then(Value::as_str) == Some("file") {
                let name = parameter.get("name").and_then(Value::as_str).unwrap_or_default();
                return Err(format!(
                    "{param_at}: file parameter {name:?} is a multipart/form-data upload, which cannot be sent: \
                     {BODIES_SENT}"
                ));
            }
        }
        let multipart = |m: &&str| m.trim().to_ascii_lowercase().starts_with("multipart/form-data");
        let plain_form = consumes.iter().any(|m| is_form_media(m));
        if !plain_form && consumes.iter().any(multipart) {
            return Err(format!(
                "{at}: its formData parameters are sent as {}, which cannot be sent: {BODIES_SENT}",
                consumes.join(", ")
            ));
        }
        let mut template = Map::new();
        for (parameter, param_at) in params {
            let name = parameter.get("name").and_then(Value::as_str).unwrap_or_default();
            let mut schema = self.parameter_schema(parameter, param_at, resolver)?;
            if let (Some(description), Some(fields)) =
                (parameter.get("description").and_then(Value::as_str), schema.as_object_mut())
            {
                fields.insert("description".into(), Value::String(description.to_string()));
            }
            let required = parameter.get("required").and_then(Value::as_bool) == Some(true);
            self.form_field(name, schema, required, parameter, param_at, parts, &mut template)?;
        }
        if !plain_form && !consumes.is_empty() {
            // formData means a form; without a file the plain one is what the description can mean.
            self.note(format!(
                "{at}: formData parameters, but it consumes {}: they are sent as application/x-www-form-urlencoded",
                consumes.join(", ")
            ));
        }
        parts.body = Some(Value::Object(template));
        parts.form = true;
        Ok(())
    }

    /// One form field `name` as an input (renamed when the name is taken or unsafe) and its
    /// template; `style` says how an array is written (an OpenAPI 3 `encoding` entry or a 2.0
    /// parameter with its `collectionFormat`).
    #[allow(clippy::too_many_arguments)]
    fn form_field(
        &self,
        name: &str,
        schema: Value,
        required: bool,
        style: &Value,
        at: &str,
        parts: &mut RequestParts,
        template: &mut Map<String, Value>,
    ) -> std::result::Result<(), Skip> {
        let is_object = |s: &Value| has_type(s, "object") || s.get("properties").is_some();
        let is_array = has_type(&schema, "array") || schema.get("items").is_some();
        let items = schema.get("items");
        if is_object(&schema) || items.is_some_and(|i| is_object(i) || has_type(i, "array") || i.get("items").is_some())
        {
            return Err(format!(
                "{at}: form field {name:?} holds an object or nested list, which a form body cannot carry \
                 (text, numbers, booleans and lists of those)"
            ));
        }
        let input = unique_input_name(name, "form", parts);
        let placeholder = Value::String(format!("{{{{{input}}}}}"));
        let value = match is_array.then(|| self.array_separator(style)) {
            Some(Some(separator)) => json!({"$join": placeholder, "separator": separator}),
            Some(None) | None => placeholder,
        };
        template.insert(name.to_string(), value);
        parts.inputs.push(Input { name: input, schema, required });
        Ok(())
    }

    /// `<slug>_<operationId in snake_case>` (else method and path words), at most 64 characters,
    /// unique: a repeat gets `_2`, `_3`, … in document order.
    fn tool_name(
        &self,
        slug: &str,
        method: &str,
        path: &str,
        operation: &Map<String, Value>,
        used: &mut BTreeSet<String>,
    ) -> String {
        let from_id = operation.get("operationId").and_then(Value::as_str).map(snake_case).unwrap_or_default();
        let base = if from_id.is_empty() {
            let words = path.replace(['{', '}'], "");
            snake_case(&format!("{method} {words}"))
        } else {
            from_id
        };
        let name = truncate_name(&format!("{slug}_{base}"), MAX_TOOL_NAME);
        if used.insert(name.clone()) {
            return name;
        }
        // One more candidate than names taken: one of them is free.
        let mut candidate = name.clone();
        for n in 2..=used.len().saturating_add(2) {
            let suffix = format!("_{n}");
            candidate = format!("{}{suffix}", truncate_name(&name, MAX_TOOL_NAME.saturating_sub(suffix.len())));
            if used.insert(candidate.clone()) {
                break;
            }
        }
        candidate
    }

    /// Follows a chain of `$ref`s (parameters, request bodies, path items, security schemes).
    fn follow_refs(&self, value: &Value) -> std::result::Result<Value, Skip> {
        let mut current = value;
        for _ in 0..MAX_REF_HOPS {
            let Some(reference) = current.get("$ref") else { return Ok(current.clone()) };
            let reference = reference.as_str().ok_or("`$ref` is not a string")?;
            current = lookup_ref(self.doc, reference)?;
        }
        Err(format!("a chain of more than {MAX_REF_HOPS} `$ref`s (or a cycle)"))
    }
}

/// Why `--include-tags` / `--include-paths` leave an operation out, if they do.
fn filtered_out(path: &str, operation: &Map<String, Value>, options: &ImportOptions) -> Option<String> {
    if !options.include_tags.is_empty() {
        let tags: Vec<&str> = operation
            .get("tags")
            .and_then(Value::as_array)
            .map(|t| t.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if !tags.iter().any(|t| options.include_tags.iter().any(|wanted| wanted == t)) {
            return Some(format!("not tagged with any of the included tags ({})", options.include_tags.join(", ")));
        }
    }
    if !options.include_paths.is_empty() && !options.include_paths.iter().any(|pattern| path_matches(pattern, path)) {
        return Some(format!("path not under any of the included paths ({})", options.include_paths.join(", ")));
    }
    None
}

/// A prefix on segment boundaries, or a glob when `pattern` holds `*`.
fn path_matches(pattern: &str, path: &str) -> bool {
    if pattern.contains('*') {
        return glob_matches(pattern.as_bytes(), path.as_bytes());
    }
    let prefix = pattern.trim_end_matches('/');
    match path.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || rest.starts_with('/') || prefix.is_empty(),
        None => false,
    }
}

/// `*` matches any run of bytes; linear backtracking (no exponential blow-up).
fn glob_matches(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] != b'*' && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|b| *b == b'*')
}

/// `/pets/{petId}` → `/pets/{{petId}}` (the input names of the path parameters).
fn path_template(path: &str, inputs: &BTreeMap<String, String>) -> std::result::Result<String, String> {
    if path.contains("{{") || path.contains("}}") || path.contains(['?', '#']) {
        return Err(format!("path {path:?} holds characters a path template cannot ({{{{, }}}}, ? or #)"));
    }
    let mut out = String::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}').ok_or_else(|| format!("path {path:?} has an unclosed {{"))?;
        let name = &rest[open + 1..open + close];
        let input =
            inputs.get(name).ok_or_else(|| format!("path names {{{name}}} but no path parameter declares it"))?;
        out.push_str(&rest[..open]);
        out.push_str(&format!("{{{{{input}}}}}"));
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// `summary` and `description`, or the method and path.
fn tool_description(method: &str, path: &str, operation: &Map<String, Value>) -> String {
    let text = |key: &str| operation.get(key).and_then(Value::as_str).map(str::trim).unwrap_or_default();
    let mut parts: Vec<&str> = [text("summary"), text("description")].into_iter().filter(|t| !t.is_empty()).collect();
    parts.dedup();
    let mut description =
        if parts.is_empty() { format!("{} {path}", method.to_ascii_uppercase()) } else { parts.join("\n\n") };
    if operation.get("deprecated").and_then(Value::as_bool) == Some(true) {
        description.insert_str(0, "(Deprecated) ");
    }
    match description.char_indices().nth(MAX_DESCRIPTION_CHARS) {
        Some((cut, _)) => format!("{}…", &description[..cut]),
        None => description,
    }
}

/// The input name of a parameter: its own name when that is a safe property name not yet
/// taken, else a snake-case form, suffixed with its location on a clash (`id_header`).
fn unique_input_name(name: &str, location: &str, parts: &RequestParts) -> String {
    let base = if is_input_name(name) { name.to_string() } else { snake_case(name) };
    let base = match base.as_str() {
        "" => format!("{location}_parameter"),
        // `{{item}}` reads a template's current item, not the input.
        "item" => "item_value".to_string(),
        _ => base,
    };
    if !parts.takes(&base) {
        return base;
    }
    let located = format!("{base}_{location}");
    if !parts.takes(&located) {
        return located;
    }
    (2usize..).map(|n| format!("{located}_{n}")).find(|c| !parts.takes(c)).unwrap_or(located)
}

/// A property name that vendors accept and templates read back: `[A-Za-z0-9_-]`, 1–64
/// characters, not `item` (templates' current item).
fn is_input_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name != "item"
        && !name.starts_with("item.")
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// An HTTP header name (RFC 9110 token).
fn is_token(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Whether `schema`'s `type` is `wanted` or a list holding it (3.1's `["array", "null"]`).
fn has_type(schema: &Value, wanted: &str) -> bool {
    match schema.get("type") {
        Some(Value::String(t)) => t == wanted,
        Some(Value::Array(types)) => types.iter().any(|t| t.as_str() == Some(wanted)),
        _ => false,
    }
}

fn is_json_media(media: &str) -> bool {
    let essence = media.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || essence.ends_with("+json") || essence == "*/*"
}

/// `application/x-www-form-urlencoded`, with or without parameters (`; charset=utf-8`).
fn is_form_media(media: &str) -> bool {
    media.split(';').next().unwrap_or_default().trim().eq_ignore_ascii_case("application/x-www-form-urlencoded")
}

/// Why a body in another media type is left out.
const BODIES_SENT: &str =
    "connector requests send JSON or form-encoded (application/x-www-form-urlencoded) bodies only";

fn is_name_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'
}

/// `listPets` → `list_pets`, `getHTTPServer` → `get_http_server`, `pets.list-all` →
/// `pets_list_all`; only `[a-z0-9_]`, no leading, trailing or doubled `_`.
fn snake_case(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    for (i, c) in chars.iter().enumerate() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && i > 0 {
                let previous = chars[i - 1];
                let next_is_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
                if previous.is_ascii_lowercase()
                    || previous.is_ascii_digit()
                    || (previous.is_ascii_uppercase() && next_is_lower)
                {
                    out.push('_');
                }
            }
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let mut collapsed = String::with_capacity(out.len());
    for c in out.chars() {
        if !(c == '_' && collapsed.ends_with('_')) {
            collapsed.push(c);
        }
    }
    collapsed.trim_matches('_').to_string()
}

/// `GitHub's official API` → `githubs_official_api`: words lower-cased whole (a title's
/// capitals are not camelCase), apostrophes dropped.
fn slug_from_title(title: &str) -> String {
    snake_case(&title.replace(['\'', '\u{2019}'], "").to_ascii_lowercase())
}

/// At most `max` characters of an ASCII name, without a trailing `_`.
fn truncate_name(name: &str, max: usize) -> String {
    let cut: String = name.chars().take(max).collect();
    cut.trim_end_matches('_').to_string()
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The target of a local `$ref` (`#/components/schemas/Pet`); external ones are refused.
fn lookup_ref<'d>(doc: &'d Value, reference: &str) -> std::result::Result<&'d Value, Skip> {
    let Some(fragment) = reference.strip_prefix('#') else {
        return Err(format!("external reference {reference:?} is not supported (only local `#/…` references are)"));
    };
    let decoded = percent_encoding::percent_decode_str(fragment).decode_utf8_lossy();
    doc.pointer(&decoded).ok_or_else(|| format!("`$ref` {reference:?} points at nothing in the description"))
}

/// Turns description schemas into self-contained input schemas: `$ref`s inlined (cycles cut),
/// `allOf` merged, OpenAPI-only keywords mapped to JSON Schema.
struct SchemaResolver<'d> {
    doc: &'d Value,
    dialect: Dialect,
    /// The `$ref`s being expanded, outermost first (a repeat is a cycle).
    expanding: Vec<String>,
    nodes: usize,
    notes: Vec<String>,
}

impl<'d> SchemaResolver<'d> {
    fn new(doc: &'d Value, dialect: Dialect) -> Self {
        SchemaResolver { doc, dialect, expanding: Vec::new(), nodes: 0, notes: Vec::new() }
    }

    fn schema(&mut self, schema: &Value, at: &str, depth: usize) -> std::result::Result<Value, Skip> {
        self.nodes = self.nodes.saturating_add(1);
        if self.nodes > MAX_SCHEMA_NODES {
            return Err(format!(
                "{at}: its schemas grow past the limit of {MAX_SCHEMA_NODES} nodes once `$ref`s are inlined"
            ));
        }
        let Some(fields) = schema.as_object() else {
            // `true` / `false` schemas (3.1) and anything odd pass as they are.
            return Ok(schema.clone());
        };
        if depth > MAX_SCHEMA_DEPTH {
            self.notes.push(format!("{at}: schema nesting deeper than {MAX_SCHEMA_DEPTH} levels was cut"));
            return Ok(json!({"type": "object", "description": format!(
                "Nested deeper than {MAX_SCHEMA_DEPTH} levels: cut on import; any object is accepted."
            )}));
        }
        if let Some(reference) = fields.get("$ref") {
            let reference = reference.as_str().ok_or_else(|| format!("{at}.$ref is not a string"))?.to_string();
            if self.expanding.contains(&reference) {
                self.notes.push(format!(
                    "{at}: the reference cycle through {reference} was cut (the recursive part accepts any object)"
                ));
                let name = reference.rsplit('/').next().unwrap_or_default();
                return Ok(json!({"type": "object", "description": format!(
                    "A {name} (recursive reference cut on import: any object is accepted here)."
                )}));
            }
            let target = lookup_ref(self.doc, &reference).map_err(|why| format!("{at}: {why}"))?;
            self.expanding.push(reference.clone());
            let resolved = self.schema(target, &reference, depth.saturating_add(1));
            self.expanding.pop();
            let mut resolved = resolved?;
            // 3.1 lets `description` (and friends) sit beside a `$ref`; they describe this use.
            if let Some(out) = resolved.as_object_mut() {
                for key in ["description", "title", "default"] {
                    if let Some(value) = fields.get(key) {
                        out.insert(key.to_string(), value.clone());
                    }
                }
            }
            return Ok(resolved);
        }
        let mut out = Map::new();
        let mut all_of = Vec::new();
        let child = depth.saturating_add(1);
        for (key, value) in fields {
            let here = format!("{at}.{key}");
            match key.as_str() {
                "properties" => {
                    let mut properties = Map::new();
                    for (name, property) in value.as_object().into_iter().flatten() {
                        // Read-only properties are answers, never input.
                        if self.is_read_only(property) {
                            continue;
                        }
                        properties.insert(name.clone(), self.schema(property, &format!("{here}.{name}"), child)?);
                    }
                    out.insert(key.clone(), Value::Object(properties));
                }
                "items" | "additionalProperties" | "not" => {
                    let converted = match value {
                        // Draft-4 tuple `items`.
                        Value::Array(list) => Value::Array(
                            list.iter().map(|s| self.schema(s, &here, child)).collect::<std::result::Result<_, _>>()?,
                        ),
                        other => self.schema(other, &here, child)?,
                    };
                    out.insert(key.clone(), converted);
                }
                "oneOf" | "anyOf" | "prefixItems" => {
                    let list = value.as_array().ok_or_else(|| format!("{here} is not a list"))?;
                    let converted: Vec<Value> = list
                        .iter()
                        .enumerate()
                        .map(|(i, s)| self.schema(s, &format!("{here}[{i}]"), child))
                        .collect::<std::result::Result<_, _>>()?;
                    // `oneOf` becomes `anyOf`, which every tool format we serve carries (OpenAI
                    // strict mode refuses `oneOf`, Gemini drops it): a value matching two
                    // alternatives is left to the provider to judge.
                    let name = if key == "oneOf" && !fields.contains_key("anyOf") { "anyOf" } else { key.as_str() };
                    out.insert(name.to_string(), Value::Array(converted));
                }
                "allOf" => {
                    let list = value.as_array().ok_or_else(|| format!("{here} is not a list"))?;
                    for (i, part) in list.iter().enumerate() {
                        all_of.push(self.schema(part, &format!("{here}[{i}]"), child)?);
                    }
                }
                "type" if value.as_str() == Some("file") => {
                    return Err(format!("{here}: file uploads are not supported"));
                }
                "required" if value.is_array() => {
                    out.insert(key.clone(), value.clone());
                }
                "required" => {}
                k if KEPT_KEYWORDS.contains(&k) => {
                    out.insert(key.clone(), value.clone());
                }
                _ => {}
            }
        }
        for part in all_of {
            merge_schema(&mut out, part);
        }
        self.map_openapi_keywords(fields, &mut out);
        // Required names of dropped (read-only) properties are dropped too.
        if let (Some(Value::Array(required)), Some(Value::Object(properties))) =
            (out.get("required").cloned(), out.get("properties"))
        {
            let kept: Vec<Value> =
                required.into_iter().filter(|r| r.as_str().is_some_and(|n| properties.contains_key(n))).collect();
            out.insert("required".into(), Value::Array(kept));
        }
        Ok(Value::Object(out))
    }

    /// `nullable` (3.0) → a `null` type; boolean `exclusiveMinimum`/`Maximum` (2.0, 3.0) → the
    /// numeric form of JSON Schema 2020-12.
    fn map_openapi_keywords(&self, fields: &Map<String, Value>, out: &mut Map<String, Value>) {
        if self.dialect == Dialect::OpenApi31 {
            return;
        }
        if fields.get("nullable").and_then(Value::as_bool) == Some(true)
            || fields.get("x-nullable").and_then(Value::as_bool) == Some(true)
        {
            if let Some(Value::String(t)) = out.get("type").cloned() {
                out.insert("type".into(), json!([t, "null"]));
            }
            if let Some(Value::Array(options)) = out.get_mut("enum") {
                if !options.contains(&Value::Null) {
                    options.push(Value::Null);
                }
            }
        }
        for (flag, bound) in [("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")] {
            if let Some(Value::Bool(exclusive)) = out.get(flag).cloned() {
                out.remove(flag);
                if exclusive {
                    if let Some(limit) = out.remove(bound) {
                        out.insert(flag.into(), limit);
                    }
                }
            }
        }
    }

    fn is_read_only(&self, property: &Value) -> bool {
        let direct = property.get("readOnly").and_then(Value::as_bool) == Some(true);
        let referenced = property
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| lookup_ref(self.doc, r).ok())
            .and_then(|t| t.get("readOnly"))
            .and_then(Value::as_bool)
            == Some(true);
        direct || referenced
    }
}

/// Merges one `allOf` part into `into`: properties and `required` add up, other keywords the
/// schema already has stay.
fn merge_schema(into: &mut Map<String, Value>, part: Value) {
    let Value::Object(part) = part else { return };
    for (key, value) in part {
        match (key.as_str(), into.get_mut(&key), value) {
            ("properties", Some(Value::Object(existing)), Value::Object(more)) => {
                for (name, schema) in more {
                    match existing.get_mut(&name) {
                        Some(Value::Object(current)) => merge_schema(current, schema),
                        _ => {
                            existing.insert(name, schema);
                        }
                    }
                }
            }
            ("required", Some(Value::Array(existing)), Value::Array(more)) => {
                for name in more {
                    if !existing.contains(&name) {
                        existing.push(name);
                    }
                }
            }
            (_, Some(_), _) => {}
            (_, None, value) => {
                into.insert(key, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn import(text: &str) -> Imported {
        import_openapi(text, &ImportOptions::default()).unwrap()
    }

    #[test]
    fn snake_case_names() {
        assert_eq!(snake_case("listPets"), "list_pets");
        assert_eq!(snake_case("getHTTPServer"), "get_http_server");
        assert_eq!(snake_case("pets.list-all"), "pets_list_all");
        assert_eq!(snake_case("  Pet Store API v2 "), "pet_store_api_v2");
        assert_eq!(snake_case("get /pets/petId"), "get_pets_pet_id");
        assert_eq!(snake_case("ÄÖ__"), "");
    }

    #[test]
    fn path_filters_are_prefixes_on_segments_or_globs() {
        assert!(path_matches("/pets", "/pets"));
        assert!(path_matches("/pets/", "/pets/{id}"));
        assert!(!path_matches("/pets", "/petstore"));
        assert!(path_matches("/pets/*/photos", "/pets/{id}/photos"));
        assert!(!path_matches("/pets/*/photos", "/pets/{id}"));
        assert!(path_matches("*", "/anything"));
        assert!(!glob_matches(b"a*a*a*a*a*b", "a".repeat(200).as_bytes()));
    }

    #[test]
    fn limits_name_what_was_exceeded() {
        let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
        let err = import_openapi(&format!("{{\"openapi\": \"3.0.0\", \"x\": {deep}}}"), &ImportOptions::default())
            .unwrap_err();
        assert!(err.message().contains("limit") && err.message().contains("64"), "{}", err.message());
        let big = " ".repeat(MAX_DESCRIPTION_BYTES + 1);
        let err = import_openapi(&big, &ImportOptions::default()).unwrap_err();
        assert!(err.message().contains("bytes"), "{}", err.message());
        let err = import_openapi("{\"openapi\": \"4.0\"}", &ImportOptions::default()).unwrap_err();
        assert!(err.message().contains("4.0"), "{}", err.message());
    }

    #[test]
    fn cycles_are_cut_and_external_refs_skip_the_operation() {
        let text = r##"{
          "openapi": "3.0.3", "info": {"title": "Tree"}, "servers": [{"url": "https://t.example"}],
          "paths": {
            "/nodes": {"post": {"operationId": "createNode", "requestBody": {"required": true,
              "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Node"}}}}}},
            "/ext": {"get": {"operationId": "ext", "parameters": [{"$ref": "other.yaml#/p"}]}}
          },
          "components": {"schemas": {"Node": {"type": "object", "required": ["name"], "properties": {
            "name": {"type": "string"}, "id": {"type": "string", "readOnly": true},
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}}}}}
        }"##;
        let imported = import(text);
        let tool = &imported.connector["tools"][0];
        assert_eq!(tool["name"], "tree_create_node");
        let children = &tool["input_schema"]["properties"]["children"];
        assert_eq!(children["items"]["type"], "object");
        assert!(children["items"]["description"].as_str().unwrap().contains("recursive"), "{children}");
        assert!(tool["input_schema"]["properties"].get("id").is_none(), "read-only properties are not input");
        assert_eq!(tool["input_schema"]["required"], json!(["name"]));
        assert!(imported.notes.iter().any(|n| n.contains("cycle")), "{:?}", imported.notes);
        assert_eq!(imported.skipped.len(), 1);
        assert!(imported.skipped[0].reason.contains("external reference"), "{:?}", imported.skipped);
    }

    /// `oneOf` comes out as `anyOf` (every format we serve carries it), and an operation whose
    /// description contradicts itself — GitHub's `POST /orgs/{org}/campaigns` requires, in one
    /// alternative, a property it does not have — is skipped with the connector check's reason while
    /// the others import.
    #[test]
    fn one_of_becomes_any_of_and_a_self_contradicting_operation_is_skipped() {
        let text = r##"{
          "openapi": "3.1.0", "info": {"title": "Camp"}, "servers": [{"url": "https://c.example"}],
          "paths": {
            "/deployments/{id}": {"get": {"operationId": "getDeployment", "parameters": [{"name": "id", "in": "path",
              "required": true, "schema": {"oneOf": [{"type": "integer"}, {"type": "string"}]}}]}},
            "/campaigns": {"post": {"operationId": "createCampaign", "requestBody": {"required": true, "content": {
              "application/json": {"schema": {"type": "object", "additionalProperties": false,
                "properties": {"name": {"type": "string"}, "code_alerts": {"type": "array"}},
                "oneOf": [{"required": ["code_alerts"]}, {"required": ["secret_alerts"]}]}}}}}}
          }
        }"##;
        let imported = import(text);
        let tools = imported.connector["tools"].as_array().unwrap();
        assert_eq!(tools.len(), 1, "{tools:?}");
        let id = &tools[0]["input_schema"]["properties"]["id"];
        assert!(id.get("oneOf").is_none() && id["anyOf"].as_array().is_some_and(|a| a.len() == 2), "{id}");
        assert_eq!(imported.skipped.len(), 1, "{:?}", imported.skipped);
        assert_eq!(imported.skipped[0].operation, "POST /campaigns");
        assert!(
            imported.skipped[0].reason.contains("\"secret_alerts\" is not one of the properties"),
            "{:?}",
            imported.skipped
        );
    }

    #[test]
    fn security_schemes_map_to_connector_auth() {
        let with_schemes = |schemes: Value, dialect: &str| {
            let mut doc = json!({"info": {"title": "GitHub's Official API"}, "paths": {}});
            if dialect == "2.0" {
                doc["swagger"] = json!("2.0");
                doc["securityDefinitions"] = schemes;
            } else {
                doc["openapi"] = json!(dialect);
                doc["components"] = json!({"securitySchemes": schemes});
            }
            import(&doc.to_string())
        };
        let cookie = with_schemes(json!({"c": {"type": "apiKey", "in": "cookie", "name": "sid"}}), "3.0.0");
        assert_eq!(cookie.connector["auth"], json!({"type": "API_KEY", "header": "Cookie", "prefix": "sid="}));
        assert_eq!(cookie.connector["slug"], "githubs_official_api");
        // A key in the query stays in the query; the operation's own copy of that parameter is
        // not a tool input.
        let mut doc = json!({"openapi": "3.0.0", "info": {"title": "Weather"}, "servers": [{"url": "https://w.example.com"}],
            "components": {"securitySchemes": {"k": {"type": "apiKey", "in": "query", "name": "appid"}}},
            "paths": {"/weather": {"get": {"operationId": "current", "parameters": [
                {"name": "appid", "in": "query", "required": true, "schema": {"type": "string"}},
                {"name": "q", "in": "query", "schema": {"type": "string"}}]}}}});
        let query = import(&doc.to_string());
        assert_eq!(query.connector["auth"], json!({"type": "API_KEY", "query_param": "appid", "prefix": ""}));
        let tool = &query.connector["tools"][0];
        assert_eq!(tool["request"]["query"], json!({"q": "{{q}}"}), "{tool}");
        assert!(tool["input_schema"]["properties"].get("appid").is_none(), "{tool}");
        assert!(query.notes.iter().any(|n| n.contains("carries the API key")), "{:?}", query.notes);
        let mut catalog = crate::catalog::connectors::Catalog::default();
        catalog.add_file("weather.json", &query.file_text()).expect("the imported connector loads");
        doc["components"]["securitySchemes"]["k"]["in"] = json!("header");
        assert_eq!(import(&doc.to_string()).connector["auth"]["header"], "appid");
        let swagger_oauth = with_schemes(
            json!({"o": {"type": "oauth2", "flow": "accessCode", "authorizationUrl": "https://a.test/auth",
                         "tokenUrl": "https://a.test/token", "scopes": {"read": "", "write": ""}}}),
            "2.0",
        );
        assert_eq!(swagger_oauth.connector["auth"]["type"], "OAUTH");
        assert_eq!(swagger_oauth.connector["auth"]["scopes"], json!(["read", "write"]));
        let unusable = with_schemes(
            json!({"oidc": {"type": "openIdConnect", "openIdConnectUrl": "https://a.test/.well-known"},
                   "m2m": {"type": "oauth2", "flows": {"clientCredentials": {"tokenUrl": "https://a.test/t"}}}}),
            "3.1.0",
        );
        assert_eq!(unusable.connector["auth"]["type"], "BEARER_TOKEN");
        let note = unusable.notes.iter().find(|n| n.contains("no security scheme")).unwrap();
        assert!(note.contains("OpenID Connect") && note.contains("authorization-code"), "{note}");
    }

    #[test]
    fn schemas_that_grow_exponentially_skip_the_operation() {
        // Each level refers to the next four times: 4^12 nodes once inlined.
        let mut schemas = Map::new();
        for level in 0..12 {
            let next = json!({"$ref": format!("#/components/schemas/L{}", level + 1)});
            schemas.insert(
                format!("L{level}"),
                json!({"type": "object", "properties": {"a": next, "b": next, "c": next, "d": next}}),
            );
        }
        schemas.insert("L12".into(), json!({"type": "string"}));
        let doc = json!({"openapi": "3.0.0", "info": {"title": "Wide"}, "paths": {"/x": {"post": {
            "operationId": "x", "requestBody": {"content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/L0"}}}}}}},
            "components": {"schemas": schemas}});
        let imported = import(&doc.to_string());
        assert_eq!(imported.tool_count(), 0);
        assert!(imported.skipped[0].reason.contains("20000 nodes"), "{:?}", imported.skipped);
    }

    #[test]
    fn file_text_keeps_the_hand_written_field_order() {
        let doc = json!({"openapi": "3.0.0", "info": {"title": "Order"}, "servers": [{"url": "https://o.test"}],
            "paths": {"/a": {"get": {"operationId": "a"}}}});
        let imported = import(&doc.to_string());
        let text = imported.file_text();
        let at = |needle: &str| text.find(needle).unwrap();
        assert!(at("\"slug\"") < at("\"display_name\"") && at("\"base_url\"") < at("\"tools\""), "{text}");
        assert!(at("\"name\": \"order_a\"") < at("\"request\"") && at("\"method\"") < at("\"path\""), "{text}");
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), imported.connector);
    }

    fn tool<'a>(imported: &'a Imported, name: &str) -> &'a Value {
        let tools = imported.connector["tools"].as_array().unwrap();
        tools.iter().find(|t| t["name"] == name).unwrap_or_else(|| panic!("{name} in {tools:?}"))
    }

    fn skip_reason<'a>(imported: &'a Imported, operation: &str) -> &'a str {
        let skipped = imported.skipped.iter().find(|s| s.operation == operation);
        skipped.map(|s| s.reason.as_str()).unwrap_or_else(|| panic!("{operation} not skipped: {:?}", imported.skipped))
    }

    /// A body only sent as `application/x-www-form-urlencoded` imports as a form: each property an
    /// input (renamed on a clash), arrays as the `encoding` says; JSON is preferred when offered;
    /// objects, free-form bodies and multipart are skipped (or, optional, left out with a note).
    #[test]
    fn form_bodies_import_with_body_encoding_form() {
        let form = |schema: Value| json!({"application/x-www-form-urlencoded": {"schema": schema}});
        let fields = json!({"type": "object", "required": ["grant_type", "id"], "properties": {
            "grant_type": {"type": "string"}, "id": {"type": "string"}, "remember": {"type": "boolean"},
            "tag": {"type": "array", "items": {"type": "string"}},
            "scope": {"type": "array", "items": {"type": "string"}}, "item": {"type": "integer"}}});
        let mut token_body = form(fields.clone());
        token_body["application/x-www-form-urlencoded"]["encoding"] = json!({"scope": {"explode": false}});
        let doc = json!({"openapi": "3.0.3", "info": {"title": "Forms"}, "servers": [{"url": "https://f.test"}],
        "paths": {
          "/things/{id}/token": {"post": {"operationId": "token", "parameters": [{"name": "id", "in": "path",
            "required": true, "schema": {"type": "string"}}],
            "requestBody": {"required": true, "content": token_body}}},
          "/both": {"post": {"operationId": "both", "requestBody": {"required": true, "content": {
            "application/x-www-form-urlencoded": {"schema": fields},
            "application/json": {"schema": {"type": "object", "properties": {"n": {"type": "integer"}}}}}}}},
          "/meta": {"post": {"operationId": "meta", "requestBody": {"required": true, "content": form(json!(
            {"type": "object", "properties": {"name": {"type": "string"}, "metadata": {"type": "object"}}}))}}},
          "/optional": {"post": {"operationId": "optional", "requestBody": {"content": form(json!(
            {"type": "object", "properties": {"rows": {"type": "array", "items": {"type": "object"}}}}))}}},
          "/free": {"post": {"operationId": "free", "requestBody": {"required": true, "content": form(json!(
            {"type": "object", "additionalProperties": {"type": "string"}}))}}},
          "/upload": {"post": {"operationId": "upload", "requestBody": {"required": true, "content": {
            "multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "string",
              "format": "binary"}}}}}}}}
        }});
        let imported = import(&doc.to_string());
        let token = tool(&imported, "forms_token");
        assert_eq!(token["request"]["body_encoding"], "form");
        assert_eq!(
            token["request"]["body"],
            json!({"grant_type": "{{grant_type}}", "id": "{{id_form}}", "remember": "{{remember}}",
                   "tag": "{{tag}}", "scope": {"$join": "{{scope}}", "separator": ","}, "item": "{{item_value}}"})
        );
        let properties = token["input_schema"]["properties"].as_object().unwrap();
        let names: BTreeSet<&str> = properties.keys().map(String::as_str).collect();
        assert_eq!(names, BTreeSet::from(["id", "id_form", "grant_type", "remember", "tag", "scope", "item_value"]));
        assert_eq!(token["input_schema"]["required"], json!(["id", "grant_type", "id_form"]));
        let both = tool(&imported, "forms_both");
        assert_eq!((both["request"].get("body_encoding"), &both["request"]["body"]), (None, &json!({"n": "{{n}}"})));
        assert!(skip_reason(&imported, "POST /meta").contains("form field \"metadata\" holds an object"));
        let optional = tool(&imported, "forms_optional");
        assert_eq!((optional["request"].get("body"), optional["request"].get("body_encoding")), (None, None));
        assert!(
            imported.notes.iter().any(|n| n.contains("optional form body is left out") && n.contains("\"rows\"")),
            "{:?}",
            imported.notes
        );
        assert!(skip_reason(&imported, "POST /free").contains("not an object of declared properties"));
        let upload = skip_reason(&imported, "POST /upload");
        assert!(upload.contains("multipart/form-data") && upload.contains("form-encoded"), "{upload}");
        // The file people read carries the encoding, and loads.
        let text = imported.file_text();
        assert!(text.contains(r#""body_encoding": "form""#), "{text}");
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), imported.connector);
        super::super::connectors::Catalog::default().add_file("forms.json", &text).unwrap();
    }

    /// Swagger 2.0 `formData` parameters are a form body (arrays by `collectionFormat`: `csv` joined,
    /// `multi` repeated); a file, or an operation that only consumes multipart, is skipped.
    #[test]
    fn swagger_form_data_imports_as_a_form_body() {
        let doc = json!({"swagger": "2.0", "info": {"title": "Old"}, "host": "o.test", "consumes": ["application/json"],
        "paths": {
          "/search": {"post": {"operationId": "search", "consumes": ["application/x-www-form-urlencoded"],
            "parameters": [
              {"name": "q", "in": "formData", "type": "string", "required": true, "description": "Words."},
              {"name": "ids", "in": "formData", "type": "array", "items": {"type": "integer"}},
              {"name": "tag", "in": "formData", "type": "array", "items": {"type": "string"},
               "collectionFormat": "multi"},
              {"name": "exact", "in": "formData", "type": "boolean"}]}},
          "/plain": {"post": {"operationId": "plain", "consumes": [],
            "parameters": [{"name": "q", "in": "formData", "type": "string"}]}},
          "/inherited": {"post": {"operationId": "inherited",
            "parameters": [{"name": "q", "in": "formData", "type": "string"}]}},
          "/login": {"post": {"operationId": "login", "consumes": ["application/x-www-form-urlencoded"],
            "parameters": [{"name": "creds", "in": "body", "required": true, "schema": {"type": "object",
              "required": ["user"], "properties": {"user": {"type": "string"}, "roles": {"type": "array",
              "items": {"type": "string"}}}}}]}},
          "/image": {"post": {"operationId": "image", "consumes": ["multipart/form-data"],
            "parameters": [{"name": "image", "in": "formData", "type": "file"}]}},
          "/note": {"post": {"operationId": "note", "consumes": ["multipart/form-data"],
            "parameters": [{"name": "text", "in": "formData", "type": "string"}]}}
        }});
        let imported = import(&doc.to_string());
        let search = tool(&imported, "old_search");
        assert_eq!(search["request"]["body_encoding"], "form");
        assert_eq!(
            search["request"]["body"],
            json!({"q": "{{q}}", "ids": {"$join": "{{ids}}", "separator": ","}, "tag": "{{tag}}", "exact": "{{exact}}"})
        );
        assert_eq!(search["input_schema"]["required"], json!(["q"]));
        assert_eq!(search["input_schema"]["properties"]["q"], json!({"type": "string", "description": "Words."}));
        assert_eq!(search["input_schema"]["properties"]["exact"], json!({"type": "boolean"}));
        assert_eq!(tool(&imported, "old_plain")["request"]["body_encoding"], "form");
        // formData under the description's JSON `consumes`: still a form, noted.
        assert_eq!(tool(&imported, "old_inherited")["request"]["body_encoding"], "form");
        assert!(imported.notes.iter().any(|n| n.contains("paths./inherited.post: formData parameters")));
        // A body parameter that is only sent as a form: its properties are the fields.
        let login = tool(&imported, "old_login");
        assert_eq!(login["request"]["body_encoding"], "form");
        assert_eq!(login["request"]["body"], json!({"user": "{{user}}", "roles": "{{roles}}"}));
        assert_eq!(login["input_schema"]["required"], json!(["user"]));
        let image = skip_reason(&imported, "POST /image");
        assert!(image.contains("file parameter \"image\"") && image.contains("multipart"), "{image}");
        assert!(skip_reason(&imported, "POST /note").contains("sent as multipart/form-data"));
    }

    #[test]
    fn yaml_alias_bombs_are_refused() {
        let mut text = String::from("openapi: 3.0.0\na: &a [x, x, x, x, x, x, x, x, x]\n");
        for (i, name) in ["b", "c", "d", "e", "f", "g", "h", "i"].iter().enumerate() {
            let previous = ["a", "b", "c", "d", "e", "f", "g", "h"][i];
            text.push_str(&format!("{name}: &{name} [{}]\n", vec![format!("*{previous}"); 9].join(", ")));
        }
        let err = import_openapi(&text, &ImportOptions::default()).unwrap_err();
        assert!(err.message().contains("YAML"), "{}", err.message());
    }

    #[test]
    fn all_of_merges_and_names_are_unique_and_bounded() {
        let long = "a".repeat(80);
        let text = format!(
            r##"{{
          "swagger": "2.0", "info": {{"title": "X"}}, "host": "x.example", "basePath": "/v1",
          "paths": {{
            "/a": {{"get": {{"operationId": "{long}"}}, "put": {{"operationId": "{long}"}},
                    "post": {{"parameters": [{{"in": "body", "name": "b", "schema": {{"allOf": [
                      {{"$ref": "#/definitions/Base"}}, {{"properties": {{"extra": {{"type": "integer", "minimum": 1}}}}}}]}}}}]}}}}
          }},
          "definitions": {{"Base": {{"type": "object", "required": ["name"], "properties": {{"name": {{"type": "string"}}}}}}}}
        }}"##
        );
        let imported = import(&text);
        let names: Vec<&str> =
            imported.connector["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
        assert_eq!(names.len(), 3);
        assert!(names.iter().all(|n| n.len() <= MAX_TOOL_NAME && n.chars().all(is_name_char)), "{names:?}");
        assert_ne!(names[0], names[1]);
        assert!(names[1].ends_with("_2"), "{names:?}");
        assert_eq!(names[2], "x_post_a");
        let post = &imported.connector["tools"][2];
        assert_eq!(post["input_schema"]["properties"]["extra"]["minimum"], 1);
        assert_eq!(post["request"]["body"], json!({"name": "{{name}}", "extra": "{{extra}}"}));
        assert_eq!(imported.connector["base_url"], "https://x.example/v1");
    }
}
