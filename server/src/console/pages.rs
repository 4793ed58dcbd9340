//! The console's pages. Lists page on the server (keyset, never an offset); each page says what
//! to do next when it is empty; a destructive button says what it destroys.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup, DOCTYPE};
use serde_json::{json, Value};

use agentkit_core::Error;

use super::{ConsoleChange, SignedIn};
use crate::state::SharedState;
use crate::store::{AccountFilter, AccountPage, AuditFilter};

/// Rows per page of every list.
const PAGE_ROWS: u32 = 50;

/// The pages in the navigation, in order: (path, name).
const NAV: [(&str, &str); 10] = [
    ("/console/connections", "Connections"),
    ("/console/accounts", "Connected accounts"),
    ("/console/tools", "Tools"),
    ("/console/executions", "Executions"),
    ("/console/audit", "Audit trail"),
    ("/console/webhooks", "Webhooks"),
    ("/console/mcp", "MCP"),
    ("/console/triggers", "Triggers"),
    ("/console/api-credentials", "API credentials"),
    ("/console/settings", "Settings"),
];

fn document(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · AgentKit console" }
                link rel="stylesheet" href="/console/assets/console.css";
                link rel="icon" href="/console/assets/icon.svg" type="image/svg+xml";
                script src="/console/assets/console.js" defer {}
            }
            body { (body) }
        }
    }
}

/// A signed-in page: the navigation, the operator, and `content` under an `h1` of `title`.
pub(super) fn page(signed_in: &SignedIn, current: &str, title: &str, content: Markup) -> Response {
    let body = html! {
        header class="top" {
            a class="brand" href="/console/connections" { "AgentKit" }
            nav aria-label="Console" {
                ul {
                    @for (path, name) in NAV {
                        li {
                            @if path == current {
                                a href=(path) aria-current="page" { (name) }
                            } @else {
                                a href=(path) { (name) }
                            }
                        }
                    }
                }
            }
            form class="signout" method="post" action="/console/logout" {
                span { (signed_in.operator) " (" (signed_in.role.as_str()) ")" }
                input type="hidden" name="csrf" value=(signed_in.csrf);
                button type="submit" { "Sign out" }
            }
        }
        main {
            h1 { (title) }
            (content)
        }
    };
    axum::response::Html(document(title, body).into_string()).into_response()
}

/// A page for a failed request: its status and message (never a secret: errors carry none).
pub fn error_page(e: &Error) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = html! {
        main {
            h1 { "Something went wrong" }
            p role="alert" { (e.message()) }
            p { a href="/console/connections" { "Back to the console" } }
        }
    };
    (status, axum::response::Html(document("Error", body).into_string())).into_response()
}

/// The sign-in page; `with_provider`: offer the organisation's provider too.
pub fn login_form(problem: Option<&str>, status: StatusCode, with_provider: bool) -> Response {
    let body = html! {
        main class="narrow" {
            h1 { "Sign in to the AgentKit console" }
            @if let Some(problem) = problem {
                p class="problem" role="alert" { (problem) }
            }
            form method="post" action="/console/login" {
                label for="name" { "Operator name" }
                input id="name" name="name" autocomplete="username" required;
                label for="password" { "Password" }
                input id="password" name="password" type="password" autocomplete="current-password" required;
                button type="submit" { "Sign in" }
            }
            @if with_provider {
                p { a class="button" href="/console/login/oidc" { "Sign in with your organisation" } }
            }
            p class="hint" { "No operator yet? Run " code { "agentkit admin add-user NAME --role admin" } " on the gateway's host." }
        }
    };
    (status, axum::response::Html(document("Sign in", body).into_string())).into_response()
}

/// The page a one-time sign-in link opens: one button, which signs in.
pub fn once_form(token: &str) -> Response {
    let body = html! {
        main class="narrow" {
            h1 { "Sign in to the AgentKit console" }
            p { "This link signs you in once, as the gateway's local operator." }
            form method="post" action=(format!("/console/login/once/{token}")) {
                button type="submit" { "Sign in" }
            }
        }
    };
    axum::response::Html(document("Sign in", body).into_string()).into_response()
}

