//! The `/metrics` listener: counts the accounts by status, then renders every metric.

/// Serves `/metrics` on `listener` until the gateway stops.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: crate::state::SharedState,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let app = axum::Router::new().route("/metrics", axum::routing::get(metrics)).with_state(state);
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
    axum::extract::State(state): axum::extract::State<crate::state::SharedState>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let accounts = match state.store.count_accounts_by_status().await {
        Ok(counts) => Some(counts),
        Err(e) => {
            tracing::warn!(error = %e.message(), "cannot count connected accounts for /metrics");
            None
        }
    };
    match super::metrics::render(accounts) {
        Some(text) => ([("content-type", "text/plain; version=0.0.4; charset=utf-8")], text).into_response(),
        None => axum::http::StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}
