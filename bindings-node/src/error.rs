//! Core errors → napi errors whose message is a tagged JSON record; the JS façade
//! (`lib/errors.js`) turns it into the right `Scalekit*Exception` class (napi-rs cannot throw
//! Error subclasses itself).

use agentkit_core::Error;
use serde_json::json;

/// Prefix marking a message as an encoded AgentKit error.
pub const ERROR_TAG: &str = "AGENTKIT_ERROR:";

pub fn to_napi(err: Error) -> napi::Error {
    let tool = err.tool_error();
    let record = json!({
        "className": err.sdk_class_name(),
        "kind": err.kind().name(),
        "message": err.message(),
        "httpStatus": err.status(),
        "errorCode": err.error_code(),
        "field": err.field(),
        "requestId": err.request_id(),
        "toolErrorCode": tool.map(|t| t.tool_error_code.clone()),
        "toolErrorMessage": tool.map(|t| t.tool_error_message.clone()),
        "executionId": tool.map(|t| t.execution_id.clone()),
        "grpcStatus": err.grpc_code(),
        "unpackedDetails": err.details_json(),
    });
    napi::Error::new(napi::Status::GenericFailure, format!("{ERROR_TAG}{record}"))
}
