//! Running a catalog tool for a connected account — shared by `execute_tool` and MCP
//! `tools/call`: a fresh token (refreshed once after a provider 401), the HTTP, SQL or remote MCP
//! runner, an execution record whatever happens, and the output cap.

use std::time::Instant;

use chrono::Utc;
use serde_json::Value;

use agentkit_core::model::{AccountSelector, ExecuteToolRequest, ExecuteToolResponse};
use agentkit_core::{Error, ErrorKind, Result};

use crate::catalog::connectors::CatalogTool;
use crate::domain::accounts::{require_active, resolve_account, resolve_account_for_call};
use crate::state::AppState;
use crate::store::{AccountRecord, ExecutionRecord, ExecutionStatus};

/// Writes the execution record of a call that was dropped before it finished (its outcome
/// unknown: `FAILED` / `CANCELLED`), so every call leaves a record.
struct UnfinishedExecution {
    store: crate::store::Store,
    started: Instant,
    record: Option<ExecutionRecord>,
}

impl Drop for UnfinishedExecution {
    fn drop(&mut self) {
        let Some(mut record) = self.record.take() else { return };
        record.latency_ms = i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX);
        self.store.bookkeeping.execution_from_drop(record);
    }
}

/// A W3C trace context header value (`00-<trace id>-<parent id>-<flags>`, lowercase hex, ids
/// not all zero), or `None`: only well-formed values reach the execution record.
pub fn w3c_traceparent(value: &str) -> Option<String> {
    let parts: Vec<&str> = value.trim().split('-').collect();
    let hex =
        |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let [version, trace_id, parent_id, flags] = parts.as_slice() else { return None };
    let well_formed = hex(version, 2)
        && *version != "ff"
        && hex(trace_id, 32)
        && hex(parent_id, 16)
        && hex(flags, 2)
        && trace_id.bytes().any(|b| b != b'0')
        && parent_id.bytes().any(|b| b != b'0');
    well_formed.then(|| value.trim().to_string())
}

/// Runs a validated tool call as an ACTIVE account: keeps its token fresh (refresh once after a
/// provider 401), records the execution whatever the outcome, and tags tool errors with the
/// execution id. Shared by the REST API and MCP `tools/call`.
/// `execute_tool` for every entry point (REST, the console's tool runner): the tool by name, its
/// input checked against its schema, the account it runs as, then [`run_for_account`] as
/// `caller_id`.
pub async fn execute_tool(
    state: &AppState,
    caller_id: &str,
    req: &ExecuteToolRequest,
    traceparent: Option<&str>,
) -> Result<ExecuteToolResponse> {
    if req.tool_name.trim().is_empty() {
        return Err(Error::invalid_field("tool_name", "tool_name is required"));
    }
    let registry = state.registry();
    let tool = registry
        .catalog
        .tool(req.tool_name.trim())
        .ok_or_else(|| Error::not_found(format!("tool {:?} not found", req.tool_name.trim())))?;
    let input = tool.validate_input(req.params.as_ref())?;
    let account = account_for_call(state, req, tool).await?;
    run_for_account(state, caller_id, tool, account, input, traceparent).await
}

/// Picks the account a tool call runs as: by id, or by identifier on the named connection (or on
/// the only connection of the tool's connector where the identifier has an account).
async fn account_for_call(state: &AppState, req: &ExecuteToolRequest, tool: &CatalogTool) -> Result<AccountRecord> {
    let account = if !req.connected_account_id.trim().is_empty() {
        resolve_account(state, &AccountSelector::by_id(req.connected_account_id.trim())).await?
    } else {
        if req.identifier.trim().is_empty() {
            return Err(Error::invalid_field("identifier", "identifier or connected_account_id is required"));
        }
        if !req.connector.trim().is_empty() {
            let sel = AccountSelector {
                connector: req.connector.trim().to_string(),
                identifier: req.identifier.trim().to_string(),
                organization_id: req.organization_id.clone(),
                user_id: req.user_id.clone(),
                id: String::new(),
            };
            resolve_account_for_call(state, &sel).await?
        } else {
            let registry = state.registry();
            let mut candidates: Vec<AccountRecord> = state
                .store
                .accounts_of_identifier_for_call(req.identifier.trim())
                .await?
                .iter()
                .filter(|a| {
                    tool.runs_on(&a.connector, &a.connection_name)
                        && registry.connections.contains_key(&a.connection_name)
                })
                .filter(|a| req.organization_id.is_empty() || a.organization_id == req.organization_id)
                .filter(|a| req.user_id.is_empty() || a.user_id == req.user_id)
                .cloned()
                .collect();
            let connections: std::collections::BTreeSet<&str> =
                candidates.iter().map(|a| a.connection_name.as_str()).collect();
            if candidates.len() > 1 && connections.len() == 1 {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!(
                        "identifier {:?} matches {} connected accounts: pass organization_id or user_id (or the account id)",
                        req.identifier.trim(),
                        candidates.len()
                    ),
                ));
            }
            match candidates.len() {
                0 => {
                    return Err(Error::not_found(format!(
                        "no connected account for identifier {:?} on a {} connection",
                        req.identifier.trim(),
                        tool.connector.display_name
                    )))
                }
                1 => candidates.remove(0),
                _ => {
                    return Err(Error::invalid_field(
                        "connection_name",
                        format!(
                            "identifier {:?} has several {} connections: pass connection_name",
                            req.identifier.trim(),
                            tool.connector.display_name
                        ),
                    ))
                }
            }
        }
    };
    if account.connector != tool.connector.slug {
        return Err(Error::invalid_field(
            "tool_name",
            format!(
                "tool {:?} belongs to {}, but connected account {} is on connection {:?}",
                tool.def.name, tool.connector.slug, account.id, account.connection_name
            ),
        ));
    }
    require_active(state, account)
}

