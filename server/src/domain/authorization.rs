//! The OAuth connect flow behind an authorization link: opening the link starts the provider's
//! authorization-code flow (state + PKCE S256); the provider's answer is exchanged and activates
//! the account, or, with `user_verify_url`, the tokens wait until the app confirms its user
//! (`verify_user`). Entry points (the `/connect` pages, the REST verify call) turn the outcomes
//! into their answers; nothing here knows HTML.

use chrono::{Duration, Utc};

use agentkit_core::model::{AuthorizationDetails, ConnectorStatus, ConnectorType, ScopeSelection};
use agentkit_core::{Error, ErrorKind};

use crate::credentials::oauth::pkce_pair;
use crate::credentials::tokens::{now_unix, LinkClaims};
use crate::state::AppState;
use crate::store::{AccountRecord, AuthRequest, AuthRequestStatus, ChangeRecords};

/// Why an authorization link or the provider's answer to it went no further. Each refusal that
/// ends a started request has recorded why (audit) before it is returned.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// The link's signature does not check out.
    InvalidLink,
    LinkExpired,
    LinkAlreadyUsed,
    /// The `state` names no started, unexpired request.
    UnknownRequest,
    UnknownAccount,
    /// The connection cannot run an OAuth flow (the reason names why).
    NotAvailable(String),
    /// The user said no at the provider.
    Declined,
    /// The provider answered with another error.
    ProviderError(String),
    /// The provider refused the code exchange.
    ExchangeFailed,
    /// The user left out scopes the link requires.
    ScopesMissing(Vec<String>),
    /// The connector's connect-time account lookup failed.
    AccountLookupFailed,
    /// Another answer completed the request first.
    AlreadyCompleted,
    /// The app's `user_verify_url` does not parse.
    InvalidVerifyUrl,
    /// The store failed; nothing was acknowledged.
    Failed,
}

/// Where the browser goes once the provider has answered.
#[derive(Debug, Clone, PartialEq)]
pub enum Completed {
    /// The account is ACTIVE.
    Connected { connection_name: String },
    /// The tokens wait for the app to confirm its user at this URL.
    VerifyUser(String),
}

/// Opening an authorization link: checks signature, expiry and single use, records the started
/// request, and gives the provider's consent URL with `state` and a PKCE S256 challenge.
pub async fn open_link(state: &AppState, token: &str) -> Result<String, Refusal> {
    let claims = state.signer.verify::<LinkClaims>(token).map_err(|_| Refusal::InvalidLink)?;
    if claims.exp < now_unix() {
        return Err(Refusal::LinkExpired);
    }
    let account = match state.store.account_by_id(&claims.acc).await {
        Ok(Some(a)) => a,
        _ => return Err(Refusal::UnknownAccount),
    };
    let connection =
        state.connection(&account.connection_name).map_err(|e| Refusal::NotAvailable(e.message().into()))?;
    let mut app = state.oauth_app(&connection).await.map_err(|e| Refusal::NotAvailable(e.message().into()))?;
    if let Some(selection) = &claims.scopes {
        app.scopes = selection.requested();
    }
    let (verifier, challenge) = pkce_pair();
    let request = AuthRequest {
        id: format!("ar_{}", uuid::Uuid::new_v4().simple()),
        account_id: account.id.clone(),
        identifier: account.identifier.clone(),
        link_nonce: claims.n.clone(),
        pkce_verifier: verifier,
        app_state: claims.state.clone(),
        user_verify_url: claims.verify.clone(),
        status: AuthRequestStatus::Started,
        pending: None,
        pending_expires_at: None,
        expires_at: Utc::now() + Duration::seconds(state.config.server.link_ttl_secs as i64),
        scope_selection: claims.scopes.clone(),
    };
    match state.store.insert_auth_request(&request).await {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::Conflict => return Err(Refusal::LinkAlreadyUsed),
        Err(_) => return Err(Refusal::Failed),
    }
    // The app's own identifier for its user reaches the provider only where the connection
    // opts in (it is often an email address the provider would otherwise not learn).
    let login_hint = if connection.send_login_hint { account.identifier.as_str() } else { "" };
    Ok(app.authorization_url(&request.id, &challenge, &state.oauth_redirect_uri(), login_hint))
}

