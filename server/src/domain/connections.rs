//! Testing a connection: does its provider know the OAuth app the connection names? Nothing is
//! stored and no user is involved; the token endpoint is asked, through the egress policy, to
//! trade a code it never issued, and its answer says whether the client id and secret pass.

use serde::Serialize;

use agentkit_core::model::ConnectorType;
use agentkit_core::{Error, ErrorKind, Result};

use crate::credentials::oauth::ClientCheck;
use crate::state::AppState;

/// The outcome of a connection test: passed only when every check passed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConnectionTest {
    pub connection: String,
    pub passed: bool,
    pub checks: Vec<TestCheck>,
}

/// One check of a connection test, with what was seen.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TestCheck {
    pub check: &'static str,
    pub passed: bool,
    pub detail: String,
}

/// Can a connection of this connector be tested without an account? Only OAuth apps: the other
/// auth types keep every credential on the connected accounts.
pub fn testable(connector_type: ConnectorType) -> bool {
    connector_type == ConnectorType::Oauth
}

/// Tests a connection's OAuth app against its provider.
pub async fn test_connection(state: &AppState, name: &str) -> Result<ConnectionTest> {
    let connection = state.connection(name)?;
    let connector = state.registry().connector_of(&connection)?;
    let auth_type = connector.auth.connector_type();
    if !testable(auth_type) {
        return Err(Error::new(
            ErrorKind::FailedPrecondition,
            format!(
                "connection {name:?} uses {} auth: each connected account holds its own credentials, so there is \
                 nothing to test on the connection; try a tool as one of its accounts instead",
                auth_type.as_str()
            ),
        ));
    }
    let mut test = ConnectionTest { connection: connection.name.clone(), passed: false, checks: Vec::new() };
    let app = match state.oauth_app(&connection).await {
        Ok(app) => app,
        Err(e) => {
            test.checks.push(TestCheck { check: "OAuth app configured", passed: false, detail: e.message().into() });
            return Ok(test);
        }
    };
    let token_host = url::Url::parse(&app.token_url).ok().and_then(|u| u.host_str().map(String::from));
    test.checks.push(TestCheck {
        check: "OAuth app configured",
        passed: true,
        detail: format!(
            "client id {}; token endpoint at {}",
            app.client_id,
            token_host.as_deref().unwrap_or("an unparsable URL")
        ),
    });
    let redirect_uri = state.oauth_redirect_uri();
    let (passed, detail) = match app.check_client(&redirect_uri).await {
        ClientCheck::Accepted(answer) => (
            true,
            format!("the provider accepted the client id and secret (and refused the test's made-up code: {answer})"),
        ),
        ClientCheck::Refused(answer) => (false, format!("the provider refused the client id or secret: {answer}")),
        ClientCheck::RedirectUriRefused(answer) => {
            (false, format!("the provider refused the redirect URI {redirect_uri}: register it on the app ({answer})"))
        }
        // Already "token endpoint unreachable: …" with the transport step that failed.
        ClientCheck::Unreachable(why) => (false, why),
        ClientCheck::Unclear(answer) => {
            (false, format!("the token endpoint's answer says neither yes nor no: {answer}"))
        }
    };
    test.checks.push(TestCheck { check: "provider accepts the client", passed, detail });
    test.passed = test.checks.iter().all(|c| c.passed);
    tracing::info!(connection = %test.connection, passed = test.passed, "connection tested");
    Ok(test)
}
