//! snake_case ⇄ lowerCamel for field names: the wire uses snake_case, the Node SDK and lowerCamel
//! input use camelCase. One pair of functions so both directions agree.

/// `filter.connectionNames` → `filter.connection_names`; snake_case passes through.
pub fn to_snake_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// `connected_account_id` → `connectedAccountId`; a leading underscore is kept.
pub fn to_camel_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' && !out.is_empty() {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_field_names() {
        for snake in ["connected_account_id", "filter.connection_names", "id", "page_size"] {
            assert_eq!(to_snake_case(&to_camel_case(snake)), snake);
        }
        assert_eq!(to_camel_case("token_expires_at"), "tokenExpiresAt");
        assert_eq!(to_snake_case("filter.toolNames"), "filter.tool_names");
    }
}
