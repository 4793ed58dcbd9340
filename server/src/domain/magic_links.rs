//! Creating a magic link for every entry point (`connected_accounts/magic_link`, the console):
//! the account it is for (made, pending, when the user has none yet) and the checks of its
//! verification URL and scope selection. Apart from `links` (issuing and opening links), which
//! the account use cases need, so that the two do not import each other.

use agentkit_core::model::{ConnectorType, MagicLinkRequest, MagicLinkResponse, ScopeSelection};
use agentkit_core::{Error, Result};

use crate::domain::accounts::get_or_create;
use crate::domain::links::{check_scope_selection, issue_link};
use crate::state::AppState;

/// A magic link for the account `req` selects (made, pending, when the user has none yet): its
/// verification URL and scope selection checked first.
pub async fn create_magic_link(state: &AppState, req: MagicLinkRequest) -> Result<MagicLinkResponse> {
    if !req.user_verify_url.is_empty() {
        crate::domain::links::check_user_verify_url(&state.config.server.user_verify_hosts, &req.user_verify_url)?;
    }
    // `{}` from a raw request means no selection, as an SDK call without scopes does.
    let scopes = req.scope_selection.filter(|s| !s.is_empty()).map(check_scope_selection).transpose()?;
    // Checked before the account is made when the request names the connection.
    if let (Some(selection), false) = (&scopes, req.selector.connector.is_empty()) {
        selects_scopes(state, &req.selector.connector, selection)?;
    }
    // A link for a user without an account creates the pending account, as the hosted API does.
    let account = get_or_create(state, &req.selector).await?;
    if let Some(selection) = &scopes {
        selects_scopes(state, &account.connection_name, selection)?;
    }
    let link = issue_link(state, &account.id, req.state, req.user_verify_url, scopes);
    state.webhooks.emit("connected_account.magic_link_generated", &account, None).await;
    Ok(link)
}

/// Only a connection whose users grant OAuth scopes can take a link's scope selection, and only
/// among the scopes its operator configured: an API client that makes links cannot ask users for
/// more than the connection was set up to hold (and the proxy to use).
fn selects_scopes(state: &AppState, connection_name: &str, selection: &ScopeSelection) -> Result<()> {
    let connection = state.connection(connection_name)?;
    let connector = state.registry().connector_of(&connection)?;
    let plain_oauth = connector.auth.connector_type() == ConnectorType::Oauth
        && connector.auth.key_pair.is_none()
        && !connector.oauth_discovered();
    if !plain_oauth {
        return Err(Error::invalid_field(
            "scope_selection",
            format!(
                "scope_selection applies to OAuth connections with scopes of their own only: {connection_name:?} authorizes with {:?}",
                connector.auth.connector_type()
            ),
        ));
    }
    let allowed = if connection.scopes.is_empty() { &connector.auth.scopes } else { &connection.scopes };
    let requested = selection.requested();
    let beyond: Vec<&str> = requested.iter().filter(|s| !allowed.contains(s)).map(String::as_str).collect();
    if let Some(first) = beyond.first() {
        return Err(Error::invalid_field(
            "scope_selection",
            format!(
                "scope_selection: {first:?}{} is not among connection {connection_name:?}'s scopes: an admin adds it to the connection first",
                if beyond.len() > 1 { format!(" (and {} more)", beyond.len() - 1) } else { String::new() }
            ),
        ));
    }
    Ok(())
}
