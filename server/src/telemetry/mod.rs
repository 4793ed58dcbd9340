//! What the gateway tells its operators: request ids and one log line per request
//! ([`requests`]), how logs are written ([`logging`]), Prometheus metrics ([`metrics`]) and
//! OTLP traces ([`traces`]).

pub mod logging;
pub mod metrics;
pub mod requests;
pub mod scrape;
pub mod traces;

pub use requests::{current_request_id, record_actor, record_client_id};
