//! Discovering the tools of remote MCP connections: `initialize` + `tools/list` (every page) on
//! the connection's server, as its first ACTIVE connected account (in id order; the next one when
//! the server refuses that one's credential: a connection has no credential of its own in this
//! slice), checked and named by `catalog::remote_tools`, cached per connection, then the registry
//! rebuilt with them.
//!
//! When: at start-up and every `mcp.refresh_secs` per connection; sooner when asked (the server
//! sent `notifications/tools/list_changed` on a call's stream or on the standalone stream a
//! listener holds open for servers that advertise `tools.listChanged`, the connection got its
//! first ACTIVE account, an operator reloaded the connectors); a connection not yet discovered is tried again every
//! [`RETRY_UNDISCOVERED`]. A failed refresh keeps the tools of the last good one.

use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};

use agentkit_core::model::{ConnectorStatus, ConnectorType};
use agentkit_core::{Error, Result};

use crate::catalog::connectors::{ConnectorDef, McpTransport};
use crate::catalog::remote_tools::{catalog_tools, Discovery};
use crate::config::ConnectionConfig;
use crate::execution::mcp_client::{ListBounds, McpEndpoint, McpSession, StreamEnd};
use crate::state::{AppState, Registry};
use crate::store::{AccountFilter, AccountPage};

/// Most `tools/list` pages read from one server.
pub const MAX_LIST_PAGES: usize = 20;

/// Most tools one server may list (more is refused, not cut: a partial list would hide tools
/// without saying which).
pub const MAX_REMOTE_TOOLS: usize = 500;

/// Most bytes of one `tools/list` answer (a page).
pub const DISCOVERY_ANSWER_MAX_BYTES: usize = 2 * 1024 * 1024;

/// How often a connection whose tools were never read is tried again.
const RETRY_UNDISCOVERED: Duration = Duration::from_secs(30);

/// Servers read at once.
const DISCOVERY_CONCURRENCY: usize = 4;

/// Accounts of a connection looked at for ACTIVE ones.
const ACCOUNTS_LOOKED_AT: u32 = 100;

/// ACTIVE accounts whose credentials a discovery tries before it gives up.
const DISCOVERY_ACCOUNTS_TRIED: usize = 3;

/// The remote MCP connections of a registry, with their connectors.
fn remote_connections(registry: &Registry) -> Vec<(Arc<ConnectionConfig>, Arc<ConnectorDef>)> {
    let mut found: Vec<_> = registry
        .connections
        .values()
        .filter_map(|connection| {
            let connector = registry.catalog.connector(&connection.connector)?;
            connector.mcp.is_some().then(|| (connection.clone(), connector.clone()))
        })
        .collect();
    found.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    found
}

/// Ids of the accounts whose credentials may list a connection's tools: its first ACTIVE ones.
async fn discovery_accounts(state: &AppState, connection: &str) -> Result<Vec<String>> {
    let filter = AccountFilter { connection_names: vec![connection.to_string()], ..Default::default() };
    let page = state.store.list_accounts(&filter, &AccountPage::First, ACCOUNTS_LOOKED_AT).await?;
    Ok(page
        .accounts
        .into_iter()
        .filter(|a| a.status == ConnectorStatus::Active)
        .take(DISCOVERY_ACCOUNTS_TRIED)
        .map(|a| a.id)
        .collect())
}

/// As whom a connection's server is spoken to: where, and the header carrying the credential.
struct Speaker {
    url: String,
    credential: Option<(String, String)>,
}

