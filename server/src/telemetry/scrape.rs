//! The `/metrics` listener: counts the accounts by status, then renders every metric.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// Counts connected accounts by status for a scrape (`None` when they cannot be counted): given
/// by the composition root, so telemetry needs nothing of the store.
pub type AccountCounter =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Option<Vec<(String, i64)>>> + Send>> + Send + Sync>;

/// Serves `/metrics` on `listener` until the gateway stops.
pub async fn serve(
    listener: tokio::net::TcpListener,
    count_accounts: AccountCounter,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let app = axum::Router::new().route("/metrics", axum::routing::get(metrics)).with_state(count_accounts);
    let shutdown = async move {
        while !*stop.borrow() {
            if stop.changed().await.is_err() {
                break;
            }
        }
    };
    if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
        tracing::error!(error = %e, "the metrics listener stopped");
    }
}

async fn metrics(
    axum::extract::State(count_accounts): axum::extract::State<AccountCounter>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match super::metrics::render(count_accounts().await) {
        Some(text) => ([("content-type", "text/plain; version=0.0.4; charset=utf-8")], text).into_response(),
        None => axum::http::StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}
