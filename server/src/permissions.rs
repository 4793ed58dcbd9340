//! Who may call what: every API client's scopes, and the one table that says which scope each
//! endpoint needs. Checked once, when the caller is authenticated (the `Caller` extractor), so no
//! handler can forget it.

use std::str::FromStr;

use axum::http::Method;

use agentkit_core::{Error, ErrorKind, Result};

/// What an API client may be granted (`scopes = [...]` in its `[[api_clients]]` entry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// List and run tools, proxy requests, read execution records and providers.
    Tools,
    /// Create, update, delete and look up connected accounts, links and MCP configs/instances.
    Accounts,
    /// Change the catalog: custom providers, connector imports, installs and reloads, and where stored credentials are
    /// sent (`api_config` fields that a connector's base URL reads).
    Admin,
    /// Read stored credentials (`get_connected_account` with tokens).
    CredentialsRead,
}

impl Scope {
    pub const ALL: [Scope; 4] = [Scope::Tools, Scope::Accounts, Scope::Admin, Scope::CredentialsRead];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Tools => "tools",
            Scope::Accounts => "accounts",
            Scope::Admin => "admin",
            Scope::CredentialsRead => "credentials:read",
        }
    }
}

impl FromStr for Scope {
    type Err = Error;

    fn from_str(s: &str) -> Result<Scope> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == s).ok_or_else(|| {
            Error::invalid_field(
                "api_clients.scopes",
                format!("scope {s:?} is not one of tools, accounts, admin, credentials:read"),
            )
        })
    }
}

/// A console operator's role: `admin` may change whatever the console changes; `viewer` only
/// reads, and never sees a secret. Checked here, once per console request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperatorRole {
    Admin,
    Viewer,
}

impl OperatorRole {
    pub fn as_str(self) -> &'static str {
        match self {
            OperatorRole::Admin => "admin",
            OperatorRole::Viewer => "viewer",
        }
    }

    /// What the operator's actions are checked against where they reuse an API handler.
    pub fn grants(self) -> Grants {
        match self {
            OperatorRole::Admin => Grants { scopes: Scope::ALL.to_vec() },
            OperatorRole::Viewer => Grants { scopes: vec![Scope::Tools] },
        }
    }

    /// Whether the operator is offered changes (the server checks them again in
    /// [`OperatorRole::require_change`]).
    pub fn may_change(self) -> bool {
        self == OperatorRole::Admin
    }

    /// Whether pages may show the operator a value that works as a credential (an MCP
    /// instance's URL, a webhook URL's path and query, a new client's secret).
    pub fn sees_secrets(self) -> bool {
        self == OperatorRole::Admin
    }

    /// 403 unless the operator may make changes.
    pub fn require_change(self, operator: &str) -> Result<()> {
        match self {
            OperatorRole::Admin => Ok(()),
            OperatorRole::Viewer => Err(Error::new(
                ErrorKind::Forbidden,
                format!("operator {operator:?} is a viewer: only an admin may change anything"),
            )),
        }
    }
}

impl FromStr for OperatorRole {
    type Err = Error;

    fn from_str(s: &str) -> Result<OperatorRole> {
        match s {
            "admin" => Ok(OperatorRole::Admin),
            "viewer" => Ok(OperatorRole::Viewer),
            other => Err(Error::invalid_field("role", format!("role {other:?} is not one of admin, viewer"))),
        }
    }
}

/// The scopes one API client holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants {
    scopes: Vec<Scope>,
}

impl Grants {
    /// From the config: `scopes` if given, else every scope (today's single-client setups keep
    /// working). `read_credentials = false` removes `credentials:read` whatever `scopes` says.
    pub fn from_config(scopes: Option<&[String]>, read_credentials: bool) -> Result<Grants> {
        let mut scopes = match scopes {
            Some(list) => list.iter().map(|s| s.parse()).collect::<Result<Vec<Scope>>>()?,
            None => Scope::ALL.to_vec(),
        };
        if !read_credentials {
            scopes.retain(|s| *s != Scope::CredentialsRead);
        }
        Ok(Grants { scopes })
    }

    pub fn has(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }

    /// 403 naming the missing scope.
    pub fn require(&self, client_id: &str, scope: Scope, what: &str) -> Result<()> {
        if self.has(scope) {
            return Ok(());
        }
        Err(Error::new(
            ErrorKind::Forbidden,
            format!("API client {client_id:?} lacks the {:?} scope needed to {what}", scope.as_str()),
        ))
    }

    /// The scope names, as written in the config file.
    pub fn names(&self) -> Vec<String> {
        self.scopes.iter().map(|s| s.as_str().to_string()).collect()
    }

    /// May this client give a new client `wanted`? Only what it holds itself: a client can
    /// never mint one more powerful than itself.
    pub fn may_grant(&self, client_id: &str, wanted: &Grants) -> Result<()> {
        match wanted.scopes.iter().find(|s| !self.has(**s)) {
            Some(missing) => Err(Error::new(
                ErrorKind::Forbidden,
                format!("API client {client_id:?} lacks the {:?} scope, so it may not grant it", missing.as_str()),
            )),
            None => Ok(()),
        }
    }

