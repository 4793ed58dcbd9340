"""Exceptions raised by the SDK.

Every error from the gateway is a :class:`ScalekitServerException` subclass chosen by HTTP status;
tool failures reported by the provider are :class:`ScalekitToolException` subclasses. Each carries
``http_status``, ``error_code`` and ``message`` (plus ``field`` for validation errors naming the bad
parameter). Bad arguments raise :class:`ScalekitBadRequestException`, which is also a ``ValueError``.
As in the official SDK, ``http_status`` is an :class:`http.HTTPStatus`, ``grpc_status`` the gRPC
status code (``grpc.StatusCode`` when grpc is installed, else this module's :class:`StatusCode`)
and ``err_details`` the error's detail payloads.
"""

from __future__ import annotations

import enum
from http import HTTPStatus
from typing import Any, Dict, List, Optional

__all__ = [
    "ScalekitException",
    "ScalekitConnectionException",
    "ScalekitModifierException",
    "ScalekitServerException",
    "ScalekitBadRequestException",
    "ScalekitUnauthorizedException",
    "ScalekitForbiddenException",
    "ScalekitNotFoundException",
    "ScalekitConflictException",
    "ScalekitTooManyRequestsException",
    "ScalekitInternalServerException",
    "ScalekitNotImplementedException",
    "ScalekitServiceUnavailableException",
    "ScalekitGatewayTimeoutException",
    "ScalekitCancelledException",
    "ScalekitUnknownException",
    "ScalekitToolException",
    "ScalekitToolRateLimitException",
    "ScalekitToolUnauthorizedException",
    "ScalekitToolForbiddenException",
    "ScalekitValidateTokenFailureException",
    "WebhookVerificationError",
    "NonStandardHTTPStatus",
    "StatusCode",
    "HTTPStatus",
    "GRPC_TO_HTTP",
    "HTTP_TO_GRPC",
    "HTTP_STATUS",
]


class NonStandardHTTPStatus(enum.IntEnum):
    """HTTP statuses missing from :class:`http.HTTPStatus` (a cancelled call)."""

    CLIENT_CLOSED_REQUEST = 499


class StatusCode(enum.Enum):
    """gRPC status codes by name and number, for installs without grpc."""

    OK = 0
    CANCELLED = 1
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    DEADLINE_EXCEEDED = 4
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    OUT_OF_RANGE = 11
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    DATA_LOSS = 15
    UNAUTHENTICATED = 16


def _grpc_code(number: int):
    """The ``grpc.StatusCode`` member when grpc is importable (so ``== grpc.StatusCode.X`` holds), else ours."""
    ours = StatusCode(number) if number in StatusCode._value2member_map_ else StatusCode.UNKNOWN
    try:
        import grpc
    except ImportError:
        return ours
    return grpc.StatusCode[ours.name]


GRPC_TO_HTTP = {
    StatusCode.OK: HTTPStatus.OK,
    StatusCode.INVALID_ARGUMENT: HTTPStatus.BAD_REQUEST,
    StatusCode.FAILED_PRECONDITION: HTTPStatus.BAD_REQUEST,
    StatusCode.OUT_OF_RANGE: HTTPStatus.BAD_REQUEST,
    StatusCode.UNAUTHENTICATED: HTTPStatus.UNAUTHORIZED,
    StatusCode.PERMISSION_DENIED: HTTPStatus.FORBIDDEN,
    StatusCode.NOT_FOUND: HTTPStatus.NOT_FOUND,
    StatusCode.ALREADY_EXISTS: HTTPStatus.CONFLICT,
    StatusCode.ABORTED: HTTPStatus.CONFLICT,
    StatusCode.RESOURCE_EXHAUSTED: HTTPStatus.TOO_MANY_REQUESTS,
    StatusCode.CANCELLED: NonStandardHTTPStatus.CLIENT_CLOSED_REQUEST,
    StatusCode.DATA_LOSS: HTTPStatus.INTERNAL_SERVER_ERROR,
    StatusCode.UNKNOWN: HTTPStatus.INTERNAL_SERVER_ERROR,
    StatusCode.INTERNAL: HTTPStatus.INTERNAL_SERVER_ERROR,
    StatusCode.UNIMPLEMENTED: HTTPStatus.NOT_IMPLEMENTED,
    StatusCode.UNAVAILABLE: HTTPStatus.SERVICE_UNAVAILABLE,
    StatusCode.DEADLINE_EXCEEDED: HTTPStatus.GATEWAY_TIMEOUT,
}
HTTP_TO_GRPC = {http: grpc for grpc, http in reversed(list(GRPC_TO_HTTP.items()))}
HTTP_STATUS = {status.name: status for status in (
    HTTPStatus.OK, HTTPStatus.BAD_REQUEST, HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND,
    HTTPStatus.CONFLICT, HTTPStatus.TOO_MANY_REQUESTS, HTTPStatus.INTERNAL_SERVER_ERROR, HTTPStatus.NOT_IMPLEMENTED,
    HTTPStatus.SERVICE_UNAVAILABLE, HTTPStatus.GATEWAY_TIMEOUT)}


def _http(status: Optional[int]):
    if status is None:
        return None
    try:
        return HTTPStatus(status)
    except ValueError:
        return NonStandardHTTPStatus(status) if status == 499 else status


