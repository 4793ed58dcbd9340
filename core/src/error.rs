//! One error type for the whole stack.
//!
//! The gateway turns an [`Error`] into an HTTP status and the JSON error body of the published API;
//! the client turns that body back into the same [`Error`]. Both directions go through the tables in
//! this file, so the mapping between kinds, gRPC codes and HTTP statuses lives in one place.

use crate::model::errors::{ErrorBody, ErrorDetail, ToolErrorInfo};
use std::fmt;

/// Stable classification of every failure. Bindings map each kind to one exception class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The request was malformed or a field failed validation (HTTP 400).
    InvalidInput,
    /// The request is well-formed but the resource is not in a state that allows it: an account
    /// that is not ACTIVE, credentials missing a field (HTTP 400, `FAILED_PRECONDITION`).
    FailedPrecondition,
    /// Missing or bad credentials (HTTP 401).
    Unauthorized,
    /// The caller may not do this (HTTP 403).
    Forbidden,
    /// The addressed resource does not exist (HTTP 404).
    NotFound,
    /// The resource already exists or changed underneath (HTTP 409).
    Conflict,
    /// Too many requests (HTTP 429).
    RateLimited,
    /// The call did not finish in time (HTTP 504 or a local deadline).
    Timeout,
    /// The network failed before an HTTP answer arrived.
    Transport,
    /// The server is temporarily unavailable (HTTP 503).
    Unavailable,
    /// The server does not implement this call (HTTP 501).
    NotImplemented,
    /// The server failed (HTTP 500 and anything unexpected).
    Server,
    /// The tool ran and the provider answered with an error (`error_code` `TOOL_ERROR`).
    ToolExecution,
    /// A user-supplied modifier or callback failed.
    Hook,
    /// A webhook delivery's signature, timestamp or headers did not check out (SDK-side only).
    WebhookVerification,
}

impl ErrorKind {
    /// HTTP status the gateway answers with for this kind.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorKind::InvalidInput | ErrorKind::FailedPrecondition | ErrorKind::WebhookVerification => 400,
            ErrorKind::Unauthorized => 401,
            ErrorKind::Forbidden => 403,
            ErrorKind::NotFound => 404,
            ErrorKind::Conflict => 409,
            ErrorKind::RateLimited => 429,
            ErrorKind::Timeout => 504,
            ErrorKind::Unavailable | ErrorKind::Transport => 503,
            ErrorKind::NotImplemented => 501,
            ErrorKind::Server | ErrorKind::Hook => 500,
            ErrorKind::ToolExecution => 500,
        }
    }

    /// The gRPC status code of this kind. The error body's `code` is [`Error::grpc_code`], which
    /// differs for tool failures.
    pub fn grpc_code(self) -> i32 {
        match self {
            ErrorKind::InvalidInput | ErrorKind::WebhookVerification => 3,
            ErrorKind::FailedPrecondition => 9,
            ErrorKind::Unauthorized => 16,
            ErrorKind::Forbidden => 7,
            ErrorKind::NotFound => 5,
            ErrorKind::Conflict => 6,
            ErrorKind::RateLimited => 8,
            ErrorKind::Timeout => 4,
            ErrorKind::Unavailable | ErrorKind::Transport => 14,
            ErrorKind::NotImplemented => 12,
            ErrorKind::Server | ErrorKind::Hook | ErrorKind::ToolExecution => 13,
        }
    }

    /// The `error_code` string put into `ErrorInfo` when nothing more specific applies.
    pub fn default_error_code(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput | ErrorKind::WebhookVerification => "INVALID_ARGUMENT",
            ErrorKind::FailedPrecondition => "FAILED_PRECONDITION",
            ErrorKind::Unauthorized => "UNAUTHENTICATED",
            ErrorKind::Forbidden => "PERMISSION_DENIED",
            ErrorKind::NotFound => "NOT_FOUND",
            ErrorKind::Conflict => "ALREADY_EXISTS",
            ErrorKind::RateLimited => "RESOURCE_EXHAUSTED",
            ErrorKind::Timeout => "DEADLINE_EXCEEDED",
            ErrorKind::Unavailable | ErrorKind::Transport => "UNAVAILABLE",
            ErrorKind::NotImplemented => "UNIMPLEMENTED",
            ErrorKind::Server | ErrorKind::Hook => "INTERNAL",
            ErrorKind::ToolExecution => "TOOL_ERROR",
        }
    }

    /// Classifies an HTTP status from the server (tool errors are recognised from the body, not here).
    pub fn from_http_status(status: u16) -> ErrorKind {
        match status {
            400 | 422 => ErrorKind::InvalidInput,
            401 => ErrorKind::Unauthorized,
            403 => ErrorKind::Forbidden,
            404 => ErrorKind::NotFound,
            409 => ErrorKind::Conflict,
            429 => ErrorKind::RateLimited,
            501 => ErrorKind::NotImplemented,
            502 | 503 => ErrorKind::Unavailable,
            504 | 408 => ErrorKind::Timeout,
            _ => ErrorKind::Server,
        }
    }

    /// Stable name used across the language edge (`"NotFound"`, `"ToolExecution"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "InvalidInput",
            ErrorKind::FailedPrecondition => "FailedPrecondition",
            ErrorKind::Unauthorized => "Unauthorized",
            ErrorKind::Forbidden => "Forbidden",
            ErrorKind::NotFound => "NotFound",
            ErrorKind::Conflict => "Conflict",
            ErrorKind::RateLimited => "RateLimited",
            ErrorKind::Timeout => "Timeout",
            ErrorKind::Transport => "Transport",
            ErrorKind::Unavailable => "Unavailable",
            ErrorKind::NotImplemented => "NotImplemented",
            ErrorKind::Server => "Server",
            ErrorKind::ToolExecution => "ToolExecution",
            ErrorKind::Hook => "Hook",
            ErrorKind::WebhookVerification => "WebhookVerification",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Every failure of the client or the gateway. Boxed so `Result<T, Error>` stays small.
