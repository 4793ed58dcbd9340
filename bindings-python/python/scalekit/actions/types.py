"""Response models of ``client.actions`` (field names as in the official SDK)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Dict, List, Optional

from scalekit.actions.models._base import PydanticLike, parse_time

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
    "ToolRequest",
    "McpRequest",
    "CreateConnectedAccountRequest",
    "UpdateConnectedAccountRequest",
    "CreateMcpResponse",
    "GetMcpResponse",
    "ToolMapping",
    "AuthPattern",
    "AuthField",
    "AuthFieldOption",
    "OAuthConfig",
    "Provider",
    "CreateCustomProviderRequest",
    "UpdateCustomProviderRequest",
    "ListProvidersRequest",
    "DeleteCustomProviderRequest",
    "CreateCustomProviderResponse",
    "UpdateCustomProviderResponse",
    "ListProvidersResponse",
    "DeleteCustomProviderResponse",
    "SearchToolsResponse",
    "SearchedTool",
    "ConnectionReadiness",
    "AppConnection",
    "ListConnectionsResponse",
]

ToolInput = Dict[str, Any]
ToolOutput = Dict[str, Any]


class _Model(PydanticLike):
    @classmethod
    def from_dict(cls, d: Optional[Dict[str, Any]]):
        """An instance from the gateway's JSON (fields named as the model's; empty values left out)."""
        return cls.model_validate(_present(d))

    def to_dict(self) -> Dict[str, Any]:
        return self.model_dump(mode="json")

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
            token_expires_at=parse_time(d.get("token_expires_at")),
            updated_at=parse_time(d.get("updated_at")),
            last_used_at=parse_time(d.get("last_used_at")),
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


@dataclass
class VerifyConnectedAccountUserResponse(_Model):
    post_user_verify_redirect_url: Optional[str] = None


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
            updated_at=parse_time(d.get("updated_at")),
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


@dataclass
class McpConfig(_Model):
    """Which tools of which connections an MCP server exposes; ``oauth_metadata_url`` is where MCP
    clients signing in with OAuth start (empty unless the gateway has it on)."""

    id: Optional[str] = None
    name: str = ""
    description: Optional[str] = None
    connection_tool_mappings: List[McpConfigConnectionToolMapping] = field(default_factory=list)
    mcp_server_url: Optional[str] = None
    oauth_metadata_url: Optional[str] = None


@dataclass
class McpInstance(_Model):
    """A user's MCP server of a config; ``url`` is its MCP server URL."""

    id: Optional[str] = None
    name: Optional[str] = None
    user_identifier: Optional[str] = None
    config: Optional[McpConfig] = None
    last_used_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None
    url: Optional[str] = None


@dataclass
class McpConnectionAuthState(_Model):
    """A user's authorization state on one connection of a config (``authentication_link`` when asked)."""

    connection_id: Optional[str] = None
    connection_name: Optional[str] = None
    provider: Optional[str] = None
    connected_account_id: Optional[str] = None
    connected_account_status: Optional[str] = None
    authentication_link: Optional[str] = None


@dataclass
class McpInstanceConnectionAuthState(McpConnectionAuthState):
    """The authorization state of one connection of an instance's config."""


