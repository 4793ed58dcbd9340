//! Connector templates: how a tool's input fills a request (`{{name}}` placeholders, typed whole
//! values, `$if`, `$map`, `$add_time`, `$adf`, `$mime`, `$number`, `$merge`, `$join`, `$upper`) and how dotted paths
//! read answers. Pure functions of JSON, shared by the HTTP and SQL runners.

use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use base64::Engine;
use serde_json::{Map, Value};

use agentkit_core::{Error, Result};

/// The value at a dotted path (`payload.headers`, `errors.0.message`); numeric parts index arrays.
pub fn dotted<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |cur, key| match (cur, key.parse::<usize>()) {
        (Value::Array(items), Ok(i)) => items.get(i),
        _ => cur.get(key),
    })
}

/// Values a template can read: the tool input and, inside `expand` or `$map`, the current item.
pub(crate) struct Scope<'a> {
    pub(crate) input: &'a Map<String, Value>,
    pub(crate) item: Option<&'a Value>,
}

impl<'a> Scope<'a> {
    pub(crate) fn new(input: &'a Map<String, Value>) -> Self {
        Scope { input, item: None }
    }

    pub(crate) fn lookup(&self, name: &str) -> Option<&Value> {
        let found = match name.strip_prefix("item") {
            Some("") => self.item,
            Some(rest) if rest.starts_with('.') => self.item.and_then(|i| dotted(i, &rest[1..])),
            _ => self.input.get(name),
        };
        found.filter(|v| !v.is_null())
    }

    /// `"{{x}}"` alone keeps the value's type; otherwise placeholders are interpolated.
    pub(crate) fn render(&self, template: &Value) -> Option<Value> {
        match template {
            Value::String(s) => {
                if let Some(name) = whole_placeholder(s) {
                    return self.lookup(name).cloned();
                }
                Some(Value::String(self.interpolate(s, |v| v.to_string())))
            }
            Value::Object(o) if o.len() == 1 && o.contains_key("$mime") => {
                let fields = self.render(&o["$mime"])?;
                Some(Value::String(build_mime(&fields)))
            }
            Value::Object(o) if o.contains_key("$if") => {
                let branch = if self.render(&o["$if"]).is_some_and(|v| truthy(&v)) { "then" } else { "else" };
                o.get(branch).and_then(|t| self.render(t))
            }
            Value::Object(o) if o.contains_key("$map") => {
                let Value::Array(items) = self.render(&o["$map"])? else { return None };
                let to = o.get("to")?;
                let mapped = items.iter().filter_map(|item| Scope { input: self.input, item: Some(item) }.render(to));
                Some(Value::Array(mapped.collect()))
            }
            Value::Object(o) if o.contains_key("$add_time") => {
                let start = self.render(&o["$add_time"])?;
                let amount =
                    |unit: &str| o.get(unit).and_then(|t| self.render(t)).and_then(|v| v.as_f64()).unwrap_or(0.0);
                let minutes = amount("hours") * 60.0 + amount("minutes");
                // Out of range (a model may send 3e9 hours): the field is left out, never a panic.
                if !minutes.is_finite() || minutes.abs() > MAX_ADDED_MINUTES {
                    return None;
                }
                add_minutes(start.as_str()?, minutes as i64).map(Value::String)
            }
            Value::Object(o) if o.len() == 1 && o.contains_key("$number") => {
                // "2" or 2 → 2; anything else leaves the field out.
                match self.render(&o["$number"])? {
                    Value::Number(n) => Some(Value::Number(n)),
                    Value::String(text) => text.trim().parse::<serde_json::Number>().ok().map(Value::Number),
                    _ => None,
                }
            }
            Value::Object(o) if o.len() == 1 && o.contains_key("$merge") => {
                // One object from the parts that render to objects (later parts win, deeply);
                // left out when none does.
                let Value::Array(parts) = &o["$merge"] else { return None };
                let mut merged = Map::new();
                for part in parts.iter().filter_map(|p| self.render(p)) {
                    if let Value::Object(fields) = part {
                        merge_into(&mut merged, fields);
                    }
                }
                (!merged.is_empty()).then_some(Value::Object(merged))
            }
            Value::Object(o) if o.contains_key("$join") => {
                // An array as one delimited value (OpenAPI's `explode: false` query arrays, 2.0's
                // `collectionFormat: csv`); a scalar passes as its text; absent leaves the key out.
                let separator = o.get("separator").and_then(Value::as_str).unwrap_or(",");
                match self.render(&o["$join"])? {
                    Value::Array(items) => {
                        Some(Value::String(items.iter().map(scalar_text).collect::<Vec<_>>().join(separator)))
                    }
                    other => Some(Value::String(scalar_text(&other))),
                }
            }
            Value::Object(o) if o.contains_key("$upper") => {
                // Upper-case text, cut before the first `until` when given (Snowflake's JWT claims
                // name the account in upper case, without the region of an account locator).
                let text = scalar_text(&self.render(&o["$upper"])?);
                let text = match o.get("until").and_then(Value::as_str).filter(|u| !u.is_empty()) {
                    Some(until) => text.split(until).next().unwrap_or_default().to_string(),
                    None => text,
                };
                Some(Value::String(text.to_uppercase()))
            }
            Value::Object(o) if o.len() == 1 && o.contains_key("$adf") => {
                let text = self.render(&o["$adf"])?;
                Some(adf_document(&scalar_text(&text)))
            }
            Value::Object(o) => {
                Some(Value::Object(o.iter().filter_map(|(k, v)| self.render(v).map(|r| (k.clone(), r))).collect()))
            }
            Value::Array(items) => Some(Value::Array(items.iter().filter_map(|v| self.render(v)).collect())),
            other => Some(other.clone()),
        }
    }

