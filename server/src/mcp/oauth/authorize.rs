//! The authorization endpoint: the client, its redirect URI, PKCE and the resource are checked,
//! then the browser goes to where the app signs its user in.

use super::clients::registered_redirect_uris;
use super::oidc::oidc_client;
use super::*;

#[derive(Debug, Deserialize)]
pub struct AuthorizeQuery {
    #[serde(default)]
    response_type: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    code_challenge: String,
    #[serde(default)]
    code_challenge_method: String,
    state: Option<String>,
    #[serde(default)]
    resource: String,
}

/// The config id a `resource` names, when it is one of this gateway's config URLs.
async fn config_of_resource(state: &AppState, resource: &str) -> Option<String> {
    let prefix = format!("{}/mcp/v1/configs/", issuer(state));
    let id = resource.strip_prefix(&prefix)?.trim_end_matches('/');
    (!id.is_empty() && !id.contains('/') && matches!(state.store.mcp_config(id).await, Ok(Some(_))))
        .then(|| id.to_string())
}

/// The authorization endpoint: checks the client, its redirect URI, PKCE and the resource, then
/// sends the browser to the app's sign-in page.
pub async fn authorize(
    State(state): State<SharedState>,
    peer: crate::throttle::Peer,
    Query(q): Query<AuthorizeQuery>,
) -> Response {
    let Some(oauth) = settings(&state) else { return not_configured() };
    if let Err(wait) = state.mcp_oauth.authorize.admit(crate::throttle::address_of(peer)) {
        let text = "Too many sign-in attempts from this address. Try again in a minute.";
        return crate::throttle::with_retry_after(
            page(StatusCode::TOO_MANY_REQUESTS, "Too many requests", text).into_response(),
            wait,
        );
    }
    // Until the redirect URI is known to be the client's, errors stay on our page.
    let Some(uris) = registered_redirect_uris(&state, &q.client_id).await else {
        return page(StatusCode::BAD_REQUEST, "Unknown client", "This MCP client is not registered here.")
            .into_response();
    };
    if !uris.contains(&q.redirect_uri) {
        return page(StatusCode::BAD_REQUEST, "Invalid redirect", "redirect_uri is not one the client registered.")
            .into_response();
    }
    let st = q.state.clone().unwrap_or_default();
    // Errors go back to the client only once a user consented to it: a redirect URI anyone can
    // register is not trusted to receive the browser before that (OAuth security BCP 4.11).
    let consented = matches!(state.store.mcp_oauth_client_consented(&q.client_id).await, Ok(true));
    let refuse = |error: &str, text: &str| {
        if consented {
            back_to_client(&state, &q.redirect_uri, &[("error", error), ("error_description", text), ("state", &st)])
        } else {
            page(StatusCode::BAD_REQUEST, "Invalid request", &format!("{text} ({error})")).into_response()
        }
    };
    if q.response_type != "code" {
        return refuse("unsupported_response_type", "response_type must be code");
    }
    if q.code_challenge_method != "S256" || q.code_challenge.len() < 43 || q.code_challenge.len() > 128 {
        return refuse("invalid_request", "PKCE with code_challenge_method S256 is required");
    }
    let Some(config_id) = config_of_resource(&state, &q.resource).await else {
        return refuse("invalid_target", "resource must be one of this gateway's MCP config URLs");
    };
    let pending = PendingRequest {
        cid: q.client_id.clone(),
        ruri: q.redirect_uri.clone(),
        cc: q.code_challenge.clone(),
        // The canonical form: the one access tokens are checked against.
        res: resource_url(&state, &config_id),
        cfg: config_id,
        st: q.state.clone(),
        exp: now_unix().saturating_add(REQUEST_TTL_SECS),
        n: uuid::Uuid::new_v4().simple().to_string(),
    };
    start_sign_in(&state, oauth, &pending).await
}

/// Sends the browser to where the user signs in: the app's `login_url`, or its OIDC provider.
async fn start_sign_in(state: &AppState, oauth: &McpOAuthConfig, pending: &PendingRequest) -> Response {
    let unavailable = |text: &str| page(StatusCode::BAD_GATEWAY, "Sign-in unavailable", text).into_response();
    let request = state.signer.sign(pending);
    let target = match (&oauth.oidc, &oauth.login_url) {
        (Some(oidc), _) => {
            let Ok(provider) = state.oidc_discovery.provider(&state.egress, &oidc.issuer).await else {
                return unavailable("The app's sign-in provider cannot be reached.");
            };
            let verifier = pkce_verifier(&state.signer, &pending.n);
            match authorization_url(&provider, &oidc_client(state, oidc), &request, &pending.n, &verifier) {
                Ok(url) => Ok(url),
                Err(_) => return unavailable("The sign-in page is misconfigured."),
            }
        }
        (None, Some(login_url)) => url::Url::parse(login_url).map(|mut url| {
            url.query_pairs_mut()
                .append_pair("request", &request)
                .append_pair("return_to", &format!("{}/mcp/oauth/callback", issuer(state)));
            url
        }),
        (None, None) => return unavailable("No sign-in is configured."),
    };
    match target {
        Ok(url) => (StatusCode::FOUND, [(header::LOCATION, url.to_string())]).into_response(),
        Err(_) => unavailable("The sign-in page is misconfigured."),
    }
}