/// Whether a successful call's execution record is kept, `[bookkeeping]
/// successful_execution_sample` of the time.
fn kept_by_sample(sample: f64) -> bool {
    sample >= 1.0 || rand::random::<f64>() < sample
}

pub async fn run_for_account(
    state: &AppState,
    api_client_id: &str,
    tool: &CatalogTool,
    account: AccountRecord,
    input: serde_json::Map<String, Value>,
    traceparent: Option<&str>,
) -> Result<ExecuteToolResponse> {
    use tracing::Instrument;
    // A span per execution, named as OpenTelemetry's GenAI conventions name tool runs.
    let span = tracing::info_span!(
        target: crate::telemetry::traces::SPAN_TARGET,
        "execute_tool",
        otel.name = %format!("execute_tool {}", tool.def.name),
        gen_ai.operation.name = "execute_tool",
        gen_ai.tool.name = %tool.def.name,
        agentkit.connector = %tool.connector.slug,
    );
    run_in_span(state, api_client_id, tool, account, input, traceparent).instrument(span).await
}

async fn run_in_span(
    state: &AppState,
    api_client_id: &str,
    tool: &CatalogTool,
    account: AccountRecord,
    input: serde_json::Map<String, Value>,
    traceparent: Option<&str>,
) -> Result<ExecuteToolResponse> {
    let started = Instant::now();
    // Time-ordered (UUIDv7): each record's primary-key entry goes at the end of the index, so a
    // batch of inserts dirties a few pages rather than one random page per record.
    let execution_id = format!("exec_{}", uuid::Uuid::now_v7().simple());
    let run = |account: &AccountRecord| {
        let input = &input;
        let (account_id, credentials) = (account.id.clone(), account.credentials.clone());
        let settings =
            crate::credentials::key_pair::account_settings(account.api_config.as_ref(), account.credentials.as_ref());
        let destination = state.connection(&account.connection_name).and_then(|connection| {
            let base_url = state.account_base_url(&connection, settings.as_ref())?;
            Ok((connection, base_url))
        });
        async move {
            let (connection, base_url) = destination?;
            let (connection, base_url) = (&connection, base_url.as_str());
            if let Some(sql) = &tool.def.sql {
                if let Some(rule) = &tool.connector.limits.rate_limit {
                    state.rate_limiter.acquire(&tool.connector.slug, &account_id, rule).await?;
                }
                let creds = credentials.as_ref();
                if tool.connector.sql_engine == crate::catalog::connectors::SqlEngine::Snowflake {
                    let auth = &tool.connector.auth;
                    let credential = crate::execution::http::credential_header(auth, creds, false, &state.key_pairs)?;
                    let extras = crate::execution::http::credential_extra_headers(auth, creds);
                    let call = crate::execution::snowflake::StatementCall {
                        egress: &state.egress,
                        base_url,
                        credential: &credential,
                        credential_extras: &extras,
                        settings: settings.as_ref(),
                        connection,
                        tool_name: &tool.def.name,
                        def: sql,
                    };
                    return crate::execution::snowflake::run_statement_tool(&call, input).await;
                }
                return crate::execution::sql::run_sql_tool(
                    crate::execution::sql::SqlRunner { egress: &state.egress, pools: &state.sql_pools },
                    connection,
                    &account_id,
                    &tool.def.name,
                    sql,
                    creds,
                    input,
                )
                .await;
            }
            if let Some(remote) = &tool.def.remote {
                let account = RemoteAccount { id: &account_id, credentials: credentials.as_ref() };
                return run_remote(state, tool, remote, connection, base_url, account, input).await;
            }
            let credential = crate::execution::http::credential_header(
                &tool.connector.auth,
                credentials.as_ref(),
                tool.def.credential == crate::catalog::connectors::CredentialKind::User,
                &state.key_pairs,
            )?;
            let extras = crate::execution::http::credential_extra_headers(&tool.connector.auth, credentials.as_ref());
            let upstream = crate::execution::http::Upstream {
                tool,
                base_url,
                credential: &credential,
                credential_extras: &extras,
                limiter: &state.rate_limiter,
                account_id: &account_id,
                egress: &state.egress,
                propagate_trace_context: connection.propagate_trace_context,
            };
            crate::execution::http::run_tool(&upstream, input).await
        }
    };
    let limits = &tool.connector.limits;
    // Every outcome from here on is recorded, token failures included; a call dropped midway
    // (the client went away) is recorded by the guard.
    let mut record = ExecutionRecord {
        id: execution_id.clone(),
        api_client_id: api_client_id.to_string(),
        tool_name: tool.def.name.clone(),
        connection_name: account.connection_name.clone(),
        connected_account_id: account.id.clone(),
        identifier: account.identifier.clone(),
        status: ExecutionStatus::Failed,
        upstream_status: None,
        error_code: Some("CANCELLED".into()),
        latency_ms: 0,
        created_at: Utc::now(),
        traceparent: traceparent.and_then(w3c_traceparent),
        request_id: crate::telemetry::current_request_id(),
    };
    let mut unfinished = UnfinishedExecution { store: state.store.clone(), started, record: Some(record.clone()) };
    let rejected = |outcome: &Result<Value>| {
        outcome.as_ref().is_err_and(|e| e.kind() == ErrorKind::ToolExecution && e.status() == 401)
    };
    let outcome = crate::domain::credentials::call_with_fresh_token(state, account.clone(), run, rejected)
        .await
        .and_then(|outcome| outcome);
    // The outcome is known: disarm the guard and complete the record.
    unfinished.record = None;
    record.status = if outcome.is_ok() { ExecutionStatus::Success } else { ExecutionStatus::Failed };
    record.upstream_status =
        outcome.as_ref().err().and_then(|e| e.tool_error()).and_then(|t| t.tool_error_code.parse().ok());
    record.error_code = outcome.as_ref().err().map(|e| e.error_code().to_string());
    record.latency_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    record.created_at = Utc::now();
    tracing::info!(execution = %execution_id, tool = %record.tool_name, account = %account.id, status = %record.status, latency_ms = record.latency_ms, "tool executed");
    crate::telemetry::metrics::tool_execution(
        &record.tool_name,
        &tool.connector.slug,
        record.status.as_str(),
        started.elapsed(),
    );
    if record.status == ExecutionStatus::Failed || kept_by_sample(state.config.bookkeeping.successful_execution_sample)
    {
        state.store.record_execution(record).await;
    }
    state.store.touch_account(&account.id);
    match outcome {
        Ok(data) => {
            let max_bytes = limits.max_output_bytes.unwrap_or(crate::execution::limits::DEFAULT_MAX_OUTPUT_BYTES);
            let data = crate::execution::limits::cap_output_off_worker(data, max_bytes).await;
            Ok(ExecuteToolResponse { data, execution_id })
        }
        Err(e) => {
            let info = e.tool_error().cloned().map(|mut t| {
                t.execution_id = execution_id.clone();
                t
            });
            Err(match info {
                Some(info) => e.with_tool_error(info),
                None => e,
            })
        }
    }
}

