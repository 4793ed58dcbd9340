//! Issue 23 §2: the console — operators sign in (argon2id), sessions are HttpOnly/SameSite
//! cookies, every change needs the session's CSRF token, the gateway's origin and the admin
//! role, pages carry a strict Content-Security-Policy, secrets are shown once and never listed,
//! and every change is audited with the operator as the actor. Driven over HTTP as a browser
//! would (cookies kept, redirects not followed).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

mod common;

use reqwest::header::{CONTENT_SECURITY_POLICY, LOCATION, SET_COOKIE, X_FRAME_OPTIONS};
use serde_json::Value;

struct Console {
    url: String,
    state: agentkit_server::state::SharedState,
    _data_dir: DataDir,
}

struct DataDir(std::path::PathBuf);

impl Drop for DataDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const ADMIN_PASSWORD: &str = "correct horse battery staple";
const VIEWER_PASSWORD: &str = "viewer password 1234";

async fn console() -> Console {
    console_with("").await
}

/// A console whose `[server]` table also has `server_settings`.
async fn console_with(server_settings: &str) -> Console {
    let data_dir = std::env::temp_dir().join(format!("agentkit-console-{}", uuid::Uuid::new_v4().simple()));
    let text = r#"
[server]
listen = "127.0.0.1:0"
SERVER_SETTINGS

[[api_clients]]
client_id = "admin"
client_secret = "admin-secret-from-the-file"

[[connections]]
name = "salesforce"
connector = "salesforce"
client_id = "sf-client"
client_secret = "sf-secret-from-the-file"
# A provider no one can reach: a connection test names the step that failed.
token_url = "https://login.example.invalid/services/oauth2/token"
"#;
    let text = text.replace("SERVER_SETTINGS", server_settings);
    let mut config = agentkit_server::Config::parse(&text, "console.toml").unwrap();
    config.server.data_dir = data_dir.clone();
    let server = agentkit_server::start(config).await.unwrap();
    for (name, role, password) in [("ops", "admin", ADMIN_PASSWORD), ("watcher", "viewer", VIEWER_PASSWORD)] {
        let operator = agentkit_server::store::Operator {
            name: name.into(),
            role: role.into(),
            password_hash: agentkit_server::console::hash_password(password).unwrap(),
        };
        let row = agentkit_server::audit::change_row_by("cli", "console.operator_set", name, Value::Null);
        server.state.store.put_operator(&operator, &agentkit_server::store::ChangeRecords::audited(row)).await.unwrap();
    }
    Console { url: server.public_url.clone(), state: server.state.clone(), _data_dir: DataDir(data_dir) }
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// The value of the first `name="csrf"` field on a page.
fn csrf_of(page: &str) -> String {
    let at = page.find(r#"name="csrf" value=""#).expect("the page has a CSRF field");
    let rest = &page[at + r#"name="csrf" value=""#.len()..];
    rest[..rest.find('"').unwrap()].to_string()
}

impl Console {
    async fn sign_in(&self, name: &str, password: &str) -> (reqwest::Client, reqwest::Response) {
        let browser = browser();
        let resp = browser
            .post(format!("{}/console/login", self.url))
            .form(&[("name", name), ("password", password)])
            .send()
            .await
            .unwrap();
        // Every gateway has its own password checks: another test's burst never makes this one busy.
        assert_ne!(resp.status(), 503, "signing {name} in");
        (browser, resp)
    }

    async fn get(&self, browser: &reqwest::Client, path: &str) -> (u16, String) {
        let resp = browser.get(format!("{}{path}", self.url)).send().await.unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    }

    async fn post(&self, browser: &reqwest::Client, path: &str, form: &[(&str, &str)]) -> (u16, String) {
        let resp = browser.post(format!("{}{path}", self.url)).form(form).send().await.unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    }

    async fn audit_actions(&self, actor: &str) -> Vec<String> {
        let filter = agentkit_server::store::AuditFilter { actor: Some(actor.into()), ..Default::default() };
        let events = self.state.store.audit_events(&filter, 100).await.unwrap();
        events.into_iter().map(|e| e.action).collect()
    }
}

#[tokio::test]
async fn an_operator_signs_in_and_every_page_is_locked_down() {
    let console = console().await;
    // Not signed in: every page sends to the sign-in page.
    let resp = browser().get(format!("{}/console/connections", console.url)).send().await.unwrap();
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()[LOCATION], "/console/login");

    // A wrong password: 401, audited, no cookie.
    let (_, resp) = console.sign_in("ops", "not the password").await;
    assert_eq!(resp.status(), 401);
    assert!(resp.headers().get(SET_COOKIE).is_none());
    assert!(resp.text().await.unwrap().contains("Unknown operator or wrong password"));
    assert!(console.audit_actions("console:ops").await.contains(&"console.sign_in_failed".to_string()));

    let (browser, resp) = console.sign_in("ops", ADMIN_PASSWORD).await;
    assert_eq!(resp.status(), 303, "{:?}", resp.text().await);
    let cookie = resp.headers()[SET_COOKIE].to_str().unwrap().to_string();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP on loopback cannot carry a Secure cookie: {cookie}");

    for (path, heading) in [
        ("/console/connections", "Connections"),
        ("/console/accounts", "Connected accounts"),
        ("/console/tools", "Tools"),
        ("/console/tools/gmail_fetch_mails", "gmail_fetch_mails"),
        ("/console/executions", "Executions"),
        ("/console/audit", "Audit trail"),
        ("/console/webhooks", "Webhooks"),
        ("/console/mcp", "MCP"),
        ("/console/triggers", "Triggers"),
        ("/console/api-credentials", "API credentials"),
        ("/console/settings", "Settings"),
    ] {
        let resp = browser.get(format!("{}{path}", console.url)).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        let csp = resp.headers()[CONTENT_SECURITY_POLICY].to_str().unwrap().to_string();
        assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(resp.headers()[X_FRAME_OPTIONS], "DENY");
        let page = resp.text().await.unwrap();
        assert!(page.contains(&format!("<h1>{heading}</h1>")), "{path}");
        for secret in ["admin-secret-from-the-file", "sf-secret-from-the-file"] {
            assert!(!page.contains(secret), "{path} shows a secret");
        }
        assert_eq!(page.matches("<script").count(), 1, "{path}: one script");
        assert!(page.contains(r#"<script src="/console/assets/console.js" defer>"#), "{path}: no inline script");
        assert!(csp.contains("script-src 'self'"), "{csp}");
    }
    let (_, settings) = console.get(&browser, "/console/settings").await;
    assert!(settings.contains("client_secret"), "the settings page shows the config (redacted)");

    // Signing out ends the session: the old cookie no longer opens a page.
    let (_, page) = console.get(&browser, "/console/connections").await;
    let (status, _) = console.post(&browser, "/console/logout", &[("csrf", &csrf_of(&page))]).await;
    assert_eq!(status, 303);
    let stale = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let session = cookie.split(';').next().unwrap().to_string();
    let resp =
        stale.get(format!("{}/console/connections", console.url)).header("cookie", session).send().await.unwrap();
    assert_eq!(resp.status(), 303, "a signed-out session is dead");
}

#[tokio::test]
async fn an_admin_creates_an_api_client_and_a_connection_through_the_console() {
    let console = console().await;
    let (browser, _) = console.sign_in("ops", ADMIN_PASSWORD).await;
    let (_, page) = console.get(&browser, "/console/api-credentials").await;
    let csrf = csrf_of(&page);
    let (status, page) = console
        .post(
            &browser,
            "/console/api-credentials",
            &[("csrf", &csrf), ("name", "quickstart"), ("scope:tools", "on"), ("scope:accounts", "on")],
        )
        .await;
    assert_eq!(status, 200, "{page}");
    let field = |id: &str| {
        let at = page.find(&format!(r#"id="{id}">"#)).unwrap_or_else(|| panic!("{id} on the page"));
        let rest = &page[at + id.len() + 6..];
        rest[..rest.find('<').unwrap()].to_string()
    };
    let (client_id, secret) = (field("new-client-id"), field("new-client-secret"));
    assert!(client_id.starts_with("skc_") && secret.starts_with("sks_"), "{client_id} {secret}");
    // The new client signs in at once; the secret is never shown again.
    let token = reqwest::Client::new()
        .post(format!("{}/oauth/token", console.url))
        .form(&[("grant_type", "client_credentials"), ("client_id", &client_id), ("client_secret", &secret)])
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), 200);
    let (_, listed) = console.get(&browser, "/console/api-credentials").await;
    assert!(listed.contains(&client_id) && !listed.contains(&secret));

    // A Gmail connection, its secret sealed and never shown.
    let (status, page) = console
        .post(
            &browser,
            "/console/connections",
            &[
                ("csrf", &csrf),
                ("connector", "gmail"),
                ("name", "gmail"),
                ("client_id", "gmail-app"),
                ("client_secret", "gmail-app-secret"),
                ("scopes", "https://www.googleapis.com/auth/gmail.readonly"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("Connection gmail created."), "{page}");
    assert!(!page.contains("gmail-app-secret"));
    assert!(console.state.registry().connections.contains_key("gmail"), "the connection serves at once");

    // Revoking needs the confirmation box.
    let revoke = format!("/console/api-credentials/{client_id}/revoke");
    let (status, _) = console.post(&browser, &revoke, &[("csrf", &csrf)]).await;
    assert_eq!(status, 400, "not confirmed");
    let (status, page) = console.post(&browser, &revoke, &[("csrf", &csrf), ("confirm", "yes")]).await;
    assert_eq!(status, 200, "{page}");
    assert!(!page.contains(&format!("<code>{client_id}</code>")), "revoked clients are gone from the list");

    let actions = console.audit_actions("console:ops").await;
    for action in ["console.signed_in", "api_client.created", "connection.created", "api_client.revoked"] {
        assert!(actions.contains(&action.to_string()), "{action} audited as the operator: {actions:?}");
    }
}

#[tokio::test]
async fn changes_without_the_token_from_elsewhere_or_by_a_viewer_are_refused() {
    let console = console().await;
    let (admin, _) = console.sign_in("ops", ADMIN_PASSWORD).await;
    let create = [("name", "x"), ("scope:tools", "on")];
    let (status, page) = console.post(&admin, "/console/api-credentials", &create).await;
    assert_eq!(status, 403, "no CSRF token");
    assert!(page.contains("CSRF"), "{page}");
    let (_, page) = console.get(&admin, "/console/api-credentials").await;
    let csrf = csrf_of(&page);
    let (status, _) = console
        .post(&admin, "/console/api-credentials", &[("csrf", "forged"), ("name", "x"), ("scope:tools", "on")])
        .await;
    assert_eq!(status, 403, "a wrong CSRF token");
    let cross_site = admin
        .post(format!("{}/console/api-credentials", console.url))
        .header("origin", "https://attacker.example")
        .form(&[("csrf", csrf.as_str()), ("name", "x"), ("scope:tools", "on")])
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403, "another origin, even with the token");

    // A viewer reads but changes nothing and is offered no change.
    let (viewer, resp) = console.sign_in("watcher", VIEWER_PASSWORD).await;
    assert_eq!(resp.status(), 303);
    let (status, page) = console.get(&viewer, "/console/api-credentials").await;
    assert_eq!(status, 200);
    assert!(!page.contains("Create API client") && !page.contains("Revoke"), "no change offered to a viewer");
    let csrf = csrf_of(&page);
    let (status, page) = console
        .post(&viewer, "/console/api-credentials", &[("csrf", &csrf), ("name", "x"), ("scope:tools", "on")])
        .await;
    assert_eq!(status, 403);
    assert!(page.contains("viewer"), "{page}");
    let (status, _) = console
        .post(&viewer, "/console/connections", &[("csrf", &csrf), ("connector", "gmail"), ("name", "gmail2")])
        .await;
    assert_eq!(status, 403);
    assert!(!console.state.registry().connections.contains_key("gmail2"));
    let stored = console.state.store.api_clients().await.unwrap();
    assert!(stored.is_empty(), "nothing was created: {stored:?}");
}

/// **Test connection** asks the provider about the OAuth app: an admin's action, CSRF-checked,
/// showing each check; a viewer is offered none and refused one.
#[tokio::test]
async fn an_admin_tests_a_connection_and_a_viewer_cannot() {
    let console = console().await;
    let (admin, _) = console.sign_in("ops", ADMIN_PASSWORD).await;
    let (status, page) = console.get(&admin, "/console/connections").await;
    assert_eq!(status, 200);
    assert!(page.contains(r#"aria-label="Test connection salesforce""#), "{page}");
    let (status, _) = console.post(&admin, "/console/connections/salesforce/test", &[]).await;
    assert_eq!(status, 403, "no CSRF token");
    let csrf = csrf_of(&page);
    let (status, result) = console.post(&admin, "/console/connections/salesforce/test", &[("csrf", &csrf)]).await;
    assert_eq!(status, 200, "{result}");
    assert!(result.contains("Connection test failed"), "{result}");
    assert!(result.contains("OAuth app configured") && result.contains("DNS lookup failed"), "{result}");
    assert!(!result.contains("sf-secret-from-the-file"), "the secret is never shown");

    let (viewer, _) = console.sign_in("watcher", VIEWER_PASSWORD).await;
    let (_, page) = console.get(&viewer, "/console/connections").await;
    assert!(!page.contains("Test connection salesforce") && page.contains("admins can test"), "{page}");
    let csrf = csrf_of(&page);
    let (status, page) = console.post(&viewer, "/console/connections/salesforce/test", &[("csrf", &csrf)]).await;
    assert_eq!(status, 403, "{page}");
}

/// **Redeliver** on an endpoint's page queues only a delivery to that endpoint: a forged path
/// naming another endpoint's delivery is a 404, and nothing is queued.
#[tokio::test]
async fn redeliver_reaches_only_the_pages_own_endpoint() {
    use agentkit_server::store::{ChangeRecords, StoredWebhookEndpoint, WebhookDelivery};
    let console = console().await;
    let store = &console.state.store;
    let now = chrono::Utc::now();
    for id in ["we_mine", "we_other"] {
        let endpoint = StoredWebhookEndpoint {
            id: id.into(),
            url: format!("https://hooks.example/{id}"),
            events: Vec::new(),
            secret: "whsec_test".into(),
            created_at: now,
        };
        store.insert_webhook_endpoint(&endpoint, &ChangeRecords::default()).await.unwrap();
    }
    let delivery = WebhookDelivery {
        id: "wd_other".into(),
        event_id: "evt_1".into(),
        event_type: "connected_account.created".into(),
        endpoint_id: "we_other".into(),
        payload: "{}".into(),
        status: "failed".into(),
        attempts: 6,
        next_attempt_at: now,
        last_status: None,
        last_error: None,
        created_at: now,
        delivered_at: None,
        ordering_key: None,
        sequence: 0,
    };
    store.enqueue_webhook_deliveries(&[delivery]).await.unwrap();
    let (admin, _) = console.sign_in("ops", ADMIN_PASSWORD).await;
    let (_, page) = console.get(&admin, "/console/webhooks/we_mine").await;
    let csrf = csrf_of(&page);
    let (status, page) =
        console.post(&admin, "/console/webhooks/we_mine/deliveries/wd_other/redeliver", &[("csrf", &csrf)]).await;
    assert_eq!(status, 404, "{page}");
    assert!(console.audit_actions("console:ops").await.iter().all(|a| a != "webhook_delivery.redelivered"));
    let (status, page) =
        console.post(&admin, "/console/webhooks/we_other/deliveries/wd_other/redeliver", &[("csrf", &csrf)]).await;
    assert_eq!(status, 200, "{page}");
    assert!(console.audit_actions("console:ops").await.iter().any(|a| a == "webhook_delivery.redelivered"));
}

/// A one-operation OpenAPI description (issue 24 §1: importing through the console).
const SMALL_DESCRIPTION: &str = r#"openapi: 3.0.0
info: {title: Console Import, version: "1"}
servers: [{url: "https://api.console-import.example"}]
paths:
  /things:
    get:
      operationId: listThings
      summary: List the things
      responses: {"200": {description: ok}}
  /uploads:
    post:
      operationId: upload
      requestBody:
        required: true
        content: {multipart/form-data: {schema: {type: object}}}
      responses: {"200": {description: ok}}
"#;

/// **Import OpenAPI** on the Connections page: an admin imports (and installs) a description and
/// sees what it made; the tools are in the catalog at once. A viewer is offered no form and
/// refused a post; a post without the CSRF token is refused.
#[tokio::test]
async fn an_admin_imports_an_openapi_description_and_a_viewer_cannot() {
    let console = console().await;
    let (admin, _) = console.sign_in("ops", ADMIN_PASSWORD).await;
    let (_, page) = console.get(&admin, "/console/connections").await;
    assert!(page.contains(r#"action="/console/connectors/import""#), "{page}");
    let csrf = csrf_of(&page);
    let form = |csrf: &str, install: bool| {
        let mut form = vec![("description", SMALL_DESCRIPTION.to_string()), ("name", "console_import".to_string())];
        if !csrf.is_empty() {
            form.push(("csrf", csrf.to_string()));
        }
        if install {
            form.push(("install", "on".to_string()));
        }
        form
    };
    let post = |browser: &reqwest::Client, form: Vec<(&'static str, String)>| {
        let request = browser.post(format!("{}/console/connectors/import", console.url)).form(&form);
        async move {
            let resp = request.send().await.unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        }
    };

    // Without install: the result, nothing installed.
    let (status, result) = post(&admin, form(&csrf, false)).await;
    assert_eq!(status, 200, "{result}");
    assert!(result.contains("not installed") && result.contains("console_import_list_things"), "{result}");
    assert!(console.state.registry().catalog.connector("console_import").is_none());

    // Installed: the tool count, the skipped operation and why, the connector JSON.
    let (status, result) = post(&admin, form(&csrf, true)).await;
    assert_eq!(status, 200, "{result}");
    assert!(result.contains("Connector console_import installed with 1 tool:"), "{result}");
    assert!(result.contains("POST /uploads") && result.contains("multipart"), "{result}");
    assert!(result.contains(r#"<pre id="connector-json">"#) && result.contains("&quot;slug&quot;"), "{result}");
    let (_, tools) = console.get(&admin, "/console/tools?connector=console_import").await;
    assert!(tools.contains("console_import_list_things"), "the tool is in the catalog at once: {tools}");
    let (_, page) = console.get(&admin, "/console/connections").await;
    assert!(page.contains("<code>console_import</code>"), "the connector is in the catalog list");
    // A broken description is named on the page.
    let broken = vec![("csrf", csrf.clone()), ("description", "openapi: [unclosed".to_string())];
    let (_, result) = post(&admin, broken).await;
    assert!(result.contains("The description was not imported"), "{result}");
    assert!(console.audit_actions("console:ops").await.contains(&"connector.installed".to_string()));
    // Only the operations under the paths (or with the tags) asked for; the others are listed.
    let mut only = vec![("csrf", csrf.clone()), ("description", SMALL_DESCRIPTION.to_string())];
    only.extend([("name", "only_paths".to_string()), ("include_paths", " /things , ".to_string())]);
    let (_, result) = post(&admin, only).await;
    assert!(result.contains("imported with 1 tool") && result.contains("only_paths_list_things"), "{result}");
    assert!(result.contains("path not under any of the included paths (/things)"), "{result}");
    let mut only = vec![("csrf", csrf.clone()), ("description", SMALL_DESCRIPTION.to_string())];
    only.extend([("name", "only_tags".to_string()), ("include_tags", "nothing-has-it".to_string())]);
    let (_, result) = post(&admin, only).await;
    assert!(result.contains("imported with 0 tools") && result.contains("nothing-has-it"), "{result}");

    // No CSRF token: refused.
    let (status, _) = post(&admin, form("", true)).await;
    assert_eq!(status, 403, "no CSRF token");

    // A viewer is offered no form and refused a post.
    let (viewer, _) = console.sign_in("watcher", VIEWER_PASSWORD).await;
    let (_, page) = console.get(&viewer, "/console/connections").await;
    assert!(!page.contains("/console/connectors/import") && page.contains("Only an admin may import"), "{page}");
    let csrf = csrf_of(&page);
    let mut viewer_form = form(&csrf, true);
    viewer_form[1].1 = "viewer_import".into();
    let (status, page) = post(&viewer, viewer_form).await;
    assert_eq!(status, 403, "{page}");
    assert!(console.state.registry().catalog.connector("viewer_import").is_none());
}

/// `agentkit dev`'s console link signs its operator in once; a second use is refused. Opening
/// it (a link preview, a mail scanner) uses nothing: its button does, from the console's page.
#[tokio::test]
async fn a_one_time_sign_in_link_works_once() {
    let console = console().await;
    let link = agentkit_server::console::sign_in_link(&console.state, "ops").await.unwrap();
    for _ in 0..2 {
        let opened = browser().get(&link).send().await.unwrap();
        assert_eq!(opened.status(), 200);
        assert!(opened.headers().get(SET_COOKIE).is_none(), "opening the link signs nobody in");
    }
    let from_elsewhere = browser().post(&link).header("origin", "https://attacker.example").send().await.unwrap();
    assert_eq!(from_elsewhere.status(), 403, "another site cannot sign a browser in with it");
    let first = browser().post(&link).send().await.unwrap();
    assert_eq!(first.status(), 303);
    assert!(first.headers()[SET_COOKIE].to_str().unwrap().starts_with("agentkit_console="));
    let again = browser().post(&link).send().await.unwrap();
    assert_eq!(again.status(), 401);
    assert!(again.headers().get(SET_COOKIE).is_none());
    let forged = browser().post(format!("{}/console/login/once/forged", console.url)).send().await.unwrap();
    assert_eq!(forged.status(), 401);
    // A newer link replaces the older one.
    let older = agentkit_server::console::sign_in_link(&console.state, "ops").await.unwrap();
    let newer = agentkit_server::console::sign_in_link(&console.state, "ops").await.unwrap();
    assert_eq!(browser().post(&older).send().await.unwrap().status(), 401);
    assert_eq!(browser().post(&newer).send().await.unwrap().status(), 303);
}

/// Sign-in attempts are counted before the password is checked: twenty wrong guesses sent at
/// once from one address get at most the limit's worth of answers (the rest 429, or 503 while
/// the password checks are busy), and a cross-site sign-in is refused.
#[tokio::test]
async fn a_burst_of_guesses_cannot_outrun_the_sign_in_limit() {
    let console = console_with("failed_logins_per_minute = 5").await;
    let guesses = (0..20).map(|n| {
        let url = format!("{}/console/login", console.url);
        async move {
            let guess = format!("wrong guess {n}");
            let form = [("name", "ops"), ("password", guess.as_str())];
            browser().post(url).form(&form).send().await.unwrap().status().as_u16()
        }
    });
    let statuses = futures::future::join_all(guesses).await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert!(checked <= 5, "{checked} passwords checked, limit 5: {statuses:?}");
    assert!(statuses.iter().all(|s| [401, 429, 503].contains(s)), "{statuses:?}");
    let (_, resp) = console.sign_in("ops", ADMIN_PASSWORD).await;
    assert_eq!(resp.status(), 429, "the address used its minute");
    let elsewhere = browser()
        .post(format!("{}/console/login", console.url))
        .header("origin", "https://attacker.example")
        .form(&[("name", "ops"), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), 403, "login CSRF");
}

/// An MCP instance's URL carries its key: the MCP page shows it to an admin, never to a viewer.
#[tokio::test]
async fn a_viewer_never_sees_an_mcp_instance_url() {
    let console = console().await;
    let api = reqwest::Client::new();
    let bearer = common::api_token(&console.url, "admin", "admin-secret-from-the-file").await;
    let post =
        |path: &str, body: Value| api.post(format!("{}{path}", console.url)).bearer_auth(&bearer).json(&body).send();
    let config = serde_json::json!({"name": "crm", "connection_tool_mappings": [{"connection_name": "salesforce", "tools": []}]});
    assert_eq!(post("/api/v1/mcp/configs", config).await.unwrap().status(), 201);
    let instance = post("/api/v1/mcp/instances", serde_json::json!({"config_name": "crm", "user_identifier": "alice"}))
        .await
        .unwrap();
    assert!(instance.status().is_success(), "{}", instance.status());
    let instance: Value = instance.json().await.unwrap();
    let url = instance["instance"]["url"].as_str().or(instance["url"].as_str()).unwrap().to_string();
    assert!(url.contains("/mcp/v1/"), "{instance}");

    let (admin, _) = console.sign_in("ops", ADMIN_PASSWORD).await;
    let (status, page) = console.get(&admin, "/console/mcp").await;
    assert_eq!(status, 200);
    assert!(page.contains(&url), "the admin sees the URL to copy");
    let (viewer, _) = console.sign_in("watcher", VIEWER_PASSWORD).await;
    let (status, page) = console.get(&viewer, "/console/mcp").await;
    assert_eq!(status, 200);
    assert!(page.contains("alice") && !page.contains(&url), "the viewer sees the instance, not its URL");
}

/// The Executions page pages on the server (keyset on created_at, id): following "Older
/// executions" visits every record once, ties in created_at included.
#[tokio::test]
async fn executions_page_through_every_record_once() {
    let console = console().await;
    let base = chrono::Utc::now() - chrono::Duration::hours(1);
    for n in 0..120i64 {
        console
            .state
            .store
            .record_execution(agentkit_server::store::ExecutionRecord {
                id: format!("exec_{n:04}"),
                api_client_id: "admin".into(),
                tool_name: "gmail_list_labels".into(),
                connection_name: "gmail".into(),
                connected_account_id: "ca_1".into(),
                identifier: "pager".into(),
                status: agentkit_server::store::ExecutionStatus::Success,
                upstream_status: Some(200),
                error_code: None,
                latency_ms: 3,
                // Three records per second: ties the keyset must break by id.
                created_at: base + chrono::Duration::seconds(n / 3),
                traceparent: None,
                request_id: None,
            })
            .await;
    }
    let (browser, _) = console.sign_in("ops", ADMIN_PASSWORD).await;
    let mut seen = std::collections::BTreeSet::new();
    let mut path = "/console/executions?identifier=pager".to_string();
    for _ in 0..10 {
        let (status, page) = console.get(&browser, &path).await;
        assert_eq!(status, 200);
        for chunk in page.split("<code>exec_").skip(1) {
            if let Some(id) = chunk.get(..4).filter(|id| id.chars().all(|c| c.is_ascii_digit())) {
                assert!(seen.insert(id.to_string()), "exec_{id} on two pages");
            }
        }
        let Some(at) = page.find(r#"href="/console/executions?identifier=pager&amp;before_at="#) else { break };
        let rest = &page[at + 6..];
        path = rest[..rest.find('"').unwrap()].replace("&amp;", "&");
    }
    assert_eq!(seen.len(), 120, "every record once across the pages");
}

/// Every console route, without a session, sends to the sign-in page (GET) or is refused (POST):
/// none answers with content. The route list is the router's own (a new route joins the test).
#[tokio::test]
async fn no_console_route_answers_without_a_session() {
    let console = console().await;
    let open = [
        "/console/login",
        "/console/login/once/{token}",
        "/console/login/oidc",
        "/console/login/oidc/callback",
        "/console/assets/console.css",
        "/console/assets/icon.svg",
        "/console/assets/console.js",
    ];
    let mut checked = 0;
    for (method, route) in agentkit_server::console::routes() {
        if open.contains(&route) {
            continue;
        }
        let path = route.replace("{name}", "gmail_list_labels").replace('{', "x").replace('}', "");
        let request = match method {
            "GET" => browser().get(format!("{}{path}", console.url)),
            _ => browser().post(format!("{}{path}", console.url)).form(&[("csrf", "x"), ("confirm", "yes")]),
        };
        let resp = request.send().await.unwrap();
        assert_eq!(resp.status(), 303, "{method} {route}");
        assert_eq!(resp.headers()[LOCATION], "/console/login", "{method} {route}");
        checked += 1;
    }
    assert!(checked >= 15, "{checked} routes checked");
}

/// `[console] listen` moves the console to a listener of its own (the API's has none of it);
/// `enabled = false` serves it nowhere.
#[tokio::test]
async fn the_console_can_move_to_its_own_listener_or_be_off() {
    for (settings, moved) in [("listen = \"127.0.0.1:0\"", true), ("enabled = false", false)] {
        let data_dir = std::env::temp_dir().join(format!("agentkit-console-{}", uuid::Uuid::new_v4().simple()));
        let _cleanup = DataDir(data_dir.clone());
        let text = format!(
            "[server]\nlisten = \"127.0.0.1:0\"\n\n[[api_clients]]\nclient_id = \"admin\"\nclient_secret = \"s\"\n\n[console]\n{settings}\n"
        );
        let mut config = agentkit_server::Config::parse(&text, "console.toml").unwrap();
        config.server.data_dir = data_dir.clone();
        let server = agentkit_server::start(config).await.unwrap();
        let on_api = browser().get(format!("{}/console/login", server.public_url)).send().await.unwrap();
        assert_eq!(on_api.status(), 404, "{settings}: not on the API's listener");
        match server.console_addr {
            Some(addr) => {
                assert!(moved, "{settings}");
                let own = browser().get(format!("http://{addr}/console/login")).send().await.unwrap();
                assert_eq!(own.status(), 200, "{settings}: on its own listener");
                assert_eq!(server.state.console_url, format!("http://{addr}"));
                let api = browser().get(format!("http://{addr}/api/v1/tools")).send().await.unwrap();
                assert_eq!(api.status(), 404, "the console's listener serves no API");
            }
            None => assert!(!moved, "{settings}"),
        }
    }
}
