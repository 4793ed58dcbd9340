//! Snowflake's SQL API v2: a tool's `sql` statement sent as `POST /api/v2/statements`, polled
//! while Snowflake answers 202, its result read partition by partition.
//!
//! Safety rules, whatever the tool's statement says:
//! - values are bound (`?` placeholders, `bindings`), never written into the SQL text, and
//!   `MULTI_STATEMENT_COUNT = 1` makes Snowflake refuse a second statement;
//! - Snowflake has no read-only transaction, so a read tool sends only a statement whose first
//!   keyword is `SELECT`, `WITH`, `SHOW`, `DESCRIBE` or `EXPLAIN`; every other statement is
//!   refused before it is sent. A query that calls a function with side effects (a sequence's
//!   `NEXTVAL`, `SYSTEM$…` functions) still runs: a role with only read grants is the guarantee
//!   (see docs/connectors.md);
//! - write tools run only when the connection sets `allow_writes = true`;
//! - each statement has Snowflake's `timeout`, and the gateway stops polling (and cancels the
//!   statement) shortly after it; answers stop at a row cap and a byte budget, and every answer
//!   is read bounded;
//! - requests go only under the account's base URL (a status URL from the answer is rebuilt from
//!   the statement handle, never followed).

use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use agentkit_core::model::ToolErrorInfo;
use agentkit_core::{Error, ErrorKind, Result};

use crate::catalog::templates::{scalar_text, Scope};
use crate::config::ConnectionConfig;
use crate::execution::http::{retry_after, upstream_error};
use crate::execution::sql::{
    limit, refuse_write_on_read_only, render, SqlDef, DEFAULT_MAX_ROWS, DEFAULT_TIMEOUT_MS, MAX_RESULT_BYTES,
    MAX_ROWS_CEILING, TIMEOUT_CEILING_MS,
};

const STATEMENTS_PATH: &str = "/api/v2/statements";
pub use crate::catalog::runner_defs::SNOWFLAKE_CONTEXT_FIELDS as CONTEXT_FIELDS;
/// Bytes read beyond the row budget for one answer's metadata and JSON syntax.
const ANSWER_OVERHEAD: usize = 256 * 1024;
/// Snowflake holds a request up to 45 s before it answers 202.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// How long past the statement's own timeout the gateway keeps polling.
const POLL_GRACE: Duration = Duration::from_secs(30);
const POLL_FIRST_DELAY: Duration = Duration::from_millis(200);
const POLL_MAX_DELAY: Duration = Duration::from_secs(2);
/// Snowflake asks every SQL API client for a User-Agent.
const USER_AGENT: &str = concat!("agentkit/", env!("CARGO_PKG_VERSION"));

/// One SQL tool call as one account of a Snowflake connection.
pub struct StatementCall<'a> {
    pub egress: &'a crate::egress::Egress,
    /// `https://<account>.snowflakecomputing.com` (or the connection's override).
    pub base_url: &'a str,
    pub credential: &'a (String, String),
    /// Sent next to the credential (`X-Snowflake-Authorization-Token-Type`).
    pub credential_extras: &'a [(String, String)],
    /// The account's settings: its default database, schema, warehouse and role.
    pub settings: Option<&'a Value>,
    pub connection: &'a ConnectionConfig,
    pub tool_name: &'a str,
    pub def: &'a SqlDef,
}

