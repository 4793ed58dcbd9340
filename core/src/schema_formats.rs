//! Tool definitions in each model vendor's format, converted once here for both SDKs.
//!
//! * `anthropic`: `{name, description, input_schema}` (Messages API `tools`).
//! * `openai`: Chat Completions `{type: "function", function: {name, description, parameters}}`.
//! * `openai_responses`: Responses API `{type: "function", name, description, parameters}`.
//! * `openai_strict`: Chat Completions with `strict: true` — every object closed
//!   (`additionalProperties: false`), every property required, optional ones made nullable,
//!   keywords strict mode rejects (`default`) dropped; lossless otherwise.
//! * `gemini`: a Gemini function declaration: OpenAPI-subset schema (upper-case types, only the
//!   keywords Gemini accepts, every nested object typed).
//! * `json_schema`: `{name, description, parameters}` with the plain JSON Schema (Vercel AI
//!   `jsonSchema()`, MCP).

use std::str::FromStr;

use serde_json::{json, Map, Value};

use crate::error::{Error, Result};

/// A model vendor's tool format (see the module docs), parsed from its name or an alias.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolFormat {
    /// `anthropic`: Messages API `{name, description, input_schema}`.
    Anthropic,
    /// `openai` (or `openai_chat`): Chat Completions `{type: "function", function: {…}}`.
    OpenAi,
    /// `openai_responses`: Responses API, the function's fields at the top level.
    OpenAiResponses,
    /// `openai_strict`: Chat Completions with `strict: true` and the schema made to fit it.
    OpenAiStrict,
    /// `gemini` (or `google`): a function declaration with an OpenAPI-subset schema.
    Gemini,
    /// `json_schema` (or `vercel`, `mcp`): `{name, description, parameters}`, plain JSON Schema.
    JsonSchema,
}

impl FromStr for ToolFormat {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "anthropic" => ToolFormat::Anthropic,
            "openai" | "openai_chat" => ToolFormat::OpenAi,
            "openai_responses" => ToolFormat::OpenAiResponses,
            "openai_strict" => ToolFormat::OpenAiStrict,
            "gemini" | "google" => ToolFormat::Gemini,
            "json_schema" | "vercel" | "mcp" => ToolFormat::JsonSchema,
            other => {
                return Err(Error::invalid_field(
                    "format",
                    format!("unknown tool format {other:?}: use anthropic, openai, openai_responses, openai_strict, gemini or json_schema"),
                ))
            }
        })
    }
}

/// Converts a tool definition (`{name, description, input_schema}`) into `format`.
pub fn format_tool(definition: &Value, format: ToolFormat) -> Result<Value> {
    let name = definition
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::invalid_field("name", "tool definition has no name"))?;
    let description = definition.get("description").and_then(Value::as_str).unwrap_or_default();
    let schema = definition.get("input_schema").cloned().unwrap_or_else(|| json!({"type": "object", "properties": {}}));
    Ok(match format {
        ToolFormat::Anthropic => json!({"name": name, "description": description, "input_schema": schema}),
        ToolFormat::OpenAi => {
            json!({"type": "function", "function": {"name": name, "description": description, "parameters": schema}})
        }
        ToolFormat::OpenAiResponses => {
            json!({"type": "function", "name": name, "description": description, "parameters": schema})
        }
        ToolFormat::OpenAiStrict => json!({"type": "function", "function": {
            "name": name, "description": description,
            "parameters": strict_schema(&fold_required_alternatives(&schema), true), "strict": true,
        }}),
        ToolFormat::Gemini => json!({
            "name": name, "description": description, "parameters": gemini_schema(&fold_required_alternatives(&schema)),
        }),
        ToolFormat::JsonSchema => json!({"name": name, "description": description, "parameters": schema}),
    })
}