/// A message shown above a page's content after a change.
pub(super) enum Notice<'a> {
    Done(&'a str),
    Problem(&'a str),
}

pub(super) fn notice(notice: Option<Notice>) -> Markup {
    html! {
        @match notice {
            Some(Notice::Done(text)) => p class="done" role="status" { (text) },
            Some(Notice::Problem(text)) => p class="problem" role="alert" { (text) },
            None => {},
        }
    }
}

/// A button that copies the text of the element `id` (hidden until the script shows it).
pub(super) fn copy_button(id: &str) -> Markup {
    html! { button type="button" class="copy" data-copy=(id) hidden aria-label=(format!("Copy {id}")) { "Copy" } }
}

/// A list's search box: one field `name`, sent to `action` by GET.
fn search_form(action: &str, name: &str, label: &str, value: &str, button: &str) -> Markup {
    html! {
        form method="get" action=(action) role="search" {
            label for=(name) { (label) }
            input id=(name) name=(name) type="search" value=(value);
            button type="submit" { (button) }
        }
    }
}

pub(super) fn csrf_field(signed_in: &SignedIn) -> Markup {
    html! { input type="hidden" name="csrf" value=(signed_in.csrf); }
}

pub(super) fn text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The JSON of what a domain function answered (plain data: turning it into a `Value` does not
/// fail), or its error.
fn answered<T: serde::Serialize>(outcome: agentkit_core::Result<T>) -> std::result::Result<Value, Error> {
    outcome.map(|answer| serde_json::to_value(answer).unwrap_or_default())
}

pub async fn home(_signed_in: SignedIn) -> Redirect {
    Redirect::to("/console/connections")
}

// ---- Connections ----

#[derive(serde::Deserialize, Default)]
pub struct CatalogQuery {
    #[serde(default)]
    q: String,
}

pub async fn connections(
    State(state): State<SharedState>,
    signed_in: SignedIn,
    Query(query): Query<CatalogQuery>,
) -> Response {
    connections_page(&state, &signed_in, &query.q, None).await
}

async fn connections_page(state: &SharedState, signed_in: &SignedIn, q: &str, shown: Option<Notice<'_>>) -> Response {
    let listed = match answered(Ok(crate::domain::connections::list(state))) {
        Ok(listed) => listed,
        Err(e) => return error_page(&e),
    };
    let connections = listed["connections"].as_array().cloned().unwrap_or_default();
    let registry = state.registry();
    let needle = q.trim().to_lowercase();
    let mut connectors: Vec<(String, String)> = registry
        .catalog
        .connectors()
        .map(|c| (c.slug.clone(), c.display_name.clone()))
        .filter(|(slug, name)| needle.is_empty() || slug.contains(&needle) || name.to_lowercase().contains(&needle))
        .collect();
    connectors.sort();
    let redirect_uri = state.oauth_redirect_uri();
    let content = html! {
        (notice(shown))
        section aria-labelledby="configured" {
            h2 id="configured" { "Configured connections" }
            @if connections.is_empty() {
                p class="empty" { "No connection yet. Pick a connector below and use " strong { "Create connection" } "." }
            } @else {
                table {
                    thead { tr { th scope="col" { "Name" } th scope="col" { "Connector" } th scope="col" { "Client ID" } th scope="col" { "Secret" } th scope="col" { "Managed by" } th scope="col" { "Test" } } }
                    tbody {
                        @for c in &connections {
                            @let name = text(&c["name"]);
                            @let testable = registry.catalog.connector(&text(&c["connector"]))
                                .is_some_and(|d| crate::domain::connections::testable(d.auth.connector_type()));
                            tr {
                                td { (name) }
                                td { (text(&c["connector"])) }
                                td { (text(&c["client_id"])) }
                                td { @if c["client_secret_set"] == json!(true) { "set" } @else { "none" } }
                                td { (text(&c["source"])) }
                                td {
                                    @if !testable {
                                        "credentials live on each account"
                                    } @else if signed_in.role.may_change() {
                                        form method="post" action=(format!("/console/connections/{name}/test")) class="inline" {
                                            (csrf_field(signed_in))
                                            button type="submit" aria-label=(format!("Test connection {name}")) { "Test connection" }
                                        }
                                    } @else {
                                        "admins can test"
                                    }
                                }
                            }
                        }
                    }
                }
            }
            p {
                "Redirect URI to register at the provider: "
                code id="redirect-uri" { (redirect_uri) }
                " " (copy_button("redirect-uri"))
            }
        }
        section aria-labelledby="create" {
            h2 id="create" { "Create connection" }
            @if signed_in.role.may_change() {
                form method="post" action="/console/connections" class="stacked" {
                    (csrf_field(signed_in))
                    label for="connector" { "Connector" }
                    select id="connector" name="connector" required {
                        @for (slug, name) in &connectors { option value=(slug) { (name) " (" (slug) ")" } }
                    }
                    label for="conn-name" { "Connection name" }
                    input id="conn-name" name="name" required pattern="[a-z0-9][a-z0-9_\\-]*" maxlength="64";
                    label for="client-id" { "Client ID" }
                    input id="client-id" name="client_id" autocomplete="off";
                    label for="client-secret" { "Client secret" }
                    input id="client-secret" name="client_secret" type="password" autocomplete="off";
                    label for="scopes" { "Scopes (space-separated)" }
                    input id="scopes" name="scopes" autocomplete="off";
                    button type="submit" { "Create connection" }
                }
            } @else {
                p { "Only an admin may create connections." }
            }
        }
        section aria-labelledby="import" {
            h2 id="import" { "Import OpenAPI" }
            @if signed_in.role.may_change() {
                form method="post" action="/console/connectors/import" class="stacked" {
                    (csrf_field(signed_in))
                    label for="import-description" { "OpenAPI description (JSON or YAML, OpenAPI 3.0 / 3.1 or Swagger 2.0)" }
                    textarea id="import-description" name="description" rows="12" required
                        maxlength=(crate::catalog::openapi_import::MAX_DESCRIPTION_BYTES) {}
                    label for="import-name" { "Connector name (optional; from the description's title otherwise)" }
                    input id="import-name" name="name" pattern="[a-z0-9_]+" maxlength="32" autocomplete="off";
                    label for="import-tags" { "Only operations with these tags (optional, comma-separated)" }
                    input id="import-tags" name="include_tags" autocomplete="off";
                    label for="import-paths" {
                        "Only operations under these paths (optional, comma-separated: prefixes like /pets or globs like /pets/*/photos)"
                    }
                    input id="import-paths" name="include_paths" autocomplete="off";
                    label for="import-install" {
                        input id="import-install" name="install" type="checkbox" value="on";
                        " Install (every replica loads it at once)"
                    }
                    button type="submit" { "Import" }
                }
            } @else {
                p { "Only an admin may import connectors." }
            }
        }
        section aria-labelledby="catalog" {
            h2 id="catalog" { "Connector catalog" }
            (search_form("/console/connections", "q", "Search connectors", q, "Search"))
            @if connectors.is_empty() {
                p class="empty" { "No connector matches. Clear the search to see all of them." }
            } @else {
                ul class="catalog" { @for (slug, name) in &connectors { li { (name) " " code { (slug) } } } }
            }
        }
    };
    page(signed_in, "/console/connections", "Connections", content)
}

pub async fn create_connection(
    State(state): State<SharedState>,
    ConsoleChange { signed_in, form }: ConsoleChange,
) -> Response {
    let field = |name: &str| form.get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let mut body = serde_json::Map::new();
    for key in ["name", "connector", "client_id", "client_secret"] {
        if let Some(value) = field(key) {
            body.insert(key.into(), json!(value));
        }
    }
    if let Some(scopes) = field("scopes") {
        body.insert("scopes".into(), json!(scopes.split_whitespace().collect::<Vec<_>>()));
    }
    let connection = match serde_json::from_value(Value::Object(body)) {
        Ok(connection) => connection,
        Err(e) => {
            let problem = format!("The connection was not created: {e}");
            return connections_page(&state, &signed_in, "", Some(Notice::Problem(&problem))).await;
        }
    };
    let created = answered(crate::domain::connections::create(&state, &signed_in.caller(), connection).await);
    match created {
        Ok(c) => {
            let done = format!("Connection {} created.", text(&c["name"]));
            connections_page(&state, &signed_in, "", Some(Notice::Done(&done))).await
        }
        Err(e) => {
            let problem = format!("The connection was not created: {}", e.message());
            connections_page(&state, &signed_in, "", Some(Notice::Problem(&problem))).await
        }
    }
}

/// A form field of comma-separated values, each trimmed, empty ones left out.
fn comma_list(field: Option<&String>) -> Vec<String> {
    field.map_or_else(Vec::new, |v| v.split(',').map(str::trim).filter(|p| !p.is_empty()).map(String::from).collect())
}

/// Refuses an import form whose declared length is over the API's import limit before reading it.
pub async fn refuse_oversized_import_form(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    match crate::domain::connectors::oversized(request.headers()) {
        Some(e) => error_page(&e),
        None => next.run(request).await,
    }
}

/// Imports an OpenAPI description through the API's handler (installing it when asked) and shows
/// what it made: the tool count, the operations left out and why, the notes and the connector.
pub async fn import_connector(
    State(state): State<SharedState>,
    ConsoleChange { signed_in, mut form }: ConsoleChange,
) -> Response {
    let request = crate::domain::connectors::ImportConnector {
        description: form.remove("description").unwrap_or_default(),
        name: form.get("name").map(|v| v.trim().to_string()).filter(|v| !v.is_empty()),
        include_tags: comma_list(form.get("include_tags")),
        include_paths: comma_list(form.get("include_paths")),
        install: form.get("install").is_some_and(|v| v == "on"),
    };
    let imported = crate::domain::connectors::import(&state, request)
        .await
        .and_then(|imported| serde_json::to_value(imported).map_err(agentkit_core::Error::from));
    let imported = match imported {
        Ok(imported) => imported,
        Err(e) => {
            let problem = format!("The description was not imported: {}", e.message());
            return connections_page(&state, &signed_in, "", Some(Notice::Problem(&problem))).await;
        }
    };
    let slug = text(&imported["connector"]["slug"]);
    let tools = imported["connector"]["tools"].as_array().cloned().unwrap_or_default();
    let skipped = imported["skipped"].as_array().cloned().unwrap_or_default();
    let notes = imported["notes"].as_array().cloned().unwrap_or_default();
    let pretty = serde_json::to_string_pretty(&imported["connector"]).unwrap_or_default();
    let count = match imported["tools"].as_u64() {
        Some(1) => "1 tool".to_string(),
        n => format!("{} tools", n.unwrap_or_default()),
    };
    let outcome = if imported["installed"] == json!(true) {
        format!("Connector {slug} installed with {count}: create a connection for it on the Connections page.")
    } else {
        format!(
            "Connector {slug} imported with {count} (not installed: save the JSON below as a connector file, or import again with Install)."
        )
    };
    let content = html! {
        (notice(Some(Notice::Done(&outcome))))
        section aria-labelledby="imported-tools" {
            h2 id="imported-tools" { "Tools (" (text(&imported["tools"])) ")" }
            @if tools.is_empty() {
                p class="empty" { "No operation became a tool: see the skipped operations below." }
            } @else {
                ul { @for tool in &tools { li { code { (text(&tool["name"])) } " " (text(&tool["description"])) } } }
            }
        }
        section aria-labelledby="imported-skipped" {
            h2 id="imported-skipped" { "Skipped operations (" (skipped.len()) ")" }
            @if skipped.is_empty() {
                p class="empty" { "Every operation became a tool." }
            } @else {
                table {
                    thead { tr { th scope="col" { "Operation" } th scope="col" { "Reason" } } }
                    tbody { @for s in &skipped { tr { td { code { (text(&s["operation"])) } } td { (text(&s["reason"])) } } } }
                }
            }
        }
        section aria-labelledby="imported-notes" {
            h2 id="imported-notes" { "Notes" }
            @if notes.is_empty() {
                p class="empty" { "Nothing to review." }
            } @else {
                ul { @for note in &notes { li { (text(note)) } } }
            }
        }
        section aria-labelledby="imported-connector" {
            h2 id="imported-connector" { "Connector JSON " (copy_button("connector-json")) }
            pre id="connector-json" { (pretty) }
        }
        p { a href="/console/connections" { "Back to connections" } }
    };
    page(&signed_in, "/console/connections", &format!("Imported connector {slug}"), content)
}

/// Tests a connection's OAuth app at its provider (an outbound call with the app's secret, so an
/// admin's action, CSRF-checked like a change) and shows each check as it went.
pub async fn test_connection(
    State(state): State<SharedState>,
    Path(name): Path<String>,
    ConsoleChange { signed_in, .. }: ConsoleChange,
) -> Response {
    let test = match crate::domain::connections::test_connection(&state, &name).await {
        Ok(test) => test,
        Err(e) => return error_page(&e),
    };
    let outcome = if test.passed {
        Notice::Done("Connection test passed: the provider accepts this OAuth app.")
    } else {
        Notice::Problem("Connection test failed: see the check that failed below.")
    };
    let content = html! {
        (notice(Some(outcome)))
        table {
            caption { "Checks of connection " (test.connection) }
            thead { tr { th scope="col" { "Check" } th scope="col" { "Result" } th scope="col" { "What the gateway saw" } } }
            tbody {
                @for check in &test.checks {
                    tr {
                        td { (check.check) }
                        td { @if check.passed { "passed" } @else { strong { "failed" } } }
                        td { (check.detail) }
                    }
                }
            }
        }
        p { a href="/console/connections" { "Back to connections" } }
    };
    page(&signed_in, "/console/connections", "Connection test", content)
}

// ---- Connected accounts ----

#[derive(serde::Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    after: Option<String>,
    before: Option<String>,
}

pub async fn accounts(
    State(state): State<SharedState>,
    signed_in: SignedIn,
    Query(query): Query<ListQuery>,
) -> Response {
    let filter = AccountFilter { query: query.q.trim().to_string(), ..AccountFilter::default() };
    let at = match (&query.after, &query.before) {
        (Some(id), _) => AccountPage::After(id.clone()),
        (None, Some(id)) => AccountPage::Before(id.clone()),
        (None, None) => AccountPage::First,
    };
    let listed = match state.store.list_accounts(&filter, &at, PAGE_ROWS).await {
        Ok(listed) => listed,
        Err(e) => return error_page(&e),
    };
    let link = |key: &str, id: &str| {
        let mut url = url::Url::parse("http://console/console/accounts").ok();
        if let Some(url) = url.as_mut() {
            url.query_pairs_mut().append_pair("q", &query.q).append_pair(key, id);
        }
        url.map(|u| format!("/console/accounts?{}", u.query().unwrap_or(""))).unwrap_or_default()
    };
    let content = html! {
        (search_form("/console/accounts", "q", "Search by identifier, connection or connector", &query.q, "Search"))
        @if let Some(total) = listed.total { p { (total) " connected account(s)" } }
        @if listed.accounts.is_empty() {
            p class="empty" {
                @if query.q.is_empty() { "No connected account yet. A user connects through an authorization link (get_authorization_link)." }
                @else { "No connected account matches. Clear the search to see all of them." }
            }
        } @else {
            table {
                thead { tr { th scope="col" { "Identifier" } th scope="col" { "Connection" } th scope="col" { "Status" } th scope="col" { "Last used" } th scope="col" { "ID" } th scope="col" { "Actions" } } }
                tbody {
                    @for a in &listed.accounts {
                        tr {
                            td { (a.identifier) }
                            td { (a.connection_name) }
                            td { (a.status.as_str()) }
                            td { (a.last_used_at.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_else(|| "never".into())) }
                            td { code { (a.id) } }
                            td {
                                a href=(format!("/console/executions?identifier={}", url::form_urlencoded::byte_serialize(a.identifier.as_bytes()).collect::<String>())) { "Executions" }
                                @if signed_in.role.may_change() {
                                    form method="post" action=(format!("/console/accounts/{}/link", a.id)) class="inline" {
                                        (csrf_field(&signed_in))
                                        button type="submit" aria-label=(format!("Authorization link for {}", a.id)) { "Authorization link" }
                                    }
                                    form method="post" action=(format!("/console/accounts/{}/delete", a.id)) class="inline" {
                                        (csrf_field(&signed_in))
                                        label class="confirm" {
                                            input type="checkbox" name="confirm" value="yes" required;
                                            " delete " (a.identifier) "'s account"
                                        }
                                        button type="submit" class="danger" aria-label=(format!("Delete {}", a.id)) { "Delete" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            nav class="pager" aria-label="Pages" {
                @if listed.has_prev { @if let Some(first) = listed.accounts.first() { a href=(link("before", &first.id)) { "Previous page" } } }
                @if listed.has_next { @if let Some(last) = listed.accounts.last() { a href=(link("after", &last.id)) { "Next page" } } }
            }
        }
    };
    page(&signed_in, "/console/accounts", "Connected accounts", content)
}

// ---- Executions ----

#[derive(serde::Deserialize, Default)]
pub struct ExecutionsQuery {
    #[serde(default)]
    identifier: String,
    /// The last row of the previous page (keyset).
    before_at: Option<String>,
    before_id: Option<String>,
}

pub async fn executions(
    State(state): State<SharedState>,
    signed_in: SignedIn,
    Query(query): Query<ExecutionsQuery>,
) -> Response {
    let before = query.before_at.as_deref().zip(query.before_id.as_deref());
    let records = match state.store.executions_page(query.identifier.trim(), before, PAGE_ROWS).await {
        Ok(records) => records,
        Err(e) => return error_page(&e),
    };
    let older = records.last().filter(|_| records.len() == PAGE_ROWS as usize).map(|last| {
        let mut url = url::form_urlencoded::Serializer::new(String::new());
        url.append_pair("identifier", &query.identifier)
            .append_pair("before_at", &last.created_at.to_rfc3339())
            .append_pair("before_id", &last.id);
        format!("/console/executions?{}", url.finish())
    });
    let content = html! {
        (search_form("/console/executions", "identifier", "Identifier", &query.identifier, "Filter"))
        @if records.is_empty() {
            p class="empty" { "No execution yet. Run a tool with execute_tool and it appears here." }
        } @else {
            p { @if before.is_some() { (records.len()) " older execution(s)." } @else { "The newest " (records.len()) " execution(s)." } }
            table {
                thead { tr { th scope="col" { "When" } th scope="col" { "Tool" } th scope="col" { "Identifier" } th scope="col" { "Status" } th scope="col" { "Latency" } th scope="col" { "Execution ID" } th scope="col" { "Request ID" } } }
                tbody {
                    @for r in &records {
                        tr {
                            td { (r.created_at.format("%Y-%m-%d %H:%M:%S UTC")) }
                            td { (r.tool_name) }
                            td { (r.identifier) }
                            td { (r.status.as_str()) @if let Some(code) = &r.error_code { " (" (code) ")" } }
                            td { (r.latency_ms) " ms" }
                            td { code { (r.id) } }
                            td { code { (r.request_id.clone().unwrap_or_default()) } }
                        }
                    }
                }
            }
            @if let Some(older) = older { nav class="pager" aria-label="Pages" { a href=(older) { "Older executions" } } }
        }
    };
    page(&signed_in, "/console/executions", "Executions", content)
}

// ---- Audit trail ----

#[derive(serde::Deserialize, Default)]
pub struct AuditQuery {
    before: Option<String>,
    #[serde(default)]
    action: String,
}

pub async fn audit(State(state): State<SharedState>, signed_in: SignedIn, Query(query): Query<AuditQuery>) -> Response {
    let filter = AuditFilter {
        action: Some(query.action.trim().to_string()).filter(|a| !a.is_empty()),
        before_id: query.before.clone(),
        ..AuditFilter::default()
    };
    let events = match state.store.audit_events(&filter, PAGE_ROWS).await {
        Ok(events) => events,
        Err(e) => return error_page(&e),
    };
    let next = events.last().filter(|_| events.len() == PAGE_ROWS as usize).map(|last| {
        let mut url = url::form_urlencoded::Serializer::new(String::new());
        url.append_pair("action", &query.action).append_pair("before", &last.id);
        format!("/console/audit?{}", url.finish())
    });
    let content = html! {
        (search_form("/console/audit", "action", "Action (e.g. connection.created)", &query.action, "Filter"))
        @if events.is_empty() {
            p class="empty" { "No event matches." }
        } @else {
            table {
                thead { tr { th scope="col" { "When" } th scope="col" { "Actor" } th scope="col" { "Action" } th scope="col" { "Target" } th scope="col" { "Outcome" } } }
                tbody {
                    @for e in &events {
                        tr {
                            td { (e.occurred_at.format("%Y-%m-%d %H:%M:%S UTC")) }
                            td { (e.actor) }
                            td { (e.action) }
                            td { (e.target) }
                            td { (e.outcome) }
                        }
                    }
                }
            }
            @if let Some(next) = next { nav class="pager" aria-label="Pages" { a href=(next) { "Older events" } } }
        }
    };
    page(&signed_in, "/console/audit", "Audit trail", content)
}

// ---- API credentials ----

pub async fn api_credentials(State(state): State<SharedState>, signed_in: SignedIn) -> Response {
    api_credentials_page(&state, &signed_in, None, None).await
}

/// A client id and the secret it was just given, shown once.
struct NewSecret {
    client_id: String,
    secret: String,
}

async fn api_credentials_page(
    state: &SharedState,
    signed_in: &SignedIn,
    shown: Option<Notice<'_>>,
    new_secret: Option<NewSecret>,
) -> Response {
    let listed = match answered(crate::domain::api_clients::list(state).await) {
        Ok(listed) => listed,
        Err(e) => return error_page(&e),
    };
    let clients = listed["api_clients"].as_array().cloned().unwrap_or_default();
    let admin = signed_in.role.may_change();
    let content = html! {
        (notice(shown))
        @if let Some(new) = &new_secret {
            section class="secret" aria-labelledby="secret-heading" {
                h2 id="secret-heading" { "Copy the secret now" }
                p { "It is shown this once; the gateway keeps only its digest." }
                dl {
                    dt { "Environment URL" } dd { code id="new-environment-url" { (state.public_url) } " " (copy_button("new-environment-url")) }
                    dt { "Client ID" } dd { code id="new-client-id" { (new.client_id) } " " (copy_button("new-client-id")) }
                    dt { "Client secret" } dd { code id="new-client-secret" { (new.secret) } " " (copy_button("new-client-secret")) }
                }
            }
        }
        @if clients.is_empty() {
            p class="empty" { "No API client yet. Create one below, then sign in with it at /oauth/token." }
        } @else {
            table {
                thead { tr { th scope="col" { "Client ID" } th scope="col" { "Name" } th scope="col" { "Scopes" } th scope="col" { "Managed by" } th scope="col" { "Actions" } } }
                tbody {
                    @for c in &clients {
                        @let id = text(&c["client_id"]);
                        tr {
                            td { code { (id) } }
                            td { (text(&c["name"])) }
                            td { (c["scopes"].as_array().map(|s| s.iter().map(text).collect::<Vec<_>>().join(", ")).unwrap_or_default()) }
                            td { (text(&c["source"])) }
                            td {
                                @if admin && c["source"] == json!("api") {
                                    form method="post" action=(format!("/console/api-credentials/{id}/rotate")) class="inline" {
                                        (csrf_field(signed_in))
                                        button type="submit" aria-label=(format!("Rotate secret of {id}")) { "Rotate secret" }
                                    }
                                    form method="post" action=(format!("/console/api-credentials/{id}/revoke")) class="inline" {
                                        (csrf_field(signed_in))
                                        label class="confirm" {
                                            input type="checkbox" name="confirm" value="yes" required;
                                            " I understand apps using " (id) " stop working"
                                        }
                                        button type="submit" class="danger" aria-label=(format!("Revoke {id}")) { "Revoke" }
                                    }
                                } @else if c["source"] == json!("config") {
                                    "Change it in the config file"
                                }
                            }
                        }
                    }
                }
            }
        }
        @if admin {
            section aria-labelledby="new-client" {
                h2 id="new-client" { "Create API client" }
                form method="post" action="/console/api-credentials" class="stacked" {
                    (csrf_field(signed_in))
                    label for="client-name" { "Name" }
                    input id="client-name" name="name" maxlength="128";
                    fieldset {
                        legend { "Scopes" }
                        @for scope in crate::permissions::Scope::ALL {
                            label class="check" {
                                input type="checkbox" name=(format!("scope:{}", scope.as_str())) value="on" checked[scope != crate::permissions::Scope::CredentialsRead && scope != crate::permissions::Scope::Admin];
                                " " (scope.as_str())
                            }
                        }
                    }
                    button type="submit" { "Create API client" }
                }
            }
        }
    };
    page(signed_in, "/console/api-credentials", "API credentials", content)
}

pub async fn create_api_client(
    State(state): State<SharedState>,
    ConsoleChange { signed_in, form }: ConsoleChange,
) -> Response {
    let scopes: Vec<String> = crate::permissions::Scope::ALL
        .into_iter()
        .filter(|scope| form.contains_key(&format!("scope:{}", scope.as_str())))
        .map(|scope| scope.as_str().to_string())
        .collect();
    let request = crate::domain::api_clients::NewApiClient {
        name: form.get("name").cloned().unwrap_or_default(),
        scopes: Some(scopes),
    };
    let created = answered(crate::domain::api_clients::create(&state, &signed_in.caller(), request).await);
    match created {
        Ok(c) => {
            let new = NewSecret { client_id: text(&c["client_id"]), secret: text(&c["client_secret"]) };
            api_credentials_page(&state, &signed_in, Some(Notice::Done("API client created.")), Some(new)).await
        }
        Err(e) => {
            let problem = format!("The API client was not created: {}", e.message());
            api_credentials_page(&state, &signed_in, Some(Notice::Problem(&problem)), None).await
        }
    }
}

pub async fn rotate_api_client(
    State(state): State<SharedState>,
    Path(client_id): Path<String>,
    ConsoleChange { signed_in, .. }: ConsoleChange,
) -> Response {
    let rotated = answered(crate::domain::api_clients::rotate(&state, client_id.clone()).await);
    match rotated {
        Ok(c) => {
            let new = NewSecret { client_id: text(&c["client_id"]), secret: text(&c["client_secret"]) };
            api_credentials_page(&state, &signed_in, Some(Notice::Done("Secret rotated.")), Some(new)).await
        }
        Err(e) => error_page(&e),
    }
}

pub async fn revoke_api_client(
    State(state): State<SharedState>,
    Path(client_id): Path<String>,
    ConsoleChange { signed_in, form }: ConsoleChange,
) -> Response {
    if form.get("confirm").map(String::as_str) != Some("yes") {
        return error_page(&Error::invalid_field("confirm", "confirm the revocation: tick the box next to Revoke"));
    }
    let revoked = answered(crate::domain::api_clients::revoke(&state, &client_id).await);
    match revoked {
        Ok(_) => {
            let done = format!("API client {client_id} revoked.");
            api_credentials_page(&state, &signed_in, Some(Notice::Done(&done)), None).await
        }
        Err(e) => error_page(&e),
    }
}

// ---- Settings ----

pub async fn settings(State(state): State<SharedState>, signed_in: SignedIn) -> Response {
    let content = html! {
        dl {
            dt { "Version" } dd { (env!("CARGO_PKG_VERSION")) }
            dt { "Public URL" } dd { code { (state.public_url) } }
        }
        h2 { "Effective configuration" }
        p { "Defaults filled in; every secret redacted." }
        pre { code { (crate::config::redacted(&state.config)) } }
    };
    page(&signed_in, "/console/settings", "Settings", content)
}
