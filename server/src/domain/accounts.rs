//! Connected accounts, as every entry point (REST, MCP, links, the refresher) needs them: finding
//! the one account a selector names, creating one from a request, get-or-create, and the single
//! rule for an account that cannot be used yet (an error carrying a fresh authorization link).

use chrono::Utc;

use agentkit_core::model::*;
use agentkit_core::{Error, ErrorKind, Result};

use crate::state::AppState;
use crate::store::AccountRecord;

/// Longest accepted identifier (as in the published validation rules).
const MAX_IDENTIFIER_LEN: usize = 200;

fn check_identifier(identifier: &str) -> Result<()> {
    if identifier.trim().is_empty() {
        return Err(Error::invalid_field("identifier", "identifier is required"));
    }
    if identifier.chars().count() > MAX_IDENTIFIER_LEN {
        return Err(Error::invalid_field(
            "identifier",
            format!("identifier must have at most {MAX_IDENTIFIER_LEN} characters"),
        ));
    }
    Ok(())
}

/// How fresh an account lookup must be.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lookup {
    /// From the database: before changing an account, or showing it.
    Latest,
    /// From the account cache when it has it: the call path (see `store::account_cache`).
    ForCall,
}

/// Finds the one account a selector addresses, or 404.
pub async fn resolve_account(state: &AppState, sel: &AccountSelector) -> Result<AccountRecord> {
    resolve(state, sel, Lookup::Latest).await
}

/// [`resolve_account`] for running a call as the account (served from the account cache).
pub async fn resolve_account_for_call(state: &AppState, sel: &AccountSelector) -> Result<AccountRecord> {
    resolve(state, sel, Lookup::ForCall).await
}

async fn resolve(state: &AppState, sel: &AccountSelector, lookup: Lookup) -> Result<AccountRecord> {
    sel.validate()?;
    if !sel.id.trim().is_empty() {
        let found = state.store.account_by_id(sel.id.trim()).await?;
        return found.ok_or_else(|| Error::not_found(format!("connected account {:?} not found", sel.id.trim())));
    }
    state.connection(sel.connector.trim())?;
    let (connection, identifier) = (sel.connector.trim(), sel.identifier.trim());
    let found = match lookup {
        Lookup::Latest => {
            state.store.accounts_by_name(connection, identifier, &sel.organization_id, &sel.user_id).await?
        }
        Lookup::ForCall => {
            state.store.accounts_by_name_for_call(connection, identifier, &sel.organization_id, &sel.user_id).await?
        }
    };
    if found.len() > 1 {
        return Err(Error::new(
            ErrorKind::Conflict,
            format!(
                "identifier {identifier:?} on connection {connection:?} matches {} connected accounts: pass organization_id or user_id (or the account id)",
                found.len()
            ),
        ));
    }
    found.into_iter().next().ok_or_else(|| {
        Error::not_found(format!("no connected account for identifier {identifier:?} on connection {connection:?}"))
    })
}

/// [`resolve_account`] for showing the account to a caller: its use still queued in the
/// bookkeeping is laid over its `last_used_at`, so a caller sees its own calls without waiting
/// for the writer (which may be behind on other accounts' bookkeeping).
pub async fn read_account(state: &AppState, sel: &AccountSelector) -> Result<AccountRecord> {
    let mut account = resolve_account(state, sel).await?;
    account.last_used_at = state.store.bookkeeping.account_last_used(&account.id, account.last_used_at);
    Ok(account)
}

