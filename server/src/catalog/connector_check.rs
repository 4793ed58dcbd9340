//! Loading connectors, and everything wrong with one found at once: `agentkit connectors check`
//! prints every finding of every file, and loading refuses a connector with any error (its message
//! lists them all), so a mistake is never found one fix-and-rerun at a time.
//!
//! Errors are mistakes the gateway would act on wrongly (a placeholder that names no input sends
//! `POST /tasks//close`; a `required` name that is no property makes every call fail). Warnings are
//! things that still work but that some tool format we serve cannot carry.

use serde_json::Value;

use agentkit_core::{Error, Result};

use agentkit_core::model::ConnectorType;

use super::connectors::{BodyEncoding, Catalog, ConnectorDef, RequestDef, ToolDef, BUILT_IN, MCP_REFRESH_SECS};
use super::input_schema::InputValidator;

/// The annotations a tool may declare (MCP's tool annotations, in our files' snake_case).
pub const ANNOTATION_KEYS: &[&str] =
    &["title", "read_only_hint", "destructive_hint", "idempotent_hint", "open_world_hint"];

/// Longest tool name: the limit of OpenAI's and Gemini's function names.
pub const MAX_TOOL_NAME_LEN: usize = 64;

/// Schema keywords every format we serve (OpenAI strict, Anthropic, Gemini, JSON Schema) either
/// carries or may drop without changing what a model is asked for (a constraint the gateway checks
/// anyway). Outside this list (`oneOf`, `allOf`, `$ref`, `if`, …) at least one format refuses the
/// schema or shows the model a different one.
const PORTABLE_KEYWORDS: &[&str] = &[
    "type",
    "properties",
    "required",
    "items",
    "enum",
    "const",
    "description",
    "title",
    "default",
    "format",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "uniqueItems",
    "additionalProperties",
    "anyOf",
    "nullable",
    "examples",
    "minProperties",
    "maxProperties",
    "deprecated",
    "readOnly",
    "writeOnly",
    "contentEncoding",
    "contentMediaType",
    "$comment",
    "$schema",
];

/// What a check found.
#[derive(Debug, Default)]
pub struct Findings {
    /// `(field kind, message)`; the message names where (`tools[2] ("acme_close").request.path`).
    pub errors: Vec<(&'static str, String)>,
    pub warnings: Vec<String>,
    /// Each tool's input schema compiled, in order (complete only when there is no error).
    pub validators: Vec<InputValidator>,
}

/// A connector file parsed (not yet checked against a catalog): a syntax or shape error names the
/// file, line, column and field path.
pub fn parse_connector_file(file: &str, text: &str) -> Result<ConnectorDef> {
    let mut de = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        Error::invalid_field("connector", format!("{file}:{}:{}: {path}: {inner}", inner.line(), inner.column()))
    })
}

impl Catalog {
    /// The connectors compiled into the binary.
    pub fn built_in() -> Result<Catalog> {
        let mut catalog = Catalog::default();
        for (file, text) in BUILT_IN {
            catalog.add_file(file, text)?;
        }
        Ok(catalog)
    }

    /// Parses and adds one connector file; errors name the file, line, column and field path
    /// (`tools[2].request: missing field `method``), then every mistake `findings` sees.
    pub fn add_file(&mut self, file: &str, text: &str) -> Result<()> {
        let def = parse_connector_file(file, text)?;
        self.add_connector(file, def)
    }

    /// Checks and adds one parsed connector; `source` (a file name, a custom provider) prefixes
    /// errors, and warnings go to the log.
    pub fn add_connector(&mut self, source: &str, def: ConnectorDef) -> Result<()> {
        let found = self.findings(&def);
        for warning in &found.warnings {
            tracing::warn!(source, "connector: {warning}");
        }
        self.add_found(source, def, found)
    }

    /// Adds a connector `findings` checked; refused, naming every error, when there is one.
    fn add_found(&mut self, source: &str, def: ConnectorDef, found: Findings) -> Result<()> {
        if let Some((field, _)) = found.errors.first() {
            let all: Vec<&str> = found.errors.iter().map(|(_, message)| message.as_str()).collect();
            return Err(Error::invalid_field(*field, format!("{source}: {}", all.join("; "))));
        }
        self.add_checked(def, found.validators);
        Ok(())
    }

    /// Adds every `*.json` connector file of `dir`, in name order.
    pub fn add_dir(&mut self, dir: &std::path::Path) -> Result<()> {
        let read_error =
            |e: std::io::Error| Error::invalid_field("connectors_dir", format!("cannot read {}: {e}", dir.display()));
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .map_err(read_error)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        for path in files {
            let text = std::fs::read_to_string(&path).map_err(read_error)?;
            self.add_file(&path.display().to_string(), &text)?;
        }
        Ok(())
    }

