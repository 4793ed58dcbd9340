//! The error body: `{code, message, details: [ErrorInfo]}` (grpc-gateway `google.rpc.Status` JSON).

use serde::{Deserialize, Serialize};

/// `@type` of every detail entry.
pub const ERROR_INFO_TYPE: &str = "type.googleapis.com/scalekit.v1.errdetails.ErrorInfo";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// gRPC status code (e.g. 5 for NOT_FOUND).
    #[serde(default)]
    pub code: i32,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub details: Vec<ErrorDetail>,
    /// The id of the request that failed (also its `x-request-id` header), for support and logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    #[serde(rename = "@type", default)]
    pub type_url: String,
    #[serde(default, alias = "errorCode")]
    pub error_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "toolErrorInfo")]
    pub tool_error_info: Option<ToolErrorInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "validationErrorInfo")]
    pub validation_error_info: Option<ValidationErrorInfo>,
}

impl ErrorDetail {
    pub fn new(error_code: &str) -> Self {
        ErrorDetail {
            type_url: ERROR_INFO_TYPE.to_string(),
            error_code: error_code.to_string(),
            tool_error_info: None,
            validation_error_info: None,
        }
    }
}

/// What the provider said when a tool failed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ToolErrorInfo {
    #[serde(default, alias = "executionId")]
    pub execution_id: String,
    #[serde(default, alias = "toolErrorMessage")]
    pub tool_error_message: String,
    #[serde(default, alias = "toolErrorCode")]
    pub tool_error_code: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ValidationErrorInfo {
    #[serde(default, alias = "fieldViolations")]
    pub field_violations: Vec<FieldViolation>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldViolation {
    pub field: String,
    pub description: String,
}
