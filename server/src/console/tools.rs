//! The Tools page: the catalog by connector, each tool's input schema, and **Try it** — a form
//! generated from the schema that runs the tool as a chosen connected account (through the
//! API's own `execute_tool` handler) and shows the request id, the result and the execution
//! record.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::{html, Markup};
use serde_json::{Map, Value};

use agentkit_core::model::ExecuteToolRequest;
use agentkit_core::Error;

use super::pages::{csrf_field, error_page, notice, page, Notice};
use super::{ConsoleChange, SignedIn};
use crate::state::SharedState;

#[derive(serde::Deserialize, Default)]
pub struct ToolsQuery {
    #[serde(default)]
    connector: String,
}

pub async fn tools(State(state): State<SharedState>, signed_in: SignedIn, Query(query): Query<ToolsQuery>) -> Response {
    let registry = state.registry();
    let mut connectors: Vec<(String, String, usize)> = registry
        .catalog
        .connectors()
        .map(|c| {
            let count = registry.catalog.tools().filter(|t| t.connector.slug == c.slug).count();
            (c.slug.clone(), c.display_name.clone(), count)
        })
        .collect();
    connectors.sort();
    let chosen = query.connector.trim();
    let tools: Vec<_> = registry.catalog.tools().filter(|t| t.connector.slug == chosen).collect();
    let content = html! {
        form method="get" action="/console/tools" {
            label for="connector" { "Connector" }
            select id="connector" name="connector" {
                @for (slug, name, count) in &connectors {
                    option value=(slug) selected[slug == chosen] { (name) " (" (count) " tools)" }
                }
            }
            button type="submit" { "Show tools" }
        }
        @if chosen.is_empty() {
            p class="empty" { "Pick a connector to see its tools, their input schemas and Try it." }
        } @else if tools.is_empty() {
            p class="empty" { "No connector " code { (chosen) } " or it has no tools." }
        } @else {
            table {
                thead { tr { th scope="col" { "Tool" } th scope="col" { "Description" } } }
                tbody {
                    @for tool in &tools {
                        tr {
                            td { a href=(format!("/console/tools/{}", tool.def.name)) { (tool.def.name) } }
                            td { (tool.def.description) }
                        }
                    }
                }
            }
        }
    };
    page(&signed_in, "/console/tools", "Tools", content)
}

pub async fn tool(State(state): State<SharedState>, signed_in: SignedIn, Path(name): Path<String>) -> Response {
    tool_page(&state, &signed_in, &name, &HashMap::new(), None).await
}

/// What running the tool gave: the request id, and the answer or the error.
struct Ran {
    request_id: String,
    outcome: Result<(String, Value), Error>,
    record: Option<crate::store::ExecutionRecord>,
}

/// One form field per top-level property of the input schema.
fn input_fields(schema: &Value, form: &HashMap<String, String>) -> Markup {
    let required: Vec<&str> =
        schema["required"].as_array().map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    let properties = schema["properties"].as_object().cloned().unwrap_or_default();
    html! {
        @for (name, property) in &properties {
            @let id = format!("param-{name}");
            @let field = format!("param:{name}");
            @let kind = property["type"].as_str().unwrap_or("json");
            @let value = form.get(&field).cloned().unwrap_or_default();
            @let is_required = required.contains(&name.as_str());
            label for=(id) {
                (name) " (" (kind) @if is_required { ", required" } ")"
            }
            @if let Some(choices) = property["enum"].as_array() {
                select id=(id) name=(field) {
                    @if !is_required { option value="" { "—" } }
                    @for choice in choices {
                        @let choice = super::pages::text(choice);
                        option value=(choice) selected[choice == value] { (choice) }
                    }
                }
            } @else {
                @match kind {
                    "string" => input id=(id) name=(field) value=(value) required[is_required];,
                    "integer" | "number" => input id=(id) name=(field) type="number" step="any" value=(value) required[is_required];,
                    "boolean" => select id=(id) name=(field) {
                        option value="" { "—" }
                        option value="true" selected[value == "true"] { "true" }
                        option value="false" selected[value == "false"] { "false" }
                    },
                    _ => textarea id=(id) name=(field) rows="3" placeholder="JSON" { (value) },
                }
            }
            @if let Some(description) = property["description"].as_str() {
                p class="hint" { (description) }
            }
        }
    }
}

