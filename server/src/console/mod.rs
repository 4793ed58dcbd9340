//! The console: the gateway's own pages for operators, at `/console`, rendered on the server
//! (maud escapes every value) with one stylesheet and one small script (copy buttons; every page
//! works without it), all carried by the binary.
//!
//! Operators sign in with a name and password (`agentkit admin add-user`, argon2id). A session
//! is a random cookie (HttpOnly, SameSite=Strict, Secure unless the gateway's public URL is
//! loopback, path `/console`) kept only as its SHA-256. Every change is a POST carrying the
//! session's CSRF token, from the gateway's own origin, by an `admin` — checked in one place,
//! [`ConsoleChange`] (`SignedIn::authorize_change`) — and audited with `console:<operator>` as the actor. Pages
//! reuse the API's handlers wherever one exists, so a page shows what the API shows (no
//! secret), and a change runs the API's checks.

mod operate;
mod pages;
mod session;
mod tools;

use axum::http::{header, HeaderValue};
use axum::Router;

use crate::state::SharedState;

pub use session::{hash_password, sign_in_link, ConsoleChange, SignedIn};

/// Declares the console's routes once: [`router`] serves them and [`routes`] lists them (the
/// security tests walk the list, so a new route is tested without anyone adding it there).
macro_rules! console_routes {
    ($($path:literal => $($method:ident($handler:expr)),+;)*) => {
        /// The console's routes, with its security headers.
        pub fn router() -> Router<SharedState> {
            Router::new()
                $(.route($path, axum::routing::MethodRouter::new()$(.$method($handler))+))*
                .layer(axum::middleware::map_response(security_headers))
        }

        /// Every console route as (method, path), methods upper-case.
        pub fn routes() -> Vec<(&'static str, &'static str)> {
            vec![$($((method_name(stringify!($method)), $path)),+),*]
        }
    };
}

fn method_name(method: &str) -> &'static str {
    match method {
        "post" => "POST",
        _ => "GET",
    }
}

console_routes! {
    "/console" => get(pages::home);
    "/console/login" => get(session::login_page), post(session::login);
    "/console/login/once/{token}" => get(session::login_once_page), post(session::login_once);
    "/console/login/oidc" => get(session::oidc_start);
    "/console/login/oidc/callback" => get(session::oidc_callback);
    "/console/logout" => post(session::logout);
    "/console/connections" => get(pages::connections), post(pages::create_connection);
    "/console/connections/{name}/test" => post(pages::test_connection);
    "/console/connectors/import" => post(axum::handler::Handler::layer(
        pages::import_connector,
        tower::ServiceBuilder::new()
            .layer(axum::extract::DefaultBodyLimit::max(crate::domain::connectors::IMPORT_BODY_LIMIT))
            .layer(axum::middleware::from_fn(pages::refuse_oversized_import_form)),
    ));
    "/console/accounts" => get(pages::accounts);
    "/console/accounts/{id}/link" => post(operate::account_link);
    "/console/accounts/{id}/delete" => post(operate::delete_account);
    "/console/tools" => get(tools::tools);
    "/console/tools/{name}" => get(tools::tool), post(tools::try_tool);
    "/console/executions" => get(pages::executions);
    "/console/audit" => get(pages::audit);
    "/console/webhooks" => get(operate::webhooks);
    "/console/webhooks/{id}" => get(operate::webhook_deliveries);
    "/console/webhooks/{endpoint}/deliveries/{delivery}/redeliver" => post(operate::redeliver);
    "/console/mcp" => get(operate::mcp);
    "/console/triggers" => get(operate::triggers);
    "/console/api-credentials" => get(pages::api_credentials), post(pages::create_api_client);
    "/console/api-credentials/{client_id}/rotate" => post(pages::rotate_api_client);
    "/console/api-credentials/{client_id}/revoke" => post(pages::revoke_api_client);
    "/console/settings" => get(pages::settings);
    "/console/assets/console.css" => get(stylesheet);
    "/console/assets/console.js" => get(script);
    "/console/assets/icon.svg" => get(icon);
}

/// No inline script or style, no framing, no referrer to other sites, nothing cached.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

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

async fn script() -> impl axum::response::IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], include_str!("console.js"))
}

async fn stylesheet() -> impl axum::response::IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], include_str!("console.css"))
}
