//! The catalog: connector files and the registry's connectors, custom providers, tool input
//! validation and the templates that turn input into requests.

pub mod catalog_docs;
pub mod connector_check;
pub mod connectors;
pub mod custom_providers;
pub mod input_schema;
pub mod openapi_import;
pub mod remote_tools;
pub mod runner_defs;
pub mod templates;
pub mod triggers;
