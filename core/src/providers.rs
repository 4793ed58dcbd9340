//! Providers and custom providers: list the catalog's providers; create, update and delete the
//! custom ones (connectors made at runtime).

use reqwest::Method;

use crate::actions::Actions;
use crate::client::{Deadline, Retry};
use crate::error::{Error, Result};
use crate::model::query::QueryPairs;
use crate::model::*;

/// A provider identifier as a path segment: lowercase slug characters only.
fn identifier_segment(identifier: &str) -> Result<&str> {
    let id = identifier.trim();
    if id.is_empty() {
        return Err(Error::invalid_field("identifier", "identifier is required"));
    }
    if !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(Error::invalid_field("identifier", format!("identifier {id:?} is not a provider identifier")));
    }
    Ok(id)
}

impl Actions {
    /// Creates a custom provider; `display_name` and `proxy_url` are required. Not retried once
    /// sent.
    pub async fn create_custom_provider(&self, input: CustomProviderInput) -> Result<ProviderResponse> {
        if input.display_name.as_deref().is_none_or(|n| n.trim().is_empty()) {
            return Err(Error::invalid_field("display_name", "display_name is required"));
        }
        if input.proxy_url.as_deref().is_none_or(|u| u.trim().is_empty()) {
            return Err(Error::invalid_field("proxy_url", "proxy_url is required"));
        }
        let client = self.client();
        client
            .call_json(
                Method::POST,
                "/api/v1/custom-providers",
                QueryPairs::default(),
                Some(&input),
                Retry::ConnectOnly,
                Deadline::ControlPlane,
            )
            .await
    }

    /// Updates the custom provider `identifier`; fields absent from `input` are left as they are.
    pub async fn update_custom_provider(
        &self,
        identifier: &str,
        input: CustomProviderInput,
    ) -> Result<ProviderResponse> {
        let path = format!("/api/v1/custom-providers/{}", identifier_segment(identifier)?);
        self.client()
            .call_json(
                Method::PUT,
                &path,
                QueryPairs::default(),
                Some(&input),
                Retry::Idempotent,
                Deadline::ControlPlane,
            )
            .await
    }

    /// Deletes the custom provider `identifier`; `Conflict` while connected accounts still use it.
    pub async fn delete_custom_provider(&self, identifier: &str) -> Result<Empty> {
        let path = format!("/api/v1/custom-providers/{}", identifier_segment(identifier)?);
        self.client()
            .call_json::<(), _>(
                Method::DELETE,
                &path,
                QueryPairs::default(),
                None,
                Retry::Idempotent,
                Deadline::ControlPlane,
            )
            .await
    }

    /// Catalog connectors and custom providers, a page at a time; `provider_type` is `DEFAULT`,
    /// `CUSTOM` or `ALL`.
    pub async fn list_providers(&self, req: ListProvidersRequest) -> Result<ListProvidersResponse> {
        let mut query = QueryPairs::default();
        query
            .opt("identifier", Some(&req.identifier))
            .opt("filter.provider_type", Some(&req.provider_type))
            .opt("page_size", req.page_size)
            .opt("page_token", Some(&req.page_token));
        self.client()
            .call_json::<(), _>(
                Method::GET,
                "/api/v1/providers",
                query,
                None,
                Retry::Idempotent,
                Deadline::ControlPlane,
            )
            .await
    }
}
