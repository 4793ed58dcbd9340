//! Validation of tool input against the tool's full JSON Schema (draft 2020-12, by the
//! `jsonschema` crate), before any upstream call: every keyword — `pattern`, `format` (asserted),
//! `oneOf`/`anyOf`/`allOf`, bounds, `additionalProperties` — not a subset.
//!
//! A schema is compiled once, when its connector loads (a schema that does not compile is a load
//! error naming the tool). `pattern`s run on the linear-time `regex` engine, so no input can make
//! a pattern backtrack for long; `$ref`s never fetch anything. Errors name the offending field as
//! `tool_input.<path>` and never quote the value.

use jsonschema::error::ValidationErrorKind;
use jsonschema::paths::LocationSegment;
use serde_json::{Map, Value};

use agentkit_core::model::casing::to_snake_case;
use agentkit_core::{Error, Result};

/// Inputs every tool accepts and ignores (versions pinned by hosted-catalog callers).
pub const IGNORED_INPUTS: &[&str] = &["schema_version", "tool_version"];

/// A tool's input schema, compiled (shared: a catalog entry is cloned on reloads).
#[derive(Debug, Clone)]
pub struct InputValidator(std::sync::Arc<jsonschema::Validator>);

impl InputValidator {
    /// Compiles `schema` as draft 2020-12 with formats asserted; the error says what is wrong.
    pub fn compile(schema: &Value) -> std::result::Result<InputValidator, String> {
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .with_pattern_options(jsonschema::PatternOptions::regex())
            .build(schema)
            .map(|v| InputValidator(std::sync::Arc::new(v)))
            .map_err(|e| e.to_string())
    }

    /// Validates `input` and returns it with schema defaults filled in for absent top-level
    /// fields. `null` for an optional field means "not given" (strict-mode clients — OpenAI strict,
    /// Mastra — send every property and null the ones they leave out), at any depth of objects.
    pub fn validate(&self, schema: &Value, input: Option<&Value>) -> Result<Map<String, Value>> {
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
        object.retain(|_, v| !v.is_null());
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            adopt_snake_case_names(&mut object, props);
        }
        let checked = without_nulls_in_objects(&Value::Object(object.clone()));
        if let Some(error) = self.0.iter_errors(&checked).next() {
            return Err(field_error(&error));
        }
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (name, prop) in props {
                if let (false, Some(default)) = (object.contains_key(name), prop.get("default")) {
                    object.insert(name.clone(), default.clone());
                }
            }
        }
        Ok(object)
    }
}

/// Reads a top-level key the schema does not declare, but whose snake_case form it does
/// (`maxResults` for `max_results`), as that property — unless the input gives that property too.
/// Tool input is passed through the SDKs untouched (the official Node SDK converts no keys either),
/// and the Node reference page writes it in camelCase. Declared names always win, so a schema that
/// declares camelCase properties is read as written.
fn adopt_snake_case_names(object: &mut Map<String, Value>, props: &Map<String, Value>) {
    let renames: Vec<(String, String)> = object
        .keys()
        .filter(|key| !props.contains_key(key.as_str()))
        .map(|key| (key.clone(), to_snake_case(key)))
        .filter(|(key, snake)| snake != key && props.contains_key(snake) && !object.contains_key(snake))
        .collect();
    for (from, to) in renames {
        if object.contains_key(&to) {
            continue; // two spellings of one name: the first one read wins, the other stays unknown
        }
        if let Some(value) = object.remove(&from) {
            object.insert(to, value);
        }
    }
}

/// `value` with every null-valued object member removed, at any depth.
fn without_nulls_in_objects(value: &Value) -> Value {
    match value {
        Value::Object(o) => Value::Object(
            o.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), without_nulls_in_objects(v))).collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls_in_objects).collect()),
        other => other.clone(),
    }
}