/// Runs the tool's statement and returns its columns and rows (`truncated` when the row cap or
/// the byte budget left some out), with Snowflake's DML `stats` when it gives them.
pub async fn run_statement_tool(call: &StatementCall<'_>, input: &Map<String, Value>) -> Result<Value> {
    refuse_write_on_read_only(call.connection, call.tool_name, call.def)?;
    let (statement, params) = render(call.def, input)?;
    let max_rows = usize::try_from(limit(input, "max_rows", DEFAULT_MAX_ROWS, MAX_ROWS_CEILING)).unwrap_or(500);
    if !call.def.write {
        refuse_unless_read(&statement)?;
    }
    let timeout_ms = limit(input, "timeout_ms", DEFAULT_TIMEOUT_MS, TIMEOUT_CEILING_MS);
    let timeout_secs = timeout_ms.div_ceil(1000).max(1);

    let mut body = json!({
        "statement": statement,
        "timeout": timeout_secs,
        "parameters": {"MULTI_STATEMENT_COUNT": "1"},
    });
    if !call.def.write {
        // Snowflake stops the result there (one more row than the cap says it was reached).
        body["parameters"]["ROWS_PER_RESULTSET"] = Value::String(max_rows.saturating_add(1).to_string());
    }
    let scope = Scope::new(input);
    for field in CONTEXT_FIELDS {
        let from_tool = call.def.context.get(field).and_then(|t| scope.render(t)).map(|v| scalar_text(&v));
        let from_account = || call.settings.and_then(|s| s.get(field)).and_then(Value::as_str).map(String::from);
        if let Some(value) = from_tool.filter(|v| !v.is_empty()).or_else(from_account) {
            body[field] = Value::String(value);
        }
    }
    if !params.is_empty() {
        let bindings: Map<String, Value> =
            params.iter().enumerate().map(|(i, v)| (i.saturating_add(1).to_string(), binding(v))).collect();
        body["bindings"] = Value::Object(bindings);
    }

    let statements = agentkit_core::model::proxy_path::join_under_base(call.base_url, STATEMENTS_PATH)?;
    let request_id = uuid::Uuid::new_v4().to_string();
    let first = call
        .request(reqwest::Method::POST, &statements)
        .query(&[("requestId", request_id.as_str())])
        .header("content-type", "application/json")
        .json(&body);
    let answer_budget = MAX_RESULT_BYTES.saturating_add(ANSWER_OVERHEAD);
    let (mut status, mut answer) = call.send(first, answer_budget).await?;

    // 202: still running. Poll the statement (rebuilt from its handle) until it finishes or the
    // statement's timeout and a grace period have passed; then cancel it.
    let deadline = Instant::now() + Duration::from_secs(timeout_secs) + POLL_GRACE;
    let mut delay = POLL_FIRST_DELAY;
    while status == 202 {
        let handle = statement_handle(call.tool_name, &answer)?;
        let url = format!("{statements}/{handle}");
        if Instant::now() >= deadline {
            let cancel = call.request(reqwest::Method::POST, &format!("{url}/cancel"));
            let _ = call.send(cancel, ANSWER_OVERHEAD).await;
            return Err(Error::new(
                ErrorKind::Timeout,
                format!(
                    "{} failed: the statement ran past its timeout_ms ({timeout_ms} ms) and was cancelled",
                    call.tool_name
                ),
            )
            .with_status(504));
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(POLL_MAX_DELAY);
        (status, answer) = call.send(call.request(reqwest::Method::GET, &url), answer_budget).await?;
    }
    if status != 200 {
        return Err(statement_failed(call.tool_name, status, &answer));
    }
    collect_rows(call, &statements, answer, max_rows).await
}

impl StatementCall<'_> {
    /// A request to the account's Snowflake with its credential.
    fn request(&self, method: reqwest::Method, url: &str) -> crate::egress::OutboundRequest {
        let mut request = self
            .egress
            .request(method, url)
            .timeout(REQUEST_TIMEOUT)
            .header(self.credential.0.as_str(), self.credential.1.as_str())
            .header("accept", "application/json")
            .header("user-agent", USER_AGENT);
        for (name, value) in self.credential_extras {
            request = request.header(name.as_str(), value.as_str());
        }
        request
    }

    /// Sends `request`, reads at most `budget` bytes of the answer; an HTTP error (not 422, a
    /// failed statement) is a tool error that keeps the provider's status class.
    async fn send(&self, request: crate::egress::OutboundRequest, budget: usize) -> Result<(u16, Value)> {
        let response = request.send().await.map_err(|e| match e.kind() {
            ErrorKind::Forbidden | ErrorKind::InvalidInput => e,
            kind => Error::new(kind, format!("{}: {}", self.tool_name, e.message())).with_error_code("TOOL_ERROR"),
        })?;
        let status = response.status().as_u16();
        let wait = retry_after(response.headers());
        let bytes = crate::egress::read_bounded(response, budget).await?;
        let body: Value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        if status >= 400 && status != 422 {
            return Err(upstream_error(self.tool_name, status, &body, wait));
        }
        Ok((status, body))
    }
}

