//! What the gateway tells its operators: request ids and one log line per request
//! ([`requests`]), how logs are written ([`logging`]) and Prometheus metrics ([`metrics`]).

pub mod logging;
pub mod metrics;
pub mod requests;
pub mod scrape;

pub use requests::{current_request_id, record_client_id};