/// Who may speak to a connection's server for discovery and listening, in the order tried:
/// nobody (a `NO_AUTH` server), or its first ACTIVE accounts.
async fn speakers(state: &AppState, connection: &ConnectionConfig, connector: &ConnectorDef) -> Result<Vec<Speaker>> {
    if connector.auth.auth_type == ConnectorType::NoAuth {
        return Ok(vec![Speaker { url: state.account_base_url(connection, None)?, credential: None }]);
    }
    let mut found = Vec::new();
    let mut unusable = None;
    for id in discovery_accounts(state, &connection.name).await? {
        // Lists carry no credentials: read the account with its own.
        let Some(account) = state.store.account_by_id(&id).await? else { continue };
        // An OAuth account's access token is refreshed first when it is about to expire.
        let account = match crate::domain::credentials::with_fresh_token(state, account).await {
            Ok(account) => account,
            Err(e) => {
                tracing::info!(connection = %connection.name, error = %e.message(), "an account's token could not be refreshed for a remote MCP discovery; trying the next");
                unusable = Some(e);
                continue;
            }
        };
        found.push(Speaker {
            url: state.account_base_url(
                connection,
                crate::credentials::key_pair::account_settings(
                    account.api_config.as_ref(),
                    account.credentials.as_ref(),
                )
                .as_ref(),
            )?,
            credential: Some(crate::execution::http::credential_header(
                &connector.auth,
                account.credentials.as_ref(),
                false,
                &state.key_pairs,
            )?),
        });
    }
    if let (true, Some(e)) = (found.is_empty(), unusable) {
        return Err(e);
    }
    if found.is_empty() {
        return Err(Error::failed_precondition(format!(
            "remote MCP server {:?}: no ACTIVE connected account yet (its tools are listed with the first one's credential)",
            connection.name
        )));
    }
    Ok(found)
}

/// Runs `attempt` as each speaker in turn until the server does not refuse the credential (401,
/// 403: one user's stale key); the last refusal when it refuses them all.
async fn as_first_accepted<T, F, Fut>(speakers: Vec<Speaker>, connection: &str, mut attempt: F) -> Result<T>
where
    F: FnMut(Speaker) -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let mut refused = None;
    for speaker in speakers {
        match attempt(speaker).await {
            Err(e) if matches!(e.status(), 401 | 403) => {
                tracing::info!(connection = %connection, "remote MCP server refused an account's credential; trying the next");
                refused = Some(e);
            }
            outcome => return outcome,
        }
    }
    Err(refused
        .unwrap_or_else(|| Error::failed_precondition(format!("remote MCP server {connection:?}: nobody to ask"))))
}

/// Reads one connection's tools and caches them; how many were kept. The caller rebuilds the
/// registry. Listed with the first ACTIVE account's credential; when the server refuses it (401,
/// 403: one user's stale key) the next one's, up to [`DISCOVERY_ACCOUNTS_TRIED`].
pub async fn discover(state: &AppState, connection: &ConnectionConfig, connector: &ConnectorDef) -> Result<usize> {
    let candidates = speakers(state, connection, connector).await?;
    as_first_accepted(candidates, &connection.name, |speaker| async move {
        discover_as(state, connection, connector, &speaker).await
    })
    .await
}

/// One discovery as `speaker`.
async fn discover_as(
    state: &AppState,
    connection: &ConnectionConfig,
    connector: &ConnectorDef,
    speaker: &Speaker,
) -> Result<usize> {
    let legacy_sse = connector.mcp.as_ref().is_some_and(|m| m.transport == McpTransport::Sse);
    let endpoint = McpEndpoint {
        egress: &state.egress,
        url: &speaker.url,
        credential: speaker.credential.as_ref(),
        timeout: connector.limits.upstream_timeout(),
        max_answer_bytes: DISCOVERY_ANSWER_MAX_BYTES,
        name: &connection.name,
        legacy_sse,
    };
    let mut session = McpSession::open(endpoint).await?;
    let listed = session.list_tools(&ListBounds { max_pages: MAX_LIST_PAGES, max_tools: MAX_REMOTE_TOOLS }).await;
    // A legacy session's stream ends with it: only streamable HTTP servers are listened to.
    let lists_changes = session.server_lists_changes && !legacy_sse;
    session.close();
    let (tools, skipped) = catalog_tools(&connection.name, &listed?);
    for reason in &skipped {
        tracing::warn!(connection = %connection.name, "remote MCP tool skipped: {reason}");
    }
    let kept = tools.len();
    let discovery = Discovery {
        connector: connector.slug.clone(),
        url: state.base_url(connection)?,
        tools,
        at: Instant::now(),
        lists_changes,
    };
    state.remote_tools.store(&connection.name, discovery);
    tracing::info!(connection = %connection.name, tools = kept, skipped = skipped.len(), "remote MCP tools discovered");
    Ok(kept)
}