#[derive(Debug)]
pub struct Error(Box<ErrorInner>);

#[derive(Debug)]
struct ErrorInner {
    kind: ErrorKind,
    message: String,
    status: Option<u16>,
    error_code: Option<String>,
    request_id: Option<String>,
    field: Option<String>,
    tool_error: Option<ToolErrorInfo>,
    retry_after_secs: Option<u64>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error of `kind` with `message`; the `with_*` builders add the rest.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error(Box::new(ErrorInner {
            kind,
            message: message.into(),
            status: None,
            error_code: None,
            request_id: None,
            field: None,
            tool_error: None,
            retry_after_secs: None,
            source: None,
        }))
    }

    /// A validation failure that names the offending field (`"tool_input.max_results"`).
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        let field = field.into();
        let mut err = Error::new(ErrorKind::InvalidInput, message);
        err.0.field = Some(field);
        err
    }

    /// The resource is not in a state that allows the call (`FAILED_PRECONDITION`).
    pub fn failed_precondition(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::FailedPrecondition, message)
    }

    /// Names the input field the error is about.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.0.field = Some(field.into());
        self
    }

    /// The addressed resource does not exist (`NotFound`).
    pub fn not_found(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::NotFound, message)
    }

    /// Sets the HTTP status received (or to answer with) in place of the kind's own.
    pub fn with_status(mut self, status: u16) -> Self {
        self.0.status = Some(status);
        self
    }

    /// Sets `ErrorInfo.error_code` in place of the kind's default code.
    pub fn with_error_code(mut self, code: impl Into<String>) -> Self {
        self.0.error_code = Some(code.into());
        self
    }

    /// Sets (or, with `None`, clears) the id of the request that failed.
    pub fn with_request_id(mut self, id: Option<String>) -> Self {
        self.0.request_id = id;
        self
    }

    /// Attaches what the provider said when a tool failed (`tool_error_info` in the body).
    pub fn with_tool_error(mut self, info: ToolErrorInfo) -> Self {
        self.0.tool_error = Some(info);
        self
    }

    /// Sets the seconds to wait before retrying, carried as `Retry-After`.
    pub fn with_retry_after(mut self, secs: Option<u64>) -> Self {
        self.0.retry_after_secs = secs;
        self
    }

    /// Keeps the underlying cause, for [`std::error::Error::source`] and [`Error::into_source`].
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.0.source = Some(Box::new(source));
        self
    }

    /// Takes the underlying cause (bindings use it to re-raise a user callback's own exception).
    pub fn into_source(self) -> Option<Box<dyn std::error::Error + Send + Sync>> {
        self.0.source
    }

    /// The stable classification of this failure.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The human-readable message: the `Display` text and the error body's `message`.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// HTTP status: the one received, or the one this kind maps to.
    pub fn status(&self) -> u16 {
        self.0.status.unwrap_or_else(|| self.0.kind.http_status())
    }

    /// `ErrorInfo.error_code` from the server, or the kind's default code.
    pub fn error_code(&self) -> &str {
        self.0.error_code.as_deref().unwrap_or_else(|| self.0.kind.default_error_code())
    }

    /// The id of the request that failed (`x-request-id`), to trace it on both sides.
    pub fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }

    /// The input field a validation error is about, when known.
    pub fn field(&self) -> Option<&str> {
        self.0.field.as_deref()
    }

    /// The provider's failure (execution id, message, code) when a tool ran and failed.
    pub fn tool_error(&self) -> Option<&ToolErrorInfo> {
        self.0.tool_error.as_ref()
    }

    /// Seconds to wait before retrying: read from an answer's `Retry-After`, or sent as one.
    pub fn retry_after_secs(&self) -> Option<u64> {
        self.0.retry_after_secs
    }

    /// The gRPC status code carried in the error body's `code` (and the SDKs' `grpc_status`):
    /// the kind's, except for a tool failure. `ToolExecution` says only "the provider failed";
    /// what failed is in the HTTP status relayed (a provider's 429 stays 429), so its code follows
    /// that status — RESOURCE_EXHAUSTED for 429, UNAVAILABLE for 502 — as the official SDKs
    /// expect when they pick a tool exception class by code.
    pub fn grpc_code(&self) -> i32 {
        match self.0.kind {
            ErrorKind::ToolExecution => ErrorKind::from_http_status(self.status()).grpc_code(),
            kind => kind.grpc_code(),
        }
    }

    /// Every SDK exception class [`Error::sdk_class_name`] can name (plus their shared bases). Both
    /// native modules export it; each façade's packaging test checks the classes exist.
    pub const SDK_CLASS_NAMES: &'static [&'static str] = &[
        "ScalekitException",
        "ScalekitServerException",
        "ScalekitBadRequestException",
        "ScalekitUnauthorizedException",
        "ScalekitForbiddenException",
        "ScalekitNotFoundException",
        "ScalekitConflictException",
        "ScalekitTooManyRequestsException",
        "ScalekitGatewayTimeoutException",
        "ScalekitConnectionException",
        "ScalekitServiceUnavailableException",
        "ScalekitNotImplementedException",
        "ScalekitInternalServerException",
        "ScalekitModifierException",
        "ScalekitToolException",
        "ScalekitToolRateLimitException",
        "ScalekitToolUnauthorizedException",
        "ScalekitToolForbiddenException",
        "WebhookVerificationError",
    ];

    /// The SDK exception class for a relayed answer of HTTP `status` (the proxy's non-2xx answers),
    /// by the same rule as the gateway's own errors.
    pub fn sdk_class_for_status(status: u16) -> &'static str {
        Error::new(ErrorKind::from_http_status(status), "").with_status(status).sdk_class_name()
    }

    /// Name of the SDK exception class for this error, shared by the Python and Node SDKs.
    pub fn sdk_class_name(&self) -> &'static str {
        match self.0.kind {
            ErrorKind::InvalidInput | ErrorKind::FailedPrecondition => "ScalekitBadRequestException",
            ErrorKind::Unauthorized => "ScalekitUnauthorizedException",
            ErrorKind::Forbidden => "ScalekitForbiddenException",
            ErrorKind::NotFound => "ScalekitNotFoundException",
            ErrorKind::Conflict => "ScalekitConflictException",
            ErrorKind::RateLimited => "ScalekitTooManyRequestsException",
            ErrorKind::Timeout => "ScalekitGatewayTimeoutException",
            ErrorKind::Transport => "ScalekitConnectionException",
            ErrorKind::Unavailable => "ScalekitServiceUnavailableException",
            ErrorKind::NotImplemented => "ScalekitNotImplementedException",
            ErrorKind::Server => "ScalekitInternalServerException",
            ErrorKind::Hook => "ScalekitModifierException",
            ErrorKind::WebhookVerification => "WebhookVerificationError",
            ErrorKind::ToolExecution => match self.status() {
                429 => "ScalekitToolRateLimitException",
                401 => "ScalekitToolUnauthorizedException",
                403 => "ScalekitToolForbiddenException",
                _ => "ScalekitToolException",
            },
        }
    }

    /// True when sending the same request again may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self.0.kind, ErrorKind::RateLimited | ErrorKind::Unavailable | ErrorKind::Transport)
            && self.0.tool_error.is_none()
    }

    /// The JSON body the gateway sends for this error.
    pub fn to_body(&self) -> ErrorBody {
        let mut detail = ErrorDetail::new(self.error_code());
        detail.tool_error_info = self.0.tool_error.clone();
        if let Some(field) = &self.0.field {
            detail.validation_error_info = Some(crate::model::errors::ValidationErrorInfo {
                field_violations: vec![crate::model::errors::FieldViolation {
                    field: field.clone(),
                    description: self.0.message.clone(),
                }],
            });
        }
        ErrorBody {
            code: self.grpc_code(),
            message: self.0.message.clone(),
            details: vec![detail],
            request_id: self.0.request_id.clone(),
        }
    }

    /// The detail payloads of [`Error::to_body`] as JSON, for the SDKs' `err_details`.
    pub fn details_json(&self) -> serde_json::Value {
        serde_json::to_value(self.to_body().details).unwrap_or_default()
    }

    /// Rebuilds an error from a server answer (status + JSON body).
    pub fn from_response(status: u16, body: &[u8], request_id: Option<String>) -> Self {
        let parsed: Option<ErrorBody> = serde_json::from_slice(body).ok();
        let mut kind = ErrorKind::from_http_status(status);
        let mut request_id = request_id;
        let (message, detail) = match parsed {
            Some(body) => {
                request_id = request_id.or(body.request_id);
                let detail = body.details.into_iter().find(|d| !d.error_code.is_empty());
                (body.message, detail)
            }
            None => {
                let text = String::from_utf8_lossy(body);
                let text = text.trim();
                let message = if text.is_empty() { format!("HTTP {status}") } else { text.chars().take(500).collect() };
                (message, None)
            }
        };
        let mut err = Error::new(kind, message).with_status(status).with_request_id(request_id);
        if let Some(detail) = detail {
            if detail.error_code == "FAILED_PRECONDITION" && kind == ErrorKind::InvalidInput {
                kind = ErrorKind::FailedPrecondition;
                err.0.kind = kind;
            }
            if detail.error_code == "TOOL_ERROR" {
                kind = ErrorKind::ToolExecution;
                err.0.kind = kind;
                if let Some(info) = detail.tool_error_info {
                    err.0.tool_error = Some(info);
                }
            }
            if let Some(v) = detail.validation_error_info.and_then(|v| v.field_violations.into_iter().next()) {
                err.0.field = Some(v.field);
            }
            err.0.error_code = Some(detail.error_code);
        }
        err
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<reqwest::Error> for Error {
    fn from(e: reqwest::Error) -> Self {
        let kind = if e.is_timeout() { ErrorKind::Timeout } else { ErrorKind::Transport };
        // Names the URL without its query or user info, and the step that failed; never a
        // header or a body, so no secret can leak.
        Error::new(kind, crate::transport::Failure::about(&e, "the server")).with_source(e)
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::new(ErrorKind::Server, format!("malformed JSON: {e}")).with_source(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_core_names_is_in_the_exported_table() {
        use ErrorKind::*;
        let kinds = [
            InvalidInput,
            FailedPrecondition,
            Unauthorized,
            Forbidden,
            NotFound,
            Conflict,
            RateLimited,
            Timeout,
            Transport,
            Unavailable,
            NotImplemented,
            Server,
            ToolExecution,
            Hook,
        ];
        for kind in kinds {
            for status in [400, 401, 403, 429, 500] {
                let class = Error::new(kind, "x").with_status(status).sdk_class_name();
                assert!(Error::SDK_CLASS_NAMES.contains(&class), "{class} missing from SDK_CLASS_NAMES");
            }
        }
    }

    #[test]
    fn failed_precondition_is_a_400_bad_request_and_survives_the_wire() {
        let err = Error::failed_precondition("connected account ca_1 is EXPIRED").with_field("identifier");
        assert_eq!(
            (err.status(), err.error_code(), err.sdk_class_name()),
            (400, "FAILED_PRECONDITION", "ScalekitBadRequestException")
        );
        let body = serde_json::to_vec(&err.to_body()).unwrap();
        let back = Error::from_response(400, &body, None);
        assert_eq!(back.kind(), ErrorKind::FailedPrecondition);
        assert_eq!(back.field(), Some("identifier"));
    }

    #[test]
    fn body_round_trip_keeps_kind_field_and_tool_info() {
        let err = Error::invalid_field("tool_input.max_results", "tool_input.max_results must be an integer");
        let body = serde_json::to_vec(&err.to_body()).unwrap();
        let back = Error::from_response(400, &body, None);
        assert_eq!(back.kind(), ErrorKind::InvalidInput);
        assert_eq!(back.field(), Some("tool_input.max_results"));
        assert_eq!(back.error_code(), "INVALID_ARGUMENT");

        let tool =
            Error::new(ErrorKind::ToolExecution, "upstream said no").with_status(401).with_tool_error(ToolErrorInfo {
                execution_id: "x1".into(),
                tool_error_message: "bad".into(),
                tool_error_code: "401".into(),
            });
        let body = serde_json::to_vec(&tool.to_body()).unwrap();
        let back = Error::from_response(401, &body, None);
        assert_eq!(back.kind(), ErrorKind::ToolExecution);
        assert_eq!(back.status(), 401);
        assert_eq!(back.tool_error().unwrap().execution_id, "x1");
        assert!(!back.is_retryable());
    }

    #[test]
    fn a_tool_failure_carries_the_code_of_its_relayed_status() {
        for (status, code) in
            [(400, 3), (401, 16), (403, 7), (404, 5), (409, 6), (429, 8), (502, 14), (504, 4), (500, 13)]
        {
            let err = Error::new(ErrorKind::ToolExecution, "provider failed")
                .with_status(status)
                .with_error_code("TOOL_ERROR");
            assert_eq!(err.to_body().code, code, "HTTP {status}");
            let body = serde_json::to_vec(&err.to_body()).unwrap();
            let back = Error::from_response(status, &body, None);
            // The SDK side rebuilds the same code, and the same exception class as before.
            assert_eq!((back.kind(), back.grpc_code()), (ErrorKind::ToolExecution, code), "HTTP {status}");
            assert_eq!(back.sdk_class_name(), err.sdk_class_name(), "HTTP {status}");
        }
        assert_eq!(Error::new(ErrorKind::ToolExecution, "no status").grpc_code(), 13);
        assert_eq!(Error::new(ErrorKind::NotFound, "x").with_status(404).grpc_code(), 5);
    }

    #[test]
    fn non_json_body_still_classified_by_status() {
        let err = Error::from_response(503, b"upstream down", None);
        assert_eq!(err.kind(), ErrorKind::Unavailable);
        assert!(err.is_retryable());
        assert_eq!(err.message(), "upstream down");
    }
}
