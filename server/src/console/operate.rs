//! Pages that operate on what the gateway holds: a connected account's re-authorization link and
//! deletion, webhook endpoints and their deliveries (redeliver), and MCP configs and instances.
//! Each change goes through the API's handler for it.

use axum::extract::{Path, State};
use axum::response::Response;
use maud::html;
use serde_json::json;

use agentkit_core::Error;

use super::pages::{csrf_field, error_page, notice, page, text, Notice};
use super::{ConsoleChange, SignedIn};
use crate::state::SharedState;

/// The account selector of the API's account calls, by id.
fn by_id<T: serde::de::DeserializeOwned>(id: &str) -> Result<T, Error> {
    serde_json::from_value(json!({"connected_account_id": id})).map_err(|e| Error::invalid_field("id", e.to_string()))
}

/// A fresh authorization link for the account (its user re-authorizes with it).
pub async fn account_link(
    State(state): State<SharedState>,
    Path(id): Path<String>,
    ConsoleChange { signed_in, .. }: ConsoleChange,
) -> Response {
    let request = match by_id(&id) {
        Ok(request) => request,
        Err(e) => return error_page(&e),
    };
    match crate::domain::magic_links::create_magic_link(&state, request).await {
        Ok(answer) => {
            let content = html! {
                (notice(Some(Notice::Done("Authorization link created."))))
                p { "Send it to the account's user; it works once." }
                p { code id="authorization-link" { (answer.link) } }
                p { a href="/console/accounts" { "Back to connected accounts" } }
            };
            page(&signed_in, "/console/accounts", "Authorization link", content)
        }
        Err(e) => error_page(&e),
    }
}

pub async fn delete_account(
    State(state): State<SharedState>,
    Path(id): Path<String>,
    ConsoleChange { signed_in, form }: ConsoleChange,
) -> Response {
    if form.get("confirm").map(String::as_str) != Some("yes") {
        return error_page(&Error::invalid_field("confirm", "confirm the deletion: tick the box next to Delete"));
    }
    let selector = match by_id(&id) {
        Ok(selector) => selector,
        Err(e) => return error_page(&e),
    };
    match crate::domain::accounts::delete_account(&state, &selector).await {
        Ok(_) => {
            let done = format!("Connected account {id} deleted.");
            let content = html! {
                (notice(Some(Notice::Done(&done))))
                p { a href="/console/accounts" { "Back to connected accounts" } }
            };
            page(&signed_in, "/console/accounts", "Connected account deleted", content)
        }
        Err(e) => error_page(&e),
    }
}

// ---- Webhooks ----

pub async fn webhooks(State(state): State<SharedState>, signed_in: SignedIn) -> Response {
    let listed = match crate::domain::webhooks::list_endpoints(&state).await {
        Ok(listed) => serde_json::to_value(listed).unwrap_or_default(),
        Err(e) => return error_page(&e),
    };
    let endpoints = listed["webhook_endpoints"].as_array().cloned().unwrap_or_default();
    // A receiver's URL often carries a token (path, query, user info): a viewer sees its host.
    let shown_url = |url: &str| {
        if signed_in.role.sees_secrets() {
            return url.to_string();
        }
        url::Url::parse(url).map(|u| format!("{}://{}/…", u.scheme(), u.host_str().unwrap_or(""))).unwrap_or_default()
    };
    let content = html! {
        @if endpoints.is_empty() {
            p class="empty" { "No webhook endpoint yet. Add one with POST /api/v1/webhook_endpoints or [[webhooks.endpoints]] in the config file." }
        } @else {
            table {
                thead { tr { th scope="col" { "Endpoint" } th scope="col" { "URL" } th scope="col" { "Events" } th scope="col" { "Managed by" } } }
                tbody {
                    @for e in &endpoints {
                        tr {
                            td { a href=(format!("/console/webhooks/{}", text(&e["id"]))) { (text(&e["id"])) } }
                            td { code { (shown_url(&text(&e["url"]))) } }
                            td { (e["events"].as_array().map(|v| v.iter().map(text).collect::<Vec<_>>().join(", ")).unwrap_or_default()) }
                            td { (text(&e["source"])) }
                        }
                    }
                }
            }
        }
    };
    page(&signed_in, "/console/webhooks", "Webhooks", content)
}