def _present(d: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """Wire fields without the empty values proto JSON leaves out anyway."""
    return {k: v for k, v in (d or {}).items() if v not in (None, "")}


def _page(d: Optional[Dict[str, Any]], items: str) -> Dict[str, Any]:
    """A list response's wire paging fields under the official names."""
    d = d or {}
    return {items: d.get(items) or [], "total_count": d.get("total_size"),
            "next_page_token": d.get("next_page_token") or None, "previous_page_token": d.get("prev_page_token") or None}


@dataclass
class _Paged(_Model):
    """A list answer: its items (the field named by ``_items``) and paging under the official
    names; ``total_size`` / ``prev_page_token`` read the wire names."""

    _items: ClassVar[str] = ""
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
        return cls.model_validate(_page(d, cls._items))


@dataclass
class CreateMcpConfigResponse(_Model):
    config: Optional[McpConfig] = None


@dataclass
class UpdateMcpConfigResponse(CreateMcpConfigResponse):
    pass


@dataclass
class GetMcpConfigResponse(CreateMcpConfigResponse):
    pass


@dataclass
class DeleteMcpConfigResponse(_Model):
    pass


@dataclass
class DeleteMcpInstanceResponse(DeleteMcpConfigResponse):
    pass


@dataclass
class ListMcpConfigsResponse(_Paged):
    _items: ClassVar[str] = "configs"
    configs: List[McpConfig] = field(default_factory=list)


@dataclass
class EnsureMcpInstanceResponse(_Model):
    instance: Optional[McpInstance] = None


@dataclass
class GetMcpInstanceResponse(EnsureMcpInstanceResponse):
    pass


@dataclass
class UpdateMcpInstanceResponse(EnsureMcpInstanceResponse):
    pass


@dataclass
class ListMcpInstancesResponse(_Paged):
    _items: ClassVar[str] = "instances"
    instances: List[McpInstance] = field(default_factory=list)


@dataclass
class GetMcpInstanceAuthStateResponse(_Model):
    connections: List[McpInstanceConnectionAuthState] = field(default_factory=list)


@dataclass
class ListMcpConnectedAccountsResponse(_Model):
    connected_accounts: List[McpConnectionAuthState] = field(default_factory=list)


@dataclass
class CreateMcpSessionTokenResponse(_Model):
    """``token``: a bearer token for the MCP server URL; ``expires_at``: naive UTC datetime."""

    token: Optional[str] = None
    expires_at: Optional[datetime] = None


@dataclass
class ToolMapping(_Model):
    """Tools of one connection (``tool_names``) in the older MCP shape."""

    tool_names: Optional[List[str]] = None
    connection_name: Optional[str] = None
    status: Optional[str] = None


@dataclass
class CreateMcpResponse(_Model):
    id: Optional[str] = None
    identifier: Optional[str] = None
    url: Optional[str] = None
    tool_mappings: Optional[List[ToolMapping]] = None


@dataclass
class GetMcpResponse(_Model):
    mcp_id: Optional[str] = None
    connected_account_identifier: Optional[str] = None
    tool_mappings: Optional[List[ToolMapping]] = None
    url: Optional[str] = None


@dataclass
class ConnectionReadiness(_Model):
    """Whether the user can run a searched tool through one connection: ``readiness_state`` is
    ``READY``, ``NEEDS_CONNECTION`` (an account exists but is not authorized) or ``NEEDS_REAUTH``."""

    connection_name: Optional[str] = None
    connected_account_id: Optional[str] = None
    readiness_state: Optional[str] = None

    @classmethod
    def from_dict(cls, d: Dict[str, Any]):
        state = (d or {}).get("readiness_state") or ""
        return cls(connection_name=d.get("connection_name") or None, connected_account_id=d.get("connected_account_id") or None,
                   readiness_state=state.replace("TOOL_READINESS_STATE_", "") or None)


@dataclass
class SearchedTool(_Model):
    """A search result; ``score`` is comparable within one response only (higher is better);
    ``connections`` is empty when the user has no account for the tool's provider."""

    name: Optional[str] = None
    provider: Optional[str] = None
    description: Optional[str] = None
    score: float = 0.0
    connections: List[ConnectionReadiness] = field(default_factory=list)


@dataclass
class SearchToolsResponse(_Model):
    tools: List[SearchedTool] = field(default_factory=list)

    @classmethod
    def from_dict(cls, d: Dict[str, Any]):
        tools = [SearchedTool(name=t.get("name"), provider=t.get("provider"), description=t.get("description"),
                              score=float(t.get("score") or 0.0),
                              connections=[ConnectionReadiness.from_dict(c) for c in t.get("connections") or []])
                 for t in (d or {}).get("tools") or []]
        return cls(tools=tools)


@dataclass
class AppConnection(_Model):
    """A configured connection: ``connection_name`` (what ``connection_name=`` arguments take),
    ``provider`` (``GMAIL``), ``type`` (``OAUTH``, ``API_KEY``…), ``status``, ``enabled`` and the
    connection's own MCP server URL."""

    id: Optional[str] = None
    type: Optional[str] = None
    status: Optional[str] = None
    enabled: bool = False
    provider: Optional[str] = None
    connection_name: Optional[str] = None
    mcp_server_url: Optional[str] = None


@dataclass
class ListConnectionsResponse(_Paged):
    _items: ClassVar[str] = "connections"
    connections: List[AppConnection] = field(default_factory=list)


# ----- request models (keyword-constructed, accepted wherever the official SDK takes them) ----------


@dataclass
class ToolRequest(_Model):
    tool_version: Optional[str] = None
    tool_name: Optional[str] = None
    identifier: Optional[str] = None


@dataclass
class McpRequest(_Model):
    identifier: Optional[str] = None
    tool_mappings: List[ToolMapping] = field(default_factory=list)


@dataclass
class CreateConnectedAccountRequest(_Model):
    connection_name: str = ""
    identifier: str = ""
    authorization_details: Optional[Dict[str, Any]] = None
    organization_id: Optional[str] = None
    user_id: Optional[str] = None
    api_config: Optional[Dict[str, Any]] = None


@dataclass
class UpdateConnectedAccountRequest(_Model):
    connection_name: str = ""
    identifier: str = ""
    authorization_details: Optional[Dict[str, Any]] = None
    organization_id: Optional[str] = None
    user_id: Optional[str] = None
    connected_account_id: Optional[str] = None
    api_config: Optional[Dict[str, Any]] = None


from scalekit.actions.models.custom_provider import (  # noqa: E402  (custom provider models live with their requests)
    AuthField,
    AuthFieldOption,
    AuthPattern,
    OAuthConfig,
    Provider,
)
from scalekit.actions.models.requests import (  # noqa: E402
    CreateCustomProviderRequest,
    DeleteCustomProviderRequest,
    ListProvidersRequest,
    UpdateCustomProviderRequest,
)
from scalekit.actions.models.responses import (  # noqa: E402
    CreateCustomProviderResponse,
    DeleteCustomProviderResponse,
    ListProvidersResponse,
    UpdateCustomProviderResponse,
)
