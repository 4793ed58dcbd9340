//! Text every store can keep, checked where requests come in: PostgreSQL's `text` cannot hold a
//! NUL character, so a NUL reaching a write (an identifier, an audit row, an execution record's
//! input) failed the request with a 500 and lost its audit row. Requests carrying one are refused
//! at the edge — JSON bodies of the API and MCP, and percent-decoded paths and queries — with a
//! 400 naming where it was.

use serde_json::Value;

/// Whether a JSON text holds an escaped NUL (`\u0000`) inside a string. (A raw NUL byte is not
/// valid JSON; the parser refuses it.) The scan costs no parse; [`nul_path`] names the place
/// once one is found.
pub fn json_has_nul(bytes: &[u8]) -> bool {
    let mut backslashes = 0usize;
    for (i, byte) in bytes.iter().enumerate() {
        if *byte == b'\\' {
            backslashes += 1;
            continue;
        }
        // `\u0000` is an escape only after an odd run of backslashes (`\\u0000` is text).
        if *byte == b'u' && backslashes % 2 == 1 && bytes.get(i + 1..i + 5) == Some(b"0000") {
            return true;
        }
        backslashes = 0;
    }
    false
}

/// The path (`tool_input.body`, `items[2]`, or a key itself) of the first string holding a NUL.
pub fn nul_path(value: &Value) -> Option<String> {
    fn walk(value: &Value, at: &str) -> Option<String> {
        match value {
            Value::String(s) if s.contains('\0') => Some(at.to_string()),
            Value::Array(items) => items.iter().enumerate().find_map(|(n, v)| walk(v, &format!("{at}[{n}]"))),
            Value::Object(fields) => fields.iter().find_map(|(k, v)| {
                let here = if at.is_empty() { k.clone() } else { format!("{at}.{k}") };
                if k.contains('\0') {
                    return Some(here.replace('\0', "\\u0000"));
                }
                walk(v, &here)
            }),
            _ => None,
        }
    }
    walk(value, "")
}

/// The error for a NUL at `path`.
pub fn nul_refused(path: &str) -> agentkit_core::Error {
    let field = if path.is_empty() { "body" } else { path };
    agentkit_core::Error::invalid_field(
        field,
        format!("{field} contains a NUL character (\\u0000), which cannot be stored"),
    )
}

/// Whether a percent-encoded path or query decodes to a NUL.
pub fn uri_has_nul(text: &str) -> bool {
    text.contains('\0') || percent_encoding::percent_decode_str(text).any(|b| b == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_nuls_are_found_and_named() {
        assert!(json_has_nul(br#"{"a":"x\u0000y"}"#));
        assert!(!json_has_nul(br#"{"a":"x\\u0000y"}"#), "an escaped backslash is text");
        assert!(json_has_nul(br#"{"a":"x\\\u0000y"}"#));
        assert!(json_has_nul(br#"{"a":"\u00001"}"#), "a NUL followed by a digit");
        assert!(!json_has_nul(br#"{"a":"\u0001 \n"}"#));
        let value: Value = serde_json::from_slice(br#"{"tool_input":{"items":["ok","b\u0000d"]}}"#).unwrap();
        assert_eq!(nul_path(&value).as_deref(), Some("tool_input.items[1]"));
        let key: Value = serde_json::from_slice(br#"{"k\u0000":1}"#).unwrap();
        assert_eq!(nul_path(&key).as_deref(), Some("k\\u0000"));
        assert!(nul_refused("tool_input.items[1]").message().contains("tool_input.items[1]"));
    }

    #[test]
    fn percent_encoded_nuls_are_found() {
        assert!(uri_has_nul("/api/v1/x%00y"));
        assert!(uri_has_nul("identifier=a%00"));
        assert!(!uri_has_nul("identifier=a%2500"));
    }
}
