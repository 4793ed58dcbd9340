//! Who may ask: public clients registered here (RFC 7591), or identified by the URL of their
//! metadata document (Client ID Metadata Documents), and the redirect URIs each may use.

use super::*;

/// A redirect URI a client may register: https, or http on a loopback host (native apps,
/// RFC 8252); never a fragment.
fn acceptable_redirect_uri(uri: &str) -> bool {
    let Ok(url) = url::Url::parse(uri) else { return false };
    let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    url.fragment().is_none() && (url.scheme() == "https" || (url.scheme() == "http" && loopback))
}

/// RFC 7591 dynamic registration of a public client.
pub async fn register(
    State(state): State<SharedState>,
    peer: crate::throttle::Peer,
    body: axum::body::Bytes,
) -> Response {
    if settings(&state).is_none() {
        return not_configured();
    }
    if let Err(wait) = state.mcp_oauth.register.admit(crate::throttle::address_of(peer)) {
        let text = "too many client registrations from this address; try again later";
        return crate::throttle::with_retry_after(
            oauth_error(StatusCode::TOO_MANY_REQUESTS, "invalid_client_metadata", text),
            wait,
        );
    }
    let invalid = |error: &str, text: &str| oauth_error(StatusCode::BAD_REQUEST, error, text);
    if body.len() > MAX_CLIENT_METADATA_BYTES {
        return invalid("invalid_client_metadata", "client metadata is limited to 16 KiB");
    }
    let Ok(Value::Object(mut metadata)) = serde_json::from_slice::<Value>(&body) else {
        return invalid("invalid_client_metadata", "the body must be a JSON object of client metadata");
    };
    let uris: Vec<String> = match metadata.get("redirect_uris").and_then(Value::as_array) {
        Some(uris) if !uris.is_empty() && uris.len() <= MAX_REDIRECT_URIS => {
            uris.iter().filter_map(Value::as_str).map(String::from).collect()
        }
        _ => return invalid("invalid_redirect_uri", "redirect_uris must list 1 to 10 URIs"),
    };
    if let Some(bad) = uris.iter().find(|u| !acceptable_redirect_uri(u)) {
        return invalid(
            "invalid_redirect_uri",
            &format!("redirect_uris: {bad:?} must be https, or http on localhost, without a fragment"),
        );
    }
    match metadata.get("token_endpoint_auth_method").and_then(Value::as_str) {
        None | Some("none") => {}
        Some(other) => {
            return invalid(
                "invalid_client_metadata",
                &format!("token_endpoint_auth_method {other:?} is not supported: public clients (\"none\") with PKCE"),
            )
        }
    }
    let client_id = format!("mcp_{}", uuid::Uuid::new_v4().simple());
    metadata.insert("client_id".into(), json!(client_id));
    metadata.insert("client_id_issued_at".into(), json!(now_unix()));
    metadata.insert("redirect_uris".into(), json!(uris));
    metadata.insert("token_endpoint_auth_method".into(), json!("none"));
    metadata.insert("grant_types".into(), json!(["authorization_code", "refresh_token"]));
    metadata.insert("response_types".into(), json!(["code"]));
    let metadata = Value::Object(metadata);
    if let Err(e) = state.store.save_mcp_oauth_client(&client_id, &metadata).await {
        return oauth_error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", e.message());
    }
    let details = json!({"client_name": metadata.get("client_name"), "redirect_uris": metadata.get("redirect_uris")});
    audit(&state, "anonymous", "mcp_oauth.client_registered", &client_id, crate::audit::SUCCESS, details).await;
    (StatusCode::CREATED, Json(metadata)).into_response()
}

/// The redirect URIs of a client: registered here (RFC 7591), or, for a client whose id is the
/// https URL of its metadata document (Client ID Metadata Documents), listed in that document,
/// fetched through the egress policy and kept (for the consent page's client name).
pub(super) async fn registered_redirect_uris(state: &AppState, client_id: &str) -> Option<Vec<String>> {
    let metadata = match client_metadata_document_url(client_id) {
        Some(url) => {
            let document = fetch_client_metadata_document(state, &url).await?;
            state.store.save_mcp_oauth_client(client_id, &document).await.ok()?;
            document
        }
        None => state.store.mcp_oauth_client(client_id).await.ok()??,
    };
    Some(metadata["redirect_uris"].as_array()?.iter().filter_map(Value::as_str).map(String::from).collect())
}

/// A client id that is a metadata document URL: https, with a path.
fn client_metadata_document_url(client_id: &str) -> Option<url::Url> {
    let url = url::Url::parse(client_id).ok()?;
    (url.scheme() == "https" && url.path() != "/" && url.fragment().is_none()).then_some(url)
}

/// A client's metadata document: bounded, its `client_id` its own URL, its redirect URIs safe.
async fn fetch_client_metadata_document(state: &AppState, url: &url::Url) -> Option<Value> {
    let answer =
        state.mcp_oauth.client_metadata.get(url.as_str()).timeout(std::time::Duration::from_secs(5)).send().await;
    let answer = match answer {
        Ok(answer) if answer.status().is_success() => answer,
        Ok(answer) => {
            tracing::warn!(client = %url, status = %answer.status(), "client metadata document not served");
            return None;
        }
        Err(e) => {
            tracing::warn!(client = %url, error = %e.message(), "client metadata document unreachable");
            return None;
        }
    };
    let body = crate::egress::read_bounded(answer, MAX_CLIENT_METADATA_BYTES).await.ok()?;
    let document: Value = serde_json::from_slice(&body).ok()?;
    let uris = document["redirect_uris"].as_array()?;
    let sound = document["client_id"].as_str() == Some(url.as_str())
        && !uris.is_empty()
        && uris.len() <= MAX_REDIRECT_URIS
        && uris.iter().all(|u| u.as_str().is_some_and(acceptable_redirect_uri));
    sound.then_some(document)
}
