//! Running tools: the HTTP runner, the SQL runner, and the limits both obey (output cap, rate
//! limits, retries).

pub mod http;
pub mod limits;
pub mod sql;
