//! REST handlers and the pieces they share: the error response, the bearer-token extractor, the
//! JSON body extractor and page tokens.

pub mod accounts;
pub mod api_clients;
pub mod audit;
pub mod auth;
pub mod connections;
pub mod connectors;
pub mod gateway;
pub mod links;
pub mod mcp;
pub mod observe;
pub mod openapi;
pub mod openapi_schemas;
pub mod providers;
pub mod proxy;
pub mod tools;
pub mod trigger_ingress;
pub mod triggers;
pub mod webhooks;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use serde::de::DeserializeOwned;

use agentkit_core::client::GATEWAY_AUTH_ERROR_HEADER;
use agentkit_core::{Error, ErrorKind, Result};

use crate::credentials::tokens::{now_unix, AccessClaims};
use crate::state::SharedState;

/// An [`Error`] answered as the published error body with the mapped status.
pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut body = self.0.to_body();
        body.request_id = crate::telemetry::current_request_id();
        let mut resp = (status, axum::Json(body)).into_response();
        if self.0.kind() == ErrorKind::Unauthorized {
            resp.headers_mut().insert(GATEWAY_AUTH_ERROR_HEADER, HeaderValue::from_static("invalid_token"));
        }
        if let Some(secs) = self.0.retry_after_secs() {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        resp
    }
}

pub type ApiResult<T> = std::result::Result<T, ApiError>;

/// An answer written with its object keys in sorted order, as `serde_json::Value` writes them:
/// the answers that were built with `json!` are typed now (for the OpenAPI document) and keep
/// the same bytes on the wire.
pub struct SortedKeys<T>(pub T);

impl<T: serde::Serialize> serde::Serialize for SortedKeys<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serde_json::to_value(&self.0).map_err(serde::ser::Error::custom)?.serialize(serializer)
    }
}

pub use crate::permissions::Caller;

impl FromRequestParts<SharedState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &SharedState) -> ApiResult<Caller> {
        let caller = authenticate(parts, state);
        if let Err(ApiError(e)) = &caller {
            // Refused callers are the audit trail's first concern.
            let route = parts.extensions.get::<axum::extract::MatchedPath>().map_or("", |p| p.as_str());
            let details = serde_json::json!({"reason": e.message(), "route": route});
            let (action, target) = match e.kind() {
                ErrorKind::Forbidden => ("api_client.permission_denied", route.to_string()),
                _ => (
                    "api_client.authentication_failed",
                    crate::telemetry::requests::current_actor().unwrap_or_default(),
                ),
            };
            crate::audit::record(&state.store, action, &target, crate::audit::REFUSED, details).await;
        }
        caller
    }
}

/// The API client behind a request's bearer token, checked against the route's scope.
fn authenticate(parts: &Parts, state: &SharedState) -> ApiResult<Caller> {
    let header = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("");
    let token = header.strip_prefix("Bearer ").or_else(|| header.strip_prefix("bearer ")).unwrap_or("").trim();
    if token.is_empty() {
        return Err(Error::new(ErrorKind::Unauthorized, "Token empty").into());
    }
    let claims: AccessClaims = state.signer.verify(token)?;
    if claims.exp < now_unix() {
        return Err(Error::new(ErrorKind::Unauthorized, "token expired").into());
    }
    crate::telemetry::record_client_id(&claims.cid);
    let Some(client) = state.api_clients.get(&claims.cid) else {
        return Err(Error::new(ErrorKind::Unauthorized, "API client no longer exists").into());
    };
    if client.secret_rotated_at.is_some_and(|rotated| claims.iat < rotated) {
        return Err(
            Error::new(ErrorKind::Unauthorized, "token issued before the API client's secret was rotated").into()
        );
    }
    let route = parts.extensions.get::<axum::extract::MatchedPath>().map(|p| p.as_str());
    match route.and_then(|r| crate::permissions::required_scope(&parts.method, r)) {
        Some((scope, what)) => client.grants.require(&claims.cid, scope, what)?,
        // Every API route is in the table (a unit test walks the router); refuse the unknown.
        None => return Err(Error::new(ErrorKind::Forbidden, "this endpoint is not open to API clients").into()),
    }
    Ok(Caller { grants: client.grants.clone(), client_id: claims.cid })
}

