//! Providers: the catalog's connectors as providers, and the custom-provider CRUD that adds
//! connectors at runtime.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::Json;

use agentkit_core::model::query::QueryMap;
use agentkit_core::model::{CustomProviderInput, Empty, ListProvidersResponse, Provider, ProviderResponse};
use agentkit_core::{Error, ErrorKind};
use serde_json::Value;

use super::openapi_schemas::{
    BadRequest, Conflict, CreateCustomProvider, Forbidden, NotFound, Unauthorized, Unavailable, UpdateCustomProvider,
};
use crate::api::{page_tokens, page_window, ApiResult, Caller, JsonBody};
use crate::catalog::custom_providers::{merge, provider_of};
use crate::state::SharedState;
use crate::store::ChangeRecords;

/// Checks a provider's destination, then saves it and swaps the registry as one step: the
/// candidate registry is built in memory first, so an invalid provider is never stored and a
/// concurrent change never sees another caller's unchecked row.
/// Saves the provider (with its audit row, `action`) and swaps in the registry it yields.
async fn save_and_reload(
    state: &SharedState,
    provider: &Provider,
    previous: Option<&Provider>,
    action: &str,
) -> ApiResult<()> {
    // A templated host is checked per call, on the account's value.
    if !provider.proxy_url.contains("{{") {
        state.egress.check_url(&provider.proxy_url).map_err(|e| {
            Error::new(e.kind(), format!("proxy_url: {}", e.message())).with_error_code(e.error_code().to_string())
        })?;
    }
    let details = serde_json::json!({"proxy_url": provider.proxy_url});
    let row = crate::audit::change_row(action, &provider.identifier, crate::audit::SUCCESS, details);
    state.replace_custom_provider(provider, previous.is_some(), &ChangeRecords::audited(row)).await?;
    Ok(())
}