/// An account of `connection` became ACTIVE: a remote MCP server whose tools were never read is
/// read now (they are listed with an ACTIVE account's credential).
pub fn account_activated(state: &AppState, connection: &ConnectionConfig) {
    let remote = state.registry().catalog.connector(&connection.connector).is_some_and(|c| c.mcp.is_some());
    if remote && state.remote_tools.get(&connection.name).is_none() {
        state.remote_tools.request_refresh(&connection.name);
    }
}

/// Discovers these connections (a few at a time) and rebuilds the registry once when any
/// succeeded; each connection's outcome.
async fn discover_some(
    state: &AppState,
    connections: Vec<(Arc<ConnectionConfig>, Arc<ConnectorDef>)>,
) -> Vec<(String, Result<usize>)> {
    let outcomes: Vec<(String, Result<usize>)> = stream::iter(connections)
        .map(|(connection, connector)| async move {
            let outcome = discover(state, &connection, &connector).await;
            if let Err(e) = &outcome {
                tracing::warn!(connection = %connection.name, error = %e.message(), "remote MCP discovery failed");
            }
            (connection.name.clone(), outcome)
        })
        .buffer_unordered(DISCOVERY_CONCURRENCY)
        .collect()
        .await;
    if outcomes.iter().any(|(_, outcome)| outcome.is_ok()) {
        if let Err(e) = state.reload_registry().await {
            tracing::warn!(error = %e.message(), "registry not rebuilt after remote MCP discovery");
        }
    }
    outcomes
}

/// Discovers every remote MCP connection now (an operator's reload).
pub async fn discover_all(state: &AppState) -> Vec<(String, Result<usize>)> {
    discover_some(state, remote_connections(&state.registry())).await
}

/// How long until a connection's next discovery is due (zero: now): `mcp.refresh_secs` after the
/// last try, or [`RETRY_UNDISCOVERED`] while none has succeeded.
fn due_in(
    state: &AppState,
    last_tried: &HashMap<String, Instant>,
    connection: &ConnectionConfig,
    connector: &ConnectorDef,
) -> Duration {
    let every = match state.remote_tools.get(&connection.name) {
        Some(_) => Duration::from_secs(connector.mcp.as_ref().map_or(300, |m| m.refresh_secs)),
        None => RETRY_UNDISCOVERED,
    };
    last_tried.get(&connection.name).map_or(Duration::ZERO, |at| every.saturating_sub(at.elapsed()))
}

/// Longest a standalone stream is held before it is opened again.
const LISTEN_LIFETIME: Duration = Duration::from_secs(300);

/// How long a listener waits after a failure (or a server without a standalone stream).
const LISTEN_RETRY: Duration = Duration::from_secs(30);

/// Listens on a connection's server for tool-list changes (its standalone stream, as the first
/// ACTIVE account the server accepts), asking for a discovery at each, until the connection or the gateway is gone.
async fn listen_for_changes(state: Weak<AppState>, connection_name: String) {
    loop {
        let pause = match listen_once(&state, &connection_name).await {
            None => return,
            Some(Ok(StreamEnd::ToolsChanged)) => {
                if let Some(strong) = state.upgrade() {
                    strong.remote_tools.request_refresh(&connection_name);
                }
                Duration::from_secs(1)
            }
            Some(Ok(StreamEnd::Closed)) => Duration::from_secs(1),
            Some(Ok(StreamEnd::Unsupported)) => LISTEN_RETRY,
            Some(Err(e)) => {
                tracing::debug!(connection = %connection_name, error = %e.message(), "remote MCP listener failed");
                LISTEN_RETRY
            }
        };
        tokio::time::sleep(pause).await;
    }
}