/// A JSON body that fails with our error body (naming the field serde complains about).
///
/// The body is required: the published API marks every request body it documents required, and
/// each endpoint of ours that takes one needs a field from it (`docs/openapi.json`). A request
/// without one is a 400 naming `body`, not read as `{}` — which made a PUT without a body an
/// accepted change of nothing.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> ApiResult<JsonBody<T>> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| Error::new(ErrorKind::InvalidInput, format!("cannot read request body: {e}")))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(
                Error::invalid_field("body", "the request body is missing: this endpoint takes a JSON object").into()
            );
        }
        let text = &bytes[..];
        if crate::input_text::json_has_nul(text) {
            let parsed: serde_json::Value = serde_json::from_slice(text)
                .map_err(|e| Error::new(ErrorKind::InvalidInput, format!("invalid request body: {e}")))?;
            if let Some(path) = crate::input_text::nul_path(&parsed) {
                return Err(crate::input_text::nul_refused(&path).into());
            }
        }
        serde_json::from_slice(text).map(JsonBody).map_err(|e| body_error(&e).into())
    }
}

/// A body the handler's type refuses, as a 400 naming the field where serde names one (a
/// missing or unknown field), so clients and tests see which key to fix.
fn body_error(e: &serde_json::Error) -> Error {
    let text = e.to_string();
    let named = ["missing field `", "unknown field `"].iter().find_map(|marker| {
        let (_, rest) = text.split_once(marker)?;
        let (field, _) = rest.split_once('`')?;
        (!field.is_empty() && field.len() <= 128).then(|| field.to_string())
    });
    match named {
        Some(field) => Error::invalid_field(field, format!("invalid request body: {text}")),
        None => Error::new(ErrorKind::InvalidInput, format!("invalid request body: {text}")),
    }
}

pub use crate::domain::paging::{page_tokens, page_window, MAX_PAGE_SIZE};

/// A query's `page_size`: absent, or 1 to `max` (otherwise a 400 naming the field).
pub fn page_size_up_to(query: &agentkit_core::model::query::QueryMap, max: u32) -> Result<Option<u32>> {
    match query.get_u32("page_size")? {
        Some(n) if !(1..=max).contains(&n) => {
            Err(Error::invalid_field("page_size", format!("page_size must be between 1 and {max}")))
        }
        size => Ok(size),
    }
}

/// Page tokens of lists paged by id (keyset, no OFFSET): `a:<total>:<id>` is the page after
/// `id`, `b:<total>:<id>` the page before; `total` is what the first page counted, carried along.
pub fn keyset_window(
    page_size: Option<u32>,
    page_token: &str,
    default_size: u32,
) -> Result<(crate::store::AccountPage, Option<u32>, u32)> {
    use crate::store::AccountPage;
    let limit = match page_size {
        None | Some(0) => default_size,
        Some(n) => n.min(MAX_PAGE_SIZE),
    };
    if page_token.is_empty() {
        return Ok((AccountPage::First, None, limit));
    }
    let bad = || Error::invalid_field("page_token", "page_token is not a token returned by this API");
    let text = B64.decode(page_token).ok().and_then(|b| String::from_utf8(b).ok()).ok_or_else(bad)?;
    let mut parts = text.splitn(3, ':');
    let (direction, total, id) = (parts.next(), parts.next(), parts.next());
    let total = total.and_then(|t| t.parse::<u32>().ok()).ok_or_else(bad)?;
    let page = match (direction, id) {
        (Some("a"), Some(id)) if !id.is_empty() => AccountPage::After(id.to_string()),
        (Some("b"), Some(id)) if !id.is_empty() => AccountPage::Before(id.to_string()),
        _ => return Err(bad()),
    };
    Ok((page, Some(total), limit))
}

/// `(next_page_token, prev_page_token)` around a keyset page from `first_id` to `last_id`.
pub fn keyset_tokens(
    total: u32,
    first_and_last: Option<(&str, &str)>,
    has_next: bool,
    has_prev: bool,
) -> (String, String) {
    let Some((first, last)) = first_and_last else { return (String::new(), String::new()) };
    let next = if has_next { B64.encode(format!("a:{total}:{last}")) } else { String::new() };
    let prev = if has_prev { B64.encode(format!("b:{total}:{first}")) } else { String::new() };
    (next, prev)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_tokens_round_trip() {
        let (next, prev) = page_tokens(0, 2, 5);
        assert!(prev.is_empty());
        assert_eq!(page_window(Some(2), &next, 50).unwrap(), (2, 2));
        let (next, _) = page_tokens(4, 2, 5);
        assert!(next.is_empty());
        assert_eq!(page_window(None, "garbage!", 50).unwrap_err().field(), Some("page_token"));
    }
}