pub async fn webhook_deliveries(
    State(state): State<SharedState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Response {
    deliveries_page(&state, &signed_in, &id, None).await
}

async fn deliveries_page(
    state: &SharedState,
    signed_in: &SignedIn,
    endpoint: &str,
    shown: Option<Notice<'_>>,
) -> Response {
    let listed = match crate::domain::webhooks::deliveries(state, endpoint).await {
        Ok(listed) => serde_json::to_value(listed).unwrap_or_default(),
        Err(e) => return error_page(&e),
    };
    let deliveries = listed["deliveries"].as_array().cloned().unwrap_or_default();
    let admin = signed_in.role.may_change();
    let content = html! {
        (notice(shown))
        p { a href="/console/webhooks" { "All endpoints" } }
        @if deliveries.is_empty() {
            p class="empty" { "No delivery yet: events reach this endpoint as accounts change." }
        } @else {
            table {
                thead { tr { th scope="col" { "Event" } th scope="col" { "Status" } th scope="col" { "Attempts" } th scope="col" { "Last answer" } th scope="col" { "Created" } th scope="col" { "Actions" } } }
                tbody {
                    @for d in &deliveries {
                        @let id = text(&d["id"]);
                        tr {
                            td { (text(&d["event_type"])) }
                            td { (text(&d["status"])) }
                            td { (text(&d["attempts"])) }
                            td { (text(&d["last_status"])) " " (text(&d["last_error"])) }
                            td { (text(&d["created_at"])) }
                            td {
                                @if admin {
                                    form method="post" action=(format!("/console/webhooks/{endpoint}/deliveries/{id}/redeliver")) class="inline" {
                                        (csrf_field(signed_in))
                                        button type="submit" aria-label=(format!("Redeliver {id}")) { "Redeliver" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    page(signed_in, "/console/webhooks", &format!("Deliveries to {endpoint}"), content)
}

pub async fn redeliver(
    State(state): State<SharedState>,
    Path((endpoint, delivery)): Path<(String, String)>,
    ConsoleChange { signed_in, .. }: ConsoleChange,
) -> Response {
    // Only a delivery to the endpoint the page is about: a forged path cannot reach another's.
    match crate::domain::webhooks::redeliver_delivery(&state, &delivery, Some(&endpoint)).await {
        Ok(()) => {
            let done = format!("Delivery {delivery} queued again.");
            deliveries_page(&state, &signed_in, &endpoint, Some(Notice::Done(&done))).await
        }
        Err(e) => error_page(&e),
    }
}

// ---- MCP ----

/// Rows the MCP page shows of each list: the API's first page.
const MCP_ROWS: usize = 30;

/// The first configs (by name) and instances (by id), as the API shows them.
async fn mcp_rows(
    state: &SharedState,
) -> agentkit_core::Result<(Vec<agentkit_core::model::McpConfig>, Vec<agentkit_core::model::McpInstance>)> {
    let first = agentkit_core::model::McpListRequest { page_size: Some(MCP_ROWS as u32), ..Default::default() };
    let configs = crate::domain::mcp::list_configs(state, &first).await?.configs;
    let instances = crate::domain::mcp::list_instances(state, &first).await?.instances;
    Ok((configs, instances))
}

pub async fn mcp(State(state): State<SharedState>, signed_in: SignedIn) -> Response {
    let (configs, instances) = match mcp_rows(&state).await {
        Ok(rows) => rows,
        Err(e) => return error_page(&e),
    };
    // An instance's URL carries its key: it is a secret, shown to admins only.
    let admin = signed_in.role.sees_secrets();
    let content = html! {
        h2 { "Configs" }
        @if configs.is_empty() {
            p class="empty" { "No MCP config yet. Create one with POST /api/v1/mcp/configs (see docs/mcp.md)." }
        } @else {
            table {
                thead { tr { th scope="col" { "Name" } th scope="col" { "Connections" } th scope="col" { "Server URL (users sign in)" } } }
                tbody {
                    @for c in &configs {
                        tr {
                            td { (c.name) }
                            td { (c.connection_tool_mappings.iter().map(|m| m.connection_name.clone()).collect::<Vec<_>>().join(", ")) }
                            td { code { (c.mcp_server_url) } }
                        }
                    }
                }
            }
        }
        h2 { "Instances" }
        @if instances.is_empty() {
            p class="empty" { "No MCP instance yet: one is made per user with POST /api/v1/mcp/instances." }
        } @else {
            table {
                thead { tr { th scope="col" { "Name" } th scope="col" { "User" } th scope="col" { "Config" } th scope="col" { "Last used" } th scope="col" { "URL" } } }
                tbody {
                    @for i in &instances {
                        tr {
                            td { (i.name) }
                            td { (i.user_identifier) }
                            td { (i.config.name) }
                            td { (i.last_used_at.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_else(|| "never".into())) }
                            td { @if admin { code { (i.url) } } @else { "(admins only: the URL is a credential)" } }
                        }
                    }
                }
            }
        }
    };
    page(&signed_in, "/console/mcp", "MCP", content)
}

/// Most subscriptions the Triggers page shows per connection (the API pages through the rest).
const TRIGGER_ROWS: u32 = 100;

/// The Triggers page: per connection that offers triggers, its subscriptions and how their
/// polls stand (status, interval, last run, last error) — read-only; changes go through the API.
pub async fn triggers(State(state): State<SharedState>, signed_in: SignedIn) -> Response {
    let registry = state.registry();
    let mut connections: Vec<_> = registry
        .connections
        .values()
        .filter(|c| registry.catalog.connector(&c.connector).is_some_and(|d| !d.triggers.is_empty()))
        .cloned()
        .collect();
    connections.sort_by(|a, b| a.name.cmp(&b.name));
    let mut sections = Vec::new();
    for connection in &connections {
        let rows = match state.store.trigger_subscriptions(&connection.name, "", &[], "", TRIGGER_ROWS).await {
            Ok(rows) => rows,
            Err(e) => return error_page(&e),
        };
        let mut shown = Vec::new();
        for row in rows.iter().take(TRIGGER_ROWS as usize) {
            let account = state.store.account_by_id(&row.account_id).await.ok().flatten();
            shown.push(crate::domain::triggers::to_wire(row, None, account.as_ref()));
        }
        let connector = registry.catalog.connector(&connection.connector);
        let offered: Vec<String> =
            connector.map(|d| d.triggers.iter().map(|t| t.name.clone()).collect()).unwrap_or_default();
        // Pushed triggers: where the provider posts, and whether its signing secret is set.
        let pushed = connector.is_some_and(|d| d.triggers.iter().any(|t| t.push.is_some()));
        let ingress = match state.store.connection_trigger_ingress(&connection.name).await {
            Ok(found) => found.map(|i| crate::domain::trigger_ingress::to_wire(&state, &i)),
            Err(e) => return error_page(&e),
        };
        sections.push((connection.name.clone(), offered, shown, rows.len() > TRIGGER_ROWS as usize, pushed, ingress));
    }
    let when = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string()).unwrap_or_else(|| "never".into())
    };
    let content = html! {
        @if sections.is_empty() {
            p class="empty" { "No connection offers a trigger yet. Connector files declare them (see docs/triggers.md)." }
        }
        @for (name, offered, shown, more, pushed, ingress) in &sections {
            h2 { (name) }
            p { "Triggers: " (offered.join(", ")) }
            @if *pushed {
                @match ingress {
                    Some(ingress) => p {
                        "Ingress URL: " code { (ingress.url) } " · signing secret: "
                        @if ingress.signing_secret_configured {
                            "set (" (ingress.masked_signing_secret) ")"
                            @if ingress.rotation_in_progress { " · rotation " (ingress.signing_secret_rotation_id) " not confirmed: the previous secret is still accepted" }
                        } @else {
                            strong { "not set: every push is refused" } " (PUT /api/v1/connections/conn_" (name) "/trigger-ingress/signing-secret)"
                        }
                    },
                    None => p class="empty" { "No ingress URL yet: POST /api/v1/connections/conn_" (name) "/trigger-ingress." },
                }
            }
            @if shown.is_empty() {
                p class="empty" { "No subscription yet: POST /api/v1/connections/conn_" (name) "/trigger-subscriptions, or actions.triggers.create_trigger_subscription in the SDKs." }
            } @else {
                table {
                    thead { tr {
                        th scope="col" { "Trigger" } th scope="col" { "User" } th scope="col" { "Status" }
                        th scope="col" { "Interval (s)" } th scope="col" { "Last poll" } th scope="col" { "Last error" }
                    } }
                    tbody {
                        @for s in shown {
                            tr {
                                td { (s.trigger_name) }
                                td { (s.connected_account_identifier) }
                                td { (serde_json::to_value(s.status).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()) }
                                td { @if s.effective_interval_seconds == 0 { "pushed" } @else { (s.effective_interval_seconds) } }
                                td { (when(s.poll_state.last_run_at)) }
                                td { (s.poll_state.last_error) }
                            }
                        }
                    }
                }
                @if *more { p { "The first " (TRIGGER_ROWS) " are shown; list the rest with the API." } }
            }
        }
    };
    page(&signed_in, "/console/triggers", "Triggers", content)
}
