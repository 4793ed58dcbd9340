//! Authorization links (`magic_link`) and user verification.
//!
//! A link is a signed, expiring token naming the connected account. Opening it starts the
//! provider's consent flow (the interactive OAuth flow is built on this endpoint).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Html;
use axum::Json;
use chrono::{Duration, Utc};

use agentkit_core::model::*;
use agentkit_core::{Error, ErrorKind};

use super::accounts::{create_account, resolve_account};
use super::{ApiResult, Caller, JsonBody};
use crate::app::SharedState;
use crate::tokens::{now_unix, LinkClaims};

pub async fn create_magic_link(
    State(state): State<SharedState>,
    _caller: Caller,
    JsonBody(req): JsonBody<MagicLinkRequest>,
) -> ApiResult<Json<MagicLinkResponse>> {
    if !req.user_verify_url.is_empty() {
        url::Url::parse(&req.user_verify_url).map_err(|e| {
            Error::invalid_field(
                "user_verify_url",
                format!("user_verify_url is not a valid URL: {e}"),
            )
        })?;
    }
    // A link for a user without an account creates the pending account, as the hosted API does.
    let account = match resolve_account(&state, &req.selector).await {
        Ok(a) => a,
        Err(e) if e.kind() == ErrorKind::NotFound && req.selector.id.is_empty() => {
            let create = UpsertConnectedAccountRequest {
                selector: req.selector.clone(),
                connected_account: Default::default(),
            };
            match create_account(&state, create).await {
                Err(e) if e.kind() == ErrorKind::Conflict => {
                    resolve_account(&state, &req.selector).await?
                }
                other => other?,
            }
        }
        Err(e) => return Err(e.into()),
    };
    let ttl = state.config.server.link_ttl_secs as i64;
    let claims = LinkClaims {
        acc: account.id.clone(),
        exp: now_unix() + ttl,
        state: req.state,
        verify: req.user_verify_url,
        n: uuid::Uuid::new_v4().simple().to_string(),
    };
    let token = state.signer.sign("ln", &claims);
    Ok(Json(MagicLinkResponse {
        link: format!("{}/connect/{token}", state.public_url),
        expiry: Some(Utc::now() + Duration::seconds(ttl)),
    }))
}

/// Landing page of an authorization link: checks signature and expiry.
pub async fn open_link(
    State(state): State<SharedState>,
    Path(token): Path<String>,
) -> (StatusCode, Html<String>) {
    let page = |status: StatusCode, title: &str, text: &str| {
        (
            status,
            Html(format!(
                "<!doctype html><title>{title}</title><h1>{title}</h1><p>{text}</p>"
            )),
        )
    };
    let Ok(claims) = state.signer.verify::<LinkClaims>("ln", &token) else {
        return page(
            StatusCode::BAD_REQUEST,
            "Invalid link",
            "This authorization link is not valid.",
        );
    };
    if claims.exp < now_unix() {
        return page(
            StatusCode::GONE,
            "Link expired",
            "This authorization link has expired. Ask the application for a new one.",
        );
    }
    match state.store.account_by_id(&claims.acc).await {
        Ok(Some(account)) => page(
            StatusCode::NOT_IMPLEMENTED,
            "Authorization not available",
            &format!(
                "The consent flow for connection {} is not enabled on this gateway yet. \
                 Create the account with explicit credentials instead.",
                html_escape(&account.connection_name)
            ),
        ),
        _ => page(
            StatusCode::NOT_FOUND,
            "Unknown account",
            "The connected account for this link no longer exists.",
        ),
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub async fn verify_user(
    State(_state): State<SharedState>,
    _caller: Caller,
    JsonBody(req): JsonBody<VerifyUserRequest>,
) -> ApiResult<Json<VerifyUserResponse>> {
    if req.auth_request_id.trim().is_empty() {
        return Err(Error::invalid_field("auth_request_id", "auth_request_id is required").into());
    }
    if req.identifier.trim().is_empty() {
        return Err(Error::invalid_field("identifier", "identifier is required").into());
    }
    // No authorization flow has created a pending request yet, so none can match.
    Err(Error::not_found(format!(
        "auth request {:?} not found or expired",
        req.auth_request_id.trim()
    ))
    .into())
}
