//! SQL connectors (PostgreSQL): tools that run through a database driver instead of HTTP.
//!
//! Safety rules, applied whatever the tool's statement says:
//! - read tools run in a `READ ONLY` transaction that is always rolled back;
//! - write tools run only when the connection sets `allow_writes = true`;
//! - every statement gets `SET LOCAL statement_timeout`, and read answers stop at a row cap
//!   (`truncated: true` says rows were left out);
//! - parameters are bound (`$1..$n`), never interpolated, and the extended protocol refuses a
//!   second statement, so input cannot change the SQL that runs.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use futures::TryStreamExt;
use serde_json::{json, Map, Value};
use sqlx::postgres::{PgArguments, PgConnectOptions, PgPool, PgPoolOptions, Postgres};
use sqlx::query::Query;
// Statements here are the tool's or the caller's SQL by design: parameters are always bound.
use sqlx::{AssertSqlSafe, Column, Executor, Row, SqlSafeStr, Statement, TypeInfo};

use agentkit_core::model::{AuthorizationDetails, ToolErrorInfo};
use agentkit_core::{Error, ErrorKind, Result};

pub use crate::catalog::runner_defs::SqlDef;
use crate::catalog::templates::Scope;
use crate::config::ConnectionConfig;

/// Defaults when the input does not say (and the ceilings it may not exceed).
pub(crate) const DEFAULT_MAX_ROWS: u64 = 500;
pub(crate) const MAX_ROWS_CEILING: u64 = 10_000;
pub(crate) const DEFAULT_TIMEOUT_MS: u64 = 15_000;
/// Most bytes of row data (as JSON) one read returns.
pub(crate) const MAX_RESULT_BYTES: usize = 4 * 1024 * 1024;
pub(crate) const TIMEOUT_CEILING_MS: u64 = 300_000;

/// Connection pools, one per connected account (replaced when its credentials change).
#[derive(Default)]
pub struct SqlPools {
    /// account id → (credentials fingerprint, pool, last used)
    pools: Mutex<HashMap<String, (String, PgPool, std::time::Instant)>>,
}

/// A pool unused this long is closed (its account gets a new one on its next call).
const POOL_IDLE_EVICTION: Duration = Duration::from_secs(600);

impl std::fmt::Debug for SqlPools {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqlPools")
    }
}

impl SqlPools {
    /// The account's pool for these settings; a new pool connects only to addresses the egress
    /// policy allows, pinned at creation (so a later DNS answer cannot move it).
    async fn pool(
        &self,
        egress: &crate::egress::Egress,
        account_id: &str,
        options: &PgConnectOptions,
        fingerprint: String,
        read_only: bool,
        tool_name: &str,
    ) -> Result<PgPool> {
        {
            let mut pools = self.pools.lock().unwrap_or_else(|p| p.into_inner());
            let now = std::time::Instant::now();
            pools.retain(|_, (_, _, used)| now.duration_since(*used) < POOL_IDLE_EVICTION);
            if let Some((known, pool, used)) = pools.get_mut(account_id) {
                if *known == fingerprint {
                    *used = now;
                    return Ok(pool.clone());
                }
            }
        }
        let host = options.get_host().to_string();
        // A socket can also come from `?host=/path` or a percent-encoded path in the URL's host.
        if host.starts_with('/') || options.get_socket().is_some() {
            return Err(Error::new(
                ErrorKind::Forbidden,
                "database credentials: host: Unix sockets are local to the gateway and are refused",
            ));
        }
        let addrs = egress.resolve(&host, options.get_port()).await?;
        let mut options = options.clone();
        // verify-full checks the certificate against the name, so it keeps the name (and with it
        // a window between this check and connecting); other modes connect to the checked address.
        if !matches!(options.get_ssl_mode(), sqlx::postgres::PgSslMode::VerifyFull) {
            if let Some(addr) = addrs.first() {
                options = options.host(&addr.ip().to_string());
            }
        }
        let pool = PgPoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(10))
            .idle_timeout(Duration::from_secs(60))
            // No `after_release` reset: it runs in a task after the connection is dropped, so
            // the next call could start on another connection while this one still held its
            // session state. Every checkout goes through `CallConnection`, which resets first.
            .connect_lazy_with(options);
        // Checked once per pool (a pool lives as long as the account's credentials).
        if read_only {
            let mut conn = CallConnection::acquire(&pool).await.map_err(|e| db_error(tool_name, e))?;
            let checked = refuse_unsafe_read_role(&mut conn.conn).await;
            conn.release().await;
            checked.map_err(|e| db_error(tool_name, e))?;
        }
        self.pools
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(account_id.to_string(), (fingerprint, pool.clone(), std::time::Instant::now()));
        Ok(pool)
    }
}

