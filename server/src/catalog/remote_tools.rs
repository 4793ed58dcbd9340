//! Tools of remote MCP servers: what `tools/list` answered, per connection, checked and named for
//! our catalog, and the cache the registry is built from.
//!
//! A remote tool becomes `<connection>_<remote name>`, lower-cased to `[a-z0-9_]`, at most 64
//! characters, unique within the connection (`_2`, `_3`, … after a clash). Its input schema goes
//! through the same checks as a connector file's (an object, compiles, requires only its
//! properties); a tool that fails them is skipped with the reason logged, never the whole server.
//! Descriptions and schemas are bounded.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use serde_json::{Map, Value};

use super::connector_check::{remote_tool_findings, MAX_TOOL_NAME_LEN};
use super::connectors::{CredentialKind, RemoteToolRef, ToolDef};
use super::input_schema::InputValidator;

/// Longest remote description kept (characters; the rest is cut).
pub const MAX_DESCRIPTION_CHARS: usize = 4096;

/// Longest remote tool name accepted (MCP names are at most 128 characters; the call sends the
/// name back as it came, so a longer one is skipped rather than cut).
pub const MAX_REMOTE_NAME_BYTES: usize = 256;

/// Largest remote input schema accepted (bytes of its JSON); a larger one skips the tool.
pub const MAX_SCHEMA_BYTES: usize = 64 * 1024;

/// What one discovery of a connection's server found.
#[derive(Debug)]
pub struct Discovery {
    /// The connector and URL it was read from: a connection moved elsewhere drops these tools.
    pub connector: String,
    pub url: String,
    pub tools: Vec<(ToolDef, InputValidator)>,
    pub at: Instant,
    /// The server said it sends `notifications/tools/list_changed` (so the gateway listens).
    pub lists_changes: bool,
}

/// The last discovery of every remote MCP connection, and which connections want one soon.
#[derive(Debug, Default)]
pub struct DiscoveredTools {
    by_connection: RwLock<HashMap<String, Arc<Discovery>>>,
    wanted: RwLock<BTreeSet<String>>,
    /// Wakes the discovery loop when a refresh is requested.
    pub wake: tokio::sync::Notify,
}