class ScalekitException(Exception):
    """Base class of every SDK error."""

    def __init__(
        self,
        message: str = "",
        *,
        http_status: Optional[int] = None,
        error_code: Optional[str] = None,
        kind: Optional[str] = None,
        field: Optional[str] = None,
        request_id: Optional[str] = None,
        tool_error_code: Optional[str] = None,
        tool_error_message: Optional[str] = None,
        execution_id: Optional[str] = None,
        grpc_code: Optional[int] = None,
        err_details: Optional[List[Dict[str, Any]]] = None,
    ) -> None:
        super().__init__(message)
        self._message = message
        self._http_status = http_status
        self._error_code = error_code
        self.kind = kind
        self.field = field
        self.request_id = request_id
        self.tool_error_code = tool_error_code or None
        self.tool_error_message = tool_error_message or None
        self.execution_id = execution_id or None
        self._grpc_code = grpc_code
        self._err_details = list(err_details or [])

    @property
    def message(self) -> str:
        return self._message

    @property
    def http_status(self) -> Optional[HTTPStatus]:
        """The HTTP status (an ``HTTPStatus``, equal to its number), from the gRPC code when no answer came."""
        if self._http_status is None and self._grpc_code is not None:
            ours = StatusCode(self._grpc_code) if self._grpc_code in StatusCode._value2member_map_ else StatusCode.UNKNOWN
            return GRPC_TO_HTTP.get(ours, HTTPStatus.INTERNAL_SERVER_ERROR)
        return _http(self._http_status)

    @property
    def grpc_status(self):
        """The gRPC status code (``grpc.StatusCode`` when grpc is installed)."""
        if self._grpc_code is None:
            return None
        return _grpc_code(self._grpc_code)

    @property
    def err_details(self) -> List[Dict[str, Any]]:
        """The error's detail payloads (``error_code``, ``validation_error_info``, ``tool_error_info``…)."""
        return self._err_details

    @property
    def unpacked_details(self) -> List[Dict[str, Any]]:
        return self._err_details

    @property
    def error_code(self) -> Optional[str]:
        return self._error_code

    def __str__(self) -> str:
        parts = [self._message]
        if self._error_code:
            parts.append(f"error_code={self._error_code}")
        if self._http_status:
            parts.append(f"http_status={self._http_status}")
        return " | ".join(parts)


class ScalekitConnectionException(ScalekitException):
    """The gateway could not be reached (connection refused, DNS, TLS)."""


class ScalekitModifierException(ScalekitException):
    """A registered modifier failed outside Python (its own exceptions propagate unchanged)."""


class ScalekitServerException(ScalekitException):
    """Base class for all errors answered by the gateway."""

    @staticmethod
    def promote(error: Any) -> "ScalekitException":
        """The SDK exception for a failed HTTP answer (a ``requests.Response`` or anything with
        ``status_code`` and ``content``), classified as the SDK's own calls are; SDK exceptions pass."""
        if isinstance(error, ScalekitException):
            return error
        status = getattr(error, "status_code", None)
        if not isinstance(status, int):
            raise TypeError(f"promote expects an HTTP response, got {type(error).__name__}")
        from scalekit import _native

        body = getattr(error, "content", b"") or b""
        return _native.error_from_response(status, body if isinstance(body, bytes) else str(body).encode())


class ScalekitBadRequestException(ScalekitServerException, ValueError):
    """Invalid input (HTTP 400). ``field`` names the offending parameter."""


class ScalekitUnauthorizedException(ScalekitServerException):
    """Invalid or missing credentials (HTTP 401)."""


class ScalekitForbiddenException(ScalekitServerException):
    """Insufficient permissions (HTTP 403)."""


class ScalekitNotFoundException(ScalekitServerException):
    """Resource not found (HTTP 404)."""


class ScalekitConflictException(ScalekitServerException):
    """Resource already exists (HTTP 409)."""


class ScalekitTooManyRequestsException(ScalekitServerException):
    """Rate limited (HTTP 429)."""


class ScalekitInternalServerException(ScalekitServerException):
    """The gateway failed (HTTP 500)."""


class ScalekitNotImplementedException(ScalekitServerException):
    """Not implemented by this gateway (HTTP 501)."""


class ScalekitServiceUnavailableException(ScalekitServerException):
    """Temporarily unavailable (HTTP 503)."""


class ScalekitGatewayTimeoutException(ScalekitServerException):
    """The call timed out (HTTP 504 or a local deadline)."""


class ScalekitCancelledException(ScalekitServerException):
    """The call was cancelled."""


class ScalekitUnknownException(ScalekitServerException):
    """An answer the SDK could not classify."""


class ScalekitToolException(ScalekitServerException):
    """The tool ran and the provider answered with an error (``error_code`` ``TOOL_ERROR``)."""


class ScalekitToolRateLimitException(ScalekitToolException, ScalekitTooManyRequestsException):
    """The provider rate-limited the tool call."""


class ScalekitToolUnauthorizedException(ScalekitToolException, ScalekitUnauthorizedException):
    """The provider rejected the user's credential; re-authorize the connected account."""


class ScalekitToolForbiddenException(ScalekitToolException, ScalekitForbiddenException):
    """The provider refused the call for this user."""


class ScalekitValidateTokenFailureException(ScalekitException):
    """A token did not validate."""


class WebhookVerificationError(ScalekitException):
    """A webhook delivery did not verify: missing headers, a timestamp outside five minutes, or
    no matching signature."""
