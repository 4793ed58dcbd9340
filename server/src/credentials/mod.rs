//! Credentials: the OAuth client, refresh bookkeeping, service accounts, the vault that seals
//! everything at rest, and the gateway's own signed tokens.

pub mod oauth;
pub mod refresh;
pub mod service_account;
pub mod tokens;
pub mod vault;
