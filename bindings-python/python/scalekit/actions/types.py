"""Response models of ``client.actions`` (field names as in the official SDK)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional

__all__ = [
    "ConnectedAccount",
    "ConnectedAccountForList",
    "CreateConnectedAccountResponse",
    "UpdateConnectedAccountResponse",
    "GetConnectedAccountAuthResponse",
    "GetConnectedAccountDetailsResponse",
    "DeleteConnectedAccountResponse",
    "ListConnectedAccountsResponse",
    "MagicLinkResponse",
    "VerifyConnectedAccountUserResponse",
    "ExecuteToolResponse",
    "Tool",
    "ListToolsResponse",
    "McpConfigConnectionToolMapping",
    "McpConfig",
    "McpInstance",
    "McpConnectionAuthState",
    "McpInstanceConnectionAuthState",
    "CreateMcpConfigResponse",
    "UpdateMcpConfigResponse",
    "GetMcpConfigResponse",
    "DeleteMcpConfigResponse",
    "ListMcpConfigsResponse",
    "EnsureMcpInstanceResponse",
    "GetMcpInstanceResponse",
    "UpdateMcpInstanceResponse",
    "DeleteMcpInstanceResponse",
    "ListMcpInstancesResponse",
    "GetMcpInstanceAuthStateResponse",
    "ListMcpConnectedAccountsResponse",
    "CreateMcpSessionTokenResponse",
    "ToolInput",
    "ToolOutput",
]

ToolInput = Dict[str, Any]
ToolOutput = Dict[str, Any]


def _time(value: Optional[str]) -> Optional[datetime]:
    """RFC 3339 → naive UTC datetime (as the official SDK returns), None when unset."""
    if not value:
        return None
    text = value.replace("Z", "+00:00")
    if "." in text:
        # datetime.fromisoformat (3.9/3.10) takes at most 6 fractional digits.
        head, _, rest = text.partition(".")
        digits = "".join(c for c in rest if c.isdigit())
        text = f"{head}.{digits[:6]}{rest[len(digits):]}"
    return datetime.fromisoformat(text).astimezone(timezone.utc).replace(tzinfo=None)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return value


class _Model:
    def to_dict(self) -> Dict[str, Any]:
        return {k: _plain(v) for k, v in self.__dict__.items()}

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)


@dataclass
class ConnectedAccount(_Model):
    id: Optional[str] = None
    identifier: str = ""
    provider: str = ""
    connector: str = ""
    status: Optional[str] = None
    authorization_type: Optional[str] = None
    authorization_details: Optional[Dict[str, Any]] = None
    token_expires_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None
    last_used_at: Optional[datetime] = None
    connection_id: Optional[str] = None
    api_config: Optional[Dict[str, Any]] = None

    @classmethod
    def from_dict(cls, d: Optional[Dict[str, Any]]) -> "ConnectedAccount":
        d = d or {}
        status = d.get("status")
        auth_type = d.get("authorization_type")
        return cls(
            id=d.get("id") or None,
            identifier=d.get("identifier", ""),
            provider=d.get("provider", ""),
            connector=d.get("connector", ""),
            status=None if status in (None, "CONNECTION_STATUS_UNSPECIFIED") else status,
            authorization_type=None if auth_type in (None, "CONNECTION_TYPE_UNSPECIFIED") else auth_type,
            authorization_details=d.get("authorization_details") or None,
            token_expires_at=_time(d.get("token_expires_at")),
            updated_at=_time(d.get("updated_at")),
            last_used_at=_time(d.get("last_used_at")),
            connection_id=d.get("connection_id") or None,
            api_config=d.get("api_config") or None,
        )


ConnectedAccountForList = ConnectedAccount


@dataclass
class CreateConnectedAccountResponse(_Model):
    connected_account: Optional[ConnectedAccount] = None

    @classmethod
    def from_dict(cls, d: Dict[str, Any]):
        return cls(connected_account=ConnectedAccount.from_dict(d.get("connected_account")))


class UpdateConnectedAccountResponse(CreateConnectedAccountResponse):
    pass


class GetConnectedAccountAuthResponse(CreateConnectedAccountResponse):
    pass


class GetConnectedAccountDetailsResponse(CreateConnectedAccountResponse):
    pass


@dataclass
class DeleteConnectedAccountResponse(_Model):
    @classmethod
    def from_dict(cls, d: Dict[str, Any]):
        return cls()


@dataclass
class ListConnectedAccountsResponse(_Model):
    connected_accounts: List[ConnectedAccount] = field(default_factory=list)
    total_count: Optional[int] = None
    next_page_token: Optional[str] = None
    previous_page_token: Optional[str] = None

    @property
    def total_size(self) -> Optional[int]:
        return self.total_count

    @property
    def prev_page_token(self) -> Optional[str]:
        return self.previous_page_token

    @classmethod
    def from_dict(cls, d: Dict[str, Any]):
        return cls(
            connected_accounts=[ConnectedAccount.from_dict(a) for a in d.get("connected_accounts", [])],
            total_count=d.get("total_size") or None,
            next_page_token=d.get("next_page_token") or None,
            previous_page_token=d.get("prev_page_token") or None,
        )


@dataclass
class MagicLinkResponse(_Model):
    link: Optional[str] = None
    expiry: Optional[datetime] = None

    @classmethod
    def from_dict(cls, d: Dict[str, Any]):
        return cls(link=d.get("link") or None, expiry=_time(d.get("expiry")))


@dataclass
class VerifyConnectedAccountUserResponse(_Model):
    post_user_verify_redirect_url: Optional[str] = None

    @classmethod
    def from_dict(cls, d: Dict[str, Any]):
        return cls(post_user_verify_redirect_url=d.get("post_user_verify_redirect_url") or None)


@dataclass
class ExecuteToolResponse(_Model):
    """``data`` is the tool's structured output (a dict); ``execution_id`` identifies the run."""

    data: Optional[Dict[str, Any]] = None
    execution_id: Optional[str] = None

    @classmethod
    def from_dict(cls, d: Dict[str, Any]):
        data = d.get("data")
        return cls(data=data if data else None, execution_id=d.get("execution_id") or None)

    def __str__(self) -> str:
        return json.dumps({"data": self.data, "execution_id": self.execution_id}, indent=2, ensure_ascii=False)