/// A pool connection held for one call. Session state its statements leave (advisory locks,
/// settings, prepared statements, temporary tables, LISTEN) is reset with `DISCARD ALL` in
/// [`CallConnection::release`], which the call awaits before it returns, so no later call — on
/// this connection or another — ever sees it. A connection that was not reset (the call was
/// cancelled midway, or the reset failed) is closed instead of going back to the pool.
struct CallConnection {
    conn: sqlx::pool::PoolConnection<Postgres>,
    reset: bool,
}

impl CallConnection {
    async fn acquire(pool: &PgPool) -> std::result::Result<CallConnection, sqlx::Error> {
        Ok(CallConnection { conn: pool.acquire().await?, reset: false })
    }

    /// Resets the session (a transaction the call abandoned is rolled back first: sqlx sends
    /// the queued ROLLBACK ahead of the next statement) and returns the connection to the pool;
    /// closes it when the reset fails.
    async fn release(mut self) {
        let reset = async {
            // sqlx's own statement cache would otherwise name statements DISCARD ALL removed.
            sqlx::Connection::clear_cached_statements(&mut *self.conn).await?;
            self.conn.execute("DISCARD ALL").await
        };
        self.reset = reset.await.is_ok();
        if !self.reset {
            self.conn.close_on_drop();
        }
    }
}

impl Drop for CallConnection {
    fn drop(&mut self) {
        if !self.reset {
            self.conn.close_on_drop();
        }
    }
}

/// A read-only connection's role must not be able to step around `READ ONLY`: superusers and
/// roles that bypass row-level security are refused, and so are roles that may run `dblink`
/// (a second session outside the read-only transaction).
async fn refuse_unsafe_read_role(conn: &mut sqlx::PgConnection) -> std::result::Result<(), sqlx::Error> {
    let row = sqlx::query(
        "SELECT r.rolsuper, r.rolbypassrls, EXISTS (SELECT 1 FROM pg_proc p WHERE p.proname IN \
         ('dblink', 'dblink_exec', 'dblink_connect', 'dblink_send_query') AND has_function_privilege(p.oid, 'EXECUTE')) AS dblink \
         FROM pg_roles r WHERE r.rolname = current_user",
    )
    .fetch_one(&mut *conn)
    .await?;
    let (superuser, bypass_rls, dblink): (bool, bool, bool) = (row.get(0), row.get(1), row.get(2));
    let why = if superuser {
        "is a superuser"
    } else if bypass_rls {
        "bypasses row-level security"
    } else if dblink {
        "may run dblink (a second session outside the read-only transaction)"
    } else {
        return Ok(());
    };
    Err(sqlx::Error::Configuration(
        format!(
            "the database role {why}: read-only connections need a role with only the grants its tools need \
             (or set allow_writes = true on the connection)"
        )
        .into(),
    ))
}

/// TLS file settings a `connection_string` may not carry: sqlx reads them as paths, and a path
/// from a client's credentials would make the gateway read (and present) its own files to a
/// server the client chose. The PEM text goes in the `sslrootcert` / `sslcert` / `sslkey` fields.
const URL_CERT_PATHS: [&str; 7] =
    ["sslrootcert", "ssl-root-cert", "ssl-ca", "sslcert", "ssl-cert", "sslkey", "ssl-key"];

