//! Authorization links: the signed, expiring, single-use URL an end user opens to connect an
//! account (the flow behind it lives in `api::links`).

use chrono::{Duration, Utc};

use agentkit_core::model::{MagicLinkResponse, ScopeSelection};

use crate::credentials::tokens::{now_unix, LinkClaims};
use crate::state::AppState;

/// A signed, expiring, single-use authorization link for an account. A link that names no
/// `user_verify_url` of its own gets `server.user_verify_url`: so the links the gateway mints by
/// itself (MCP "connect your account" prompts, errors naming an account to authorize) carry user
/// verification too, and a forwarded link cannot attach someone else's provider account.
/// `scopes` replaces the connection's scopes for this one authorization (checked by
/// `check_scope_selection`).
pub fn issue_link(
    state: &AppState,
    account_id: &str,
    app_state: String,
    user_verify_url: String,
    scopes: Option<ScopeSelection>,
) -> MagicLinkResponse {
    let user_verify_url = match (user_verify_url.is_empty(), &state.config.server.user_verify_url) {
        (true, Some(default)) => default.clone(),
        _ => user_verify_url,
    };
    crate::telemetry::requests::note_audit(crate::telemetry::requests::AuditNote {
        action: "authorization_link.issued",
        target: account_id.to_string(),
        outcome: "success",
        details: serde_json::json!({"user_verification": !user_verify_url.is_empty(), "scope_selection": scopes}),
    });
    let ttl = state.config.server.link_ttl_secs as i64;
    let claims = LinkClaims {
        acc: account_id.to_string(),
        exp: now_unix() + ttl,
        state: app_state,
        verify: user_verify_url,
        n: uuid::Uuid::new_v4().simple().to_string(),
        scopes,
    };
    let token = state.signer.sign(&claims);
    MagicLinkResponse {
        link: format!("{}/connect/{token}", state.public_url),
        expiry: Some(Utc::now() + Duration::seconds(ttl)),
    }
}

/// Where a user's browser is sent after consent must be the app's own page: https (http only on
/// a loopback host), and on one of `server.user_verify_hosts` when the operator lists them.
pub fn check_user_verify_url(allowed_hosts: &[String], text: &str) -> agentkit_core::Result<()> {
    let bad = |why: String| agentkit_core::Error::invalid_field("user_verify_url", format!("user_verify_url {why}"));
    let url = url::Url::parse(text).map_err(|e| bad(format!("is not a valid URL: {e}")))?;
    let host = url.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    let loopback = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        other => return Err(bad(format!("must be https (http only on localhost), not {other}:"))),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("may not carry credentials".into()));
    }
    let listed = |pattern: &String| match pattern.strip_prefix("*.") {
        Some(suffix) => {
            host.strip_suffix(suffix.to_ascii_lowercase().as_str()).is_some_and(|s| s.ends_with('.') && s.len() > 1)
        }
        None => pattern.eq_ignore_ascii_case(&host),
    };
    if !allowed_hosts.is_empty() && !loopback && !allowed_hosts.iter().any(listed) {
        return Err(bad(format!("host {host:?} is not in the gateway's server.user_verify_hosts")));
    }
    Ok(())
}

/// Most scopes one list of a selection may name, and the longest scope: a link carries them,
/// and an authorize URL has a length providers refuse beyond.
const MAX_SELECTED_SCOPES: usize = 64;
const MAX_SCOPE_LEN: usize = 256;
/// All the scopes of one selection together, in bytes: what a link and an authorize URL carry.
const MAX_SELECTION_BYTES: usize = 4096;