#[utoipa::path(
    post,
    path = "/api/v1/custom-providers",
    operation_id = "ProviderService_CreateCustomProvider",
    tag = "Connectors",
    summary = "Create a custom provider",
    description = "Needs `admin`. 403 also when the egress policy refuses `proxy_url`. 409: a provider or connection with this identifier exists.",
    request_body = CreateCustomProvider,
    responses(
        (status = 201, description = "Created.", body = ProviderResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn create(
    State(state): State<SharedState>,
    _caller: Caller,
    JsonBody(input): JsonBody<CustomProviderInput>,
) -> ApiResult<(StatusCode, Json<ProviderResponse>)> {
    let provider = merge(Provider::default(), input)?;
    let registry = state.registry();
    if registry.catalog.connector(&provider.identifier).is_some()
        || registry.connections.contains_key(&provider.identifier)
    {
        return Err(Error::new(
            ErrorKind::Conflict,
            format!("a provider with identifier {:?} already exists", provider.identifier),
        )
        .into());
    }
    save_and_reload(&state, &provider, None, "custom_provider.created").await?;
    tracing::info!(provider = %provider.identifier, "custom provider created");
    Ok((StatusCode::CREATED, Json(ProviderResponse { provider })))
}

async fn existing(state: &SharedState, identifier: &str) -> ApiResult<Provider> {
    Ok(state
        .store
        .custom_provider(identifier)
        .await?
        .ok_or_else(|| Error::not_found(format!("custom provider {identifier:?} not found")))?)
}

#[utoipa::path(
    put,
    path = "/api/v1/custom-providers/{identifier}",
    operation_id = "ProviderService_UpdateCustomProvider",
    tag = "Connectors",
    summary = "Update a custom provider",
    description = "A request without a body is refused (400 naming `body`). 403 also for a change of `proxy_url` or tools by a client that may not route credentials.",
    params(
        ("identifier" = String, Path),
    ),
    request_body = UpdateCustomProvider,
    responses(
        (status = 200, description = "Success.", body = ProviderResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn update(
    State(state): State<SharedState>,
    caller: Caller,
    Path(identifier): Path<String>,
    JsonBody(mut input): JsonBody<CustomProviderInput>,
) -> ApiResult<Json<ProviderResponse>> {
    let old = existing(&state, &identifier).await?;
    input.identifier = None; // the path names the provider; identifiers do not change
    let provider = merge(old.clone(), input)?;
    // A new base URL or new tool requests send the provider's stored credentials somewhere else.
    if provider.proxy_url != old.proxy_url || provider.tools != old.tools {
        caller.require_credential_routing(&format!(
            "change where custom provider {identifier:?} sends stored credentials"
        ))?;
    }
    save_and_reload(&state, &provider, Some(&old), "custom_provider.updated").await?;
    Ok(Json(ProviderResponse { provider }))
}

#[utoipa::path(
    delete,
    path = "/api/v1/custom-providers/{identifier}",
    operation_id = "ProviderService_DeleteCustomProvider",
    tag = "Connectors",
    summary = "Delete a custom provider",
    description = "409: connected accounts still use it (delete them first).",
    params(
        ("identifier" = String, Path),
    ),
    responses(
        (status = 200, description = "Success.", body = Empty),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn delete(
    State(state): State<SharedState>,
    _caller: Caller,
    Path(identifier): Path<String>,
) -> ApiResult<Json<Empty>> {
    existing(&state, &identifier).await?;
    let accounts = state.store.count_accounts_of_connection(&identifier).await?;
    if accounts > 0 {
        return Err(Error::new(
            ErrorKind::Conflict,
            format!("custom provider {identifier:?} still has {accounts} connected account(s): delete them first"),
        )
        .with_error_code("FAILED_PRECONDITION")
        .into());
    }
    let row = crate::audit::change_row("custom_provider.deleted", &identifier, crate::audit::SUCCESS, Value::Null);
    state.store.delete_custom_provider(&identifier, &ChangeRecords::audited(row)).await?;
    state.reload_registry().await?;
    Ok(Json(Empty {}))
}

/// `?filter.provider_type=DEFAULT|CUSTOM|ALL&identifier=&page_size=&page_token=`.
#[utoipa::path(
    get,
    path = "/api/v1/providers",
    operation_id = "ProviderService_ListProviders",
    tag = "Connectors",
    summary = "Catalog connectors and custom providers",
    params(
        ("filter.provider_type" = Option<String>, Query, description = "`DEFAULT`, `CUSTOM` or `ALL`."),
        ("identifier" = Option<String>, Query),
        ("page_size" = Option<u32>, Query, description = "Results per page."),
        ("page_token" = Option<String>, Query, description = "A `next_page_token` / `prev_page_token` of an earlier page."),
    ),
    responses(
        (status = 200, description = "Success.", body = ListProvidersResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn list(
    State(state): State<SharedState>,
    _caller: Caller,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<ListProvidersResponse>> {
    let q = QueryMap::parse(q.as_deref());
    let kind: agentkit_core::model::ProviderType =
        q.get("filter.provider_type").or_else(|| q.get("provider_type")).unwrap_or_default().parse()?;
    let identifier = q.get("identifier").unwrap_or_default();
    let (want_default, want_custom) = kind.includes();
    let custom = state.store.custom_providers().await?;
    let registry = state.registry();
    let mut providers: Vec<Provider> = Vec::new();
    if want_default {
        let is_custom = |slug: &str| custom.iter().any(|p| p.identifier == slug);
        providers.extend(registry.catalog.connectors().filter(|c| !is_custom(&c.slug)).map(|c| provider_of(c)));
    }
    if want_custom {
        providers.extend(custom.iter().cloned());
    }
    providers.retain(|p| identifier.is_empty() || p.identifier == identifier);
    providers.sort_by(|a, b| a.identifier.cmp(&b.identifier));
    let (offset, limit) = page_window(q.get_u32("page_size")?, &q.get("page_token").unwrap_or_default(), 50)?;
    let total = providers.len() as u32;
    let (next_page_token, prev_page_token) = page_tokens(offset, limit, total);
    let providers = providers.into_iter().skip(offset as usize).take(limit as usize).collect();
    Ok(Json(ListProvidersResponse { providers, next_page_token, prev_page_token, total_size: total }))
}
