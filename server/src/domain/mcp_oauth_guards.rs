//! What guards the MCP authorization server's unauthenticated endpoints, held in the app state
//! (kept apart from `mcp::oauth`, whose handlers need the state, so the state needs nothing of
//! them).

use crate::config::McpOAuthConfig;

/// What guards the unauthenticated endpoints of the authorization server: per-address throttles
/// for authorization requests and registrations, the public-only egress that Client ID Metadata
/// Documents are fetched through.
pub struct Guards {
    pub(crate) authorize: crate::throttle::Throttle,
    pub(crate) register: crate::throttle::Throttle,
    pub(crate) client_metadata: crate::egress::Egress,
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
        })
    }
}
