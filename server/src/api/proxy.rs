//! `ANY /proxy/{path}`: the provider's API with the user's credentials injected; the upstream
//! status, headers and body are relayed unchanged.

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;

use agentkit_core::model::{AccountSelector, ConnectorStatus};
use agentkit_core::{Error, ErrorKind};

use super::accounts::resolve_account;
use super::{ApiResult, Caller};
use crate::app::SharedState;
use crate::store::AccountRecord;

/// Request headers never forwarded upstream (ours, hop-by-hop, or recomputed).
const DROPPED_REQUEST_HEADERS: &[&str] = &[
    "authorization",
    "host",
    "connection_name",
    "identifier",
    "content-length",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "upgrade",
    "proxy-authorization",
    "x-sdk-version",
    "x-api-version",
    "accept-encoding",
];
/// Response headers not relayed back (hop-by-hop or recomputed by our server).
const DROPPED_RESPONSE_HEADERS: &[&str] = &[
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "content-encoding",
    agentkit_core::client::GATEWAY_AUTH_ERROR_HEADER,
];

fn header_text(headers: &HeaderMap, name: &str) -> String {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").trim().to_string()
}

pub async fn forward(
    State(state): State<SharedState>,
    _caller: Caller,
    method: Method,
    Path(path): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let connection_name = header_text(&headers, "connection_name");
    let identifier = header_text(&headers, "identifier");
    if connection_name.is_empty() {
        return Err(Error::invalid_field("connection_name", "the connection_name header is required").into());
    }
    if identifier.is_empty() {
        return Err(Error::invalid_field("identifier", "the identifier header is required").into());
    }
    let account = resolve_account(&state, &AccountSelector::by_name(&connection_name, &identifier)).await?;
    if account.status != ConnectorStatus::Active {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!("connected account {} is {}: authorize it first", account.id, account.status.as_str()),
        )
        .with_error_code("FAILED_PRECONDITION")
        .into());
    }
    let connection = state.connection(&account.connection_name)?;
    let connector = state.registry().connector_of(&connection)?;
    let base = state.account_base_url(&connection, account.api_config.as_ref())?;
    let mut url = format!("{}/{}", base.trim_end_matches('/'), path.trim_start_matches('/'));
    if let Some(q) = query.filter(|q| !q.is_empty()) {
        url.push('?');
        url.push_str(&q);
    }
    let upstream_method = reqwest::Method::from_bytes(method.as_str().as_bytes())
        .map_err(|_| Error::invalid_field("method", "unsupported method"))?;
    let send = |account: &AccountRecord| {
        let credential = crate::executor::credential_header(&connector.auth, account.credentials.as_ref(), false);
        let mut req = agentkit_core::runtime::http_client()
            .request(upstream_method.clone(), &url)
            .timeout(std::time::Duration::from_secs(60));
        for (name, value) in headers.iter() {
            if !DROPPED_REQUEST_HEADERS.contains(&name.as_str()) {
                req = req.header(name.as_str(), value.as_bytes());
            }
        }
        if !body.is_empty() {
            req = req.body(body.to_vec());
        }
        async move {
            let credential = credential?;
            req.header(credential.0.as_str(), credential.1.as_str())
                .send()
                .await
                .map_err(|e| Error::new(ErrorKind::Unavailable, format!("provider unreachable: {}", e.without_url())))
        }
    };
    let mut account = state.refresher.ensure_fresh(&state, account).await?;
    let mut upstream = send(&account).await?;
    if upstream.status() == reqwest::StatusCode::UNAUTHORIZED {
        // The provider rejected the access token: refresh once and send again.
        if let Some(fresh) = state.refresher.after_rejection(&state, &account).await? {
            account = fresh;
            upstream = send(&account).await?;
        }
    }
    let _ = state.store.touch_account(&account.id).await;
    let status = StatusCode::from_u16(upstream.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut builder = Response::builder().status(status);
    for (name, value) in upstream.headers() {
        if !DROPPED_RESPONSE_HEADERS.contains(&name.as_str()) {
            builder = builder.header(name.as_str(), value.as_bytes());
        }
    }
    let bytes = upstream
        .bytes()
        .await
        .map_err(|e| Error::new(ErrorKind::Unavailable, format!("reading provider answer: {}", e.without_url())))?;
    builder.body(Body::from(bytes)).map_err(|e| Error::new(ErrorKind::Server, e.to_string()).into())
}