/// The tool's input from the form: each filled field as its schema's type, or an error naming
/// the field.
fn input_from_form(schema: &Value, form: &HashMap<String, String>) -> Result<Value, Error> {
    let mut input = Map::new();
    let properties = schema["properties"].as_object().cloned().unwrap_or_default();
    for (name, property) in &properties {
        let Some(raw) = form.get(&format!("param:{name}")).map(|v| v.trim()).filter(|v| !v.is_empty()) else {
            continue;
        };
        let invalid = |what: &str| Error::invalid_field(name.clone(), format!("{name} must be {what}"));
        let value = match property["type"].as_str() {
            Some("string") => Value::String(raw.to_string()),
            Some("integer") => raw.parse::<i64>().map(Value::from).map_err(|_| invalid("an integer"))?,
            Some("number") => raw
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .ok_or_else(|| invalid("a number"))?,
            Some("boolean") => Value::Bool(raw == "true"),
            _ => serde_json::from_str(raw).map_err(|e| invalid(&format!("JSON ({e})")))?,
        };
        input.insert(name.clone(), value);
    }
    Ok(Value::Object(input))
}

async fn tool_page(
    state: &SharedState,
    signed_in: &SignedIn,
    name: &str,
    form: &HashMap<String, String>,
    ran: Option<Ran>,
) -> Response {
    let registry = state.registry();
    let Some(tool) = registry.catalog.tool(name) else {
        return error_page(&Error::not_found(format!("tool {name:?} not found")));
    };
    let schema = serde_json::to_string_pretty(&tool.def.input_schema).unwrap_or_default();
    let admin = signed_in.role.may_change();
    let identifier = form.get("identifier").cloned().unwrap_or_default();
    let content = html! {
        p { (tool.def.description) }
        p { "Connector: " a href=(format!("/console/tools?connector={}", tool.connector.slug)) { (tool.connector.display_name) } }
        h2 { "Input schema" }
        pre { code { (schema) } }
        h2 { "Try it" }
        @if admin {
            form method="post" action=(format!("/console/tools/{name}")) class="stacked" {
                (csrf_field(signed_in))
                label for="identifier" { "Run as the connected account of identifier" }
                input id="identifier" name="identifier" required value=(identifier);
                label for="connection" { "Connection (when the identifier has several)" }
                input id="connection" name="connection" value=(form.get("connection").cloned().unwrap_or_default());
                (input_fields(&tool.def.input_schema, form))
                button type="submit" { "Run tool" }
            }
        } @else {
            p { "Only an admin may run tools from the console." }
        }
        @if let Some(ran) = ran {
            section aria-labelledby="result" {
                h2 id="result" { "Result" }
                dl { dt { "Request ID" } dd { code id="request-id" { (ran.request_id) } } }
                @match &ran.outcome {
                    Ok((execution_id, data)) => {
                        (notice(Some(Notice::Done("The tool ran."))))
                        dl { dt { "Execution ID" } dd { code id="execution-id" { (execution_id) } } }
                        pre { code id="tool-result" { (serde_json::to_string_pretty(data).unwrap_or_default()) } }
                    },
                    Err(e) => (notice(Some(Notice::Problem(e.message())))),
                }
                @if let Some(record) = &ran.record {
                    h3 { "Execution record" }
                    dl {
                        dt { "Status" } dd { (record.status.as_str()) }
                        dt { "Latency" } dd { (record.latency_ms) " ms" }
                        dt { "Account" } dd { code { (record.connected_account_id) } }
                        dt { "Upstream status" } dd { (record.upstream_status.map(|s| s.to_string()).unwrap_or_default()) }
                    }
                }
            }
        }
    };
    page(signed_in, "/console/tools", &tool.def.name, content)
}

pub async fn try_tool(
    State(state): State<SharedState>,
    Path(name): Path<String>,
    headers: axum::http::HeaderMap,
    ConsoleChange { signed_in, form }: ConsoleChange,
) -> Response {
    let registry = state.registry();
    let Some(tool) = registry.catalog.tool(&name) else {
        return error_page(&Error::not_found(format!("tool {name:?} not found")));
    };
    let identifier = form.get("identifier").map(|v| v.trim().to_string()).unwrap_or_default();
    let outcome = match input_from_form(&tool.def.input_schema, &form) {
        Err(e) => Err(e),
        Ok(params) => {
            let request = ExecuteToolRequest {
                tool_name: name.clone(),
                identifier: identifier.clone(),
                params: Some(params),
                connector: form.get("connection").map(|v| v.trim().to_string()).unwrap_or_default(),
                ..ExecuteToolRequest::default()
            };
            let traceparent = headers.get("traceparent").and_then(|v| v.to_str().ok());
            crate::domain::execution::execute_tool(&state, &signed_in.caller().client_id, &request, traceparent)
                .await
                .map(|answer| (answer.execution_id, answer.data))
        }
    };
    let record = match &outcome {
        Ok((execution_id, _)) => state
            .store
            .recent_executions(&identifier, None, 20)
            .await
            .ok()
            .and_then(|records| records.into_iter().find(|r| &r.id == execution_id)),
        Err(_) => None,
    };
    let request_id = crate::telemetry::current_request_id().unwrap_or_default();
    tool_page(&state, &signed_in, &name, &form, Some(Ran { request_id, outcome, record })).await
}
