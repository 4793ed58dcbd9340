//! The parts of the OpenAPI document the handlers name in their `#[utoipa::path]` annotations:
//! the shared error answers and the request bodies whose schema says more than their type's
//! derive. A leaf module (handlers use it; it uses no handler), so the document in `openapi.rs`
//! can list the handlers without an import cycle.

use std::collections::BTreeMap;

use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{Object, ObjectBuilder, Schema, Type};
use utoipa::openapi::{Ref, RefOr, Response};
use utoipa::{PartialSchema, ToResponse, ToSchema};

use agentkit_core::model::{
    AccountSelector, CustomProviderInput, ExecuteToolRequest, MagicLinkRequest, UpdateMcpInstanceRequest,
    UpsertConnectedAccountRequest,
};

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
