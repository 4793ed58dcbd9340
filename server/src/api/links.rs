//! Authorization links (`magic_link`), the pages their browser flow shows (`/connect/…`,
//! `/oauth/callback`) and user verification. The flow itself is `domain::authorization`; this
//! file turns its outcomes into pages and JSON.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;

use agentkit_core::model::*;

use super::openapi_schemas::{BadRequest, Conflict, Forbidden, MagicLinkBody, NotFound, Unauthorized, Unavailable};
use super::{ApiResult, Caller, JsonBody};
use crate::domain::authorization::{self, Completed, Refusal};
use crate::html::page;
use crate::state::SharedState;

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

/// The page a refusal shows the user.
fn refusal_page(refusal: Refusal) -> Response {
    let (status, title, message) = match refusal {
        Refusal::InvalidLink => {
            (StatusCode::BAD_REQUEST, "Invalid link", "This authorization link is not valid.".into())
        }
        Refusal::LinkExpired => (
            StatusCode::GONE,
            "Link expired",
            "This authorization link has expired. Ask the application for a new one.".into(),
        ),
        Refusal::LinkAlreadyUsed => (
            StatusCode::GONE,
            "Link already used",
            "This authorization link was already used. Ask the application for a new one.".into(),
        ),
        Refusal::UnknownRequest => (
            StatusCode::BAD_REQUEST,
            "Authorization failed",
            "This authorization request is unknown, expired or already completed.".into(),
        ),
        Refusal::UnknownAccount => {
            (StatusCode::NOT_FOUND, "Unknown account", "The connected account no longer exists.".into())
        }
        Refusal::NotAvailable(why) => (StatusCode::BAD_REQUEST, "Authorization not available", why),
        Refusal::Declined => {
            (StatusCode::BAD_REQUEST, "Authorization not granted", "You declined the authorization.".into())
        }
        Refusal::ProviderError(error) => {
            (StatusCode::BAD_REQUEST, "Authorization not granted", format!("The provider reported: {error}"))
        }
        Refusal::ExchangeFailed => (
            StatusCode::BAD_GATEWAY,
            "Authorization failed",
            "The provider did not accept the authorization. Ask the application for a new link.".into(),
        ),
        Refusal::ScopesMissing(missing) => (
            StatusCode::FORBIDDEN,
            "Authorization incomplete",
            format!(
                "The application needs access you did not allow ({}). Ask the application for a new link and allow it.",
                missing.join(", ")
            ),
        ),
        Refusal::AccountLookupFailed => (
            StatusCode::BAD_GATEWAY,
            "Authorization failed",
            "The provider account could not be read after authorization. Please try again.".into(),
        ),
        Refusal::AlreadyCompleted => {
            (StatusCode::CONFLICT, "Authorization failed", "This authorization request was already completed.".into())
        }
        Refusal::InvalidVerifyUrl => {
            (StatusCode::BAD_REQUEST, "Authorization failed", "The application's verification URL is invalid.".into())
        }
        Refusal::Failed => (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong", "Please try again.".into()),
    };
    page(status, title, &message).into_response()
}

/// Opening an authorization link: on to the provider's consent page.
pub async fn open_link(State(state): State<SharedState>, Path(token): Path<String>) -> Response {
    match authorization::open_link(&state, &token).await {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(refusal) => refusal_page(refusal),
    }
}

/// The provider's answer: the account is connected, or the browser goes on to the app's
/// verification page.
pub async fn oauth_callback(State(state): State<SharedState>, RawQuery(q): RawQuery) -> Response {
    let q: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(q.unwrap_or_default().as_bytes()).into_owned().collect();
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or_default();
    match authorization::complete(&state, get("state"), get("code"), get("error")).await {
        Ok(Completed::Connected { connection_name }) => {
            page(StatusCode::OK, "Connected", &format!("{connection_name} is connected. You can close this window."))
                .into_response()
        }
        Ok(Completed::VerifyUser(url)) => Redirect::to(&url).into_response(),
        Err(refusal) => refusal_page(refusal),
    }
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
    let landing = authorization::verify_user(&state, req.auth_request_id.trim(), req.identifier.trim()).await?;
    Ok(Json(VerifyUserResponse { post_user_verify_redirect_url: landing }))
}