/// Database settings from the account's static credentials: a `connection_string`
/// (`postgres://…`) or `host`, `port`, `database`, `username`, `password`, `sslmode`; with either,
/// `sslrootcert` (the CA certificates to trust, PEM text — needed for `verify-ca` / `verify-full`
/// against a private CA) and `sslcert` + `sslkey` (a client certificate and its key, PEM text).
fn connect_options(creds: Option<&AuthorizationDetails>) -> Result<(PgConnectOptions, String)> {
    let details = creds.and_then(|c| c.static_auth.as_ref()).map(|s| &s.details).ok_or_else(|| {
        Error::new(ErrorKind::FailedPrecondition, "the connected account has no database credentials")
    })?;
    let text = |k: &str| details.get(k).map(|v| v.as_str().map(String::from).unwrap_or_else(|| v.to_string()));
    let bad = |field: &str, why: String| {
        Error::failed_precondition(format!("database credentials: {field}: {why}")).with_field(field)
    };
    let mut options = match text("connection_string") {
        Some(url) => {
            let parsed =
                url::Url::parse(&url).map_err(|_| bad("connection_string", "not a valid postgres:// URL".into()))?;
            if let Some((key, _)) = parsed.query_pairs().find(|(k, _)| URL_CERT_PATHS.contains(&k.as_ref())) {
                return Err(bad(
                    "connection_string",
                    format!(
                        "{key} names a file on the gateway, which is refused: give the PEM text in the \
                         sslrootcert / sslcert / sslkey fields instead"
                    ),
                ));
            }
            let given = PgConnectOptions::from_str(&url)
                .map_err(|_| bad("connection_string", "not a valid postgres:// URL".into()))?;
            // What the URL says, and nothing sqlx would fill in from the gateway's environment
            // or password file (see `explicit` below).
            let query = |names: &[&str]| {
                parsed.query_pairs().find(|(k, _)| names.contains(&k.as_ref())).map(|(_, v)| v.into_owned())
            };
            let user =
                (!parsed.username().is_empty()).then(|| percent_decode(parsed.username())).or_else(|| query(&["user"]));
            let password = parsed.password().map(percent_decode).or_else(|| query(&["password"]));
            let database = (parsed.path().len() > 1)
                .then(|| percent_decode(parsed.path().trim_start_matches('/')))
                .or_else(|| query(&["dbname"]));
            let port = parsed.port().map(|p| p.to_string()).or_else(|| query(&["port"]));
            let sslmode = query(&["sslmode", "ssl-mode"]);
            explicit(given, user, password, database, port, sslmode, &bad)?
        }
        None => {
            let host = text("host").ok_or_else(|| bad("host", "required (or give connection_string)".into()))?;
            let user = text("username").or_else(|| text("user"));
            let given = PgConnectOptions::new_without_pgpass().host(&host);
            explicit(given, user, text("password"), text("database"), text("port"), text("sslmode"), &bad)?
        }
    };
    let pem = |field: &str| -> Result<Option<String>> {
        match text(field) {
            Some(v) => pem_text(&v).map(Some).ok_or_else(|| {
                bad(
                    field,
                    "must be PEM text (-----BEGIN … -----END …, line breaks may be spaces), not a file name".into(),
                )
            }),
            None => Ok(None),
        }
    };
    if let Some(ca) = pem("sslrootcert")? {
        options = options.ssl_root_cert_from_pem(ca.into_bytes());
    }
    match (pem("sslcert")?, pem("sslkey")?) {
        (Some(cert), Some(key)) => options = options.ssl_client_cert_from_pem(cert).ssl_client_key_from_pem(key),
        (None, None) => {}
        _ => return Err(bad("sslcert", "sslcert and sslkey go together".into())),
    }
    options = options.application_name("agentkit");
    let fingerprint = crate::config::sha256_hex(&serde_json::to_string(details).unwrap_or_default());
    Ok((options, fingerprint))
}

/// Options whose every setting comes from the account: sqlx fills what a connection does not
/// say from the gateway's own libpq environment (`PGPASSWORD`, `PGUSER`, `PGSSLMODE`, …) and
/// password file, which would send the gateway's own database password to a host a client
/// chose. (The binary also removes those variables at start: `store::libpq_env`.) An absent
/// password is an empty one — the same to PostgreSQL.
fn explicit(
    options: PgConnectOptions,
    user: Option<String>,
    password: Option<String>,
    database: Option<String>,
    port: Option<String>,
    sslmode: Option<String>,
    bad: &dyn Fn(&str, String) -> Error,
) -> Result<PgConnectOptions> {
    let user = user.filter(|u| !u.is_empty()).ok_or_else(|| bad("username", "required".into()))?;
    let port = match port {
        Some(port) => port.parse().map_err(|_| bad("port", format!("{port:?} is not a port number")))?,
        None => 5432,
    };
    let ssl_mode = match sslmode {
        Some(mode) => mode.parse().map_err(|_| bad("sslmode", format!("{mode:?} is not an sslmode")))?,
        None => sqlx::postgres::PgSslMode::Prefer,
    };
    Ok(options
        .username(&user)
        .password(password.as_deref().unwrap_or_default())
        .database(database.as_deref().unwrap_or(&user))
        .port(port)
        .ssl_mode(ssl_mode))
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned()
}

