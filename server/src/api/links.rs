//! Authorization links (`magic_link`) and user verification.
//!
//! A link is a signed, expiring, single-use token naming the connected account. Opening it starts
//! the provider's authorization-code flow (state + PKCE S256); the callback exchanges the code and
//! activates the account, or — with `user_verify_url` — holds the tokens until the app confirms
//! the user with `verify_connected_account_user`.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use chrono::{Duration, Utc};

use agentkit_core::model::*;
use agentkit_core::{Error, ErrorKind};

use super::openapi_schemas::{BadRequest, Conflict, Forbidden, MagicLinkBody, NotFound, Unauthorized, Unavailable};
use super::{ApiResult, Caller, JsonBody};
use crate::credentials::oauth::pkce_pair;
use crate::credentials::tokens::{now_unix, LinkClaims};
use crate::html::page;
use crate::state::{AppState, SharedState};
use crate::store::{AccountRecord, AuthRequest, AuthRequestStatus, ChangeRecords};

#[utoipa::path(
    post,
    path = "/api/v1/connected_accounts/magic_link",
    operation_id = "ConnectedAccountService_GetMagicLinkForConnectedAccount",
    tag = "Connected Accounts",
    summary = "Authorization link (creates the pending account if needed)",
    description = "404: no such account id, or the connection is not configured. 409: the selector matches several accounts.",
    request_body = MagicLinkBody,
    responses(
        (status = 200, description = "Success.", body = MagicLinkResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn create_magic_link(
    State(state): State<SharedState>,
    _caller: Caller,
    JsonBody(req): JsonBody<MagicLinkRequest>,
) -> ApiResult<Json<MagicLinkResponse>> {
    Ok(Json(crate::domain::magic_links::create_magic_link(&state, req).await?))
}

/// Where the provider sends the browser back.
pub fn redirect_uri(state: &AppState) -> String {
    state.oauth_redirect_uri()
}

/// Opening an authorization link: checks signature, expiry and single use, then sends the browser
/// to the provider's consent page with `state` and a PKCE S256 challenge.
pub async fn open_link(State(state): State<SharedState>, Path(token): Path<String>) -> Response {
    let Ok(claims) = state.signer.verify::<LinkClaims>(&token) else {
        return page(StatusCode::BAD_REQUEST, "Invalid link", "This authorization link is not valid.").into_response();
    };
    if claims.exp < now_unix() {
        return page(
            StatusCode::GONE,
            "Link expired",
            "This authorization link has expired. Ask the application for a new one.",
        )
        .into_response();
    }
    let account = match state.store.account_by_id(&claims.acc).await {
        Ok(Some(a)) => a,
        _ => {
            return page(
                StatusCode::NOT_FOUND,
                "Unknown account",
                "The connected account for this link no longer exists.",
            )
            .into_response()
        }
    };
    let found = match state.connection(&account.connection_name) {
        Ok(c) => state.oauth_app(&c).await.map(|app| (app, c.send_login_hint)),
        Err(e) => Err(e),
    };
    let (mut app, send_login_hint) = match found {
        Ok(found) => found,
        Err(e) => return page(StatusCode::BAD_REQUEST, "Authorization not available", e.message()).into_response(),
    };
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
        Err(e) if e.kind() == ErrorKind::Conflict => {
            return page(
                StatusCode::GONE,
                "Link already used",
                "This authorization link was already used. Ask the application for a new one.",
            )
            .into_response()
        }
        Err(_) => {
            return page(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong", "Please try again.").into_response()
        }
    }
    // The app's own identifier for its user reaches the provider only where the connection
    // opts in (it is often an email address the provider would otherwise not learn).
    let login_hint = if send_login_hint { account.identifier.as_str() } else { "" };
    let url = app.authorization_url(&request.id, &challenge, &redirect_uri(&state), login_hint);
    Redirect::to(&url).into_response()
}

/// Ends a started authorization request that will not complete, and records why.
async fn fail_request(state: &AppState, request: &AuthRequest, outcome: &'static str, details: serde_json::Value) {
    let _ = state
        .store
        .transition_auth_request(&request.id, AuthRequestStatus::Started, AuthRequestStatus::Failed, None)
        .await;
    crate::audit::record(&state.store, "authorization_link.refused", &request.account_id, outcome, details).await;
}

/// The provider's answer: exchange the code, then activate the account (or hold the tokens for
/// user verification). Any failure leaves the account as it was.
pub async fn oauth_callback(State(state): State<SharedState>, RawQuery(q): RawQuery) -> Response {
    let q: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(q.unwrap_or_default().as_bytes()).into_owned().collect();
    let get = |k: &str| q.get(k).cloned().unwrap_or_default();
    let request = match state.store.auth_request(&get("state")).await {
        Ok(Some(r)) if r.status == AuthRequestStatus::Started && r.expires_at > Utc::now() => r,
        _ => {
            return page(
                StatusCode::BAD_REQUEST,
                "Authorization failed",
                "This authorization request is unknown, expired or already completed.",
            )
            .into_response()
        }
    };
    if !get("error").is_empty() {
        let details = serde_json::json!({"reason": "the provider reported an error", "error": get("error")});
        fail_request(&state, &request, crate::audit::REFUSED, details).await;
        let reason = if get("error") == "access_denied" {
            "You declined the authorization.".to_string()
        } else {
            format!("The provider reported: {}", get("error"))
        };
        return page(StatusCode::BAD_REQUEST, "Authorization not granted", &reason).into_response();
    }
    let account = match state.store.account_by_id(&request.account_id).await {
        Ok(Some(a)) => a,
        _ => {
            return page(StatusCode::NOT_FOUND, "Unknown account", "The connected account no longer exists.")
                .into_response()
        }
    };
    let app = match state.connection(&account.connection_name) {
        Ok(c) => state.oauth_app(&c).await,
        Err(e) => Err(e),
    };
    let app = match app {
        Ok(app) => app,
        Err(e) => return page(StatusCode::BAD_REQUEST, "Authorization not available", e.message()).into_response(),
    };
    let tokens = match app.exchange_code(&get("code"), &request.pkce_verifier, &redirect_uri(&state)).await {
        Ok(t) => t,
        Err(e) => {
            tracing::info!(request = %request.id, reason = e.message(), "code exchange failed");
            let details = serde_json::json!({"reason": "the provider refused the code exchange"});
            fail_request(&state, &request, crate::audit::FAILURE, details).await;
            return page(
                StatusCode::BAD_GATEWAY,
                "Authorization failed",
                "The provider did not accept the authorization. Ask the application for a new link.",
            )
            .into_response();
        }
    };
    // The scopes the link asked for, when its own; a provider that leaves `scope` out of its
    // answer granted exactly those (RFC 6749 §5.1).
    let requested = request.scope_selection.as_ref().map(|s| s.requested()).unwrap_or_else(|| app.scopes.clone());
    let missing = missing_required_scopes(request.scope_selection.as_ref(), tokens.scope.as_deref());
    if !missing.is_empty() {
        let details =
            serde_json::json!({"reason": "the user did not grant every required scope", "missing_scopes": missing});
        fail_request(&state, &request, crate::audit::REFUSED, details).await;
        return page(
            StatusCode::FORBIDDEN,
            "Authorization incomplete",
            &format!(
                "The application needs access you did not allow ({}). Ask the application for a new link and allow it.",
                missing.join(", ")
            ),
        )
        .into_response();
    }
    let account = match collect_account_fields(&state, account, &tokens).await {
        Ok(a) => a,
        Err(e) => {
            let _ = state
                .store
                .transition_auth_request(&request.id, AuthRequestStatus::Started, AuthRequestStatus::Failed, None)
                .await;
            tracing::info!(request = %request.id, reason = e.message(), "connect-time account lookup failed");
            return page(
                StatusCode::BAD_GATEWAY,
                "Authorization failed",
                "The provider account could not be read after authorization. Please try again.",
            )
            .into_response();
        }
    };
    let (credentials, expires_at) = tokens.into_credentials(None, &requested);
    let mut fetched = account.clone();
    fetched.token_expires_at = expires_at;
    state.webhooks.emit("connected_account.oauth_tokens_fetched", &fetched, None).await;
    if !request.user_verify_url.is_empty() {
        // Hold the tokens until the app confirms the user (verify_connected_account_user).
        if !matches!(
            state
                .store
                .transition_auth_request(
                    &request.id,
                    AuthRequestStatus::Started,
                    AuthRequestStatus::AwaitingVerification,
                    Some((&credentials, expires_at))
                )
                .await,
            Ok(true)
        ) {
            return page(
                StatusCode::CONFLICT,
                "Authorization failed",
                "This authorization request was already completed.",
            )
            .into_response();
        }
        let mut waiting = account.clone();
        waiting.status = ConnectorStatus::PendingVerification;
        let _ = state.store.update_account(&waiting, &ChangeRecords::default()).await;
        let mut url = match url::Url::parse(&request.user_verify_url) {
            Ok(u) => u,
            Err(_) => {
                return page(
                    StatusCode::BAD_REQUEST,
                    "Authorization failed",
                    "The application's verification URL is invalid.",
                )
                .into_response()
            }
        };
        url.query_pairs_mut().append_pair("auth_request_id", &request.id).append_pair("state", &request.app_state);
        return Redirect::to(url.as_str()).into_response();
    }
    if !matches!(
        state
            .store
            .transition_auth_request(&request.id, AuthRequestStatus::Started, AuthRequestStatus::Done, None)
            .await,
        Ok(true)
    ) {
        return page(StatusCode::CONFLICT, "Authorization failed", "This authorization request was already completed.")
            .into_response();
    }
    match activate(&state, &account, credentials, expires_at).await {
        Ok(()) => page(
            StatusCode::OK,
            "Connected",
            &format!("{} is connected. You can close this window.", account.connection_name),
        )
        .into_response(),
        Err(_) => page(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong", "Please try again.").into_response(),
    }
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

/// Landing page after a successful user verification.
pub async fn completed() -> (StatusCode, Html<String>) {
    page(StatusCode::OK, "Connected", "Your account is connected. You can close this window.")
}

#[utoipa::path(
    post,
    path = "/api/v1/connected_accounts/user/verify",
    operation_id = "ConnectedAccountService_VerifyConnectedAccountUser",
    tag = "Connected Accounts",
    summary = "Confirm the user an authorization link was made for",
    description = "403: the identifier is not the one the link was made for. 404: no such (or an expired) auth request.",
    request_body = VerifyUserRequest,
    responses(
        (status = 200, description = "Success.", body = VerifyUserResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn verify_user(
    State(state): State<SharedState>,
    _caller: Caller,
    JsonBody(req): JsonBody<VerifyUserRequest>,
) -> ApiResult<Json<VerifyUserResponse>> {
    let (id, identifier) = (req.auth_request_id.trim(), req.identifier.trim());
    if id.is_empty() {
        return Err(Error::invalid_field("auth_request_id", "auth_request_id is required").into());
    }
    if identifier.is_empty() {
        return Err(Error::invalid_field("identifier", "identifier is required").into());
    }
    let not_found = || Error::not_found(format!("auth request {id:?} not found or expired"));
    let request = state.store.auth_request(id).await?.ok_or_else(not_found)?;
    if request.status != AuthRequestStatus::AwaitingVerification || request.expires_at < Utc::now() {
        return Err(not_found().into());
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
        )
        .into());
    }
    if !state
        .store
        .transition_auth_request(id, AuthRequestStatus::AwaitingVerification, AuthRequestStatus::Done, None)
        .await?
    {
        return Err(not_found().into());
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
    activate(&state, &account, credentials, request.pending_expires_at).await?;
    Ok(Json(VerifyUserResponse { post_user_verify_redirect_url: format!("{}/connect/complete", state.public_url) }))
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