/// Rows of a finished statement: the first partition from its answer, the others fetched with
/// `?partition=N` while the row cap and byte budget allow (a partition that would not fit is not
/// fetched).
async fn collect_rows(call: &StatementCall<'_>, statements: &str, answer: Value, max_rows: usize) -> Result<Value> {
    let meta = answer.get("resultSetMetaData").cloned().unwrap_or(Value::Null);
    let columns: Vec<(String, String, i64)> = meta
        .get("rowType")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| {
            let text = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
            (text("name"), text("type").to_lowercase(), c.get("scale").and_then(Value::as_i64).unwrap_or(0))
        })
        .collect();
    let partitions: Vec<u64> = meta
        .get("partitionInfo")
        .and_then(Value::as_array)
        .map(|p| p.iter().map(|i| i.get("uncompressedSize").and_then(Value::as_u64).unwrap_or(0)).collect())
        .unwrap_or_default();
    let mut rows = Vec::new();
    let mut bytes = 0usize;
    let mut truncated = !add_rows(&answer, &columns, &mut rows, &mut bytes, max_rows);
    let handle = answer.get("statementHandle").and_then(Value::as_str).unwrap_or_default().to_string();
    for (partition, size) in partitions.iter().enumerate().skip(1) {
        if truncated {
            break;
        }
        let size = usize::try_from(*size).unwrap_or(usize::MAX);
        // Rows remain in this partition: at the cap, they are left out rather than fetched.
        if rows.len() >= max_rows || bytes.saturating_add(size) > MAX_RESULT_BYTES {
            truncated = true;
            break;
        }
        let handle = statement_handle(call.tool_name, &answer)?;
        let url = format!("{statements}/{handle}");
        let request = call.request(reqwest::Method::GET, &url).query(&[("partition", partition.to_string())]);
        let (status, page) = call.send(request, MAX_RESULT_BYTES.saturating_add(ANSWER_OVERHEAD)).await?;
        if status != 200 {
            return Err(statement_failed(call.tool_name, status, &page));
        }
        truncated = !add_rows(&page, &columns, &mut rows, &mut bytes, max_rows);
    }
    let mut out = json!({
        "columns": columns.iter().map(|(name, ty, _)| json!({"name": name, "type": ty})).collect::<Vec<_>>(),
        "row_count": rows.len(),
        "rows": rows,
        "truncated": truncated,
        "statement_handle": handle,
    });
    if let Some(stats) = answer.get("stats").filter(|s| s.is_object()) {
        out["stats"] = stats.clone();
    }
    Ok(out)
}

/// Adds a partition's `data` rows (typed by column); false when the row cap or the byte budget
/// stopped it.
fn add_rows(
    page: &Value,
    columns: &[(String, String, i64)],
    rows: &mut Vec<Value>,
    bytes: &mut usize,
    max_rows: usize,
) -> bool {
    for row in page.get("data").and_then(Value::as_array).into_iter().flatten() {
        if rows.len() >= max_rows {
            return false;
        }
        let cells = row.as_array().map(Vec::as_slice).unwrap_or_default();
        let typed: Vec<Value> = cells
            .iter()
            .enumerate()
            .map(|(i, cell)| typed_cell(cell, columns.get(i).map(|(_, ty, scale)| (ty.as_str(), *scale))))
            .collect();
        let size = serde_json::to_string(&typed).map(|t| t.len()).unwrap_or(0);
        if bytes.saturating_add(size) > MAX_RESULT_BYTES {
            return false;
        }
        *bytes = bytes.saturating_add(size);
        rows.push(Value::Array(typed));
    }
    true
}

/// Snowflake's JSON results carry every value as text: integers, floats and booleans become
/// JSON numbers and booleans; anything else (decimals, dates, variants) stays text.
fn typed_cell(cell: &Value, column: Option<(&str, i64)>) -> Value {
    let Some(text) = cell.as_str() else { return cell.clone() };
    let parsed = match column {
        Some(("fixed", 0)) => text.parse::<i64>().ok().map(Value::from),
        Some(("real", _)) => text.parse::<f64>().ok().filter(|f| f.is_finite()).map(Value::from),
        Some(("boolean", _)) => match text {
            "true" | "TRUE" | "1" => Some(Value::Bool(true)),
            "false" | "FALSE" | "0" => Some(Value::Bool(false)),
            _ => None,
        },
        _ => None,
    };
    parsed.unwrap_or_else(|| cell.clone())
}

/// A bound value as the SQL API takes it (`{"type": "FIXED", "value": "42"}`); arrays and
/// objects travel as JSON text (`PARSE_JSON(?)` in the statement reads them).
fn binding(value: &Value) -> Value {
    let (kind, text) = match value {
        Value::Null => ("TEXT", Value::Null),
        Value::Bool(b) => ("BOOLEAN", Value::String(b.to_string())),
        Value::Number(n) if n.is_i64() || n.is_u64() => ("FIXED", Value::String(n.to_string())),
        Value::Number(n) if n.as_f64().is_some_and(|f| f.fract() == 0.0 && f.abs() < 1e15) => {
            ("FIXED", Value::String(scalar_text(value)))
        }
        Value::Number(n) => ("REAL", Value::String(n.to_string())),
        Value::String(s) => ("TEXT", Value::String(s.clone())),
        other => ("TEXT", Value::String(other.to_string())),
    };
    json!({"type": kind, "value": text})
}

/// The statement handle of an answer, checked to be one path segment of letters, digits and `-`.
fn statement_handle<'a>(tool_name: &str, answer: &'a Value) -> Result<&'a str> {
    answer
        .get("statementHandle")
        .and_then(Value::as_str)
        .filter(|h| !h.is_empty() && h.len() <= 128 && h.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .ok_or_else(|| {
            Error::new(
                ErrorKind::ToolExecution,
                format!("{tool_name} failed: Snowflake answered without a usable statement handle"),
            )
            .with_status(502)
        })
}