/// Ends a started authorization request that will not complete, and records why.
async fn fail_request(state: &AppState, request: &AuthRequest, outcome: &'static str, details: serde_json::Value) {
    let _ = state
        .store
        .transition_auth_request(&request.id, AuthRequestStatus::Started, AuthRequestStatus::Failed, None)
        .await;
    crate::audit::record(&state.store, "authorization_link.refused", &request.account_id, outcome, details).await;
}

/// The provider's answer (`state`, and `code` or `error`): exchange the code, then activate the
/// account (or hold the tokens for user verification). Any failure leaves the account as it was.
pub async fn complete(state: &AppState, request_id: &str, code: &str, error: &str) -> Result<Completed, Refusal> {
    let request = match state.store.auth_request(request_id).await {
        Ok(Some(r)) if r.status == AuthRequestStatus::Started && r.expires_at > Utc::now() => r,
        _ => return Err(Refusal::UnknownRequest),
    };
    if !error.is_empty() {
        let details = serde_json::json!({"reason": "the provider reported an error", "error": error});
        fail_request(state, &request, crate::audit::REFUSED, details).await;
        return Err(if error == "access_denied" { Refusal::Declined } else { Refusal::ProviderError(error.into()) });
    }
    let account = match state.store.account_by_id(&request.account_id).await {
        Ok(Some(a)) => a,
        _ => return Err(Refusal::UnknownAccount),
    };
    let connection =
        state.connection(&account.connection_name).map_err(|e| Refusal::NotAvailable(e.message().into()))?;
    let app = state.oauth_app(&connection).await.map_err(|e| Refusal::NotAvailable(e.message().into()))?;
    let tokens = match app.exchange_code(code, &request.pkce_verifier, &state.oauth_redirect_uri()).await {
        Ok(t) => t,
        Err(e) => {
            tracing::info!(request = %request.id, reason = e.message(), "code exchange failed");
            let details = serde_json::json!({"reason": "the provider refused the code exchange"});
            fail_request(state, &request, crate::audit::FAILURE, details).await;
            return Err(Refusal::ExchangeFailed);
        }
    };
    // The scopes the link asked for, when its own; a provider that leaves `scope` out of its
    // answer granted exactly those (RFC 6749 §5.1).
    let requested = request.scope_selection.as_ref().map(|s| s.requested()).unwrap_or_else(|| app.scopes.clone());
    let missing = missing_required_scopes(request.scope_selection.as_ref(), tokens.scope.as_deref());
    if !missing.is_empty() {
        let details =
            serde_json::json!({"reason": "the user did not grant every required scope", "missing_scopes": missing});
        fail_request(state, &request, crate::audit::REFUSED, details).await;
        return Err(Refusal::ScopesMissing(missing));
    }
    let account = match collect_account_fields(state, account, &tokens).await {
        Ok(a) => a,
        Err(e) => {
            let _ = state
                .store
                .transition_auth_request(&request.id, AuthRequestStatus::Started, AuthRequestStatus::Failed, None)
                .await;
            tracing::info!(request = %request.id, reason = e.message(), "connect-time account lookup failed");
            return Err(Refusal::AccountLookupFailed);
        }
    };
    let (credentials, expires_at) = tokens.into_credentials(None, &requested);
    let mut fetched = account.clone();
    fetched.token_expires_at = expires_at;
    state.webhooks.emit("connected_account.oauth_tokens_fetched", &fetched, None).await;
    if !request.user_verify_url.is_empty() {
        // Hold the tokens until the app confirms the user (verify_connected_account_user).
        let held = state
            .store
            .transition_auth_request(
                &request.id,
                AuthRequestStatus::Started,
                AuthRequestStatus::AwaitingVerification,
                Some((&credentials, expires_at)),
            )
            .await;
        if !matches!(held, Ok(true)) {
            return Err(Refusal::AlreadyCompleted);
        }
        let mut waiting = account.clone();
        waiting.status = ConnectorStatus::PendingVerification;
        let _ = state.store.update_account(&waiting, &ChangeRecords::default()).await;
        let mut url = url::Url::parse(&request.user_verify_url).map_err(|_| Refusal::InvalidVerifyUrl)?;
        url.query_pairs_mut().append_pair("auth_request_id", &request.id).append_pair("state", &request.app_state);
        return Ok(Completed::VerifyUser(url.into()));
    }
    let done = state
        .store
        .transition_auth_request(&request.id, AuthRequestStatus::Started, AuthRequestStatus::Done, None)
        .await;
    if !matches!(done, Ok(true)) {
        return Err(Refusal::AlreadyCompleted);
    }
    activate(state, &account, credentials, expires_at).await.map_err(|_| Refusal::Failed)?;
    Ok(Completed::Connected { connection_name: account.connection_name })
}