@dataclass
class Tool(_Model):
    id: Optional[str] = None
    provider: Optional[str] = None
    definition: Dict[str, Any] = field(default_factory=dict)
    metadata: Dict[str, Any] = field(default_factory=dict)
    tags: List[str] = field(default_factory=list)
    is_default: Optional[bool] = None
    updated_at: Optional[datetime] = None

    @classmethod
    def from_dict(cls, d: Dict[str, Any]):
        return cls(
            id=d.get("id") or None,
            provider=d.get("provider") or None,
            definition=d.get("definition") or {},
            metadata=d.get("metadata") or {},
            tags=list(d.get("tags") or []),
            is_default=d.get("is_default"),
            updated_at=_time(d.get("updated_at")),
        )


@dataclass
class ListToolsResponse(_Model):
    tools: List[Tool] = field(default_factory=list)
    tool_names: List[str] = field(default_factory=list)
    total_count: int = 0
    next_page_token: Optional[str] = None
    previous_page_token: Optional[str] = None

    @property
    def total_size(self) -> int:
        return self.total_count

    @classmethod
    def from_dict(cls, d: Dict[str, Any]):
        return cls(
            tools=[Tool.from_dict(t) for t in d.get("tools", [])],
            tool_names=list(d.get("tool_names") or []),
            total_count=d.get("total_size", 0),
            next_page_token=d.get("next_page_token") or None,
            previous_page_token=d.get("prev_page_token") or None,
        )


@dataclass
class McpConfigConnectionToolMapping(_Model):
    """Which tools of a connection an MCP config exposes (an empty list means all)."""

    connection_name: str = ""
    tools: List[str] = field(default_factory=list)
    connection_id: Optional[str] = None
    provider: Optional[str] = None
    connected_account_id: Optional[str] = None
    connected_account_status: Optional[str] = None


def _wrap(value: Any) -> Any:
    if isinstance(value, dict):
        return _Record(value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


class _Record(_Model):
    """A read-only view of an API object: fields as attributes, nested objects as records."""

    def __init__(self, data: Optional[Dict[str, Any]] = None) -> None:
        object.__setattr__(self, "_data", dict(data or {}))

    @classmethod
    def from_dict(cls, data: Dict[str, Any]):
        return cls(data)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return _wrap(self._data[name])
        except KeyError:
            raise AttributeError(f"{type(self).__name__} has no field {name!r}") from None

    def to_dict(self) -> Dict[str, Any]:
        return json.loads(json.dumps(self._data))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Record) and self._data == other._data

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._data!r})"


class McpConfig(_Record):
    """`id`, `name`, `description`, `connection_tool_mappings`, `mcp_server_url`, and `oauth_metadata_url`
    (where MCP clients signing in with OAuth start; empty unless the gateway has it on)."""


class McpInstance(_Record):
    """`id`, `name`, `user_identifier`, `config`, `last_used_at`, `updated_at`, `url` (the MCP server URL)."""


class McpConnectionAuthState(_Record):
    """`connection_id`, `connection_name`, `provider`, `connected_account_id`, `connected_account_status`, `authentication_link`."""


McpInstanceConnectionAuthState = McpConnectionAuthState


class CreateMcpConfigResponse(_Record):
    """`config`."""


UpdateMcpConfigResponse = GetMcpConfigResponse = CreateMcpConfigResponse


class DeleteMcpConfigResponse(_Record):
    pass


DeleteMcpInstanceResponse = DeleteMcpConfigResponse


class ListMcpConfigsResponse(_Record):
    """`configs`, `next_page_token`, `prev_page_token`, `total_size`."""


class EnsureMcpInstanceResponse(_Record):
    """`instance` (with `instance.url`)."""


GetMcpInstanceResponse = UpdateMcpInstanceResponse = EnsureMcpInstanceResponse


class ListMcpInstancesResponse(_Record):
    """`instances`, `next_page_token`, `prev_page_token`, `total_size`."""


class GetMcpInstanceAuthStateResponse(_Record):
    """`connections`: one auth state per configured connection."""


class ListMcpConnectedAccountsResponse(_Record):
    """`connected_accounts`: one auth state per configured connection."""


class CreateMcpSessionTokenResponse(_Record):
    """`token` (a bearer token for the config's MCP URL) and `expires_at`."""
