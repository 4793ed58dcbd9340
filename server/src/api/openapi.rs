//! The gateway's own OpenAPI document, served at `GET /api/v1/openapi.json` and printed by
//! `agentkit openapi` (checked in as `docs/openapi.json`). It is generated: operations from the
//! handlers' `#[utoipa::path]` annotations, schemas from the wire types' `ToSchema` derives
//! (`agentkit-core`'s `openapi` feature). What a derive cannot see — the other names serde
//! accepts for a field and the fields a handler asks for — is said next to the body types below.

use std::collections::BTreeMap;

use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{Object, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{HttpMethod, Ref, RefOr, Response};
use utoipa::{Modify, OpenApi, PartialSchema, ToResponse, ToSchema};

use agentkit_core::model::{
    AccountSelector, CustomProviderInput, ErrorBody, ExecuteToolRequest, MagicLinkRequest, UpdateMcpInstanceRequest,
    UpsertConnectedAccountRequest,
};

use super::{accounts, api_clients, audit, auth, connections, links, mcp, providers, proxy, tools, webhooks};

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
        crate::router::healthz,
        crate::router::readyz,
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
        crate::router::reload_connectors,
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

/// The error answers every operation shares, as `#/components/responses/…`; each carries the
/// error body (`ErrorBody`).
macro_rules! error_responses {
    ($($name:ident => $description:literal),* $(,)?) => {$(
        #[doc = $description]
        pub struct $name;

        impl<'s> ToResponse<'s> for $name {
            fn response() -> (&'s str, RefOr<Response>) {
                let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
                let response = ResponseBuilder::new().description($description).content("application/json", content);
                (stringify!($name), response.build().into())
            }
        }
    )*};
}

error_responses! {
    BadRequest => "The request is malformed or a field fails validation (named in the message and \
                   `validation_error_info`); a JSON body that is required and missing is named `body`.",
    Unauthorized => "No, an invalid or an expired bearer token.",
    Forbidden => "The token lacks the scope this operation needs (or the egress policy refuses the address).",
    NotFound => "What the request names does not exist.",
    Conflict => "The request clashes with what exists (a duplicate, or a selector that matches several accounts).",
    TooManyRequests => "A rate limit was hit (`Retry-After` says when to try again).",
    Internal => "The tool failed inside the gateway.",
    BadGateway => "The provider's answer could not be used.",
    Unavailable => "The database, a provider or a limit is busy or unreachable; try again.",
    GatewayTimeout => "The provider did not answer in time.",
}

/// A request body as its handler reads it: the body type's derived schema, its flattened parts
/// merged into one object, plus what serde's attributes and the handler's checks say and a
/// derive cannot — other names a field answers to (`alias`), fields the handler asks for, and
/// sets of fields of which one must be given (`anyOf`; utoipa's `Object` has no field for it, so
/// it goes in the object's extensions, which serialize flat beside `properties`).
struct BodyRules {
    aliases: &'static [(&'static str, &'static str)],
    required: &'static [&'static str],
    any_of: &'static [&'static [&'static str]],
}

/// How one connected account is addressed in a body (`AccountSelector::validate`): by id, or by
/// connection and identifier; `connection_name` and `connected_account_id` are serde aliases.
const SELECTOR: BodyRules = BodyRules {
    aliases: &[("connection_name", "connector"), ("connected_account_id", "id")],
    required: &[],
    any_of: &[&["id"], &["connected_account_id"], &["connector", "identifier"], &["connection_name", "identifier"]],
};

fn body_schema<T: ToSchema>(rules: &BodyRules) -> RefOr<Schema> {
    let mut parts = Vec::new();
    T::schemas(&mut parts);
    let named: BTreeMap<String, RefOr<Schema>> = parts.into_iter().collect();
    let mut object = merged_object(T::schema(), &named);
    for (alias, field) in rules.aliases {
        if let Some(schema) = object.properties.get(*field).cloned() {
            object.properties.insert((*alias).to_string(), schema);
        }
    }
    for field in rules.required {
        if !object.required.iter().any(|r| r == field) {
            object.required.push((*field).to_string());
        }
    }
    if !rules.any_of.is_empty() {
        let alternatives: Vec<serde_json::Value> =
            rules.any_of.iter().map(|fields| serde_json::json!({ "required": fields })).collect();
        object.extensions.get_or_insert_with(Default::default).insert("anyOf".into(), alternatives.into());
    }
    RefOr::T(Schema::Object(object))
}

/// One object with the properties of a schema and of every part it flattens (`allOf`).
fn merged_object(schema: RefOr<Schema>, named: &BTreeMap<String, RefOr<Schema>>) -> Object {
    match schema {
        RefOr::T(Schema::Object(object)) => object,
        RefOr::T(Schema::AllOf(all)) => {
            let mut merged = ObjectBuilder::new().schema_type(Type::Object).build();
            for part in all.items {
                let part = merged_object(part, named);
                merged.properties.extend(part.properties);
                merged.required.extend(part.required);
            }
            merged
        }
        RefOr::Ref(reference) => {
            let name = reference.ref_location.rsplit('/').next().unwrap_or_default();
            named.get(name).cloned().map_or_else(Object::new, |schema| merged_object(schema, named))
        }
        RefOr::T(_) => Object::new(),
    }
}

/// Request bodies whose type serves more than one operation, or whose alternatives a derive
/// cannot say: each is its own schema, named here.
macro_rules! request_bodies {
    ($($(#[doc = $doc:literal])* $name:ident: $body:ty = $rules:expr;)*) => {$(
        $(#[doc = $doc])*
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                body_schema::<$body>(&$rules)
            }
        }

        impl ToSchema for $name {
            fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
                <$body as ToSchema>::schemas(schemas)
            }
        }
    )*};
}

request_bodies! {
    /// `POST /api/v1/connected_accounts`: the connection (by either name) and the identifier.
    CreateConnectedAccountRequest: UpsertConnectedAccountRequest = BodyRules {
        aliases: SELECTOR.aliases,
        required: &["identifier"],
        any_of: &[&["connector"], &["connection_name"]],
    };
    /// `PUT /api/v1/connected_accounts`: an account selector and what changes.
    UpdateConnectedAccountRequest: UpsertConnectedAccountRequest = SELECTOR;
    /// `POST /api/v1/connected_accounts:delete`: an account selector.
    DeleteConnectedAccountRequest: AccountSelector = SELECTOR;
    /// `POST /api/v1/connected_accounts/magic_link`: an account selector.
    MagicLinkBody: MagicLinkRequest = SELECTOR;
    /// `POST /api/v1/execute_tool`: the account by id or by identifier (and connection).
    ExecuteToolBody: ExecuteToolRequest = BodyRules {
        aliases: &[("connection_name", "connector")],
        required: &[],
        any_of: &[&["connected_account_id"], &["identifier"]],
    };
    /// `PATCH /api/v1/mcp/instances/{id}`: a new name, a new config, or both.
    UpdateMcpInstanceBody: UpdateMcpInstanceRequest = BodyRules {
        aliases: &[],
        required: &[],
        any_of: &[&["name"], &["config_name"]],
    };
    /// `POST /api/v1/custom-providers`: what a new provider cannot go without.
    CreateCustomProvider: CustomProviderInput = BodyRules {
        aliases: &[],
        required: &["display_name", "auth_patterns", "proxy_url"],
        any_of: &[],
    };
    /// `PUT /api/v1/custom-providers/{identifier}`: absent fields keep their value.
    UpdateCustomProvider: CustomProviderInput = BodyRules { aliases: &[], required: &[], any_of: &[] };
}