/// The app confirms the user an authorization link was made for: the held tokens activate the
/// account. Gives the page the user lands on.
pub async fn verify_user(state: &AppState, id: &str, identifier: &str) -> agentkit_core::Result<String> {
    if id.is_empty() {
        return Err(Error::invalid_field("auth_request_id", "auth_request_id is required"));
    }
    if identifier.is_empty() {
        return Err(Error::invalid_field("identifier", "identifier is required"));
    }
    let not_found = || Error::not_found(format!("auth request {id:?} not found or expired"));
    let request = state.store.auth_request(id).await?.ok_or_else(not_found)?;
    if request.status != AuthRequestStatus::AwaitingVerification || request.expires_at < Utc::now() {
        return Err(not_found());
    }
    if request.identifier != identifier {
        tracing::warn!(request = %request.id, "user verification with a different identifier refused");
        let details = serde_json::json!({"auth_request_id": request.id, "reason": "identifier mismatch"});
        crate::audit::record(
            &state.store,
            "authorization_link.verified",
            &request.account_id,
            crate::audit::REFUSED,
            details,
        )
        .await;
        return Err(Error::new(
            ErrorKind::Forbidden,
            "the identifier does not match the user this authorization link was made for",
        ));
    }
    if !state
        .store
        .transition_auth_request(id, AuthRequestStatus::AwaitingVerification, AuthRequestStatus::Done, None)
        .await?
    {
        return Err(not_found());
    }
    let account = state
        .store
        .account_by_id(&request.account_id)
        .await?
        .ok_or_else(|| Error::not_found("the connected account no longer exists"))?;
    let credentials =
        request.pending.ok_or_else(|| Error::new(ErrorKind::Server, "verified request holds no credentials"))?;
    let details = serde_json::json!({"auth_request_id": request.id});
    crate::audit::record(&state.store, "authorization_link.verified", &account.id, crate::audit::SUCCESS, details)
        .await;
    activate(state, &account, credentials, request.pending_expires_at).await?;
    Ok(format!("{}/connect/complete", state.public_url))
}

/// The required scopes of a link's selection that the provider's `scope` answer does not list
/// (space- or comma-separated, as providers write it). None without a selection or a `scope`.
fn missing_required_scopes(selection: Option<&ScopeSelection>, granted: Option<&str>) -> Vec<String> {
    // Without `scope` the grant is what was asked (RFC 6749 §5.1); an empty one grants nothing.
    let (Some(selection), Some(granted)) = (selection, granted) else {
        return Vec::new();
    };
    let granted: std::collections::HashSet<&str> = granted.split([' ', ',']).filter(|s| !s.is_empty()).collect();
    selection.scopes.iter().filter(|s| !granted.contains(s.as_str())).cloned().collect()
}

/// Fills the account's `api_config` with what its base-URL templates need: token-response fields
/// the connector keeps (Salesforce's `instance_url`) and the answer of its connect-time lookup
/// (Jira's cloud id).
async fn collect_account_fields(
    state: &AppState,
    account: AccountRecord,
    tokens: &crate::credentials::oauth::TokenSet,
) -> agentkit_core::Result<AccountRecord> {
    let connection = state.connection(&account.connection_name)?;
    let registry = state.registry();
    let Some(connector) = registry.catalog.connector(&connection.connector) else {
        return Ok(account);
    };
    let auth = &connector.auth;
    let mut kept: Vec<(String, serde_json::Value)> =
        auth.token_response_fields.iter().filter_map(|f| tokens.extra.get(f).map(|v| (f.clone(), v.clone()))).collect();
    if let Some(lookup) = &auth.account_lookup {
        let url = connection.account_lookup_url.as_deref().unwrap_or(&lookup.url);
        kept.extend(lookup_account_fields(&state.egress, url, &lookup.fields, &tokens.access_token).await?);
    }
    if kept.is_empty() {
        return Ok(account);
    }
    let mut updated = account;
    let mut config = updated.api_config.take().and_then(|c| c.as_object().cloned()).unwrap_or_default();
    config.extend(kept);
    updated.api_config = Some(serde_json::Value::Object(config));
    state.store.update_account(&updated, &ChangeRecords::default()).await?;
    Ok(updated)
}

