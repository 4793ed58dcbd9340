//! The user, signed in by the app, allows or denies the config's tools; allowing issues an
//! authorization code.

use super::*;

/// What the app sends back after signing its user in (`login_url`).
#[derive(Debug, Deserialize)]
pub struct AppSignIn {
    #[serde(default)]
    request: String,
    #[serde(default)]
    identifier: String,
    #[serde(default)]
    signature: String,
}

/// A user signed in for a pending request, vouched for by this gateway: the consent form
/// carries it, so the answer to the form is bound to that user and request.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SignedInUser {
    req: PendingRequest,
    sub: String,
}

impl Claims for SignedInUser {
    const KIND: TokenKind = TokenKind::McpOAuthSignedIn;
}

/// The pending request the app signed its user in for, when request and signature check out.
fn app_signed_in(state: &AppState, oauth: &McpOAuthConfig, form: &AppSignIn) -> Result<PendingRequest, &'static str> {
    use hmac::Mac;
    let Ok(pending) = state.signer.verify::<PendingRequest>(&form.request) else {
        return Err("The sign-in request is not valid.");
    };
    if pending.exp < now_unix() {
        return Err("The sign-in request expired; start again from your MCP client.");
    }
    if form.identifier.is_empty() || form.identifier.len() > MAX_IDENTIFIER_LEN {
        return Err("The app did not sign a user in.");
    }
    let secret = oauth.login_secret.as_deref().unwrap_or_default();
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) else {
        return Err("The sign-in is misconfigured.");
    };
    mac.update(format!("{}.{}", form.request, form.identifier).as_bytes());
    let presented: Option<Vec<u8>> = (0..form.signature.len())
        .step_by(2)
        .map(|i| form.signature.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect();
    // Compared in constant time by the MAC itself.
    if secret.is_empty() || presented.is_none_or(|p| mac.verify_slice(&p).is_err()) {
        return Err("The app's signature over the signed-in user is not valid.");
    }
    Ok(pending)
}

/// Back from the app's sign-in page (`login_url`): the consent page.
pub async fn callback(State(state): State<SharedState>, Query(form): Query<AppSignIn>) -> Response {
    let Some(oauth) = settings(&state) else { return not_configured() };
    match app_signed_in(&state, oauth, &form) {
        Ok(pending) => consent_page(&state, pending, form.identifier).await,
        Err(text) => page(StatusCode::BAD_REQUEST, "Sign-in failed", text).into_response(),
    }
}

/// The consent page: the config's tools, for the signed-in user to allow or deny.
pub(super) async fn consent_page(state: &AppState, pending: PendingRequest, identifier: String) -> Response {
    let Ok(Some(config)) = state.store.mcp_config(&pending.cfg).await else {
        return page(StatusCode::NOT_FOUND, "Unknown MCP config", "This MCP config no longer exists.").into_response();
    };
    let client_name = match state.store.mcp_oauth_client(&pending.cid).await {
        Ok(Some(m)) => m["client_name"].as_str().unwrap_or(&pending.cid).to_string(),
        _ => pending.cid.clone(),
    };
    let target = crate::mcp::tools::Target::for_user(config, identifier.clone(), pending.cfg.clone());
    let tools: String = crate::mcp::tools::exposed_tools(state, &target)
        .iter()
        .map(|(tool, _)| {
            format!("<li><b>{}</b> — {}</li>", html_escape(&tool.def.name), html_escape(&tool.def.description))
        })
        .collect();
    let signed_in = state.signer.sign(&SignedInUser { req: pending, sub: identifier.clone() });
    let body = format!(
        "<!doctype html><meta charset=utf-8><title>Allow access</title>\
         <h1>Allow {client} to use these tools as {user}?</h1><p>MCP config {config}:</p><ul>{tools}</ul>\
         <form method=post action=\"/mcp/oauth/consent\"><input type=hidden name=signin value=\"{signed_in}\">\
         <button name=decision value=approve>Allow</button> <button name=decision value=deny>Deny</button></form>",
        client = html_escape(&client_name),
        user = html_escape(&identifier),
        config = html_escape(&target.config.name),
        signed_in = html_escape(&signed_in),
    );
    let mut response = Html(body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("frame-ancestors 'none'"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[derive(Debug, Deserialize)]
pub struct ConsentAnswer {
    #[serde(default)]
    signin: String,
    #[serde(default)]
    decision: String,
}

/// The user's answer on the consent page: a code back to the client, or `access_denied`.
pub async fn consent(State(state): State<SharedState>, Form(form): Form<ConsentAnswer>) -> Response {
    if settings(&state).is_none() {
        return not_configured();
    }
    let Ok(SignedInUser { req: pending, sub: identifier }) = state.signer.verify::<SignedInUser>(&form.signin) else {
        return page(StatusCode::BAD_REQUEST, "Sign-in failed", "The consent form is not valid.").into_response();
    };
    if pending.exp < now_unix() {
        return page(
            StatusCode::BAD_REQUEST,
            "Sign-in failed",
            "The sign-in expired; start again from your MCP client.",
        )
        .into_response();
    }
    let st = pending.st.clone().unwrap_or_default();
    let user = format!("mcp:{identifier}");
    let details = json!({"client_id": pending.cid, "config_id": pending.cfg});
    if form.decision != "approve" {
        audit(&state, &user, "mcp_oauth.consent_denied", &pending.cid, crate::audit::REFUSED, details).await;
        return back_to_client(
            &state,
            &pending.ruri,
            &[("error", "access_denied"), ("error_description", "the user denied access"), ("state", &st)],
        );
    }
    let code = random_token();
    let grant = AuthorizationCode {
        client_id: pending.cid.clone(),
        redirect_uri: pending.ruri.clone(),
        code_challenge: pending.cc.clone(),
        resource: pending.res.clone(),
        config_id: pending.cfg.clone(),
        user_identifier: identifier,
        expires_at: chrono::Utc::now() + chrono::Duration::seconds(CODE_TTL_SECS),
    };
    if state.store.save_mcp_oauth_code(&code, &grant).await.is_err() {
        return back_to_client(
            &state,
            &pending.ruri,
            &[("error", "temporarily_unavailable"), ("error_description", "try again"), ("state", &st)],
        );
    }
    audit(&state, &user, "mcp_oauth.consent_granted", &pending.cid, crate::audit::SUCCESS, details).await;
    back_to_client(&state, &pending.ruri, &[("code", &code), ("state", &st)])
}
