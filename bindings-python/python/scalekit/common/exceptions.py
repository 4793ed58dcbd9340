"""Exceptions raised by the SDK.

Every error from the gateway is a :class:`ScalekitServerException` subclass chosen by HTTP status;
tool failures reported by the provider are :class:`ScalekitToolException` subclasses. Each carries
``http_status``, ``error_code`` and ``message`` (plus ``field`` for validation errors naming the bad
parameter). Bad arguments raise :class:`ScalekitBadRequestException`, which is also a ``ValueError``.
"""

from __future__ import annotations

from typing import Optional

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
]


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

    @property
    def message(self) -> str:
        return self._message

    @property
    def http_status(self) -> Optional[int]:
        return self._http_status

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


class WebhookVerificationError(ScalekitException):
    """A webhook delivery did not verify: missing headers, a timestamp outside five minutes, or
    no matching signature."""
