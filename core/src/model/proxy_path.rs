//! The provider path of a proxied request (`/proxy{path}`): one rule for the SDKs, which build
//! it, and the gateway, which receives it. A path may only name something *under* the
//! connection's base URL, so dot segments, encoded slashes and backslashes, NULs, `?` and `#`
//! are refused and every segment travels percent-encoded.

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS, NON_ALPHANUMERIC};

use crate::{Error, Result};

/// Bytes escaped inside one path segment (RFC 3986 `pchar` keeps the rest).
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// Bytes escaped in a templated value: all but RFC 3986 unreserved characters.
const VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

fn refused(path: &str, why: &str) -> Error {
    Error::invalid_field("path", format!("path {path:?} {why}: it must stay under the connection's API base"))
}

/// Checks one decoded segment.
fn check_segment(path: &str, segment: &str) -> Result<()> {
    if segment == "." || segment == ".." {
        return Err(refused(path, "has a dot segment"));
    }
    if segment.contains(['/', '\\', '\0']) {
        return Err(refused(path, "has an encoded slash, a backslash or a NUL"));
    }
    Ok(())
}

/// A caller's path (`/gmail/v1/users/me`, segments possibly percent-encoded) as the canonical
/// encoded path the gateway forwards. `?` and `#` belong in `query_params`, not here.
pub fn encode_caller_path(path: &str) -> Result<String> {
    if path.contains(['?', '#']) {
        return Err(refused(path, "has '?' or '#' (pass query parameters separately)"));
    }
    let mut out = String::with_capacity(path.len() + 1);
    for raw in path.trim_start_matches('/').split('/') {
        let decoded = percent_decode_str(raw).decode_utf8().map_err(|_| refused(path, "is not UTF-8 once decoded"))?;
        check_segment(path, &decoded)?;
        out.push('/');
        out.extend(utf8_percent_encode(&decoded, SEGMENT));
    }
    Ok(out)
}

/// The gateway's side: the already-decoded wildcard of `/proxy/{*path}`, checked and encoded again.
pub fn encode_decoded_path(decoded: &str) -> Result<String> {
    let mut out = String::with_capacity(decoded.len() + 1);
    for segment in decoded.trim_start_matches('/').split('/') {
        check_segment(decoded, segment)?;
        out.push('/');
        out.extend(utf8_percent_encode(segment, SEGMENT));
    }
    Ok(out)
}

/// One templated path value (a tool's `{{calendar_id}}`) as a single segment. `/` is encoded;
/// `.` and `..` cannot be made safe by encoding (URL parsers treat `%2E%2E` as `..`), so
/// [`is_dot_segment`] values are refused by the callers before they get here.
pub fn encode_segment_value(value: &str) -> String {
    utf8_percent_encode(value, VALUE).to_string()
}

/// `.` or `..`, the values that would climb out of a path segment.
pub fn is_dot_segment(value: &str) -> bool {
    matches!(value, "." | "..")
}

/// `path` under `base` as one URL with the base's scheme, host and port: the two are joined as a
/// path below the base (a `/` always between them), never pasted as text, so no path — not
/// `@evil.example/x`, `//evil.example`, nor a backslash — can move a request, and the credential
/// it carries, to another authority. Checked once more on the parsed result.
pub fn join_under_base(base: &str, path: &str) -> Result<String> {
    let trimmed = base.trim_end_matches('/');
    let joined =
        if path.is_empty() { trimmed.to_string() } else { format!("{trimmed}/{}", path.trim_start_matches('/')) };
    let authority = |text: &str| {
        url::Url::parse(text).ok().map(|u| {
            (
                u.scheme().to_string(),
                u.host_str().map(str::to_string),
                u.port_or_known_default(),
                u.username().is_empty() && u.password().is_none(),
            )
        })
    };
    let base_authority = authority(base)
        .ok_or_else(|| Error::invalid_field("base_url", format!("the API base {base:?} is not a URL")))?;
    if authority(&joined) != Some(base_authority) {
        return Err(refused(path, "would change the host the request goes to"));
    }
    Ok(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joined_paths_keep_the_base_authority() {
        let base = "https://api.example.com/v1/";
        assert_eq!(join_under_base(base, "/tasks/1").unwrap(), "https://api.example.com/v1/tasks/1");
        assert_eq!(join_under_base(base, "tasks").unwrap(), "https://api.example.com/v1/tasks");
        assert_eq!(join_under_base(base, "").unwrap(), "https://api.example.com/v1");
        assert_eq!(
            join_under_base("https://api.example.com", "@evil.example/x").unwrap(),
            "https://api.example.com/@evil.example/x"
        );
        for path in ["@evil.example/x", "//evil.example/x", "\\\\evil.example/x", ":99/x"] {
            let url = join_under_base("https://api.example.com", path).unwrap();
            assert!(url.starts_with("https://api.example.com/"), "{path} -> {url}");
        }
        assert!(join_under_base("not a url", "/x").is_err());
    }

    #[test]
    fn paths_cannot_leave_the_base() {
        for bad in [
            "/../api/v1/connected_accounts/auth",
            "/%2e%2e/api/v1/connected_accounts/auth",
            "/%2E%2E/x",
            "/a/./b",
            "/a/%2Fb",
            "/a\\..\\b",
            "/a/%5C..",
            "/a?x=1",
            "/a#f",
            "/a/%00",
        ] {
            assert_eq!(encode_caller_path(bad).unwrap_err().field(), Some("path"), "{bad}");
        }
        assert_eq!(encode_caller_path("gmail/v1/users/me").unwrap(), "/gmail/v1/users/me");
        assert_eq!(encode_caller_path("/a b/c%20d/é").unwrap(), "/a%20b/c%20d/%C3%A9");
        assert_eq!(encode_caller_path("/users/me:batch").unwrap(), "/users/me:batch");
        assert!(encode_decoded_path("/x/../y").is_err());
        assert_eq!(encode_decoded_path("/x/a%b").unwrap(), "/x/a%25b");
        assert!(is_dot_segment("..") && is_dot_segment(".") && !is_dot_segment("..."));
        assert_eq!(encode_segment_value("a/b"), "a%2Fb");
    }
}