/// An `anyOf` whose alternatives only name `required` fields ("give `project`, or `assignee` and
/// `workspace`") constrains an object without typing it: strict mode and Gemini cannot say that
/// (an untyped alternative would read as a string), so it becomes a sentence of the object's
/// description. The gateway still checks the whole schema when the tool runs.
fn fold_required_alternatives(schema: &Value) -> Value {
    let Some(obj) = schema.as_object() else { return schema.clone() };
    let required_only = |branch: &Value| {
        branch.as_object().is_some_and(|b| {
            b.keys().all(|k| k == "required")
                && b.get("required").and_then(Value::as_array).is_some_and(|r| !r.is_empty())
        })
    };
    let mut out = Map::new();
    let mut note = None;
    for (k, v) in obj {
        match (k.as_str(), v) {
            ("anyOf", Value::Array(branches)) if !branches.is_empty() && branches.iter().all(required_only) => {
                let each: Vec<String> = branches
                    .iter()
                    .map(|b| {
                        let names: Vec<&str> =
                            b["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
                        names.join(" and ")
                    })
                    .collect();
                note = Some(format!("Give {}.", each.join(", or ")));
            }
            ("properties", Value::Object(props)) => {
                let props = props.iter().map(|(n, p)| (n.clone(), fold_required_alternatives(p))).collect();
                out.insert(k.clone(), Value::Object(props));
            }
            ("items", _) => {
                out.insert(k.clone(), fold_required_alternatives(v));
            }
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    if let Some(note) = note {
        let description = match out.get("description").and_then(Value::as_str) {
            Some(d) if !d.is_empty() => format!("{d} {note}"),
            _ => note,
        };
        out.insert("description".into(), Value::String(description));
    }
    Value::Object(out)
}

/// OpenAI strict mode: closed objects, all properties required (optional → nullable).
fn strict_schema(schema: &Value, required_here: bool) -> Value {
    let Some(obj) = schema.as_object() else { return schema.clone() };
    let mut out = Map::new();
    for (k, v) in obj {
        match k.as_str() {
            "default" | "$schema" => {}
            "properties" => {
                let required: Vec<&str> = obj
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let props: Map<String, Value> = v
                    .as_object()
                    .map(|p| {
                        p.iter()
                            .map(|(name, s)| (name.clone(), strict_schema(s, required.contains(&name.as_str()))))
                            .collect()
                    })
                    .unwrap_or_default();
                out.insert("required".into(), Value::Array(props.keys().map(|k| Value::String(k.clone())).collect()));
                out.insert("properties".into(), Value::Object(props));
            }
            "required" => {}
            "items" => {
                out.insert(k.clone(), strict_schema(v, true));
            }
            // Each alternative is a schema of its own: its objects are closed too.
            "anyOf" => {
                let branches =
                    v.as_array().map(|b| b.iter().map(|s| strict_schema(s, true)).collect()).unwrap_or_default();
                out.insert(k.clone(), Value::Array(branches));
            }
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    if out.get("type").and_then(Value::as_str) == Some("object") {
        out.insert("additionalProperties".into(), Value::Bool(false));
        out.entry("properties").or_insert_with(|| json!({}));
        out.entry("required").or_insert_with(|| json!([]));
    }
    if !required_here {
        // Strict mode requires every property; "optional" becomes "may be null".
        match out.get("type").cloned() {
            Some(Value::String(t)) => {
                out.insert("type".into(), json!([t, "null"]));
                if let Some(Value::Array(options)) = out.get_mut("enum") {
                    options.push(Value::Null);
                }
            }
            Some(Value::Array(mut types)) if !types.contains(&json!("null")) => {
                types.push(json!("null"));
                out.insert("type".into(), Value::Array(types));
            }
            None => {
                if let Some(Value::Array(branches)) = out.get_mut("anyOf") {
                    branches.push(json!({"type": "null"}));
                }
            }
            _ => {}
        }
    }
    Value::Object(out)
}

/// Keywords Gemini's function-declaration schema accepts.
const GEMINI_KEYWORDS: &[&str] = &[
    "type",
    "format",
    "description",
    "nullable",
    "enum",
    "properties",
    "required",
    "items",
    "minItems",
    "maxItems",
    "minimum",
    "maximum",
    "title",
    "anyOf",
];

/// Gemini: the OpenAPI subset, upper-case types, every object typed.
fn gemini_schema(schema: &Value) -> Value {
    let Some(obj) = schema.as_object() else { return schema.clone() };
    let mut out = Map::new();
    for (k, v) in obj.iter().filter(|(k, _)| GEMINI_KEYWORDS.contains(&k.as_str())) {
        let converted = match k.as_str() {
            "type" => match v {
                Value::String(t) => Value::String(t.to_ascii_uppercase()),
                // ["string", "null"] → STRING + nullable
                Value::Array(types) => {
                    if types.contains(&json!("null")) {
                        out.insert("nullable".into(), Value::Bool(true));
                    }
                    let first = types.iter().filter_map(Value::as_str).find(|t| *t != "null").unwrap_or("string");
                    Value::String(first.to_ascii_uppercase())
                }
                other => other.clone(),
            },
            "properties" => Value::Object(
                v.as_object()
                    .map(|p| p.iter().map(|(n, s)| (n.clone(), gemini_schema(s))).collect())
                    .unwrap_or_default(),
            ),
            "items" => gemini_schema(v),
            "anyOf" => Value::Array(v.as_array().map(|b| b.iter().map(gemini_schema).collect()).unwrap_or_default()),
            "enum" => Value::Array(
                v.as_array()
                    .map(|e| {
                        e.iter()
                            .filter(|x| !x.is_null())
                            .map(|x| Value::String(x.as_str().map(String::from).unwrap_or_else(|| x.to_string())))
                            .collect()
                    })
                    .unwrap_or_default(),
            ),
            _ => v.clone(),
        };
        out.insert(k.clone(), converted);
    }
    // An `anyOf` carries its types in its alternatives.
    if !out.contains_key("type") && !out.contains_key("anyOf") {
        let inferred = if out.contains_key("properties") {
            "OBJECT"
        } else if out.contains_key("items") {
            "ARRAY"
        } else {
            "STRING"
        };
        out.insert("type".into(), Value::String(inferred.into()));
    }
    if out.get("type").and_then(Value::as_str) == Some("ENUM") {
        out.insert("type".into(), json!("STRING"));
    }
    if out.get("enum").is_some() && out.get("type").and_then(Value::as_str) != Some("STRING") {
        // Gemini enums are string-typed.
        out.insert("type".into(), json!("STRING"));
        out.insert("format".into(), json!("enum"));
    }
    Value::Object(out)
}

/// Converts many definitions.
pub fn format_tools(definitions: &[Value], format: ToolFormat) -> Result<Vec<Value>> {
    definitions.iter().map(|d| format_tool(d, format)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn definition() -> Value {
        json!({"name": "gmail_fetch_mails", "description": "Fetch", "input_schema": {
            "type": "object",
            "properties": {
                "query": {"type": "string", "default": "is:unread"},
                "max_results": {"type": "integer", "minimum": 1, "default": 10},
                "format": {"type": "string", "enum": ["full", "metadata"]},
                "label_ids": {"type": "array", "items": {"type": "string"}},
                "filter": {"type": "object", "properties": {"from": {"type": "string"}}, "required": ["from"]}
            },
            "required": ["query"]
        }})
    }

    #[test]
    fn openai_strict_closes_objects_and_requires_everything() {
        let t = format_tool(&definition(), ToolFormat::OpenAiStrict).unwrap();
        let p = &t["function"]["parameters"];
        assert_eq!(t["function"]["strict"], true);
        assert_eq!(p["additionalProperties"], false);
        assert_eq!(p["required"].as_array().unwrap().len(), 5);
        assert_eq!(p["properties"]["query"]["type"], "string", "required stays non-null");
        assert!(p["properties"]["query"].get("default").is_none());
        assert_eq!(p["properties"]["max_results"]["type"], json!(["integer", "null"]));
        assert_eq!(p["properties"]["format"]["enum"], json!(["full", "metadata", null]));
        assert_eq!(p["properties"]["filter"]["additionalProperties"], false);
        assert_eq!(p["properties"]["filter"]["type"], json!(["object", "null"]));
    }

    #[test]
    fn gemini_keeps_only_supported_keywords_and_types_everything() {
        let t = format_tool(&definition(), ToolFormat::Gemini).unwrap();
        let p = &t["parameters"];
        assert_eq!(p["type"], "OBJECT");
        assert!(p["properties"]["query"].get("default").is_none());
        assert_eq!(p["properties"]["label_ids"]["items"]["type"], "STRING");
        assert_eq!(p["properties"]["filter"]["type"], "OBJECT");
        assert!(p.get("additionalProperties").is_none());
    }

    /// `anyOf` reaches every format: strict mode closes each alternative's objects (and lets an
    /// optional one be null), Gemini converts each alternative and infers no type over them.
    #[test]
    fn any_of_is_carried_by_strict_mode_and_gemini() {
        let d = json!({"name": "t", "description": "", "input_schema": {"type": "object", "properties": {
            "priority": {"anyOf": [{"type": "integer", "maximum": 4}, {"type": "object", "properties": {"level": {"type": "string"}}}]}
        }}});
        let strict = format_tool(&d, ToolFormat::OpenAiStrict).unwrap();
        let branches = strict["function"]["parameters"]["properties"]["priority"]["anyOf"].as_array().unwrap().clone();
        assert_eq!(branches.len(), 3, "{branches:?}");
        assert_eq!(branches[1]["additionalProperties"], false);
        assert_eq!(branches[2], json!({"type": "null"}), "optional: may be null");
        let gemini = format_tool(&d, ToolFormat::Gemini).unwrap();
        let priority = &gemini["parameters"]["properties"]["priority"];
        assert!(priority.get("type").is_none(), "{priority}");
        assert_eq!(priority["anyOf"][0]["type"], "INTEGER");
        assert_eq!(priority["anyOf"][1]["properties"]["level"]["type"], "STRING");
    }

    /// "Give project, or assignee and workspace" cannot be typed for strict mode or Gemini: it is
    /// said in the description there, and kept as JSON Schema everywhere else.
    #[test]
    fn required_only_alternatives_become_a_sentence_where_they_cannot_be_typed() {
        let d = json!({"name": "t", "description": "", "input_schema": {"type": "object", "description": "Tasks.",
            "properties": {"project": {"type": "string"}, "assignee": {"type": "string"}, "workspace": {"type": "string"}},
            "anyOf": [{"required": ["project"]}, {"required": ["assignee", "workspace"]}]}});
        for format in [ToolFormat::OpenAiStrict, ToolFormat::Gemini] {
            let t = format_tool(&d, format).unwrap();
            let p = if format == ToolFormat::Gemini { &t["parameters"] } else { &t["function"]["parameters"] };
            assert!(p.get("anyOf").is_none(), "{p}");
            assert_eq!(p["description"], "Tasks. Give project, or assignee and workspace.");
        }
        assert!(format_tool(&d, ToolFormat::Anthropic).unwrap()["input_schema"]["anyOf"].is_array());
        // Typed alternatives are not folded.
        let typed = json!({"name": "t", "description": "", "input_schema": {"type": "object", "properties": {
            "v": {"anyOf": [{"type": "integer"}, {"type": "string"}]}}}});
        assert!(format_tool(&typed, ToolFormat::Gemini).unwrap()["parameters"]["properties"]["v"]["anyOf"].is_array());
    }

    #[test]
    fn vendor_envelopes() {
        let d = definition();
        assert_eq!(format_tool(&d, ToolFormat::Anthropic).unwrap()["input_schema"]["type"], "object");
        assert_eq!(format_tool(&d, ToolFormat::OpenAi).unwrap()["function"]["parameters"]["type"], "object");
        assert_eq!(format_tool(&d, ToolFormat::OpenAiResponses).unwrap()["name"], "gmail_fetch_mails");
        assert_eq!("vercel".parse::<ToolFormat>().unwrap(), ToolFormat::JsonSchema);
        assert_eq!("nope".parse::<ToolFormat>().unwrap_err().field(), Some("format"));
    }
}
