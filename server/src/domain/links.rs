//! Authorization links: the signed, expiring, single-use URL an end user opens to connect an
//! account (the flow behind it lives in `api::links`).

use chrono::{Duration, Utc};

use agentkit_core::model::MagicLinkResponse;

use crate::credentials::tokens::{now_unix, LinkClaims};
use crate::state::AppState;

/// A signed, expiring, single-use authorization link for an account. A link that names no
/// `user_verify_url` of its own gets `server.user_verify_url`: so the links the gateway mints by
/// itself (MCP "connect your account" prompts, errors naming an account to authorize) carry user
/// verification too, and a forwarded link cannot attach someone else's provider account.
pub fn issue_link(state: &AppState, account_id: &str, app_state: String, user_verify_url: String) -> MagicLinkResponse {
    let user_verify_url = match (user_verify_url.is_empty(), &state.config.server.user_verify_url) {
        (true, Some(default)) => default.clone(),
        _ => user_verify_url,
    };
    crate::telemetry::requests::note_audit(crate::telemetry::requests::AuditNote {
        action: "authorization_link.issued",
        target: account_id.to_string(),
        outcome: "success",
        details: serde_json::json!({"user_verification": !user_verify_url.is_empty()}),
    });
    let ttl = state.config.server.link_ttl_secs as i64;
    let claims = LinkClaims {
        acc: account_id.to_string(),
        exp: now_unix() + ttl,
        state: app_state,
        verify: user_verify_url,
        n: uuid::Uuid::new_v4().simple().to_string(),
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

#[cfg(test)]
mod tests {
    use super::check_user_verify_url;

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