/// Credentials travel in HTTP headers: a control character (CR, LF, NUL) in one would be a
/// header injection or a failed request at every call, so it is refused when saved.
fn check_header_safe(details: &AuthorizationDetails) -> Result<()> {
    let bad = |s: &str| s.chars().any(|c| c.is_control() && c != '\t');
    if let Some(token) = &details.oauth_token {
        for (field, value) in [("access_token", &token.access_token), ("user_access_token", &token.user_access_token)] {
            if bad(value) {
                return Err(Error::invalid_field(
                    format!("authorization_details.oauth_token.{field}"),
                    format!("authorization_details.oauth_token.{field} contains a control character"),
                ));
            }
        }
    }
    if let Some(fields) = details.static_auth.as_ref().and_then(|s| s.details.as_object()) {
        for (field, value) in fields {
            // PEM keys are multi-line by design and never sent as a header.
            if field != "private_key" && value.as_str().is_some_and(bad) {
                return Err(Error::invalid_field(
                    format!("authorization_details.static_auth.details.{field}"),
                    format!("authorization_details.static_auth.details.{field} contains a control character"),
                ));
            }
        }
    }
    Ok(())
}

/// Status and type an account gets from the credentials it was given.
pub fn apply_credentials(
    state: &AppState,
    account: &mut AccountRecord,
    details: Option<AuthorizationDetails>,
) -> Result<()> {
    let Some(details) = details.filter(|d| !d.is_empty()) else {
        return Ok(());
    };
    check_header_safe(&details)?;
    if details.oauth_token.as_ref().is_some_and(|t| t.access_token.is_empty()) && details.static_auth.is_none() {
        return Err(Error::invalid_field(
            "authorization_details.oauth_token.access_token",
            "authorization_details.oauth_token.access_token is required",
        ));
    }
    let connector_type = state
        .registry()
        .catalog
        .connector(&account.connector)
        .map(|c| c.auth.connector_type())
        .unwrap_or(ConnectorType::Custom);
    let service_account = details
        .static_auth
        .as_ref()
        .filter(|s| s.details.get("type").and_then(serde_json::Value::as_str) == Some("service_account"));
    // A connector that signs with the account's key checks the key (and the fields its claims
    // read) now: a bad key is a 400 naming the field, never a failure at every call.
    let key_pair = state.registry().catalog.connector(&account.connector).and_then(|c| c.auth.key_pair.clone());
    let static_details = details.static_auth.as_ref().map(|s| &s.details);
    if let (Some(def), None, Some(static_details)) = (&key_pair, &details.oauth_token, static_details) {
        // Static credentials on a connector that signs are a key pair, whatever else it accepts.
        if service_account.is_none() {
            crate::credentials::key_pair::check(def, static_details)?;
            account.credentials = Some(details);
            account.authorization_type = ConnectorType::KeyPair;
            account.status = ConnectorStatus::Active;
            return Ok(());
        }
    }
    account.authorization_type = match (details.oauth_token.is_some(), service_account) {
        (_, Some(key)) => {
            let connection = state.connection(&account.connection_name)?;
            let connector_token_url = state.registry().connector_of(&connection)?.auth.token_url.clone();
            let declared = [connection.token_url.as_deref().unwrap_or_default(), connector_token_url.as_str()];
            crate::credentials::service_account::ServiceAccountKey::check(&key.details, &declared)?;
            ConnectorType::OauthM2m
        }
        (true, None) => ConnectorType::Oauth,
        (false, None) => connector_type,
    };
    account.credentials = Some(details);
    account.status = ConnectorStatus::Active;
    Ok(())
}

pub fn new_account_id() -> String {
    format!("ca_{}", uuid::Uuid::new_v4().simple())
}

