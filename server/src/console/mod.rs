//! The console: the gateway's own pages for operators, at `/console`, rendered on the server
//! (maud escapes every value) with one stylesheet and no script, all carried by the binary.
//!
//! Operators sign in with a name and password (`agentkit admin add-user`, argon2id). A session
//! is a random cookie (HttpOnly, SameSite=Strict, Secure unless the gateway's public URL is
//! loopback, path `/console`) kept only as its SHA-256. Every change is a POST carrying the
//! session's CSRF token, from the gateway's own origin, by an `admin` — checked in one place,
//! [`SignedIn::authorize_change`] — and audited with `console:<operator>` as the actor. Pages
//! reuse the API's handlers wherever one exists, so a page shows what the API shows (no
//! secret), and a change runs the API's checks.

mod operate;
mod pages;
mod session;
mod tools;

use axum::http::{header, HeaderValue};
use axum::routing::{get, post};
use axum::Router;

use crate::state::SharedState;

pub use session::{hash_password, sign_in_link, SignedIn};

/// The console's routes, with its security headers.
pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/console", get(pages::home))
        .route("/console/login", get(session::login_page).post(session::login))
        .route("/console/login/once/{token}", get(session::login_once))
        .route("/console/logout", post(session::logout))
        .route("/console/connections", get(pages::connections).post(pages::create_connection))
        .route("/console/accounts", get(pages::accounts))
        .route("/console/accounts/{id}/link", post(operate::account_link))
        .route("/console/accounts/{id}/delete", post(operate::delete_account))
        .route("/console/webhooks", get(operate::webhooks))
        .route("/console/webhooks/{id}", get(operate::webhook_deliveries))
        .route("/console/webhooks/{endpoint}/deliveries/{delivery}/redeliver", post(operate::redeliver))
        .route("/console/mcp", get(operate::mcp))
        .route("/console/tools", get(tools::tools))
        .route("/console/tools/{name}", get(tools::tool).post(tools::try_tool))
        .route("/console/executions", get(pages::executions))
        .route("/console/audit", get(pages::audit))
        .route("/console/api-credentials", get(pages::api_credentials).post(pages::create_api_client))
        .route("/console/api-credentials/{client_id}/rotate", post(pages::rotate_api_client))
        .route("/console/api-credentials/{client_id}/revoke", post(pages::revoke_api_client))
        .route("/console/settings", get(pages::settings))
        .route("/console/assets/console.css", get(stylesheet))
        .route("/console/assets/icon.svg", get(icon))
        .layer(axum::middleware::map_response(security_headers))
}

/// No inline script or style, no framing, no referrer to other sites, nothing cached.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

async fn security_headers(mut response: axum::response::Response) -> axum::response::Response {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Not `no-referrer`: under it a browser sends `Origin: null` with the console's own forms,
    // which the same-origin check must refuse.
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn icon() -> impl axum::response::IntoResponse {
    const ICON: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\">\
        <rect width=\"16\" height=\"16\" rx=\"3\" fill=\"#0b4f9c\"/></svg>";
    ([(header::CONTENT_TYPE, "image/svg+xml")], ICON)
}

async fn stylesheet() -> impl axum::response::IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], include_str!("console.css"))
}