/// PEM text as the PEM parser wants it, from PEM whose line breaks may be spaces or `\n` (the
/// account API refuses control characters in credentials): each `-----BEGIN X-----` block with its
/// base64 re-wrapped. `None` when the text is not PEM.
fn pem_text(value: &str) -> Option<String> {
    let value = value.replace("\\n", "\n");
    let mut rest = value.trim();
    if !rest.starts_with("-----BEGIN ") {
        return None;
    }
    let mut out = String::new();
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start + "-----BEGIN ".len()..];
        let label = &after[..after.find("-----")?];
        let end_marker = format!("-----END {label}-----");
        let body = &after[label.len() + "-----".len()..];
        let end = body.find(&end_marker)?;
        let base64: String = body[..end].chars().filter(|c| !c.is_whitespace()).collect();
        if !base64.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=')) {
            return None;
        }
        out.push_str(&format!("-----BEGIN {label}-----\n"));
        for line in base64.as_bytes().chunks(64) {
            out.push_str(std::str::from_utf8(line).ok()?);
            out.push('\n');
        }
        out.push_str(&end_marker);
        out.push('\n');
        rest = &body[end + end_marker.len()..];
    }
    Some(out)
}

/// A database failure as a tool error carrying the SQLSTATE (never the credentials).
fn db_error(tool: &str, e: sqlx::Error) -> Error {
    let (code, message) = match &e {
        sqlx::Error::Database(d) => (d.code().map(|c| c.to_string()).unwrap_or_default(), d.message().to_string()),
        sqlx::Error::PoolTimedOut => ("08001".into(), "the database could not be reached in time".into()),
        sqlx::Error::Io(io) => ("08001".into(), format!("the database could not be reached: {io}")),
        other => (String::new(), other.to_string()),
    };
    let status = if code.starts_with("08") { 502 } else { 400 };
    Error::new(ErrorKind::ToolExecution, format!("{tool} failed: {message}{}", sqlstate_hint(&code)))
        .with_status(status)
        .with_tool_error(ToolErrorInfo {
            execution_id: String::new(),
            tool_error_message: message,
            tool_error_code: code,
        })
}

fn sqlstate_hint(code: &str) -> &'static str {
    match code {
        "25006" => " (this connection is read-only: set allow_writes = true on the connection to run writes)",
        "57014" => " (the statement ran past its timeout_ms)",
        "42P18" | "42883" => " (cast the parameter in SQL, e.g. $1::date)",
        _ => "",
    }
}

/// A bounded number from the input, defaulted and capped.
pub(crate) fn limit(input: &Map<String, Value>, key: &str, default: u64, ceiling: u64) -> u64 {
    input.get(key).and_then(Value::as_f64).map(|v| v.max(1.0) as u64).unwrap_or(default).min(ceiling)
}