    /// Path placeholders may not hold `.` or `..`: no encoding keeps those inside their segment.
    pub(crate) fn check_path_values(&self, template: &str) -> Result<()> {
        for piece in template.split("{{").skip(1) {
            let Some((name, _)) = piece.split_once("}}") else { continue };
            let name = name.trim();
            if self.lookup(name).is_some_and(|v| agentkit_core::model::proxy_path::is_dot_segment(&scalar_text(v))) {
                return Err(Error::invalid_field(
                    format!("tool_input.{name}"),
                    format!("{name} may not be \".\" or \"..\" (it names a path segment)"),
                ));
            }
        }
        Ok(())
    }

    pub(crate) fn interpolate(&self, s: &str, encode: impl Fn(&str) -> String) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let Some(end) = rest[start..].find("}}") else {
                break;
            };
            let name = rest[start + 2..start + end].trim();
            if let Some(v) = self.lookup(name) {
                out.push_str(&encode(&scalar_text(v)));
            }
            rest = &rest[start + end + 2..];
        }
        out.push_str(rest);
        out
    }
}

/// Deep merge of `from` into `into`: objects merge key by key, anything else replaces.
fn merge_into(into: &mut Map<String, Value>, from: Map<String, Value>) {
    for (key, value) in from {
        match (into.get_mut(&key), value) {
            (Some(Value::Object(existing)), Value::Object(more)) => merge_into(existing, more),
            (_, value) => {
                into.insert(key, value);
            }
        }
    }
}

/// What `$if` treats as true: present and not `false`, `""`, `0` or `[]`.
pub(crate) fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::String(s) => !s.is_empty(),
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::Array(a) => !a.is_empty(),
        _ => true,
    }
}

/// `start` plus `minutes`, written like `start` (RFC 3339 with an offset, or a local date-time
/// that a separate time-zone field qualifies, as Google Calendar accepts).
pub(crate) fn add_minutes(start: &str, minutes: i64) -> Option<String> {
    let delta = chrono::Duration::try_minutes(minutes)?;
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(start) {
        let end = t.checked_add_signed(delta)?;
        return Some(end.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, t.offset().local_minus_utc() == 0));
    }
    ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"].iter().find_map(|format| {
        let t = chrono::NaiveDateTime::parse_from_str(start, format).ok()?;
        Some(t.checked_add_signed(delta)?.format("%Y-%m-%dT%H:%M:%S").to_string())
    })
}

/// Largest shift `$add_time` makes (a hundred years).
pub(crate) const MAX_ADDED_MINUTES: f64 = 100.0 * 366.0 * 24.0 * 60.0;

/// Plain text as an Atlassian Document Format document: one paragraph per blank-line-separated block.
pub(crate) fn adf_document(text: &str) -> Value {
    let paragraphs: Vec<Value> = text
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| serde_json::json!({"type": "paragraph", "content": [{"type": "text", "text": p}]}))
        .collect();
    serde_json::json!({"type": "doc", "version": 1, "content": paragraphs})
}

pub(crate) fn whole_placeholder(s: &str) -> Option<&str> {
    let inner = s.strip_prefix("{{")?.strip_suffix("}}")?;
    (!inner.contains("{{")).then_some(inner.trim())
}

/// Query/path text of a scalar: integral floats print without `.0` (SDKs may send 5.0).
pub(crate) fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

pub(crate) fn encode_path_segment(s: &str) -> String {
    agentkit_core::model::proxy_path::encode_segment_value(s)
}

/// RFC 2822 message, base64url-encoded, from `{to, cc, bcc, subject, body, content_type,
/// in_reply_to}`; `in_reply_to` (a Message-ID) sets In-Reply-To and References so replies thread.
pub(crate) fn build_mime(fields: &Value) -> String {
    // Header values lose CR/LF so an input cannot smuggle extra headers (a Bcc) into the message.
    let get = |k: &str| fields.get(k).map(scalar_text).unwrap_or_default().replace(['\r', '\n'], " ");
    let body = fields.get("body").map(scalar_text).unwrap_or_default();
    let encode_header = |v: String| {
        if v.is_ascii() {
            v
        } else {
            format!("=?UTF-8?B?{}?=", B64.encode(v.as_bytes()))
        }
    };
    let mut msg = String::new();
    for (name, key) in [("To", "to"), ("Cc", "cc"), ("Bcc", "bcc")] {
        let v = get(key);
        if !v.is_empty() {
            msg.push_str(&format!("{name}: {v}\r\n"));
        }
    }
    msg.push_str(&format!("Subject: {}\r\n", encode_header(get("subject"))));
    let in_reply_to = get("in_reply_to");
    if !in_reply_to.is_empty() {
        msg.push_str(&format!("In-Reply-To: {in_reply_to}\r\nReferences: {in_reply_to}\r\n"));
    }
    let content_type = match get("content_type") {
        ct if ct.is_empty() => "text/plain".to_string(),
        ct => ct,
    };
    msg.push_str("MIME-Version: 1.0\r\n");
    msg.push_str(&format!("Content-Type: {content_type}; charset=\"UTF-8\"\r\n\r\n"));
    msg.push_str(&body);
    B64URL.encode(msg.as_bytes())
}