/// The 400 for one validation error: the field as `tool_input.a.b[2]`, a message without the value.
fn field_error(error: &jsonschema::ValidationError<'_>) -> Error {
    let mut field = String::from("tool_input");
    for segment in error.instance_path().iter() {
        match segment {
            LocationSegment::Property(name) => {
                field.push('.');
                field.push_str(&name);
            }
            LocationSegment::Index(i) => field.push_str(&format!("[{i}]")),
        }
    }
    match error.kind() {
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().map_or_else(|| property.to_string(), String::from);
            let field = format!("{field}.{name}");
            Error::invalid_field(field.clone(), format!("{field} is required"))
        }
        ValidationErrorKind::AdditionalProperties { unexpected } if !unexpected.is_empty() => {
            let field = format!("{field}.{}", unexpected[0]);
            Error::invalid_field(field.clone(), format!("{field} is not a known parameter"))
        }
        _ => {
            let message = format!("{field}: {}", error.masked());
            Error::invalid_field(field, message)
        }
    }
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
            let err = InputValidator::compile(&schema()).unwrap().validate(&schema(), Some(&input)).unwrap_err();
            assert_eq!(err.field(), Some(field), "{input}: {}", err.message());
        }
        assert_eq!(
            InputValidator::compile(&schema()).unwrap().validate(&schema(), Some(&json!([1]))).unwrap_err().field(),
            Some("tool_input")
        );
    }

    #[test]
    fn null_means_not_given() {
        let out = InputValidator::compile(&schema())
            .unwrap()
            .validate(&schema(), Some(&json!({"to": "a", "format": null, "ids": null})))
            .unwrap();
        assert!(!out.contains_key("format") && !out.contains_key("ids"));
        let err =
            InputValidator::compile(&schema()).unwrap().validate(&schema(), Some(&json!({"to": null}))).unwrap_err();
        assert_eq!(err.field(), Some("tool_input.to"), "a required field may not be null");
    }

    #[test]
    fn fills_defaults_and_drops_version_inputs() {
        let out = InputValidator::compile(&schema())
            .unwrap()
            .validate(&schema(), Some(&json!({"to": "a", "schema_version": "1", "max_results": 5.0})))
            .unwrap();
        assert_eq!(out.get("max_results"), Some(&json!(5.0)));
        assert!(!out.contains_key("schema_version"));
        let out = InputValidator::compile(&schema()).unwrap().validate(&schema(), Some(&json!({"to": "a"}))).unwrap();
        assert_eq!(out["max_results"], 10);
    }

    /// `maxResults` (the Node reference page's spelling) is `max_results` when the schema declares
    /// only that; a declared name wins; an unknown key of a closed schema is still named.
    #[test]
    fn camel_case_keys_read_as_declared_snake_case() {
        let validator = InputValidator::compile(&schema()).unwrap();
        let out = validator.validate(&schema(), Some(&json!({"to": "a", "maxResults": 5}))).unwrap();
        assert_eq!(out.get("max_results"), Some(&json!(5)));
        assert!(!out.contains_key("maxResults"));
        let both =
            validator.validate(&schema(), Some(&json!({"to": "a", "max_results": 3, "maxResults": 5}))).unwrap_err();
        assert_eq!(both.field(), Some("tool_input.maxResults"), "the declared name wins; the other is unknown");
        let err = validator.validate(&schema(), Some(&json!({"to": "a", "maxResult": 5}))).unwrap_err();
        assert_eq!(err.field(), Some("tool_input.maxResult"));
        let camel =
            json!({"type": "object", "properties": {"pageSize": {"type": "integer"}}, "additionalProperties": false});
        let out = InputValidator::compile(&camel).unwrap().validate(&camel, Some(&json!({"pageSize": 2}))).unwrap();
        assert_eq!(out.get("pageSize"), Some(&json!(2)), "declared camelCase names are read as written");
    }

    /// The keywords the first validator ignored: `pattern`, `format`, `oneOf` (an issue's
    /// `priority: 99` reached the provider) and bounds inside nested objects.
    #[test]
    fn every_keyword_counts_and_the_field_is_named() {
        let schema = json!({
            "type": "object",
            "properties": {
                "key": {"type": "string", "pattern": "^[A-Z]+-[0-9]+$"},
                "email": {"type": "string", "format": "email"},
                "due": {"type": "string", "format": "date"},
                "priority": {"oneOf": [{"type": "integer", "minimum": 0, "maximum": 4}, {"type": "string", "enum": ["low", "high"]}]},
                "task": {"type": "object", "properties": {"title": {"type": "string", "maxLength": 5}, "note": {"type": "string"}},
                         "required": ["title"], "additionalProperties": false}
            },
            "additionalProperties": false
        });
        let validator = InputValidator::compile(&schema).unwrap();
        let cases = [
            (json!({"key": "abc-1"}), "tool_input.key"),
            (json!({"email": "not an address"}), "tool_input.email"),
            (json!({"due": "2026-13-45"}), "tool_input.due"),
            (json!({"priority": 99}), "tool_input.priority"),
            (json!({"priority": "urgent"}), "tool_input.priority"),
            (json!({"task": {"title": "too long"}}), "tool_input.task.title"),
            (json!({"task": {}}), "tool_input.task.title"),
            (json!({"task": {"title": "a", "colour": "red"}}), "tool_input.task.colour"),
        ];
        for (input, field) in cases {
            let err = validator.validate(&schema, Some(&input)).unwrap_err();
            assert_eq!(err.field(), Some(field), "{input}: {}", err.message());
            // The value itself is never quoted back.
            for secretish in ["abc-1", "not an address", "2026-13-45", "urgent", "too long"] {
                assert!(!err.message().contains(secretish), "{}", err.message());
            }
        }
        let good = json!({"key": "AK-12", "email": "a@example.com", "due": "2026-12-07", "priority": 3,
                          "task": {"title": "ok", "note": null}});
        let out = validator.validate(&schema, Some(&good)).unwrap();
        assert_eq!(out["task"]["note"], Value::Null, "a nested null is not validated, and is passed on as sent");
        assert!(validator.validate(&schema, Some(&json!({"priority": "low"}))).is_ok());
    }

    /// A `pattern` runs on a linear-time engine: a catastrophic pattern for a backtracking engine
    /// answers at once, and one that needs backtracking features does not compile (a load error).
    #[test]
    fn patterns_cannot_backtrack() {
        let schema = json!({"type": "object", "properties": {"s": {"type": "string", "pattern": "^(a+)+$"}}});
        let validator = InputValidator::compile(&schema).unwrap();
        let evil = format!("{}!", "a".repeat(50_000));
        let started = std::time::Instant::now();
        assert!(validator.validate(&schema, Some(&json!({"s": evil}))).is_err());
        assert!(started.elapsed() < std::time::Duration::from_secs(1), "{:?}", started.elapsed());
        let lookbehind = json!({"type": "object", "properties": {"s": {"type": "string", "pattern": "(?<=a)b"}}});
        assert!(InputValidator::compile(&lookbehind).is_err());
    }
}