/// Binds `value` as the type PostgreSQL inferred for its placeholder, so `"42"` reaches an
/// integer column as 42 and `"2026-11-25T10:00:00Z"` a timestamptz as a timestamp.
fn bind<'q>(
    query: Query<'q, Postgres, PgArguments>,
    value: Value,
    pg_type: &str,
) -> Result<Query<'q, Postgres, PgArguments>> {
    let mismatch =
        |v: &Value| Error::invalid_field("params", format!("parameter {v} cannot be used where SQL expects {pg_type}"));
    let text = match &value {
        Value::Null => return Ok(query.bind(None::<String>)),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Ok(match pg_type {
        "BOOL" => query.bind(match &value {
            Value::Bool(b) => *b,
            _ => text.parse::<bool>().map_err(|_| mismatch(&value))?,
        }),
        "INT2" | "INT4" | "INT8" => query.bind(text.parse::<i64>().map_err(|_| mismatch(&value))?),
        "FLOAT4" | "FLOAT8" | "NUMERIC" => query.bind(text.parse::<f64>().map_err(|_| mismatch(&value))?),
        "JSON" | "JSONB" => query.bind(sqlx::types::Json(value)),
        "UUID" => query.bind(uuid::Uuid::parse_str(&text).map_err(|_| mismatch(&value))?),
        "TIMESTAMPTZ" => query.bind(
            chrono::DateTime::parse_from_rfc3339(&text).map_err(|_| mismatch(&value))?.with_timezone(&chrono::Utc),
        ),
        "TIMESTAMP" => query.bind(
            chrono::NaiveDateTime::parse_from_str(text.trim_end_matches('Z'), "%Y-%m-%dT%H:%M:%S%.f")
                .or_else(|_| chrono::NaiveDateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S%.f"))
                .map_err(|_| mismatch(&value))?,
        ),
        "DATE" => query.bind(chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| mismatch(&value))?),
        _ => query.bind(text),
    })
}

/// The statement and parameter values a tool call runs.
pub(crate) fn render(def: &SqlDef, input: &Map<String, Value>) -> Result<(String, Vec<Value>)> {
    let scope = Scope::new(input);
    let statement = match scope.render(&Value::String(def.statement.clone())) {
        Some(Value::String(s)) => s,
        _ => String::new(),
    };
    // A trailing `;` would end the wrapping query early; a second statement is refused anyway.
    let statement = statement.trim().trim_end_matches(';').trim_end().to_string();
    if statement.is_empty() {
        return Err(Error::invalid_field("sql", "the SQL statement is empty"));
    }
    let params = match &def.params {
        None => Vec::new(),
        Some(Value::Array(each)) => each.iter().map(|t| scope.render(t).unwrap_or(Value::Null)).collect(),
        Some(whole) => match scope.render(whole) {
            None => Vec::new(),
            Some(Value::Array(values)) => values,
            Some(_) => return Err(Error::invalid_field("params", "params must be an array")),
        },
    };
    Ok((statement, params))
}

/// Where SQL tools connect from: the egress policy and the per-account pools.
pub struct SqlRunner<'a> {
    pub egress: &'a crate::egress::Egress,
    pub pools: &'a SqlPools,
}

/// A write tool runs only on a connection that allows writes (every SQL engine's rule).
pub(crate) fn refuse_write_on_read_only(connection: &ConnectionConfig, tool_name: &str, def: &SqlDef) -> Result<()> {
    if def.write && !connection.allow_writes {
        return Err(Error::new(
            ErrorKind::Forbidden,
            format!(
                "{tool_name} writes data, and connection {:?} is read-only: set allow_writes = true on it to allow writes",
                connection.name
            ),
        ));
    }
    Ok(())
}

/// Runs a SQL tool for an account of `connection`.
pub async fn run_sql_tool(
    runner: SqlRunner<'_>,
    connection: &ConnectionConfig,
    account_id: &str,
    tool_name: &str,
    def: &SqlDef,
    creds: Option<&AuthorizationDetails>,
    input: &Map<String, Value>,
) -> Result<Value> {
    let SqlRunner { egress, pools } = runner;
    refuse_write_on_read_only(connection, tool_name, def)?;
    let (statement, params) = render(def, input)?;
    let (options, fingerprint) = connect_options(creds)?;
    let pool = pools.pool(egress, account_id, &options, fingerprint, !connection.allow_writes, tool_name).await?;
    let mut conn = CallConnection::acquire(&pool).await.map_err(|e| db_error(tool_name, e))?;
    let result = run_statement(&mut conn.conn, tool_name, def, statement, params, input).await;
    conn.release().await;
    result
}