    /// Whose execution records this client reads: every client's with `admin`, otherwise only
    /// its own (`Some(client_id)`) — the records name identifiers, tools and accounts of the
    /// other clients' users.
    pub fn execution_records_of<'a>(&self, client_id: &'a str) -> Option<&'a str> {
        (!self.has(Scope::Admin)).then_some(client_id)
    }

    /// May this client change where a stored credential is sent? Needs `admin`, and a client that
    /// may not read credentials never may (it could otherwise send them to itself).
    pub fn require_credential_routing(&self, client_id: &str, what: &str) -> Result<()> {
        self.require(client_id, Scope::Admin, what)?;
        if !self.has(Scope::CredentialsRead) {
            return Err(Error::new(
                ErrorKind::Forbidden,
                format!("API client {client_id:?} may not read credentials, so it may not {what}"),
            ));
        }
        Ok(())
    }
}

/// The scope an endpoint needs, by method and route template; `None` for routes that do not
/// take an API client's token (MCP URLs, links, the token endpoint).
pub fn required_scope(method: &Method, route: &str) -> Option<(Scope, &'static str)> {
    let scope = match route {
        "/api/v1/tools"
        | "/api/v1/tools:search"
        | "/api/v1/tools/scoped"
        | "/api/v1/tools/available"
        | "/api/v1/providers"
        | "/api/v1/connections/app" => (Scope::Tools, "list tools"),
        "/api/v1/connectors" => (Scope::Tools, "list connectors"),
        "/api/v1/execute_tool" => (Scope::Tools, "run tools"),
        "/api/v1/executions" => (Scope::Tools, "read execution records"),
        "/proxy/{*path}" => (Scope::Tools, "proxy provider requests"),
        "/api/v1/connected_accounts/auth" => {
            (Scope::CredentialsRead, "read stored credentials; use get_connected_account_details")
        }
        "/api/v1/custom-providers" | "/api/v1/custom-providers/{identifier}" => {
            (Scope::Admin, "change custom providers")
        }
        "/api/v1/connectors:reload" => (Scope::Admin, "reload connectors"),
        "/api/v1/connectors:import" => (Scope::Admin, "import connectors"),
        "/api/v1/connectors/{slug}" => (Scope::Admin, "delete installed connectors"),
        "/api/v1/audit" => (Scope::Admin, "read the audit trail"),
        route if route.starts_with("/api/v1/api_clients") => (Scope::Admin, "manage API clients"),
        "/api/v1/connections" | "/api/v1/connections/{name}" => {
            (Scope::Admin, if *method == Method::GET { "read connections" } else { "change connections" })
        }
        route if route.starts_with("/api/v1/webhook_") => (Scope::Admin, "manage webhook endpoints"),
        route if route.starts_with("/api/v1/connections/{name}/trigger-ingress") => (
            Scope::Admin,
            if *method == Method::GET {
                "read trigger ingress endpoints"
            } else {
                "manage trigger ingress endpoints and their signing secrets"
            },
        ),
        "/api/v1/trigger-delivery/endpoints/{endpoint_id}/attempts" => (Scope::Admin, "read webhook delivery attempts"),
        "/api/v1/trigger-activity" => (Scope::Accounts, "read trigger activity"),
        route if route.starts_with("/api/v1/connections/{name}/trigger") => (
            Scope::Accounts,
            if *method == Method::GET {
                "read triggers and their subscriptions"
            } else {
                "change trigger subscriptions"
            },
        ),
        route if route.starts_with("/api/v1/connected_accounts") || route.starts_with("/api/v1/mcp/") => (
            Scope::Accounts,
            if *method == Method::GET { "read connected accounts" } else { "change connected accounts" },
        ),
        _ => return None,
    };
    Some(scope)
}

/// The authenticated caller (an API client, or a console operator acting through the same
/// checks), already checked against the scope its endpoint needs ([`required_scope`]).
pub struct Caller {
    pub client_id: String,
    pub grants: Grants,
}

impl Caller {
    /// For changes that move a stored credential elsewhere (see [`Grants::require_credential_routing`]).
    pub fn require_credential_routing(&self, what: &str) -> agentkit_core::Result<()> {
        self.grants.require_credential_routing(&self.client_id, what)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_keep_single_client_setups_and_read_credentials_false_wins() {
        let all = Grants::from_config(None, true).unwrap();
        assert!(Scope::ALL.iter().all(|s| all.has(*s)));
        let no_read = Grants::from_config(Some(&["admin".into(), "credentials:read".into()]), false).unwrap();
        assert!(!no_read.has(Scope::CredentialsRead));
        assert!(no_read.require_credential_routing("c", "change api_config").is_err());
        assert_eq!(Grants::from_config(Some(&["root".into()]), true).unwrap_err().field(), Some("api_clients.scopes"));
    }

    /// API routes open without a token, each with its reason.
    const OPEN_API_ROUTES: &[(&str, &str)] = &[
        (
            "/api/v1/openapi.json",
            "the OpenAPI document describes the API (public, like the published reference) and holds no state",
        ),
        (
            "/api/v1/trigger-delivery/wb/{ingress_id}",
            "providers post pushed events here, authenticated by their own signature (domain::push_signature)",
        ),
    ];

    #[test]
    fn every_api_route_needs_a_scope() {
        let app = include_str!("router.rs");
        for line in app.lines().filter(|l| l.contains(".route(\"/api/") || l.contains(".route(\"/proxy")) {
            let route = line.split('"').nth(1).unwrap();
            if OPEN_API_ROUTES.iter().any(|(open, _)| *open == route) {
                assert!(required_scope(&Method::GET, route).is_none(), "{route} is open: it takes no Caller");
                continue;
            }
            assert!(required_scope(&Method::GET, route).is_some(), "{route} has no scope");
        }
    }
}