/// Calls a connector's account lookup with the new access token and picks the wanted fields.
async fn lookup_account_fields(
    egress: &crate::egress::Egress,
    url: &str,
    fields: &std::collections::BTreeMap<String, String>,
    access_token: &str,
) -> agentkit_core::Result<Vec<(String, serde_json::Value)>> {
    let failed = |why: String| Error::new(ErrorKind::Unavailable, format!("account lookup failed: {why}"));
    let resp = egress
        .get(url)
        .header("authorization", format!("Bearer {access_token}"))
        .header("accept", "application/json")
        .timeout(std::time::Duration::from_secs(15))
        .send()
        .await
        .map_err(|e| failed(e.message().to_string()))?;
    if !resp.status().is_success() {
        return Err(failed(format!("HTTP {}", resp.status().as_u16())));
    }
    let body = crate::egress::read_bounded(resp, crate::egress::TOKEN_ANSWER_MAX_BYTES)
        .await
        .map_err(|e| failed(e.message().to_string()))?;
    let answer: serde_json::Value = serde_json::from_slice(&body).map_err(|e| failed(e.to_string()))?;
    fields
        .iter()
        .map(|(field, path)| {
            let value = crate::catalog::connectors::dotted(&answer, path)
                .filter(|v| !v.is_null())
                .ok_or_else(|| failed(format!("the answer has no {path} (for api_config.{field})")))?;
            Ok((field.clone(), value.clone()))
        })
        .collect()
}

/// Stores fresh OAuth credentials on an account and makes it ACTIVE.
async fn activate(
    state: &AppState,
    account: &AccountRecord,
    credentials: AuthorizationDetails,
    expires_at: Option<chrono::DateTime<Utc>>,
) -> agentkit_core::Result<()> {
    let mut active = account.clone();
    active.credentials = Some(credentials);
    active.token_expires_at = expires_at;
    active.authorization_type = ConnectorType::Oauth;
    active.status = ConnectorStatus::Active;
    let null = serde_json::Value::Null;
    let mut audit =
        vec![crate::audit::account_row("authorization_link.completed", &active, crate::audit::SUCCESS, null)];
    let mut events = vec![("connected_account.oauth_succeeded", &active, None)];
    if account.status != active.status {
        let change = serde_json::json!({"from": account.status.as_str(), "to": active.status.as_str()});
        audit.push(crate::audit::account_row(
            "connected_account.status_changed",
            &active,
            crate::audit::SUCCESS,
            change,
        ));
        events.push(("connected_account.status_updated", &active, Some(account.status.as_str())));
    }
    let records = state.webhooks.change_records(audit, &events).await?;
    state.store.update_account(&active, &records).await?;
    state.webhooks.wake();
    crate::domain::triggers::account_activated(state, &active).await;
    if let Ok(connection) = state.connection(&account.connection_name) {
        crate::domain::remote_mcp::account_activated(state, &connection);
    }
    tracing::info!(account = %account.id, "connected account authorized");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::missing_required_scopes;
    use agentkit_core::model::ScopeSelection;

    #[test]
    fn only_required_scopes_missing_from_a_scope_answer_count() {
        let selection = ScopeSelection { scopes: vec!["a".into(), "b".into()], optional_scopes: vec!["c".into()] };
        assert_eq!(missing_required_scopes(Some(&selection), Some("a,c")), ["b"]);
        assert!(missing_required_scopes(Some(&selection), Some("b a")).is_empty(), "optional c may be declined");
        assert!(missing_required_scopes(Some(&selection), None).is_empty(), "no scope answer: granted as asked");
        assert_eq!(missing_required_scopes(Some(&selection), Some("")), ["a", "b"], "an empty one grants nothing");
        assert!(missing_required_scopes(None, Some("x")).is_empty(), "no selection: nothing required");
    }
}