/// Runs the statement in its own transaction on `conn` (rolled back unless it is a write).
async fn run_statement(
    conn: &mut sqlx::PgConnection,
    tool_name: &str,
    def: &SqlDef,
    statement: String,
    params: Vec<Value>,
    input: &Map<String, Value>,
) -> Result<Value> {
    let timeout_ms = limit(input, "timeout_ms", DEFAULT_TIMEOUT_MS, TIMEOUT_CEILING_MS);
    let fail = |e| db_error(tool_name, e);
    let mut tx = sqlx::Connection::begin(conn).await.map_err(fail)?;
    if !def.write {
        tx.execute("SET TRANSACTION READ ONLY").await.map_err(fail)?;
    }
    tx.execute(AssertSqlSafe(format!("SET LOCAL statement_timeout = {timeout_ms}"))).await.map_err(fail)?;

    if def.write {
        let (types, _) = describe(&mut tx, &statement).await.map_err(fail)?;
        let query = bind_all(sqlx::query(AssertSqlSafe(statement.clone())), params, &types)?;
        let done = query.execute(&mut *tx).await.map_err(fail)?;
        tx.commit().await.map_err(fail)?;
        return Ok(json!({ "row_count": done.rows_affected() }));
    }

    let max_rows = limit(input, "max_rows", DEFAULT_MAX_ROWS, MAX_ROWS_CEILING) as usize;
    let (types, columns) = describe(&mut tx, &statement).await.map_err(fail)?;
    // Each row comes back as one JSON object, so every column type has a faithful JSON form; a row
    // larger than the whole budget never leaves the database (it comes back as NULL).
    let wrapped = format!(
        "SELECT CASE WHEN octet_length(j) <= {MAX_RESULT_BYTES} THEN j END FROM \
         (SELECT row_to_json(t)::text AS j FROM ({statement}\n) AS t) AS r"
    );
    let query = bind_all(sqlx::query(AssertSqlSafe(wrapped)), params, &types)?;
    let mut rows = Vec::new();
    let mut truncated = false;
    let mut bytes = 0usize;
    {
        let mut stream = query.fetch(&mut *tx);
        while let Some(row) = stream.try_next().await.map_err(fail)? {
            if rows.len() == max_rows {
                truncated = true;
                break;
            }
            let text: Option<String> = row.try_get(0).map_err(fail)?;
            // Rows stop at the byte budget as they do at the row cap.
            let Some(text) = text.filter(|t| bytes.saturating_add(t.len()) <= MAX_RESULT_BYTES) else {
                truncated = true;
                break;
            };
            bytes += text.len();
            let object: Map<String, Value> = serde_json::from_str(&text).unwrap_or_default();
            rows.push(Value::Array(
                columns.iter().map(|(name, _)| object.get(name).cloned().unwrap_or(Value::Null)).collect(),
            ));
        }
    }
    tx.rollback().await.map_err(fail)?;
    Ok(json!({
        "columns": columns.iter().map(|(name, ty)| json!({"name": name, "type": ty})).collect::<Vec<_>>(),
        "row_count": rows.len(),
        "rows": rows,
        "truncated": truncated,
    }))
}

/// The placeholder types PostgreSQL infers for `statement` and its result columns (name, type).
async fn describe(
    tx: &mut sqlx::Transaction<'_, Postgres>,
    statement: &str,
) -> std::result::Result<(Vec<String>, Vec<(String, String)>), sqlx::Error> {
    let prepared = tx.prepare(AssertSqlSafe(statement.to_string()).into_sql_str()).await?;
    let types = match prepared.parameters() {
        Some(sqlx::Either::Left(types)) => types.iter().map(|t| t.name().to_string()).collect(),
        _ => Vec::new(),
    };
    let columns =
        prepared.columns().iter().map(|c| (c.name().to_string(), c.type_info().name().to_lowercase())).collect();
    // Forget the prepared statement: the real run is parsed with the bound values' own types
    // (int8 for an int4 placeholder, float8 for numeric), which PostgreSQL then coerces.
    sqlx::Connection::clear_cached_statements(&mut **tx).await?;
    Ok((types, columns))
}

fn bind_all<'q>(
    mut query: Query<'q, Postgres, PgArguments>,
    params: Vec<Value>,
    types: &[String],
) -> Result<Query<'q, Postgres, PgArguments>> {
    if types.len() != params.len() {
        return Err(Error::invalid_field(
            "params",
            format!("the statement has {} placeholders but {} params were given", types.len(), params.len()),
        ));
    }
    for (value, pg_type) in params.into_iter().zip(types) {
        query = bind(query, value, pg_type)?;
    }
    Ok(query.persistent(false))
}
