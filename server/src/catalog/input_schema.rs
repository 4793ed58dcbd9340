//! Validation of tool input against the tool's JSON Schema, before any upstream call.
//!
//! Covers the keywords connector files use: `type` (one or a list), `properties`, `required`,
//! `additionalProperties: false`, `enum`, `minimum`/`maximum`, `minLength`/`maxLength`, `items`,
//! `minItems`/`maxItems`. Errors name the offending field as `tool_input.<path>`.

use serde_json::{Map, Value};

use agentkit_core::{Error, Result};

/// Inputs every tool accepts and ignores (versions pinned by hosted-catalog callers).
pub const IGNORED_INPUTS: &[&str] = &["schema_version", "tool_version"];

/// Validates `input` and returns it with schema defaults filled in for absent top-level fields.
pub fn validate_tool_input(schema: &Value, input: Option<&Value>) -> Result<Map<String, Value>> {
    let mut object = match input {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(o)) => o.clone(),
        Some(other) => {
            return Err(Error::invalid_field(
                "tool_input",
                format!("tool_input must be an object, got {}", type_name(other)),
            ))
        }
    };
    for key in IGNORED_INPUTS {
        object.remove(*key);
    }
    // `null` for an optional parameter means "not given": strict-mode clients (OpenAI strict,
    // Mastra) send every property and null the ones they leave out.
    object.retain(|_, v| !v.is_null());
    let value = Value::Object(object);
    check(schema, &value, "tool_input")?;
    let Value::Object(mut object) = value else { unreachable!("checked above") };
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (name, prop) in props {
            if let (false, Some(default)) = (object.contains_key(name), prop.get("default")) {
                object.insert(name.clone(), default.clone());
            }
        }
    }
    Ok(object)
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn matches_type(expected: &str, v: &Value) -> bool {
    match expected {
        "integer" => v.as_i64().is_some() || v.as_u64().is_some() || v.as_f64().is_some_and(|f| f.fract() == 0.0),
        "number" => v.is_number(),
        other => type_name(v) == other,
    }
}

fn check(schema: &Value, value: &Value, path: &str) -> Result<()> {
    let fail = |msg: String| Err(Error::invalid_field(path, format!("{path}: {msg}")));
    if let Some(t) = schema.get("type") {
        let allowed: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        if !allowed.is_empty() && !allowed.iter().any(|t| matches_type(t, value)) {
            return fail(format!("expected {}, got {}", allowed.join(" or "), type_name(value)));
        }
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array) {
        if !options.contains(value) {
            let list: Vec<String> = options.iter().map(|o| o.to_string()).collect();
            return fail(format!("must be one of {}", list.join(", ")));
        }
    }
    if let Some(n) = value.as_f64() {
        if let Some(min) = schema.get("minimum").and_then(Value::as_f64) {
            if n < min {
                return fail(format!("must be >= {min}"));
            }
        }
        if let Some(max) = schema.get("maximum").and_then(Value::as_f64) {
            if n > max {
                return fail(format!("must be <= {max}"));
            }
        }
    }
    if let Some(s) = value.as_str() {
        let len = s.chars().count() as u64;
        if let Some(min) = schema.get("minLength").and_then(Value::as_u64) {
            if len < min {
                return fail(if min == 1 {
                    "must not be empty".into()
                } else {
                    format!("must have at least {min} characters")
                });
            }
        }
        if let Some(max) = schema.get("maxLength").and_then(Value::as_u64) {
            if len > max {
                return fail(format!("must have at most {max} characters"));
            }
        }
    }
    if let Some(items) = value.as_array() {
        if let Some(min) = schema.get("minItems").and_then(Value::as_u64) {
            if (items.len() as u64) < min {
                return fail(format!("must have at least {min} items"));
            }
        }
        if let Some(max) = schema.get("maxItems").and_then(Value::as_u64) {
            if (items.len() as u64) > max {
                return fail(format!("must have at most {max} items"));
            }
        }
        if let Some(item_schema) = schema.get("items") {
            for (i, item) in items.iter().enumerate() {
                check(item_schema, item, &format!("{path}[{i}]"))?;
            }
        }
    }
    if let Some(object) = value.as_object() {
        let props = schema.get("properties").and_then(Value::as_object);
        if let Some(required) = schema.get("required").and_then(Value::as_array) {
            for name in required.iter().filter_map(Value::as_str) {
                if object.get(name).is_none_or(Value::is_null) {
                    return Err(Error::invalid_field(format!("{path}.{name}"), format!("{path}.{name} is required")));
                }
            }
        }
        for (name, v) in object.iter().filter(|(_, v)| !v.is_null()) {
            let field = format!("{path}.{name}");
            match props.and_then(|p| p.get(name)) {
                Some(prop) => check(prop, v, &field)?,
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    return Err(Error::invalid_field(field.clone(), format!("{field} is not a known parameter")));
                }
                None => {}
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "max_results": {"type": "integer", "minimum": 1, "default": 10},
                "ids": {"type": "array", "items": {"type": "string"}},
                "to": {"type": "string", "minLength": 1},
                "format": {"type": "string", "enum": ["full", "metadata"]}
            },
            "required": ["to"],
            "additionalProperties": false
        })
    }

    #[test]
    fn names_the_bad_field() {
        let cases = [
            (json!({}), "tool_input.to"),
            (json!({"to": ""}), "tool_input.to"),
            (json!({"to": "a", "max_results": "5"}), "tool_input.max_results"),
            (json!({"to": "a", "max_results": 0}), "tool_input.max_results"),
            (json!({"to": "a", "ids": ["x", 3]}), "tool_input.ids[1]"),
            (json!({"to": "a", "format": "raw"}), "tool_input.format"),
            (json!({"to": "a", "bogus": 1}), "tool_input.bogus"),
        ];
        for (input, field) in cases {
            let err = validate_tool_input(&schema(), Some(&input)).unwrap_err();
            assert_eq!(err.field(), Some(field), "{input}: {}", err.message());
        }
        assert_eq!(validate_tool_input(&schema(), Some(&json!([1]))).unwrap_err().field(), Some("tool_input"));
    }

    #[test]
    fn null_means_not_given() {
        let out = validate_tool_input(&schema(), Some(&json!({"to": "a", "format": null, "ids": null}))).unwrap();
        assert!(!out.contains_key("format") && !out.contains_key("ids"));
        let err = validate_tool_input(&schema(), Some(&json!({"to": null}))).unwrap_err();
        assert_eq!(err.field(), Some("tool_input.to"), "a required field may not be null");
    }

    #[test]
    fn fills_defaults_and_drops_version_inputs() {
        let out = validate_tool_input(&schema(), Some(&json!({"to": "a", "schema_version": "1", "max_results": 5.0})))
            .unwrap();
        assert_eq!(out.get("max_results"), Some(&json!(5.0)));
        assert!(!out.contains_key("schema_version"));
        let out = validate_tool_input(&schema(), Some(&json!({"to": "a"}))).unwrap();
        assert_eq!(out["max_results"], 10);
    }
}