/// The account a remote MCP call runs as.
struct RemoteAccount<'a> {
    id: &'a str,
    credentials: Option<&'a agentkit_core::model::AuthorizationDetails>,
}

/// A remote MCP tool's call as the account: only on the connection whose server listed it, with
/// the account's credential (none for a `NO_AUTH` server).
async fn run_remote(
    state: &AppState,
    tool: &CatalogTool,
    remote: &crate::catalog::connectors::RemoteToolRef,
    connection: &crate::config::ConnectionConfig,
    url: &str,
    account: RemoteAccount<'_>,
    input: &serde_json::Map<String, Value>,
) -> Result<Value> {
    if connection.name != remote.connection {
        return Err(agentkit_core::Error::invalid_field(
            "connection_name",
            format!(
                "tool {:?} belongs to connection {:?}, and the account is on {:?}: pass connection_name {:?}",
                tool.def.name, remote.connection, connection.name, remote.connection
            ),
        ));
    }
    if let Some(rule) = &tool.connector.limits.rate_limit {
        state.rate_limiter.acquire(&tool.connector.slug, account.id, rule).await?;
    }
    let credential = match tool.connector.auth.auth_type {
        agentkit_core::model::ConnectorType::NoAuth => None,
        _ => Some(crate::execution::http::credential_header(
            &tool.connector.auth,
            account.credentials,
            false,
            &state.key_pairs,
        )?),
    };
    let call = crate::execution::remote_mcp::RemoteCall {
        tool,
        remote,
        url,
        account_id: account.id,
        credential: credential.as_ref(),
        egress: &state.egress,
        discovered: &state.remote_tools,
        sessions: &state.remote_sessions,
    };
    crate::execution::remote_mcp::run_tool(&call, input).await
}

#[cfg(test)]
mod tests {
    use super::w3c_traceparent;

    #[test]
    fn only_well_formed_trace_contexts_are_kept() {
        let good = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assert_eq!(w3c_traceparent(good).as_deref(), Some(good));
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\nx: y",
        ] {
            assert_eq!(w3c_traceparent(bad), None, "{bad:?}");
        }
    }
}
