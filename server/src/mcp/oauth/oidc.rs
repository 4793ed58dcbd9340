//! Signing the user in at the app's OIDC provider, when `[mcp_oauth.oidc]` names one.

use super::consent::consent_page;
use super::*;

/// We, at the app's OIDC provider: its client, our redirect URI.
pub(super) fn oidc_client<'a>(state: &AppState, oidc: &'a crate::config::McpOidcConfig) -> OidcClient<'a> {
    OidcClient {
        issuer: &oidc.issuer,
        client_id: &oidc.client_id,
        client_secret: &oidc.client_secret,
        identifier_claim: &oidc.identifier_claim,
        redirect_uri: format!("{}/mcp/oauth/oidc/callback", issuer(state)),
    }
}

#[derive(Debug, Deserialize)]
pub struct OidcCallback {
    #[serde(default)]
    code: String,
    #[serde(default)]
    state: String,
    error: Option<String>,
}

/// Back from the app's OIDC provider: the code is exchanged (with our PKCE verifier), the
/// provider's userinfo names the user, and the consent page follows.
pub async fn oidc_callback(State(state): State<SharedState>, Query(answer): Query<OidcCallback>) -> Response {
    let Some(oidc) = settings(&state).and_then(|o| o.oidc.as_ref()) else { return not_configured() };
    let bad = |text: &str| page(StatusCode::BAD_REQUEST, "Sign-in failed", text).into_response();
    let Ok(pending) = state.signer.verify::<PendingRequest>(&answer.state) else {
        return bad("The sign-in request is not valid.");
    };
    if pending.exp < now_unix() {
        return bad("The sign-in request expired; start again from your MCP client.");
    }
    if answer.error.is_some() {
        let st = pending.st.clone().unwrap_or_default();
        return back_to_client(
            &state,
            &pending.ruri,
            &[("error", "access_denied"), ("error_description", "the user did not sign in"), ("state", &st)],
        );
    }
    let identifier = match oidc_identifier(&state, oidc, &pending, &answer.code).await {
        Ok(identifier) => identifier,
        Err(e) => {
            tracing::warn!(error = %e.message(), "MCP OAuth sign-in through OIDC failed");
            return page(
                StatusCode::BAD_GATEWAY,
                "Sign-in failed",
                "The sign-in provider did not confirm who you are.",
            )
            .into_response();
        }
    };
    consent_page(&state, pending, identifier).await
}

/// The user's identifier, as the app's OIDC provider names them (see [`identify`]).
async fn oidc_identifier(
    state: &AppState,
    oidc: &crate::config::McpOidcConfig,
    pending: &PendingRequest,
    code: &str,
) -> agentkit_core::Result<String> {
    let provider = state.oidc_discovery.provider(&state.egress, &oidc.issuer).await?;
    identify(&state.egress, &provider, &oidc_client(state, oidc), code, &pkce_verifier(&state.signer, &pending.n)).await
}
