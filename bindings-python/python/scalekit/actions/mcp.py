"""``client.actions.mcp``: MCP configs and per-user MCP server instances. Every method has an
awaitable twin named ``<method>_async``; the parameters of the methods the low-level
``client.mcp`` shares come from :class:`scalekit.mcp.McpParams`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, List, Optional, Union

from scalekit._operations import twin
from scalekit.actions.types import (
    CreateMcpConfigResponse,
    CreateMcpSessionTokenResponse,
    DeleteMcpConfigResponse,
    DeleteMcpInstanceResponse,
    EnsureMcpInstanceResponse,
    GetMcpConfigResponse,
    GetMcpInstanceAuthStateResponse,
    GetMcpInstanceResponse,
    ListMcpConfigsResponse,
    ListMcpConnectedAccountsResponse,
    ListMcpInstancesResponse,
    UpdateMcpConfigResponse,
    UpdateMcpInstanceResponse,
)
from scalekit.mcp import McpParams, mappings_param, session_token_params

__all__ = ["ActionMcp"]


class ActionMcp:
    def __init__(self, native: Any) -> None:
        self._native = native

    list_configs, list_configs_async = twin("mcp.list_configs", ListMcpConfigsResponse.from_dict)(McpParams.list_configs)
    update_config, update_config_async = twin("mcp.update_config", UpdateMcpConfigResponse.from_dict)(
        McpParams.update_config)
    delete_config, delete_config_async = twin("mcp.delete_config", DeleteMcpConfigResponse.from_dict)(
        McpParams.delete_config)
    update_instance, update_instance_async = twin("mcp.update_instance", UpdateMcpInstanceResponse.from_dict)(
        McpParams.update_instance)
    get_instance, get_instance_async = twin("mcp.get_instance", GetMcpInstanceResponse.from_dict)(McpParams.get_instance)
    list_instances, list_instances_async = twin("mcp.list_instances", ListMcpInstancesResponse.from_dict)(
        McpParams.list_instances)
    delete_instance, delete_instance_async = twin("mcp.delete_instance", DeleteMcpInstanceResponse.from_dict)(
        McpParams.delete_instance)
    get_instance_auth_state, get_instance_auth_state_async = twin(
        "mcp.get_instance_auth_state", GetMcpInstanceAuthStateResponse.from_dict)(McpParams.get_instance_auth_state)
    list_mcp_connected_accounts, list_mcp_connected_accounts_async = twin(
        "mcp.list_mcp_connected_accounts", ListMcpConnectedAccountsResponse.from_dict)(McpParams.list_mcp_connected_accounts)

    @twin("mcp.create_config", CreateMcpConfigResponse.from_dict)
    def create_config(self, name: str, description: Optional[str] = None, connection_tool_mappings: Optional[List[Any]] = None):
        """Creates a config: which tools of which connections its MCP servers expose."""
        return {"name": name, "description": description, "connection_tool_mappings": mappings_param(connection_tool_mappings)}

    create_config, create_config_async = create_config

    @twin("mcp.get_config", GetMcpConfigResponse.from_dict)
    def get_config(self, config_id: str):
        return {"config_id": config_id}

    get_config, get_config_async = get_config

    @twin("mcp.ensure_instance", EnsureMcpInstanceResponse.from_dict)
    def ensure_instance(self, config_name: str, user_identifier: str, name: Optional[str] = None):
        """The user's MCP server of a config, created on first call (idempotent); ``instance.url``."""
        return {"config_name": config_name, "user_identifier": user_identifier, "name": name}

    ensure_instance, ensure_instance_async = ensure_instance

    @twin("mcp.create_session_token", CreateMcpSessionTokenResponse.from_dict)
    def create_session_token(self, mcp_config_id: Optional[str] = None, identifier: Optional[str] = None,
                             expiry: Union[timedelta, float, str, None] = None, access_level: Optional[str] = None, *,
                             connection_name: Optional[str] = None):
        """A bearer token acting as ``identifier`` for one MCP server: the config's (``mcp_config_id``)
        or, with ``connection_name`` instead, the connection's own server at
        ``<gateway>/mcp/v3/connections/<connection_name>``. ``expiry``: a ``timedelta`` (60 s – 24 h,
        default 1 h); ``access_level``: ``"FULL"`` or ``"READ_ONLY"``."""
        return session_token_params(mcp_config_id, identifier, expiry, access_level, connection_name)

    create_session_token, create_session_token_async = create_session_token