    /// Every error and warning of `def` as a member of this catalog.
    pub fn findings(&self, def: &ConnectorDef) -> Findings {
        let mut found = Findings::default();
        let errors = &mut found.errors;
        if def.slug.is_empty() || !def.slug.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
            errors.push(("slug", format!("slug {:?} must be lowercase letters, digits and _", def.slug)));
        }
        if self.connector(&def.slug).is_some() {
            errors.push(("slug", format!("connector {:?} is defined twice", def.slug)));
        }
        if let Err(msg) = def.limits.check() {
            errors.push(("limits.timeout_secs", msg));
        }
        if !def.base_url.is_empty() {
            check_url("base_url", &def.base_url, errors);
        } else if def.tools.iter().any(|t| t.request.is_some()) {
            errors.push(("base_url", "base_url is required: HTTP tools send their requests under it".into()));
        }
        for (field, url) in [
            ("auth.authorize_url", &def.auth.authorize_url),
            ("auth.token_url", &def.auth.token_url),
            ("auth.revoke_url", &def.auth.revoke_url),
        ] {
            if !url.is_empty() {
                check_url(field, url, errors);
            }
        }
        check_query_param(def, errors);
        if let Some(mcp) = &def.mcp {
            check_mcp(def, mcp, errors);
        }
        check_key_pair(def, errors);
        check_sql_engine(def, errors);
        check_triggers(def, errors);
        for (i, tool) in def.tools.iter().enumerate() {
            let at = format!("tools[{i}] ({:?})", tool.name);
            if self.tool(&tool.name).is_some() || def.tools[..i].iter().any(|t| t.name == tool.name) {
                errors.push(("name", format!("{at}: tool {:?} is defined twice", tool.name)));
            }
            check_tool(&at, tool, errors, &mut found.warnings, &mut found.validators);
        }
        found
    }
}

/// The errors `findings` reports for one tool on its own (all but its uniqueness): what the
/// OpenAPI importer checks each tool it makes against, to skip that operation with the reason
/// rather than refuse the whole connector.
pub fn tool_errors(tool: &Value) -> Vec<String> {
    let def: ToolDef = match serde_json::from_value(tool.clone()) {
        Ok(def) => def,
        Err(e) => return vec![format!("not a tool of our format: {e}")],
    };
    let (mut errors, mut warnings, mut validators) = (Vec::new(), Vec::new(), Vec::new());
    check_tool(&format!("tool {:?}", def.name), &def, &mut errors, &mut warnings, &mut validators);
    errors.into_iter().map(|(_, message)| message).collect()
}

