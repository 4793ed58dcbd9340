//! What the gateway tells its operators: request ids and one log line per request
//! ([`requests`]), and how logs are written ([`logging`]).

pub mod logging;
pub mod requests;

pub use requests::{current_request_id, record_client_id};