/// A link's own scope selection, checked: each scope a single RFC 6749 scope token (printable
/// ASCII without spaces, quotes or backslashes: it is joined with spaces into the authorize URL),
/// and no scope named twice.
pub fn check_scope_selection(selection: ScopeSelection) -> agentkit_core::Result<ScopeSelection> {
    use agentkit_core::Error;
    let mut seen = std::collections::HashSet::new();
    for (field, list) in
        [("scope_selection.scopes", &selection.scopes), ("scope_selection.optional_scopes", &selection.optional_scopes)]
    {
        if list.len() > MAX_SELECTED_SCOPES {
            return Err(Error::invalid_field(
                field,
                format!("{field} names {} scopes; at most {MAX_SELECTED_SCOPES}", list.len()),
            ));
        }
        for scope in list {
            // RFC 6749 scope-token, less `,`: providers' answers are split on commas too.
            let token = !scope.is_empty()
                && scope.len() <= MAX_SCOPE_LEN
                && scope
                    .bytes()
                    .all(|b| b != b',' && (b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b)));
            if !token {
                return Err(Error::invalid_field(
                    field,
                    format!(
                        "{field}: {scope:?} is not a scope (one word of printable characters, at most {MAX_SCOPE_LEN})"
                    ),
                ));
            }
            if !seen.insert(scope.as_str()) {
                return Err(Error::invalid_field(field, format!("{field}: {scope:?} is named twice")));
            }
        }
    }
    let bytes: usize = selection.requested().iter().map(|s| s.len() + 1).sum();
    if bytes > MAX_SELECTION_BYTES {
        return Err(Error::invalid_field(
            "scope_selection",
            format!("scope_selection names {bytes} bytes of scopes; at most {MAX_SELECTION_BYTES}"),
        ));
    }
    Ok(selection)
}

#[cfg(test)]
mod tests {
    use super::{check_scope_selection, check_user_verify_url};
    use agentkit_core::model::ScopeSelection;

    #[test]
    fn a_scope_selection_names_scope_tokens_once() {
        let pick = |scopes: &[&str], optional: &[&str]| ScopeSelection {
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            optional_scopes: optional.iter().map(|s| s.to_string()).collect(),
        };
        let ok = pick(&["https://www.googleapis.com/auth/gmail.readonly"], &["openid", "repo:status"]);
        assert_eq!(check_scope_selection(ok.clone()).unwrap(), ok);
        for (bad, field) in [
            (pick(&["a b"], &[]), "scope_selection.scopes"),
            (pick(&[""], &[]), "scope_selection.scopes"),
            (pick(&["x\"y"], &[]), "scope_selection.scopes"),
            (pick(&["ok"], &["caf\u{e9}"]), "scope_selection.optional_scopes"),
            (pick(&["a,b"], &[]), "scope_selection.scopes"),
            (pick(&["read"], &["read"]), "scope_selection.optional_scopes"),
            (pick(&[&"s".repeat(257)], &[]), "scope_selection.scopes"),
        ] {
            assert_eq!(check_scope_selection(bad.clone()).unwrap_err().field(), Some(field), "{bad:?}");
        }
        let many: Vec<String> = (0..65).map(|i| format!("s{i}")).collect();
        let too_many = ScopeSelection { scopes: many, optional_scopes: vec![] };
        assert!(check_scope_selection(too_many).unwrap_err().message().contains("at most 64"));
        let long: Vec<String> = (0..20).map(|i| format!("{i}{}", "s".repeat(250))).collect();
        let too_long = ScopeSelection { scopes: long, optional_scopes: vec![] };
        assert_eq!(check_scope_selection(too_long).unwrap_err().field(), Some("scope_selection"));
    }

    #[test]
    fn only_https_app_pages_or_loopback() {
        let none: Vec<String> = Vec::new();
        for bad in [
            "javascript:alert(1)",
            "data:text/html,x",
            "http://app.example.com/v",
            "ftp://x/",
            "https://u:p@app.example.com/",
        ] {
            assert_eq!(check_user_verify_url(&none, bad).unwrap_err().field(), Some("user_verify_url"), "{bad}");
        }
        for ok in
            ["https://app.example.com/verify", "http://127.0.0.1:3000/v", "http://localhost/v", "http://[::1]:8/v"]
        {
            check_user_verify_url(&none, ok).unwrap();
        }
        let listed = vec!["*.example.com".to_string()];
        assert!(check_user_verify_url(&listed, "https://app.example.com/v").is_ok());
        assert!(check_user_verify_url(&listed, "https://evil.test/v").is_err());
    }
}
