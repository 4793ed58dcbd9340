//! What guards the MCP authorization server's unauthenticated endpoints, held in the app state
//! (kept apart from `mcp::oauth`, whose handlers need the state, so the state needs nothing of
//! them).

use serde::Deserialize;

use crate::config::McpOAuthConfig;

/// How long an OIDC provider's discovery document is reused.
pub(crate) const DISCOVERY_TTL: std::time::Duration = std::time::Duration::from_secs(300);

/// What guards the unauthenticated endpoints of the authorization server: per-address throttles
/// for authorization requests and registrations, the public-only egress that Client ID Metadata
/// Documents are fetched through, and the cached OIDC discovery (so a flood of authorization
/// requests is not a flood of requests to the app's provider).
pub struct Guards {
    pub(crate) authorize: crate::throttle::Throttle,
    pub(crate) register: crate::throttle::Throttle,
    pub(crate) client_metadata: crate::egress::Egress,
    pub(crate) discovery: tokio::sync::Mutex<Option<(std::time::Instant, std::sync::Arc<OidcProvider>)>>,
}

impl Guards {
    /// `own_addresses` adds the gateway's own listening addresses to an egress policy (never
    /// fetched from, whatever a list allows).
    pub fn new(
        config: Option<&McpOAuthConfig>,
        own_addresses: impl Fn(crate::egress::EgressPolicy) -> crate::egress::EgressPolicy,
    ) -> agentkit_core::Result<Guards> {
        let minute = std::time::Duration::from_secs(60);
        let (authorize, register, allow) = match config {
            Some(c) => (c.authorize_per_minute, c.registrations_per_minute, c.client_metadata_allow.clone()),
            None => (0, 0, Vec::new()),
        };
        let policy = crate::egress::EgressPolicy::new(&crate::egress::EgressConfig { allow })
            .map_err(|e| agentkit_core::Error::invalid_field("mcp_oauth.client_metadata_allow", e.message()))?;
        Ok(Guards {
            authorize: crate::throttle::Throttle::new(authorize, minute),
            register: crate::throttle::Throttle::new(register, minute),
            client_metadata: crate::egress::Egress::new(own_addresses(policy))?,
            discovery: Default::default(),
        })
    }
}

/// What an OIDC provider's discovery document says about where to send users and codes.
#[derive(Debug, Deserialize)]
pub(crate) struct OidcProvider {
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub userinfo_endpoint: String,
}