/// Everything about one tool but whether its name is taken.
fn check_tool(
    at: &str,
    tool: &ToolDef,
    errors: &mut Vec<(&'static str, String)>,
    warnings: &mut Vec<String>,
    validators: &mut Vec<InputValidator>,
) {
    let shaped = !tool.name.is_empty()
        && tool.name.len() <= MAX_TOOL_NAME_LEN
        && tool.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !shaped {
        errors
            .push(("name", format!("{at}.name must be 1 to {MAX_TOOL_NAME_LEN} characters of a-z, A-Z, 0-9, _ and -")));
    }
    if tool.request.is_some() == tool.sql.is_some() {
        errors.push(("request", format!("{at}: give exactly one of \"request\" (HTTP) and \"sql\"")));
    }
    check_tool_schema(at, tool, errors, warnings, validators);
    check_annotations(at, tool, errors);
    check_placeholders(at, tool, errors);
    if let Some(request) = &tool.request {
        check_form_body(&format!("{at}.request"), request, errors);
    }
    if let Some(expand) = &tool.expand {
        check_form_body(&format!("{at}.expand.request"), &expand.request, errors);
        if let Some(gather) = expand.gather.as_ref().filter(|g| !g.starts_with('/')) {
            errors
                .push(("expand.gather", format!("{at}: expand.gather {gather:?} is not a JSON pointer (/field/*/…)")));
        }
    }
}

/// A form body is an object whose keys are the form's fields and whose values render to text,
/// numbers, booleans or lists of those: anything else fails every call (or sends nothing).
fn check_form_body(at: &str, request: &RequestDef, errors: &mut Vec<(&'static str, String)>) {
    if request.body_encoding != BodyEncoding::Form {
        return;
    }
    let is_operator = |fields: &serde_json::Map<String, Value>| fields.keys().any(|k| k.starts_with('$'));
    let Some(Value::Object(fields)) = request.body.as_ref().filter(|b| b.as_object().is_none_or(|f| !is_operator(f)))
    else {
        return errors.push((
            "request",
            format!(
                "{at}.body: body_encoding \"form\" needs a body that is an object of form fields \
                 ({{\"name\": \"{{{{name}}}}\"}}), not a placeholder, an operator or nothing"
            ),
        ));
    };
    for (key, value) in fields {
        let nested = match value {
            Value::Object(inner) => !is_operator(inner),
            Value::Array(items) => items.iter().any(|i| i.is_array() || i.as_object().is_some_and(|o| !is_operator(o))),
            _ => false,
        };
        if nested {
            errors.push((
                "request",
                format!(
                    "{at}.body.{key}: a form field holds text, a number, a boolean or a list of those, not an object"
                ),
            ));
        }
    }
}

/// A credential carried in the query (`auth.query_param`): a plain parameter name, for a key or
/// token (basic credentials and MCP servers take headers only), that no tool's own query also
/// sets (the provider would read two values).
fn check_query_param(def: &ConnectorDef, errors: &mut Vec<(&'static str, String)>) {
    let name = &def.auth.query_param;
    if name.is_empty() {
        return;
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
        errors.push(("auth.query_param", format!("auth.query_param {name:?} must be letters, digits, -, _ or .")));
    }
    if matches!(def.auth.auth_type, ConnectorType::BasicAuth | ConnectorType::NoAuth) || def.mcp.is_some() {
        errors.push((
            "auth.query_param",
            format!(
                "auth.query_param is for API keys and tokens of HTTP tools; auth.type {} {}sends its credential in a header",
                def.auth.auth_type.as_str(),
                if def.mcp.is_some() { "on a remote MCP server " } else { "" }
            ),
        ));
    }
    for tool in &def.tools {
        let sets_it =
            tool.request.iter().chain(tool.expand.iter().map(|e| &e.request)).any(|r| r.query.contains_key(name));
        if sets_it {
            errors.push((
                "auth.query_param",
                format!("tool {:?} sets the query parameter {name:?} that carries the credential", tool.name),
            ));
        }
    }
}

/// A remote MCP connector: a URL credentials may go to, a sane refresh period, static or OAuth
/// credentials, and no declared tools (they are discovered).
fn check_mcp(def: &ConnectorDef, mcp: &super::connectors::McpDef, errors: &mut Vec<(&'static str, String)>) {
    check_url("mcp.url", &mcp.url, errors);
    if !MCP_REFRESH_SECS.contains(&mcp.refresh_secs) {
        errors.push((
            "mcp.refresh_secs",
            format!("mcp.refresh_secs must be {} to {} seconds", MCP_REFRESH_SECS.start(), MCP_REFRESH_SECS.end()),
        ));
    }
    if !matches!(
        def.auth.auth_type,
        ConnectorType::BearerToken | ConnectorType::ApiKey | ConnectorType::NoAuth | ConnectorType::Oauth
    ) {
        errors.push((
            "auth.type",
            format!(
                "auth.type {} is not supported for a remote MCP server: use OAUTH, BEARER_TOKEN, API_KEY or NO_AUTH",
                def.auth.auth_type.as_str()
            ),
        ));
    }
    if def.auth.auth_type == ConnectorType::Oauth && def.auth.authorize_url.is_empty() != def.auth.token_url.is_empty()
    {
        errors.push((
            "auth.token_url",
            "a remote MCP server's OAuth names both auth.authorize_url and auth.token_url, or neither (the gateway \
             then discovers them from the server)"
                .into(),
        ));
    }
    if !def.tools.is_empty() {
        errors.push(("tools", "a remote MCP connector declares no tools: they are discovered with tools/list".into()));
    }
    if !def.base_url.is_empty() {
        errors.push(("base_url", "a remote MCP connector has no base_url: its server is mcp.url".into()));
    }
}

/// Key-pair authentication: `KEY_PAIR` names its claims, which only `KEY_PAIR` and `OAUTH`
/// connectors (an account brings a grant or a key) may do; tokens live at most an hour.
fn check_key_pair(def: &ConnectorDef, errors: &mut Vec<(&'static str, String)>) {
    let auth = &def.auth;
    match (&auth.key_pair, auth.auth_type) {
        (None, ConnectorType::KeyPair) => {
            errors.push(("auth.key_pair", "auth.type KEY_PAIR needs auth.key_pair (the JWT's claims)".into()))
        }
        (Some(_), ConnectorType::KeyPair | ConnectorType::Oauth) if def.mcp.is_some() => {
            errors.push(("auth.key_pair", "auth.key_pair is not supported for a remote MCP server".into()))
        }
        (Some(key_pair), ConnectorType::KeyPair | ConnectorType::Oauth) => {
            let lifetime = 1..=super::connectors::MAX_KEY_PAIR_LIFETIME_SECS;
            if !lifetime.contains(&key_pair.lifetime_secs) {
                errors.push((
                    "auth.key_pair.lifetime_secs",
                    format!("auth.key_pair.lifetime_secs must be 1 to {} seconds", lifetime.end()),
                ));
            }
            if key_pair.claims.is_empty() {
                errors.push(("auth.key_pair.claims", "auth.key_pair.claims names no claim".into()));
            }
            if key_pair.claims.keys().any(|c| c == "iat" || c == "exp") {
                errors.push((
                    "auth.key_pair.claims",
                    "auth.key_pair.claims may not set iat or exp: the gateway does".into(),
                ));
            }
        }
        (Some(_), other) => errors.push((
            "auth.key_pair",
            format!("auth.key_pair needs auth.type KEY_PAIR or OAUTH, not {}", other.as_str()),
        )),
        (None, _) => {}
    }
}

/// Snowflake's SQL API runs under the connector's base URL; only its statements take a
/// `context` (database, schema, warehouse, role).
fn check_sql_engine(def: &ConnectorDef, errors: &mut Vec<(&'static str, String)>) {
    let snowflake = def.sql_engine == super::connectors::SqlEngine::Snowflake;
    if snowflake && def.base_url.is_empty() {
        errors.push(("base_url", "base_url is required: Snowflake statements are sent under it".into()));
    }
    for (i, tool) in def.tools.iter().enumerate() {
        let Some(sql) = &tool.sql else { continue };
        for name in sql.context.keys() {
            if !snowflake || !super::runner_defs::SNOWFLAKE_CONTEXT_FIELDS.contains(&name.as_str()) {
                errors.push((
                    "sql.context",
                    format!(
                        "tools[{i}] ({:?}).sql.context.{name}: only Snowflake statements take a context, of database, schema, warehouse and role",
                        tool.name
                    ),
                ));
            }
        }
    }
}

/// A tool a remote MCP server lists, checked like a file's tool (its input schema compiles, is
/// an object, and requires only its properties; its annotations are known): the findings, with
/// the compiled schema when there is no error.
pub(crate) fn remote_tool_findings(at: &str, tool: &ToolDef) -> Findings {
    let mut found = Findings::default();
    check_tool_schema(at, tool, &mut found.errors, &mut found.warnings, &mut found.validators);
    check_annotations(at, tool, &mut found.errors);
    found
}

/// A URL the gateway sends credentials to: absolute, and https unless it is this machine's.
/// A URL starting with a placeholder (`{{api_config.instance_url}}`) is the account's, checked
/// when the account is made.
fn check_url(field: &'static str, url: &str, errors: &mut Vec<(&'static str, String)>) {
    if url.starts_with("{{") {
        return;
    }
    let parsed = match url::Url::parse(&url.replace("{{", "x").replace("}}", "x")) {
        Ok(parsed) => parsed,
        Err(e) => return errors.push((field, format!("{field} {url:?} is not an absolute URL ({e})"))),
    };
    // A host filled from the account (`https://{{api_config.domain}}/api`) is the account's, and
    // the egress policy checks where it points on every call.
    let templated_host =
        url.split("://").nth(1).is_some_and(|rest| rest.split('/').next().is_some_and(|host| host.contains("{{")));
    if templated_host {
        return;
    }
    match parsed.scheme() {
        _ if crate::egress::credential_safe(&parsed) => {}
        "http" => errors.push((
            field,
            format!("{field} {url:?} must use https (http only for this machine: localhost, 127.0.0.1)"),
        )),
        other => errors.push((field, format!("{field} {url:?}: scheme {other:?} is not https"))),
    }
}

fn check_tool_schema(
    at: &str,
    tool: &ToolDef,
    errors: &mut Vec<(&'static str, String)>,
    warnings: &mut Vec<String>,
    validators: &mut Vec<InputValidator>,
) {
    let schema = &tool.input_schema;
    if schema.get("type").and_then(Value::as_str) != Some("object") {
        errors.push(("input_schema", format!("{at}.input_schema.type must be \"object\"")));
    }
    match InputValidator::compile(schema) {
        Ok(validator) => validators.push(validator),
        Err(e) => errors.push(("input_schema", format!("{at}.input_schema is not a valid JSON Schema: {e}"))),
    }
    walk_schema(schema, &format!("{at}.input_schema"), None, errors, warnings);
}

/// `required` names that are no property (errors) and keywords some format drops (warnings), at
/// every depth. A branch of `anyOf`/`oneOf`/`allOf` may require the properties of the object it
/// belongs to (`outer`).
fn walk_schema(
    schema: &Value,
    at: &str,
    outer: Option<&serde_json::Map<String, Value>>,
    errors: &mut Vec<(&'static str, String)>,
    warnings: &mut Vec<String>,
) {
    let Some(object) = schema.as_object() else { return };
    for key in object.keys() {
        if !PORTABLE_KEYWORDS.contains(&key.as_str()) {
            warnings.push(format!(
                "{at}: keyword {key:?} is not carried by every tool format (OpenAI strict, Gemini); \
                 the gateway still checks it"
            ));
        }
    }
    let properties = object.get("properties").and_then(Value::as_object).or(outer);
    if let Some(required) = object.get("required").and_then(Value::as_array) {
        for name in required {
            let known = name.as_str().is_some_and(|n| properties.is_some_and(|p| p.contains_key(n)));
            if !known {
                errors.push(("input_schema", format!("{at}.required: {name} is not one of the properties")));
            }
        }
    }
    for (name, property) in object.get("properties").and_then(Value::as_object).into_iter().flatten() {
        walk_schema(property, &format!("{at}.properties.{name}"), None, errors, warnings);
    }
    if let Some(items) = object.get("items") {
        walk_schema(items, &format!("{at}.items"), None, errors, warnings);
    }
    if let Some(extra @ Value::Object(_)) = object.get("additionalProperties") {
        walk_schema(extra, &format!("{at}.additionalProperties"), None, errors, warnings);
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        for (i, branch) in object.get(key).and_then(Value::as_array).into_iter().flatten().enumerate() {
            walk_schema(branch, &format!("{at}.{key}[{i}]"), properties, errors, warnings);
        }
    }
}

fn check_annotations(at: &str, tool: &ToolDef, errors: &mut Vec<(&'static str, String)>) {
    let Some(annotations) = &tool.annotations else { return };
    let Some(annotations) = annotations.as_object() else {
        return errors.push(("annotations", format!("{at}.annotations must be an object")));
    };
    for (key, value) in annotations {
        if !ANNOTATION_KEYS.contains(&key.as_str()) {
            errors.push((
                "annotations",
                format!("{at}.annotations: unknown key {key:?} (known: {})", ANNOTATION_KEYS.join(", ")),
            ));
        } else if key == "title" && !value.is_string() {
            errors.push(("annotations", format!("{at}.annotations.title must be a string")));
        } else if key != "title" && !value.is_boolean() {
            errors.push(("annotations", format!("{at}.annotations.{key} must be true or false")));
        }
    }
}

/// Every `{{name}}` a tool's request or statement reads must be an input property (or, inside
/// `expand` and `$map`, the current `item`): a misspelled one is silently empty at run time.
fn check_placeholders(at: &str, tool: &ToolDef, errors: &mut Vec<(&'static str, String)>) {
    let properties = tool.input_schema.get("properties").and_then(Value::as_object);
    let mut places: Vec<(String, String)> = Vec::new();
    if let Some(request) = &tool.request {
        request_texts("request", request, &mut places);
    }
    if let Some(expand) = &tool.expand {
        request_texts("expand.request", &expand.request, &mut places);
    }
    if let Some(sql) = &tool.sql {
        places.push(("sql.statement".into(), sql.statement.clone()));
        if let Some(params) = &sql.params {
            value_texts("sql.params", params, &mut places);
        }
        for (name, value) in &sql.context {
            value_texts(&format!("sql.context.{name}"), value, &mut places);
        }
    }
    for (place, text) in places {
        let mut rest = text.as_str();
        while let Some(start) = rest.find("{{") {
            let Some(end) = rest[start..].find("}}") else {
                errors.push(("request", format!("{at}.{place}: \"{{{{\" without its \"}}}}\"")));
                break;
            };
            let name = rest[start + 2..start + end].trim();
            let is_item = name == "item" || name.starts_with("item.");
            if !is_item && !properties.is_some_and(|p| p.contains_key(name)) {
                errors.push(("request", format!("{at}.{place}: placeholder {{{{{name}}}}} names no input property")));
            }
            rest = &rest[start + end + 2..];
        }
    }
}

fn request_texts(place: &str, request: &RequestDef, out: &mut Vec<(String, String)>) {
    out.push((format!("{place}.path"), request.path.clone()));
    for (name, value) in &request.query {
        value_texts(&format!("{place}.query.{name}"), value, out);
    }
    for (name, value) in &request.headers {
        out.push((format!("{place}.headers.{name}"), value.clone()));
    }
    if let Some(body) = &request.body {
        value_texts(&format!("{place}.body"), body, out);
    }
}

/// Every string in a template value, keys of `$`-operators included, with where it sits.
fn value_texts(place: &str, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::String(s) => out.push((place.to_string(), s.clone())),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                value_texts(&format!("{place}[{i}]"), item, out);
            }
        }
        Value::Object(fields) => {
            for (key, field) in fields {
                value_texts(&format!("{place}.{key}"), field, out);
            }
        }
        _ => {}
    }
}

/// What `agentkit connectors check` found in a set of files.
#[derive(Debug, Default)]
pub struct CheckReport {
    /// One line per finding: `FILE: error: …` or `FILE: warning: …`.
    pub lines: Vec<String>,
    pub errors: usize,
    /// The catalog once every sound file is in (built-in connectors included).
    pub connectors: usize,
    pub tools: usize,
}

/// Checks connector files (a directory: its `*.json`, in name order) against the built-in catalog
/// and the sound files before them, reporting every finding of every file; a file with errors is
/// left out, so the next ones are still checked against the rest.
pub fn check_files(paths: &[std::path::PathBuf]) -> Result<CheckReport> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let read_error =
                |e: std::io::Error| Error::invalid_field("path", format!("cannot read {}: {e}", path.display()));
            let mut listed: Vec<_> = std::fs::read_dir(path)
                .map_err(read_error)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect();
            listed.sort();
            files.extend(listed);
        } else {
            files.push(path.clone());
        }
    }
    let mut catalog = Catalog::built_in()?;
    let mut report = CheckReport::default();
    for file in files {
        let name = file.display().to_string();
        let text = match std::fs::read_to_string(&file) {
            Ok(text) => text,
            Err(e) => {
                report.lines.push(format!("{name}: error: cannot read: {e}"));
                report.errors += 1;
                continue;
            }
        };
        let def = match parse_connector_file(&name, &text) {
            Ok(def) => def,
            Err(e) => {
                report.lines.push(format!("{name}: error: {}", e.message()));
                report.errors += 1;
                continue;
            }
        };
        let found = catalog.findings(&def);
        report.lines.extend(found.errors.iter().map(|(_, message)| format!("{name}: error: {message}")));
        report.lines.extend(found.warnings.iter().map(|warning| format!("{name}: warning: {warning}")));
        report.errors += found.errors.len();
        if found.errors.is_empty() {
            catalog.add_found(&name, def, found)?;
        }
    }
    report.connectors = catalog.connectors().count();
    report.tools = catalog.tools().count();
    Ok(report)
}

/// Every mistake in a connector's trigger declarations.
fn check_triggers(def: &ConnectorDef, errors: &mut Vec<(&'static str, String)>) {
    use super::triggers::{FLOOR_INTERVAL_SECS, MAX_INTERVAL_SECS};
    for (i, trigger) in def.triggers.iter().enumerate() {
        let at = format!("triggers[{i}] ({:?})", trigger.name);
        let prefix = format!("{}_", def.slug);
        let named = trigger.name.strip_prefix(&prefix).is_some_and(|rest| {
            !rest.is_empty() && rest.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        });
        if !named {
            errors.push(("triggers.name", format!("{at}: the name must be {prefix}<lowercase words>")));
        }
        if def.triggers[..i].iter().any(|t| t.name == trigger.name) {
            errors.push(("triggers.name", format!("{at}: trigger {:?} is defined twice", trigger.name)));
        }
        let (min, default) = (trigger.min_interval_seconds, trigger.default_interval_seconds);
        let polled = trigger.mode == agentkit_core::model::TriggerMode::Poll;
        if polled && (min < FLOOR_INTERVAL_SECS || default < min || default > MAX_INTERVAL_SECS) {
            errors.push((
                "triggers.min_interval_seconds",
                format!("{at}: intervals must satisfy {FLOOR_INTERVAL_SECS} <= min ({min}) <= default ({default}) <= {MAX_INTERVAL_SECS}"),
            ));
        }
        if !polled && (min, default) != (0, 0) {
            errors.push((
                "triggers.min_interval_seconds",
                format!("{at}: a WEBHOOK trigger is pushed, not polled: it declares no intervals"),
            ));
        }
        match (trigger.mode, &trigger.poll, &trigger.push) {
            (agentkit_core::model::TriggerMode::Poll, Some(poll), None) => {
                check_poll(def, poll, &at, "poll", errors);
                if let Some(relist) = &poll.relist {
                    check_poll(def, relist, &at, "poll.relist", errors);
                    if relist.cursor.is_some() || relist.relist.is_some() || relist.filter.is_some() {
                        errors.push((
                            "triggers.poll.relist",
                            format!("{at}: poll.relist is a newest-first list: no cursor, relist or filter of its own"),
                        ));
                    }
                }
                if poll.relist.is_some() && poll.cursor.as_ref().is_none_or(|c| c.start.is_none()) {
                    errors.push((
                        "triggers.poll.relist",
                        format!("{at}: poll.relist stands in for a cursor that has a start: give poll.cursor.start"),
                    ));
                }
                if let Some(filter) = &poll.filter {
                    check_poll(def, &filter.as_poll(), &at, "poll.filter", errors);
                    if !filter.since.starts_with('/') {
                        errors.push((
                            "triggers.poll.filter",
                            format!("{at}: poll.filter.since {:?} is not a JSON pointer (/field/…)", filter.since),
                        ));
                    }
                    if !trigger.config_fields.iter().any(|f| f.key == filter.when) {
                        errors.push((
                            "triggers.poll.filter",
                            format!("{at}: poll.filter.when {:?} is not one of the trigger's config fields", filter.when),
                        ));
                    }
                }
                if let Some(start) = poll.cursor.as_ref().and_then(|c| c.start.as_ref()) {
                    if !def.tools.iter().any(|t| t.name == start.tool) {
                        errors.push((
                            "triggers.poll.cursor",
                            format!("{at}: poll.cursor.start.tool {:?} is not a tool of this connector", start.tool),
                        ));
                    }
                    if !start.at.starts_with('/') {
                        errors.push((
                            "triggers.poll.cursor",
                            format!("{at}: poll.cursor.start.at {:?} is not a JSON pointer (/field/…)", start.at),
                        ));
                    }
                }
            }
            (agentkit_core::model::TriggerMode::Webhook, None, Some(push)) => check_push(def, trigger, push, &at, errors),
            (agentkit_core::model::TriggerMode::Poll, _, _) => errors.push((
                "triggers.poll",
                format!("{at}: a POLL trigger says how to poll (poll: tool, items, id) and nothing else"),
            )),
            (agentkit_core::model::TriggerMode::Webhook, _, _) => errors.push((
                "triggers.push",
                format!("{at}: a WEBHOOK trigger says how its pushes look (push: signature, event_type, events, delivery_id) and nothing else"),
            )),
        }
        for field in &trigger.config_fields {
            if field.key.is_empty() || !field.key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                errors.push((
                    "triggers.config_fields",
                    format!("{at}: config key {:?} must be letters, digits and _", field.key),
                ));
            }
        }
    }
}

/// One list a polled trigger reads (`poll`, `poll.relist`, `poll.filter`): a tool of the
/// connector, pointers where pointers go, continuations the tool takes as input.
fn check_poll(
    def: &ConnectorDef,
    poll: &super::triggers::PollDef,
    at: &str,
    name: &str,
    errors: &mut Vec<(&'static str, String)>,
) {
    for (field, pointer) in [("triggers.poll.items", &poll.items), ("triggers.poll.id", &poll.id)] {
        if !pointer.is_empty() && !pointer.starts_with('/') {
            errors.push((field, format!("{at}: {name}: {pointer:?} is not a JSON pointer (/field/…)")));
        }
    }
    if poll.id.is_empty() {
        errors.push(("triggers.poll.id", format!("{at}: {name}.id must name each item's id")));
    }
    let tool = def.tools.iter().find(|t| t.name == poll.tool);
    if tool.is_none() {
        errors
            .push(("triggers.poll.tool", format!("{at}: {name}.tool {:?} is not a tool of this connector", poll.tool)));
    }
    if !poll.version.is_empty() && !poll.version.starts_with('/') {
        errors.push((
            "triggers.poll.version",
            format!("{at}: {name}.version {:?} is not a JSON pointer (/field/…)", poll.version),
        ));
    }
    let takes = |key: &str| tool.is_none_or(|t| t.input_schema.pointer(&format!("/properties/{key}")).is_some());
    for (part, continuation) in [("cursor", &poll.cursor), ("page", &poll.page)] {
        let Some(continuation) = continuation else { continue };
        if !continuation.next.starts_with('/') {
            errors.push((
                "triggers.poll.cursor",
                format!("{at}: {name}.{part}.next {:?} is not a JSON pointer (/field/…)", continuation.next),
            ));
        }
        if !takes(&continuation.input) {
            errors.push((
                "triggers.poll.cursor",
                format!("{at}: the {name} tool {:?} takes no input {:?}", poll.tool, continuation.input),
            ));
        }
    }
}

/// A pushed trigger's declaration: one signature scheme per connector (its pushes arrive at one
/// ingress URL), locators that are header names or pointers, and match keys it takes as config.
fn check_push(
    def: &ConnectorDef,
    trigger: &super::triggers::TriggerDef,
    push: &super::triggers::PushDef,
    at: &str,
    errors: &mut Vec<(&'static str, String)>,
) {
    let first_scheme = def.triggers.iter().find_map(|t| t.push.as_ref()).map(|p| p.signature);
    if first_scheme.is_some_and(|scheme| scheme != push.signature) {
        errors.push((
            "triggers.push.signature",
            format!("{at}: every pushed trigger of a connector is signed alike (they share its ingress URL)"),
        ));
    }
    if push.events.is_empty() || push.events.iter().any(String::is_empty) {
        errors.push(("triggers.push.events", format!("{at}: push.events lists the provider's event types")));
    }
    let locator = &push.event_type;
    if locator.is_empty() || (!locator.starts_with('/') && axum::http::HeaderName::try_from(locator.as_str()).is_err())
    {
        errors.push((
            "triggers.push.event_type",
            format!("{at}: {locator:?} is neither a header name nor a JSON pointer"),
        ));
    }
    for (field, pointer) in [("triggers.push.item", &push.item), ("triggers.push.delivery_id", &push.delivery_id)] {
        if !pointer.is_empty() && !pointer.starts_with('/') {
            errors.push((field, format!("{at}: {pointer:?} is not a JSON pointer into the signed body (/field/…)")));
        }
    }
    for (key, pointer) in &push.match_config {
        if !trigger.config_fields.iter().any(|f| &f.key == key) {
            errors
                .push(("triggers.push.match_config", format!("{at}: match_config key {key:?} is not a config field")));
        }
        if !pointer.starts_with('/') {
            errors.push(("triggers.push.match_config", format!("{at}: {pointer:?} is not a JSON pointer (/field/…)")));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn form_tool(body: Value) -> Value {
        json!({"name": "acme_login", "description": "", "input_schema": {"type": "object", "properties": {
                   "user": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}}}},
               "request": {"method": "POST", "path": "/login", "body_encoding": "form", "body": body}})
    }

    #[test]
    fn a_form_body_must_be_an_object_of_fields() {
        assert_eq!(
            tool_errors(&form_tool(json!({"user": "{{user}}", "tag": "{{tags}}", "n": 1}))),
            Vec::<String>::new()
        );
        let joined = json!({"user": {"$if": "{{user}}", "then": "{{user}}"}, "tags": {"$join": "{{tags}}"}});
        assert_eq!(tool_errors(&form_tool(joined)), Vec::<String>::new(), "operators inside fields render to text");
        for (body, expected) in [
            (json!("{{user}}"), "request.body: body_encoding \"form\" needs a body that is an object"),
            (json!({"$merge": ["{{user}}"]}), "request.body: body_encoding \"form\" needs a body that is an object"),
            (Value::Null, "request.body: body_encoding \"form\" needs a body that is an object"),
            (json!({"user": {"name": "{{user}}"}}), "request.body.user: a form field holds text"),
            (json!({"tags": [["{{tags}}"]]}), "request.body.tags: a form field holds text"),
        ] {
            let errors = tool_errors(&form_tool(body.clone()));
            assert!(errors.iter().any(|e| e.contains(expected)), "{body}: {errors:?}");
        }
        // The same body sent as JSON is fine.
        let mut json_tool = form_tool(json!({"user": {"name": "{{user}}"}}));
        json_tool["request"]["body_encoding"] = json!("json");
        assert_eq!(tool_errors(&json_tool), Vec::<String>::new());
    }

    /// Every mistake of a connector's trigger declarations is named at once.
    #[test]
    fn trigger_declarations_are_checked_whole() {
        let trigger = |name: &str, min: u32, default: u32, poll: Value| {
            json!({"name": name, "display_name": "x", "description": "x", "min_interval_seconds": min,
                   "default_interval_seconds": default, "poll": poll})
        };
        let good_poll = json!({"tool": "acme_login", "items": "/items", "id": "/id"});
        let connector = json!({"slug": "acme", "display_name": "Acme", "base_url": "https://api.acme.test",
        "auth": {"type": "API_KEY", "header": "x-key"}, "tools": [form_tool(json!({"user": "{{user}}"}))],
        "triggers": [
            trigger("acme_new_item", 60, 300, good_poll.clone()),
            trigger("other_new_item", 60, 300, good_poll.clone()),
            trigger("acme_new_item", 60, 300, good_poll.clone()),
            trigger("acme_fast", 60, 10, good_poll),
            trigger("acme_bad_poll", 60, 300, json!({"tool": "acme_nope", "items": "items", "id": ""})),
            trigger("acme_changes", 60, 300, json!({"tool": "acme_login", "items": "/items", "id": "/id",
                "version": "updated", "cursor": {"input": "since", "next": "/next"},
                "page": {"input": "user", "next": "next_page"}})),
            trigger("acme_relisted", 60, 300, json!({"tool": "acme_login", "items": "/items", "id": "/id",
                "relist": {"tool": "acme_login", "items": "/items", "id": "/id",
                           "cursor": {"input": "user", "next": "/next"}},
                "filter": {"when": "query", "since": "internalDate", "tool": "acme_gone", "items": "/items", "id": "/id"}})),
            trigger("acme_started", 60, 300, json!({"tool": "acme_login", "items": "/items", "id": "/id",
                "cursor": {"input": "user", "next": "/next", "start": {"tool": "acme_profile", "at": "history"}}})),
        ]});
        let def = parse_connector_file("acme.json", &connector.to_string()).unwrap();
        let found = Catalog::default().findings(&def);
        let errors: Vec<&str> = found.errors.iter().map(|(_, m)| m.as_str()).collect();
        for expected in [
            "the name must be acme_<lowercase words>",
            "trigger \"acme_new_item\" is defined twice",
            "intervals must satisfy 1 <= min (60) <= default (10)",
            "poll.tool \"acme_nope\" is not a tool of this connector",
            "\"items\" is not a JSON pointer",
            "poll.id must name each item's id",
            "\"updated\" is not a JSON pointer",
            "\"next_page\" is not a JSON pointer",
            "the poll tool \"acme_login\" takes no input \"since\"",
            "poll.relist is a newest-first list: no cursor, relist or filter of its own",
            "poll.relist stands in for a cursor that has a start: give poll.cursor.start",
            "poll.filter.tool \"acme_gone\" is not a tool of this connector",
            "poll.filter.since \"internalDate\" is not a JSON pointer",
            "poll.filter.when \"query\" is not one of the trigger's config fields",
            "poll.cursor.start.tool \"acme_profile\" is not a tool of this connector",
            "poll.cursor.start.at \"history\" is not a JSON pointer",
        ] {
            assert!(errors.iter().any(|e| e.contains(expected)), "{expected}: {errors:?}");
        }
        let push = |name: &str, push: Value| {
            json!({"name": name, "display_name": "x", "description": "x", "mode": "WEBHOOK", "push": push,
                   "config_fields": [{"key": "repo"}]})
        };
        let good_push = json!({"signature": "github", "event_type": "X-GitHub-Event", "events": ["issues"],
            "match_config": {"repo": "/repository/full_name"},
            "register_hint": "x", "secret_hint": "x"});
        let webhook = json!({"slug": "acme", "display_name": "Acme", "base_url": "https://api.acme.test",
        "auth": {"type": "API_KEY", "header": "x-key"},
        "triggers": [
            push("acme_push", good_push.clone()),
            {"name": "acme_bare", "display_name": "x", "description": "x", "mode": "WEBHOOK",
             "min_interval_seconds": 1, "default_interval_seconds": 1},
            push("acme_slack", json!({"signature": "slack", "event_type": "bad header", "events": [],
                "delivery_id": "X-Slack-Id", "item": "event", "match_config": {"channel": "event/channel"},
                "register_hint": "x", "secret_hint": "x"})),
        ]});
        let def = parse_connector_file("acme.json", &webhook.to_string()).unwrap();
        let found = Catalog::default().findings(&def);
        let errors: Vec<&str> = found.errors.iter().map(|(_, m)| m.as_str()).collect();
        for expected in [
            "a WEBHOOK trigger is pushed, not polled: it declares no intervals",
            "a WEBHOOK trigger says how its pushes look",
            "every pushed trigger of a connector is signed alike",
            "push.events lists the provider's event types",
            "\"bad header\" is neither a header name nor a JSON pointer",
            "\"event\" is not a JSON pointer",
            "\"X-Slack-Id\" is not a JSON pointer into the signed body",
            "match_config key \"channel\" is not a config field",
        ] {
            assert!(errors.iter().any(|e| e.contains(expected)), "{expected}: {errors:?}");
        }
        assert!(!errors.iter().any(|e| e.contains("(\"acme_push\")")), "{errors:?}");
    }
}
