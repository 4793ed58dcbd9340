//! Authorization links: the signed, expiring, single-use URL an end user opens to connect an
//! account (the flow behind it lives in `api::links`).

use chrono::{Duration, Utc};

use agentkit_core::model::MagicLinkResponse;

use crate::credentials::tokens::{now_unix, LinkClaims};
use crate::state::AppState;

/// A signed, expiring, single-use authorization link for an account.
pub fn issue_link(state: &AppState, account_id: &str, app_state: String, user_verify_url: String) -> MagicLinkResponse {
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
