//! Providers that push: a GitHub subset whose repositories take webhooks and post a signed
//! `issues` event when an issue is opened through the API, and a signer that posts any body to
//! a URL the way Slack, Linear, Stripe or GitHub sign theirs (`POST /sandbox/push`), so that
//! `agentkit dev` and the tests see pushed triggers end to end.
//!
//! * `POST /repos/{owner}/{repo}/hooks` `{"config": {"url", "secret"}, "events": ["issues"]}`
//!   registers a webhook (GitHub's shape; 201 with its id).
//! * `POST /repos/{owner}/{repo}/issues` `{"title", "body"}` opens an issue (201, GitHub's shape)
//!   and posts `X-GitHub-Event: issues` (`action: opened`) to the repository's webhooks that
//!   take it, signed with `X-Hub-Signature-256`.
//! * `POST /sandbox/push` `{"scheme": "github|slack|linear|stripe", "url", "secret", "body",
//!   "headers"?, "signed_at"?}` signs `body` (JSON) as the scheme does and posts it; answers the
//!   receiver's status and body. `signed_at` (unix seconds) backdates the signature.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use super::{user_of, Shared};

/// A repository's webhook.
#[derive(Clone)]
pub(crate) struct Hook {
    id: u64,
    url: String,
    secret: String,
    events: Vec<String>,
}

/// Repositories by `owner/name`: their webhooks and how many issues they have.
#[derive(Default)]
pub(crate) struct Repositories {
    hooks: HashMap<String, Vec<Hook>>,
    issues: HashMap<String, u64>,
    next_hook: u64,
}

fn hmac_hex(secret: &str, parts: &[&[u8]]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else { return String::new() };
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// The headers a scheme signs `body` with, at `signed_at` (unix seconds).
fn signature_headers(scheme: &str, secret: &str, body: &[u8], signed_at: i64) -> Option<Vec<(String, String)>> {
    let t = signed_at.to_string();
    Some(match scheme {
        "github" => vec![("X-Hub-Signature-256".into(), format!("sha256={}", hmac_hex(secret, &[body])))],
        "slack" => vec![
            ("X-Slack-Request-Timestamp".into(), t.clone()),
            ("X-Slack-Signature".into(), format!("v0={}", hmac_hex(secret, &[b"v0:", t.as_bytes(), b":", body]))),
        ],
        "linear" => vec![("Linear-Signature".into(), hmac_hex(secret, &[body]))],
        "stripe" => {
            vec![("Stripe-Signature".into(), format!("t={t},v1={}", hmac_hex(secret, &[t.as_bytes(), b".", body])))]
        }
        _ => return None,
    })
}

/// Posts `body` to `url` with `headers`; the receiver's status and answer.
async fn post(url: &str, headers: Vec<(String, String)>, body: Vec<u8>) -> Result<(u16, String), String> {
    let mut request = reqwest::Client::new()
        .post(url)
        .timeout(std::time::Duration::from_secs(10))
        .header("content-type", "application/json")
        .header("user-agent", "agentkit-sandbox-hookshot");
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let answer = request.body(body).send().await.map_err(|e| e.to_string())?;
    let status = answer.status().as_u16();
    Ok((status, answer.text().await.unwrap_or_default()))
}

pub(crate) async fn create_hook(
    State(state): State<Shared>,
    Path((owner, repo)): Path<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
    if let Err(denied) = user_of(&s, &headers) {
        return denied;
    }
    let (Some(url), Some(secret)) = (body.pointer("/config/url"), body.pointer("/config/secret")) else {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"message": "config.url and config.secret are required"})),
        )
            .into_response();
    };
    let events: Vec<String> = body
        .get("events")
        .and_then(Value::as_array)
        .map(|e| e.iter().filter_map(Value::as_str).map(String::from).collect())
        .unwrap_or_else(|| vec!["push".into()]);
    s.repositories.next_hook += 1;
    let hook = Hook {
        id: s.repositories.next_hook,
        url: url.as_str().unwrap_or_default().to_string(),
        secret: secret.as_str().unwrap_or_default().to_string(),
        events: events.clone(),
    };
    s.repositories.hooks.entry(format!("{owner}/{repo}")).or_default().push(hook.clone());
    let answer = json!({"id": hook.id, "type": "Repository", "name": "web", "active": true, "events": events,
                        "config": {"url": hook.url, "content_type": "json", "insecure_ssl": "0"}});
    (StatusCode::CREATED, Json(answer)).into_response()
}

pub(crate) async fn create_issue(
    State(state): State<Shared>,
    Path((owner, repo)): Path<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let full_name = format!("{owner}/{repo}");
    let (issue, hooks, user) = {
        let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
        let user = match user_of(&s, &headers) {
            Ok(user) => user,
            Err(denied) => return denied,
        };
        let Some(title) = body.get("title").and_then(Value::as_str).filter(|t| !t.is_empty()) else {
            return (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({"message": "title is required"}))).into_response();
        };
        let number = s.repositories.issues.entry(full_name.clone()).or_default();
        *number += 1;
        let issue = json!({
            "id": 1_000_000 + *number, "number": *number, "title": title, "state": "open",
            "body": body.get("body").cloned().unwrap_or(Value::Null),
            "html_url": format!("https://github.com/{full_name}/issues/{number}"),
            "user": {"login": user},
            "created_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        });
        let hooks: Vec<Hook> = s
            .repositories
            .hooks
            .get(&full_name)
            .map(|h| h.iter().filter(|h| h.events.iter().any(|e| e == "issues" || e == "*")).cloned().collect())
            .unwrap_or_default();
        (issue, hooks, user)
    };
    let event = json!({
        "action": "opened",
        "issue": issue,
        "repository": {"full_name": full_name, "name": repo, "owner": {"login": owner}},
        "sender": {"login": user},
    });
    let payload = event.to_string().into_bytes();
    // GitHub delivers after answering; the sandbox delivers before, so a test sees the push
    // as soon as the issue exists.
    for hook in hooks {
        let mut headers = signature_headers("github", &hook.secret, &payload, 0).unwrap_or_default();
        headers.push(("X-GitHub-Event".into(), "issues".into()));
        headers.push(("X-GitHub-Delivery".into(), uuid::Uuid::new_v4().to_string()));
        headers.push(("X-GitHub-Hook-ID".into(), hook.id.to_string()));
        if let Err(e) = post(&hook.url, headers, payload.clone()).await {
            tracing::warn!(hook = hook.id, error = %e, "sandbox webhook not delivered");
        }
    }
    (StatusCode::CREATED, Json(issue)).into_response()
}

pub(crate) async fn push(Json(request): Json<Value>) -> Response {
    let text = |key: &str| request.get(key).and_then(Value::as_str).unwrap_or_default().to_string();
    let (scheme, url, secret) = (text("scheme"), text("url"), text("secret"));
    let body = request.get("body").cloned().unwrap_or(json!({})).to_string().into_bytes();
    let signed_at = request.get("signed_at").and_then(Value::as_i64).unwrap_or_else(|| chrono::Utc::now().timestamp());
    let Some(mut headers) = signature_headers(&scheme, &secret, &body, signed_at) else {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": "scheme is github, slack, linear or stripe"})))
            .into_response();
    };
    if let Some(extra) = request.get("headers").and_then(Value::as_object) {
        headers.extend(extra.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())));
    }
    match post(&url, headers, body).await {
        Ok((status, answer)) => Json(json!({"status": status, "body": answer})).into_response(),
        Err(e) => (StatusCode::BAD_GATEWAY, Json(json!({"error": e}))).into_response(),
    }
}