impl DiscoveredTools {
    /// The last discoveries, by connection.
    pub fn snapshot(&self) -> HashMap<String, Arc<Discovery>> {
        self.by_connection.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn get(&self, connection: &str) -> Option<Arc<Discovery>> {
        self.by_connection.read().unwrap_or_else(|p| p.into_inner()).get(connection).cloned()
    }

    pub fn store(&self, connection: &str, discovery: Discovery) {
        self.by_connection
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(connection.to_string(), Arc::new(discovery));
    }

    /// Forgets connections no longer configured.
    pub fn retain(&self, keep: impl Fn(&str) -> bool) {
        self.by_connection.write().unwrap_or_else(|p| p.into_inner()).retain(|name, _| keep(name));
    }

    /// Asks the discovery loop to read `connection`'s tools again soon (its server said they
    /// changed, or it got its first account).
    pub fn request_refresh(&self, connection: &str) {
        self.wanted.write().unwrap_or_else(|p| p.into_inner()).insert(connection.to_string());
        self.wake.notify_one();
    }

    /// The connections a refresh was asked for since the last call (and clears them).
    pub fn take_requested(&self) -> BTreeSet<String> {
        std::mem::take(&mut *self.wanted.write().unwrap_or_else(|p| p.into_inner()))
    }
}

/// The first `max` characters of `text`.
fn clip_chars(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// `text` lower-cased to `[a-z0-9_]` (anything else is `_`), runs of `_` collapsed, no `_` at
/// either end.
fn sanitized(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let c = if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' };
        if c == '_' && (out.is_empty() || out.ends_with('_')) {
            continue;
        }
        out.push(c);
    }
    out.trim_end_matches('_').to_string()
}

/// `<connection>_<remote>` within [`MAX_TOOL_NAME_LEN`], not in `taken` (a numbered suffix after
/// a clash); `None` when the remote name has nothing usable.
fn namespaced(connection: &str, remote: &str, taken: &BTreeSet<String>) -> Option<String> {
    let remote = sanitized(remote);
    if remote.is_empty() {
        return None;
    }
    let base: String = format!("{}_{remote}", sanitized(connection)).chars().take(MAX_TOOL_NAME_LEN).collect();
    let base = base.trim_end_matches('_').to_string();
    if !taken.contains(&base) {
        return Some(base);
    }
    (2..=taken.len().saturating_add(2)).find_map(|n| {
        let suffix = format!("_{n}");
        let keep = MAX_TOOL_NAME_LEN.saturating_sub(suffix.len());
        let name = format!("{}{suffix}", base.chars().take(keep).collect::<String>());
        (!taken.contains(&name)).then_some(name)
    })
}

/// MCP's camelCase annotations in our files' snake_case; unknown ones dropped.
fn annotations_of(remote: Option<&Value>) -> Option<Value> {
    let remote = remote?.as_object()?;
    let mut ours = Map::new();
    for (from, to) in [
        ("title", "title"),
        ("readOnlyHint", "read_only_hint"),
        ("destructiveHint", "destructive_hint"),
        ("idempotentHint", "idempotent_hint"),
        ("openWorldHint", "open_world_hint"),
    ] {
        match remote.get(from) {
            Some(value @ Value::String(_)) if to == "title" => ours.insert(to.into(), value.clone()),
            Some(value @ Value::Bool(_)) if to != "title" => ours.insert(to.into(), value.clone()),
            _ => None,
        };
    }
    (!ours.is_empty()).then_some(Value::Object(ours))
}

/// The catalog tools of a `tools/list` answer for `connection`, and why any was skipped.
pub fn catalog_tools(connection: &str, listed: &[Value]) -> (Vec<(ToolDef, InputValidator)>, Vec<String>) {
    let mut tools = Vec::new();
    let mut skipped = Vec::new();
    let mut taken = BTreeSet::new();
    for (i, remote) in listed.iter().enumerate() {
        let Some(remote_name) = remote.get("name").and_then(Value::as_str) else {
            skipped.push(format!("tools[{i}] has no name"));
            continue;
        };
        if remote_name.len() > MAX_REMOTE_NAME_BYTES {
            skipped.push(format!("tools[{i}]: the name is longer than {MAX_REMOTE_NAME_BYTES} bytes"));
            continue;
        }
        let at = format!("tool {remote_name:?}");
        let Some(name) = namespaced(connection, remote_name, &taken) else {
            skipped.push(format!("{at}: the name has no letter or digit"));
            continue;
        };
        let Some(schema) = remote.get("inputSchema").filter(|s| s.is_object()) else {
            skipped.push(format!("{at}: inputSchema is missing or not an object"));
            continue;
        };
        if serde_json::to_vec(schema).map_or(true, |bytes| bytes.len() > MAX_SCHEMA_BYTES) {
            skipped.push(format!("{at}: inputSchema is larger than {MAX_SCHEMA_BYTES} bytes"));
            continue;
        }
        let description = remote.get("description").and_then(Value::as_str).unwrap_or_default();
        let tool = ToolDef {
            name: name.clone(),
            description: clip_chars(description, MAX_DESCRIPTION_CHARS),
            input_schema: schema.clone(),
            annotations: annotations_of(remote.get("annotations")),
            request: None,
            sql: None,
            expand: None,
            shape: None,
            failure: None,
            credential: CredentialKind::Account,
            remote: Some(RemoteToolRef { connection: connection.to_string(), name: remote_name.to_string() }),
        };
        let mut found = remote_tool_findings(&at, &tool);
        if !found.errors.is_empty() {
            let reasons: Vec<String> = found.errors.into_iter().map(|(_, message)| message).collect();
            skipped.push(reasons.join("; "));
            continue;
        }
        let Some(validator) = found.validators.pop() else {
            skipped.push(format!("{at}: inputSchema did not compile"));
            continue;
        };
        taken.insert(name);
        tools.push((tool, validator));
    }
    (tools, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_are_namespaced_sanitized_bounded_and_unique() {
        let mut taken = BTreeSet::new();
        assert_eq!(namespaced("Docs", "Fetch.Page-v2", &taken).as_deref(), Some("docs_fetch_page_v2"));
        taken.insert("docs_a_b".to_string());
        assert_eq!(namespaced("docs", "a.b", &taken).as_deref(), Some("docs_a_b_2"));
        assert_eq!(namespaced("docs", "!!!", &taken), None);
        let long = namespaced("docs", &"x".repeat(200), &taken).unwrap();
        assert_eq!(long.len(), MAX_TOOL_NAME_LEN);
        taken.insert(long.clone());
        let next = namespaced("docs", &"x".repeat(200), &taken).unwrap();
        assert!(next.len() <= MAX_TOOL_NAME_LEN && next.ends_with("_2"), "{next}");
    }

    #[test]
    fn a_tool_whose_schema_fails_the_checks_is_skipped_alone() {
        let listed = [
            json!({"name": "good", "description": "d", "inputSchema": {"type": "object", "properties": {"q": {"type": "string"}}},
                   "annotations": {"readOnlyHint": true, "unknownHint": 1}}),
            json!({"name": "bad_regex", "inputSchema": {"type": "object", "properties": {"q": {"type": "string", "pattern": "("}}}}),
            json!({"name": "not_object", "inputSchema": {"type": "string"}}),
            json!({"name": "missing_required", "inputSchema": {"type": "object", "required": ["x"]}}),
            json!({"inputSchema": {"type": "object"}}),
        ];
        let (tools, skipped) = catalog_tools("docs", &listed);
        assert_eq!(tools.len(), 1, "{skipped:?}");
        assert_eq!(tools[0].0.name, "docs_good");
        assert_eq!(tools[0].0.annotations, Some(json!({"read_only_hint": true})));
        assert_eq!(tools[0].0.remote.as_ref().unwrap().name, "good");
        assert_eq!(skipped.len(), 4, "{skipped:?}");
    }
}
