//! The HTTP routes: which handler serves which path.

use axum::routing::{any, get, post};
use axum::Router;

use agentkit_core::Error;

use crate::state::SharedState;

/// The API's routes; `mcp_sessions` holds the legacy SSE streams this process serves (the
/// MCP transport's own state, so the app state needs nothing of it).
pub fn router(state: SharedState, mcp_sessions: crate::mcp::sessions::Sessions) -> Router {
    use crate::api::{accounts, auth, gateway, links, mcp, providers, proxy, tools};
    use crate::mcp::transport as mcp_server;
    let routes = Router::new()
        .route("/healthz", get(gateway::healthz))
        .route("/readyz", get(gateway::readyz))
        .route("/oauth/token", post(auth::issue_token))
        .route("/api/v1/connected_accounts", post(accounts::create).put(accounts::update).get(accounts::list))
        .route("/api/v1/connected_accounts:delete", post(accounts::delete))
        .route("/api/v1/connected_accounts:search", get(accounts::search))
        .route("/api/v1/connections/app", get(accounts::list_connections))
        .route("/api/v1/connections", post(crate::api::connections::create).get(crate::api::connections::list))
        .route(
            "/api/v1/connections/{name}",
            get(crate::api::connections::get)
                .put(crate::api::connections::update)
                .delete(crate::api::connections::delete)
                .post(crate::api::connections::test),
        )
        .route("/api/v1/connections/{name}/triggers", get(crate::api::triggers::list_available))
        .route(
            "/api/v1/connections/{name}/triggers/{trigger_name}/eligible-accounts",
            get(crate::api::triggers::list_eligible_accounts),
        )
        .route(
            "/api/v1/connections/{name}/trigger-subscriptions",
            get(crate::api::triggers::list_subscriptions).post(crate::api::triggers::create_subscription),
        )
        .route(
            "/api/v1/connections/{name}/trigger-subscriptions:batchCreate",
            post(crate::api::triggers::batch_create_subscriptions),
        )
        .route(
            "/api/v1/connections/{name}/trigger-subscriptions/{subscription_id}",
            axum::routing::delete(crate::api::triggers::delete_subscription),
        )
        .route(
            "/api/v1/connections/{name}/trigger-ingress",
            get(crate::api::trigger_ingress::get).post(crate::api::trigger_ingress::create),
        )
        .route(
            "/api/v1/connections/{name}/trigger-ingress/signing-secret",
            axum::routing::put(crate::api::trigger_ingress::set_signing_secret),
        )
        .route(
            "/api/v1/connections/{name}/trigger-ingress/signing-secret/confirm",
            post(crate::api::trigger_ingress::confirm_rotation),
        )
        .route("/api/v1/trigger-activity", get(crate::api::trigger_ingress::activity))
        .route("/api/v1/trigger-delivery/endpoints/{endpoint_id}/attempts", get(crate::api::trigger_ingress::attempts))
        .route(
            "/api/v1/trigger-delivery/wb/{ingress_id}",
            post(crate::api::trigger_ingress::receive)
                .layer(axum::extract::DefaultBodyLimit::max(state.config.triggers.push_max_bytes)),
        )
        .route("/api/v1/connected_accounts/auth", get(accounts::get_auth))
        .route("/api/v1/connected_accounts/details", get(accounts::get_details))
        .route("/api/v1/connected_accounts/magic_link", post(links::create_magic_link))
        .route("/api/v1/connected_accounts/user/verify", post(links::verify_user))
        .route("/api/v1/tools", get(tools::list))
        .route("/api/v1/tools:search", post(tools::search))
        .route("/api/v1/tools/scoped", get(tools::list_scoped))
        .route("/api/v1/tools/available", get(tools::list_available))
        .route("/api/v1/execute_tool", post(tools::execute))
        .route("/api/v1/executions", get(tools::recent_executions))
        .route("/api/v1/openapi.json", get(crate::api::openapi::serve))
        .route("/api/v1/mcp/configs", post(mcp::create_config).get(mcp::list_configs))
        .route("/api/v1/mcp/configs/{id}", get(mcp::get_config).put(mcp::update_config).delete(mcp::delete_config))
        .route("/api/v1/mcp/configs/{id}/connected_accounts", post(mcp::config_connected_accounts))
        .route("/api/v1/mcp/configs/{id}/tokens", post(mcp::create_session_token))
        .route("/api/v1/mcp/connections/{name}/tokens", post(mcp::create_connection_session_token))
        .route("/api/v1/mcp/instances", post(mcp::ensure_instance).get(mcp::list_instances))
        .route(
            "/api/v1/mcp/instances/{id}",
            get(mcp::get_instance).patch(mcp::update_instance).delete(mcp::delete_instance).post(mcp::instance_action),
        )
        .route("/api/v1/providers", get(providers::list))
        .route("/api/v1/custom-providers", post(providers::create))
        .route("/api/v1/custom-providers/{identifier}", axum::routing::put(providers::update).delete(providers::delete))
        .route("/api/v1/connectors:reload", post(gateway::reload_connectors))
        .route("/api/v1/connectors", get(crate::api::connectors::list))
        .route(
            "/api/v1/connectors:import",
            post(crate::api::connectors::import)
                .layer(axum::extract::DefaultBodyLimit::max(crate::api::connectors::IMPORT_BODY_LIMIT))
                .layer(axum::middleware::from_fn(crate::api::connectors::refuse_oversized_import)),
        )
        .route("/api/v1/connectors/{slug}", axum::routing::delete(crate::api::connectors::delete))
        .route("/api/v1/audit", get(crate::api::audit::list))
        .route("/api/v1/api_clients", post(crate::api::api_clients::create).get(crate::api::api_clients::list))
        .route("/api/v1/api_clients/{client_id}", axum::routing::delete(crate::api::api_clients::revoke))
        .route("/api/v1/api_clients/{client_id}/rotate", post(crate::api::api_clients::rotate))
        .route("/api/v1/webhook_endpoints", post(crate::api::webhooks::create).get(crate::api::webhooks::list))
        .route("/api/v1/webhook_endpoints/{id}", axum::routing::delete(crate::api::webhooks::delete))
        .route("/api/v1/webhook_endpoints/{id}/deliveries", get(crate::api::webhooks::deliveries))
        .route("/api/v1/webhook_deliveries/{id}/redeliver", post(crate::api::webhooks::redeliver))
        .route(
            "/proxy/{*path}",
            any(proxy::forward)
                .layer(axum::extract::DefaultBodyLimit::max(state.config.server.proxy_max_request_bytes)),
        )
        .route(
            "/mcp/v1/configs/{id}",
            get(mcp_server::config_get).post(mcp_server::config_post).delete(mcp_server::config_delete),
        )
        .route("/mcp/v1/configs/{id}/messages", post(mcp_server::config_messages))
        .route(
            "/mcp/v3/connections/{name}",
            get(mcp_server::connection_get).post(mcp_server::connection_post).delete(mcp_server::connection_delete),
        )
        .route("/mcp/v3/connections/{name}/messages", post(mcp_server::connection_messages))
        .route(
            "/mcp/v1/{key}",
            get(mcp_server::instance_get).post(mcp_server::instance_post).delete(mcp_server::instance_delete),
        )
        .route("/mcp/v1/{key}/sse", get(mcp_server::instance_get))
        .route("/mcp/v1/{key}/messages", post(mcp_server::instance_messages))
        .route("/.well-known/oauth-protected-resource/mcp/v1/configs/{id}", get(crate::mcp::oauth::protected_resource))
        .route("/.well-known/oauth-authorization-server", get(crate::mcp::oauth::server_metadata))
        .route("/mcp/oauth/register", post(crate::mcp::oauth::register))
        .route("/mcp/oauth/authorize", get(crate::mcp::oauth::authorize))
        .route("/mcp/oauth/callback", get(crate::mcp::oauth::callback))
        .route("/mcp/oauth/oidc/callback", get(crate::mcp::oauth::oidc_callback))
        .route("/mcp/oauth/consent", post(crate::mcp::oauth::consent))
        .route("/mcp/oauth/token", post(crate::mcp::oauth::token))
        .route("/mcp/oauth/revoke", post(crate::mcp::oauth::revoke))
        .route("/connect/complete", get(links::completed))
        .route("/connect/{token}", get(links::open_link))
        .route("/oauth/callback", get(links::oauth_callback))
        .merge(if state.config.console.enabled && state.config.console.listen.is_none() {
            crate::console::router()
        } else {
            Router::new()
        })
        .layer(axum::Extension(mcp_sessions));
    guarded(routes, state)
}

/// The console alone, for its own listener (`[console] listen`).
pub fn console_router(state: SharedState) -> Router {
    guarded(crate::console::router(), state)
}

/// What every listener's routes share: the JSON 404, the NUL refusal and the request
/// observation (ids, logs, metrics, traces, audit notes).
fn guarded(routes: Router<SharedState>, state: SharedState) -> Router {
    routes
        .fallback(|| async { crate::api::ApiError(Error::not_found("no such endpoint")) })
        .layer(axum::middleware::from_fn(refuse_nul_in_uri))
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::api::observe::observe))
        .with_state(state)
}

/// A path or query that decodes to a NUL is refused before any handler sees it (no store can
/// keep it; see `input_text`).
async fn refuse_nul_in_uri(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::response::IntoResponse;
    let uri = request.uri();
    if crate::input_text::uri_has_nul(uri.path()) {
        return crate::api::ApiError(crate::input_text::nul_refused("path")).into_response();
    }
    if uri.query().is_some_and(crate::input_text::uri_has_nul) {
        return crate::api::ApiError(crate::input_text::nul_refused("query")).into_response();
    }
    next.run(request).await
}