/// A statement Snowflake ran and refused (422: a syntax error, a missing grant), with its
/// SQLSTATE, as a tool error.
fn statement_failed(tool_name: &str, status: u16, answer: &Value) -> Error {
    let text = |k: &str| answer.get(k).map(scalar_text).unwrap_or_default();
    let (message, sql_state) = (text("message"), text("sqlState"));
    let code = if sql_state.is_empty() { text("code") } else { sql_state };
    Error::new(ErrorKind::ToolExecution, format!("{tool_name} failed: {message} (SQLSTATE {code}, HTTP {status})"))
        .with_status(if status == 422 { 400 } else { 502 })
        .with_tool_error(ToolErrorInfo {
            execution_id: String::new(),
            tool_error_message: message,
            tool_error_code: code,
        })
}

/// A read tool sends a query (`SELECT`, `WITH … SELECT`) or a `SHOW`, `DESCRIBE` or `EXPLAIN`;
/// anything else is refused before it reaches Snowflake.
fn refuse_unless_read(statement: &str) -> Result<()> {
    let keyword = first_keyword(statement).unwrap_or_default();
    match keyword.as_str() {
        "SELECT" | "WITH" | "SHOW" | "DESCRIBE" | "DESC" | "EXPLAIN" => Ok(()),
        _ => Err(Error::invalid_field(
            "sql",
            format!(
                "this tool is read-only and runs one SELECT, WITH … SELECT, SHOW, DESCRIBE or EXPLAIN statement; \
                 {} statements run with the connector's write tool, on a connection with allow_writes = true",
                if keyword.is_empty() { "other".to_string() } else { keyword }
            ),
        )),
    }
}

/// The statement's first keyword in upper case, past white space, comments (`--`, `//`,
/// `/* */`) and opening parentheses; `None` when a comment never ends or no word follows.
fn first_keyword(statement: &str) -> Option<String> {
    let mut rest = statement;
    loop {
        rest = rest.trim_start();
        if rest.starts_with("--") || rest.starts_with("//") {
            rest = rest.find('\n').map_or("", |end| &rest[end..]);
        } else if let Some(after) = rest.strip_prefix("/*") {
            rest = &after[after.find("*/")?.saturating_add(2)..];
        } else if let Some(after) = rest.strip_prefix('(') {
            rest = after;
        } else {
            break;
        }
    }
    let word: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    (!word.is_empty()).then(|| word.to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_tools_send_only_queries() {
        assert_eq!(first_keyword("  -- note\n /* c */ (select 1)").as_deref(), Some("SELECT"));
        assert_eq!(first_keyword("// x\nshow tables").as_deref(), Some("SHOW"));
        assert_eq!(first_keyword("/* never ends select 1"), None);
        for read in
            ["WITH a AS (SELECT 1) SELECT * FROM a -- tail", "DESC TABLE t", "explain select 1", "SHOW DATABASES"]
        {
            refuse_unless_read(read).unwrap();
        }
        for write in ["DELETE FROM t", "/* select */ insert into t values (1)", "CALL p()", "", "/* x", "use role x"] {
            let err = refuse_unless_read(write).unwrap_err();
            assert_eq!(err.field(), Some("sql"), "{write}");
        }
    }

    #[test]
    fn bindings_and_cells_keep_their_types() {
        assert_eq!(binding(&json!(10)), json!({"type": "FIXED", "value": "10"}));
        assert_eq!(binding(&json!(10.0)), json!({"type": "FIXED", "value": "10"}));
        assert_eq!(binding(&json!(1.5)), json!({"type": "REAL", "value": "1.5"}));
        assert_eq!(binding(&json!(true)), json!({"type": "BOOLEAN", "value": "true"}));
        assert_eq!(binding(&json!("x")), json!({"type": "TEXT", "value": "x"}));
        assert_eq!(binding(&Value::Null), json!({"type": "TEXT", "value": null}));
        assert_eq!(binding(&json!({"a": 1})), json!({"type": "TEXT", "value": "{\"a\":1}"}));
        assert_eq!(typed_cell(&json!("42"), Some(("fixed", 0))), json!(42));
        assert_eq!(typed_cell(&json!("4.20"), Some(("fixed", 2))), json!("4.20"));
        assert_eq!(typed_cell(&json!("true"), Some(("boolean", 0))), json!(true));
        assert_eq!(typed_cell(&Value::Null, Some(("fixed", 0))), Value::Null);
        assert_eq!(typed_cell(&json!("99999999999999999999"), Some(("fixed", 0))), json!("99999999999999999999"));
    }

    #[test]
    fn handles_must_be_one_path_segment() {
        assert!(statement_handle("t", &json!({"statementHandle": "01b2-c3"})).is_ok());
        for bad in ["../x", "a/b", "", "a?b"] {
            assert!(statement_handle("t", &json!({"statementHandle": bad})).is_err(), "{bad}");
        }
    }
}
