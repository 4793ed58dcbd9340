//! What an MCP URL serves, whatever the protocol revision: who it acts for (a config's tools, as
//! one user), the tools it exposes and their MCP form, and running one of them.

use std::sync::Arc;

use serde_json::{json, Map, Value};

use agentkit_core::model::{ConnectorStatus, McpConfigConnectionToolMapping};

use crate::catalog::connectors::CatalogTool;
use crate::state::AppState;
use crate::store::mcp::ConfigRecord;

/// Protocol revisions we speak, newest first.
pub const PROTOCOL_VERSIONS: &[&str] = &["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];

/// Who an MCP URL acts for: a config's tools, run as one user.
pub struct Target {
    pub config: ConfigRecord,
    pub user: String,
    pub read_only: bool,
    /// Instance id (for `last_used_at`) or config id.
    pub owner: String,
}

impl Target {
    /// Who a session of this URL belongs to: the URL and the signed-in user together, so on a
    /// shared config or connection URL no user can see, use, end or crowd out another's sessions.
    pub fn session_owner(&self) -> String {
        format!("{}\u{1f}{}", self.owner, self.user)
    }
}

pub fn rpc_error(id: &Value, code: i64, message: impl Into<String>) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message.into()}})
}

pub fn rpc_result(id: &Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

impl Target {
    /// A config's tools, all of them, run as `user`; `owner` keys bookkeeping.
    pub fn for_user(config: ConfigRecord, user: String, owner: String) -> Target {
        Target { config, user, read_only: false, owner }
    }
}

fn read_only(tool: &CatalogTool) -> bool {
    tool.def.hint("read_only_hint")
}

/// Whether a mapping of `target` exposes `tool`: one the mapping lists (or any, when it lists
/// none) that its connection runs, and only read-only ones to a read-only session.
fn exposes(target: &Target, mapping: &McpConfigConnectionToolMapping, tool: &CatalogTool) -> bool {
    (mapping.tools.is_empty() || mapping.tools.contains(&tool.def.name)) && (!target.read_only || read_only(tool))
}

/// The tools a target exposes: each mapping's listed tools, or all of its connector's.
pub fn exposed_tools(state: &AppState, target: &Target) -> Vec<(Arc<CatalogTool>, String)> {
    let mut out = Vec::new();
    let registry = state.registry();
    for m in &target.config.mappings {
        let Some(connection) = registry.connections.get(&m.connection_name) else { continue };
        for tool in registry.catalog.tools().filter(|t| t.runs_on(&connection.connector, &connection.name)) {
            if exposes(target, m, tool) {
                out.push((tool.clone(), connection.name.clone()));
            }
        }
    }
    out
}

/// The tool `name` if the target exposes it, with the connection it runs on: one lookup by name,
/// not a walk over the catalog (which may hold thousands of imported tools).
fn exposed_tool(state: &AppState, target: &Target, name: &str) -> Option<(Arc<CatalogTool>, String)> {
    let registry = state.registry();
    let tool = registry.catalog.tool(name)?;
    target.config.mappings.iter().find_map(|m| {
        let connection = registry.connections.get(&m.connection_name)?;
        (tool.runs_on(&connection.connector, &connection.name) && exposes(target, m, tool))
            .then(|| (tool.clone(), connection.name.clone()))
    })
}

/// The MCP form of a tool (annotations in MCP's camelCase).
pub fn tool_descriptor(tool: &CatalogTool) -> Value {
    let mut d =
        json!({"name": tool.def.name, "description": tool.def.description, "inputSchema": tool.def.input_schema});
    if let Some(a) = &tool.def.annotations {
        let mut annotations = Map::new();
        for (from, to) in [
            ("title", "title"),
            ("read_only_hint", "readOnlyHint"),
            ("destructive_hint", "destructiveHint"),
            ("idempotent_hint", "idempotentHint"),
            ("open_world_hint", "openWorldHint"),
        ] {
            if let Some(v) = a.get(from) {
                annotations.insert(to.into(), v.clone());
            }
        }
        if let Some(title) = a.get("title") {
            d["title"] = title.clone();
        }
        d["annotations"] = Value::Object(annotations);
    }
    d
}

pub fn tool_error(text: String) -> Value {
    json!({"content": [{"type": "text", "text": text}], "isError": true})
}

/// How a `tools/call` ended, short of a JSON-RPC error.
pub enum CallOutcome {
    /// The tool ran (or failed): an MCP tool result.
    Result(Value),
    /// The user has not authorized the tool's connection: the link that does it.
    NeedsAuthorization { connection: String, status: &'static str, link: String },
}

impl CallOutcome {
    /// The result for clients that cannot be asked for input: a tool error carrying the link.
    pub fn into_tool_result(self) -> Value {
        match self {
            CallOutcome::Result(result) => result,
            CallOutcome::NeedsAuthorization { connection, status, link } => tool_error(format!(
                "{connection} is not authorized for this user (status {status}). Ask the user to open this link to authorize it, then retry: {link}"
            )),
        }
    }
}

/// `tools/call`: a missing or unknown tool name is a JSON-RPC error; arguments that do not fit
/// the tool's schema, and everything the tool run reports, are tool results with `isError` (the
/// model reads them and can correct itself — MCP 2025-11-25 on input validation); a connection
/// the user has not authorized comes back with its link.
pub async fn call_tool(state: &AppState, target: &Target, params: &Value) -> Result<CallOutcome, (i64, String)> {
    let name =
        params.get("name").and_then(Value::as_str).ok_or((-32602, "Invalid params: name is required".to_string()))?;
    let (tool, connection) = exposed_tool(state, target, name).ok_or((-32602, format!("Unknown tool: {name}")))?;
    let input = match tool.validate_input(params.get("arguments")) {
        Ok(input) => input,
        Err(e) => {
            let problem = e.message().replace("tool_input", "arguments");
            return Ok(CallOutcome::Result(tool_error(format!("Invalid arguments for {name}: {problem}"))));
        }
    };
    let account = crate::domain::accounts::get_or_create(
        state,
        &agentkit_core::model::AccountSelector::by_name(&connection, &target.user),
    )
    .await
    .map_err(|e| (-32603, e.message().to_string()))?;
    if account.status != ConnectorStatus::Active {
        let link = crate::domain::links::issue_link(state, &account.id, String::new(), String::new(), None).link;
        return Ok(CallOutcome::NeedsAuthorization { connection, status: account.status.as_str(), link });
    }
    state.store.touch_mcp_instance(&target.owner);
    // A trace context in `_meta` (any protocol revision) continues into the execution record.
    let traceparent = params.pointer("/_meta/traceparent").and_then(Value::as_str);
    let result = match crate::domain::execution::run_for_account(
        state,
        &format!("mcp:{}", target.owner),
        &tool,
        account,
        input,
        traceparent,
    )
    .await
    {
        Ok(resp) => json!({
            "content": [{"type": "text", "text": resp.data.to_string()}],
            "structuredContent": resp.data,
            "isError": false,
        }),
        Err(e) => tool_error(e.message().to_string()),
    };
    Ok(CallOutcome::Result(result))
}