/// Creates an account record (shared by create and magic-link get-or-create).
pub async fn create_account(state: &AppState, req: UpsertConnectedAccountRequest) -> Result<AccountRecord> {
    let sel = &req.selector;
    if sel.connector.trim().is_empty() {
        return Err(Error::invalid_field("connection_name", "connection_name (connector) is required"));
    }
    check_identifier(&sel.identifier)?;
    let connection = state.connection(sel.connector.trim())?;
    if let Some(cfg) = &req.connected_account.api_config {
        if !cfg.is_object() {
            return Err(Error::invalid_field("api_config", "api_config must be an object"));
        }
    }
    let connector_type =
        state.registry().catalog.connector(&connection.connector).map(|c| c.auth.connector_type()).unwrap_or_default();
    let mut account = AccountRecord {
        id: new_account_id(),
        connection_name: connection.name.clone(),
        connector: connection.connector.clone(),
        identifier: sel.identifier.trim().to_string(),
        organization_id: sel.organization_id.clone(),
        user_id: sel.user_id.clone(),
        status: ConnectorStatus::PendingAuth,
        authorization_type: connector_type,
        credentials: None,
        api_config: req.connected_account.api_config.clone(),
        token_expires_at: None,
        updated_at: Utc::now(),
        last_used_at: None,
    };
    apply_credentials(state, &mut account, req.connected_account.authorization_details)?;
    let created = "connected_account.created";
    let audit = crate::audit::account_row(created, &account, crate::audit::SUCCESS, serde_json::Value::Null);
    let records = state.webhooks.change_records(vec![audit], &[(created, &account, None)]).await?;
    state.store.insert_account(&account, &records).await?;
    state.webhooks.wake();
    if account.status == ConnectorStatus::Active {
        crate::domain::remote_mcp::account_activated(state, &connection);
    }
    tracing::info!(account = %account.id, connection = %account.connection_name, status = account.status.as_str(), "connected account created");
    Ok(account)
}

/// The one account `selector` names, created (PENDING_AUTH) when there is none; a concurrent
/// creation of the same account is re-read rather than reported. Ambiguity is a 409, as for
/// every other lookup.
pub async fn get_or_create(state: &AppState, selector: &AccountSelector) -> Result<AccountRecord> {
    match resolve(state, selector, Lookup::ForCall).await {
        Err(e) if e.kind() == ErrorKind::NotFound && selector.id.trim().is_empty() => {
            let req = UpsertConnectedAccountRequest { selector: selector.clone(), ..Default::default() };
            match create_account(state, req).await {
                Err(e) if e.kind() == ErrorKind::Conflict => resolve_account(state, selector).await,
                other => other,
            }
        }
        other => other,
    }
}

/// The account when it is ACTIVE; otherwise the one error every entry point gives: which account,
/// its status, and a fresh link to authorize it.
pub fn require_active(state: &AppState, account: AccountRecord) -> Result<AccountRecord> {
    if account.status == ConnectorStatus::Active {
        return Ok(account);
    }
    let link = crate::domain::links::issue_link(state, &account.id, String::new(), String::new(), None).link;
    Err(Error::failed_precondition(format!(
        "connected account {} for identifier {:?} on {:?} is {}: authorize it first: {link}",
        account.id,
        account.identifier,
        account.connection_name,
        account.status.as_str()
    )))
}

/// Deletes the account `sel` selects (audited, with its webhook event, in one commit), then
/// revokes its grant at the provider where the provider supports revocation.
pub async fn delete_account(state: &AppState, sel: &AccountSelector) -> Result<()> {
    let account = resolve_account(state, sel).await?;
    let deleted = "connected_account.deleted";
    let audit = crate::audit::account_row(deleted, &account, crate::audit::SUCCESS, serde_json::Value::Null);
    let records = state.webhooks.change_records(vec![audit], &[(deleted, &account, None)]).await?;
    state.store.delete_account(&account.id, &records).await?;
    state.webhooks.wake();
    // Revoke at the provider where it supports revocation (the refresh token revokes the grant).
    if let Some(token) = account.credentials.as_ref().and_then(|c| c.oauth_token.as_ref()) {
        let app = match state.connection(&account.connection_name) {
            Ok(connection) => state.oauth_app(&connection).await,
            Err(e) => Err(e),
        };
        if let Ok(app) = app {
            let grant = if token.refresh_token.is_empty() { &token.access_token } else { &token.refresh_token };
            app.revoke(grant).await;
        }
    }
    tracing::info!(account = %account.id, "connected account deleted");
    Ok(())
}
