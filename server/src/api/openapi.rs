//! The gateway's own OpenAPI document, served at `GET /api/v1/openapi.json` and printed by
//! `agentkit openapi` (checked in as `docs/openapi.json`). It is generated: operations from the
//! handlers' `#[utoipa::path]` annotations, schemas from the wire types' `ToSchema` derives
//! (`agentkit-core`'s `openapi` feature). What a derive cannot see — the other names serde
//! accepts for a field and the fields a handler asks for — is said next to the body types in
//! `openapi_schemas.rs`.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::HttpMethod;
use utoipa::{Modify, OpenApi};

use agentkit_core::model::ErrorBody;

use super::openapi_schemas::{
    BadGateway, BadRequest, Conflict, Forbidden, GatewayTimeout, Internal, NotFound, TooManyRequests, Unauthorized,
    Unavailable,
};
use super::{
    accounts, api_clients, audit, auth, connections, connectors, gateway, links, mcp, providers, proxy, tools,
    trigger_ingress, triggers, webhooks,
};

/// The document as JSON (what `GET /api/v1/openapi.json` answers).
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The document as the checked-in `docs/openapi.json` holds it: pretty-printed, one newline at
/// the end.
pub fn document_text() -> String {
    // Serializing these types cannot fail (string keys, no floats from user input).
    let mut text = document().to_pretty_json().unwrap_or_default();
    text.push('\n');
    text
}

/// `GET /api/v1/openapi.json`: open to anyone, like the published reference. It describes the
/// API, holds nothing of this gateway's state, and is the same for every caller.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    operation_id = "Gateway_OpenApiDocument",
    tag = "Operations",
    summary = "This OpenAPI document",
    description = "Generated from the handlers and the wire types; no token needed.",
    responses((status = 200, description = "The OpenAPI 3.1 document.", body = Object)),
    security(()),
)]
pub async fn serve() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(document())
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "AgentKit gateway REST API",
        description = "The REST API `agentkit serve` answers: the published AgentKit API (its operationIds are kept) and \
the gateway's own endpoints (MCP instances, webhooks, audit, connectors, the proxy). Statuses are the ones this gateway \
answers, `required` marks what it refuses to go without (`anyOf`: one of these sets of fields), and every JSON request \
body is required (an empty one is a 400 naming `body`). Generated from the handlers and the wire model \
(`server/src/api/openapi.rs`); `server/tests/published_spec.rs` checks it against the router and the gateway's answers."
    ),
    servers((url = "http://127.0.0.1:8080")),
    paths(
        auth::issue_token,
        gateway::healthz,
        gateway::readyz,
        serve,
        accounts::list,
        accounts::update,
        accounts::create,
        accounts::delete,
        accounts::search,
        accounts::get_auth,
        accounts::get_details,
        links::create_magic_link,
        links::verify_user,
        accounts::list_connections,
        tools::list,
        tools::search,
        tools::list_scoped,
        tools::list_available,
        tools::execute,
        tools::recent_executions,
        mcp::list_configs,
        mcp::create_config,
        mcp::get_config,
        mcp::update_config,
        mcp::delete_config,
        mcp::config_connected_accounts,
        mcp::create_session_token,
        mcp::create_connection_session_token,
        mcp::list_instances,
        mcp::ensure_instance,
        mcp::get_instance,
        mcp::update_instance,
        mcp::delete_instance,
        mcp::instance_action,
        providers::list,
        providers::create,
        providers::update,
        providers::delete,
        gateway::reload_connectors,
        connectors::list,
        connectors::import,
        connectors::delete,
        audit::list,
        webhooks::create,
        webhooks::list,
        webhooks::delete,
        webhooks::deliveries,
        webhooks::redeliver,
        api_clients::create,
        api_clients::list,
        api_clients::revoke,
        api_clients::rotate,
        connections::create,
        connections::list,
        connections::get,
        connections::update,
        connections::delete,
        connections::test,
        triggers::list_available,
        triggers::list_eligible_accounts,
        triggers::list_subscriptions,
        triggers::create_subscription,
        triggers::batch_create_subscriptions,
        triggers::delete_subscription,
        trigger_ingress::get,
        trigger_ingress::create,
        trigger_ingress::set_signing_secret,
        trigger_ingress::confirm_rotation,
        trigger_ingress::receive,
        trigger_ingress::activity,
        trigger_ingress::attempts,
        proxy::forward,
    ),
    components(
        schemas(ErrorBody),
        responses(
            BadRequest,
            Unauthorized,
            Forbidden,
            NotFound,
            Conflict,
            TooManyRequests,
            Internal,
            BadGateway,
            Unavailable,
            GatewayTimeout
        )
    ),
    security(("bearerAuth" = [])),
    tags(
        (name = "Authentication"),
        (name = "Connected Accounts"),
        (name = "Connections"),
        (name = "Tool Calling"),
        (name = "MCP Configurations"),
        (name = "MCP Instances"),
        (name = "Connectors"),
        (name = "Webhooks"),
        (name = "Proxy"),
        (name = "Operations"),
        (name = "Administration", description = "API clients and connections as data (needs `admin`).")
    ),
    modifiers(&BearerAuth, &ProxyOperations, &PublicOperations)
)]
struct ApiDoc;

/// The `bearerAuth` scheme every operation needs unless it says otherwise.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.description = Some("An access token from `POST /oauth/token`.".to_string());
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearerAuth", SecurityScheme::Http(scheme));
    }
}

/// One handler serves every method of `/proxy/{path}`; each method is its own operation
/// (`Proxy_Get`, `Proxy_Post`, …), as operationIds are unique.
struct ProxyOperations;

impl Modify for ProxyOperations {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Some(item) = openapi.paths.paths.get_mut("/proxy/{path}") else { return };
        let methods = [
            (HttpMethod::Get, "Get"),
            (HttpMethod::Post, "Post"),
            (HttpMethod::Put, "Put"),
            (HttpMethod::Patch, "Patch"),
            (HttpMethod::Delete, "Delete"),
        ];
        for (method, name) in methods {
            let operation = match method {
                HttpMethod::Get => item.get.as_mut(),
                HttpMethod::Post => item.post.as_mut(),
                HttpMethod::Put => item.put.as_mut(),
                HttpMethod::Patch => item.patch.as_mut(),
                _ => item.delete.as_mut(),
            };
            if let Some(operation) = operation {
                operation.operation_id = Some(format!("Proxy_{name}"));
                operation.summary = Some(format!("{} through the proxy", name.to_uppercase()));
            }
        }
    }
}

/// `security(())` on an operation means "no token needed": an empty list, not one empty
/// requirement (which some tools read as "optional").
struct PublicOperations;

impl Modify for PublicOperations {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations =
                [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch].into_iter().flatten();
            for operation in operations {
                if let Some(security) = &mut operation.security {
                    let open = serde_json::to_value(&*security).is_ok_and(|v| v == serde_json::json!([{}]));
                    if open {
                        security.clear();
                    }
                }
            }
        }
    }
}