/// One wait on the standalone stream, as the first account whose credential the server accepts;
/// `None` when the connection (or the gateway) is gone. Holds no reference to the state while it
/// waits.
async fn listen_once(state: &Weak<AppState>, connection_name: &str) -> Option<Result<StreamEnd>> {
    let (egress, candidates, connector) = {
        let strong = state.upgrade()?;
        let registry = strong.registry();
        let connection = registry.connections.get(connection_name)?.clone();
        let connector = registry.catalog.connector(&connection.connector)?.clone();
        connector.mcp.as_ref()?;
        let candidates = match speakers(&strong, &connection, &connector).await {
            Ok(candidates) => candidates,
            Err(e) => return Some(Err(e)),
        };
        (strong.egress.clone(), candidates, connector)
    };
    let lifetime = Duration::from_secs(connector.mcp.as_ref().map_or(300, |m| m.refresh_secs)).min(LISTEN_LIFETIME);
    let (egress, connector) = (&egress, &connector);
    let end = as_first_accepted(candidates, connection_name, |speaker| async move {
        let endpoint = McpEndpoint {
            egress,
            url: &speaker.url,
            credential: speaker.credential.as_ref(),
            timeout: connector.limits.upstream_timeout(),
            max_answer_bytes: DISCOVERY_ANSWER_MAX_BYTES,
            name: connection_name,
            legacy_sse: false,
        };
        let mut session = McpSession::open(endpoint).await?;
        let end = session.wait_for_tools_change(lifetime).await;
        session.close();
        end
    })
    .await;
    Some(end)
}

/// The background loop: discovers each remote MCP connection when it is due or asked for, until
/// the gateway stops.
pub async fn run_discovery_loop(state: Weak<AppState>) {
    let mut last_tried: HashMap<String, Instant> = HashMap::new();
    // One listener per connection whose server sends tool-list changes.
    let mut listeners: HashMap<String, tokio::task::JoinHandle<()>> = HashMap::new();
    loop {
        let Some(strong) = state.upgrade() else {
            listeners.values().for_each(tokio::task::JoinHandle::abort);
            return;
        };
        let requested = strong.remote_tools.take_requested();
        let registry = strong.registry();
        let remote = remote_connections(&registry);
        strong.remote_tools.retain(|name| registry.connections.contains_key(name));
        last_tried.retain(|name, _| registry.connections.contains_key(name));
        let due: Vec<_> = remote
            .iter()
            .filter(|(connection, connector)| {
                requested.contains(&connection.name) || due_in(&strong, &last_tried, connection, connector).is_zero()
            })
            .cloned()
            .collect();
        if !due.is_empty() {
            for (connection, _) in &due {
                last_tried.insert(connection.name.clone(), Instant::now());
            }
            discover_some(&strong, due).await;
        }
        listeners.retain(|name, listener| {
            let keep = !listener.is_finished()
                && strong.remote_tools.get(name).is_some_and(|d| d.lists_changes)
                && registry.connections.contains_key(name);
            if !keep {
                listener.abort();
            }
            keep
        });
        for (connection, _) in &remote {
            let lists_changes = strong.remote_tools.get(&connection.name).is_some_and(|d| d.lists_changes);
            if lists_changes && !listeners.contains_key(&connection.name) {
                let listener = tokio::spawn(listen_for_changes(state.clone(), connection.name.clone()));
                listeners.insert(connection.name.clone(), listener);
            }
        }
        let wait = remote
            .iter()
            .map(|(connection, connector)| due_in(&strong, &last_tried, connection, connector))
            .min()
            .unwrap_or(Duration::from_secs(60))
            .clamp(Duration::from_secs(1), Duration::from_secs(60));
        let tools = strong.remote_tools.clone();
        drop(strong);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = tools.wake.notified() => {}
        }
    }
}
