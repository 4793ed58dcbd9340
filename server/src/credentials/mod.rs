//! Credentials: the OAuth client, refresh bookkeeping, service accounts, the vault that seals
//! everything at rest, the gateway's own signed tokens and the API clients they are issued to.

pub mod api_clients;
pub mod key_pair;
pub mod oauth;
pub mod oidc_sign_in;
pub mod refresh;
pub mod service_account;
pub mod tokens;
pub mod upstream_oauth;
