"""``client.actions.mcp``: MCP configs and per-user MCP server instances. Every method has an
awaitable twin named ``<method>_async``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, List, Optional, Union

from scalekit._operations import twin
from scalekit.mcp import session_token_params
from scalekit.actions.types import (
    CreateMcpConfigResponse,
    CreateMcpSessionTokenResponse,
    DeleteMcpConfigResponse,
    EnsureMcpInstanceResponse,
    GetMcpInstanceAuthStateResponse,
    ListMcpConfigsResponse,
    ListMcpConnectedAccountsResponse,
    ListMcpInstancesResponse,
    McpConfigConnectionToolMapping,
)

__all__ = ["ActionMcp"]


def _mappings(mappings: Optional[List[Any]]) -> Optional[List[dict]]:
    if mappings is None:
        return None
    return [m.to_dict() if isinstance(m, McpConfigConnectionToolMapping) else dict(m) for m in mappings]


class ActionMcp:
    def __init__(self, native: Any) -> None:
        self._native = native

    @twin("mcp.create_config", CreateMcpConfigResponse.from_dict)
    def create_config(self, name: str, description: Optional[str] = None, connection_tool_mappings: Optional[List[Any]] = None):
        """Creates a config: which tools of which connections its MCP servers expose."""
        return {"name": name, "description": description, "connection_tool_mappings": _mappings(connection_tool_mappings)}

    create_config, create_config_async = create_config

    @twin("mcp.list_configs", ListMcpConfigsResponse.from_dict)
    def list_configs(self, page_size: Optional[int] = None, page_token: Optional[str] = None, filter_id: Optional[str] = None,
                     filter_provider: Optional[str] = None, filter_name: Optional[str] = None,
                     filter_mcp_server_url: Optional[str] = None, search: Optional[str] = None):
        """Configs matching the filters, one page at a time."""
        return {"page_size": page_size, "page_token": page_token, "filter_id": filter_id, "filter_provider": filter_provider,
                "filter_name": filter_name, "filter_mcp_server_url": filter_mcp_server_url, "search": search}

    list_configs, list_configs_async = list_configs

    @twin("mcp.get_config", CreateMcpConfigResponse.from_dict)
    def get_config(self, config_id: str):
        return {"config_id": config_id}

    get_config, get_config_async = get_config

    @twin("mcp.update_config", CreateMcpConfigResponse.from_dict)
    def update_config(self, config_id: str, description: Optional[str] = None, connection_tool_mappings: Optional[List[Any]] = None):
        """Updates the description and/or replaces the mappings."""
        return {"config_id": config_id, "description": description, "connection_tool_mappings": _mappings(connection_tool_mappings)}

    update_config, update_config_async = update_config

    @twin("mcp.delete_config", DeleteMcpConfigResponse.from_dict)
    def delete_config(self, config_id: str):
        """Deletes a config; its instances' URLs stop working at once."""
        return {"config_id": config_id}

    delete_config, delete_config_async = delete_config

    @twin("mcp.ensure_instance", EnsureMcpInstanceResponse.from_dict)
    def ensure_instance(self, config_name: str, user_identifier: str, name: Optional[str] = None):
        """The user's MCP server of a config, created on first call (idempotent); ``instance.url``."""
        return {"config_name": config_name, "user_identifier": user_identifier, "name": name}

    ensure_instance, ensure_instance_async = ensure_instance

    @twin("mcp.list_instances", ListMcpInstancesResponse.from_dict)
    def list_instances(self, page_size: Optional[int] = None, page_token: Optional[str] = None, filter_id: Optional[str] = None,
                       filter_name: Optional[str] = None, filter_config_name: Optional[str] = None,
                       filter_user_identifier: Optional[str] = None):
        return {"page_size": page_size, "page_token": page_token, "filter_id": filter_id, "filter_name": filter_name,
                "filter_config_name": filter_config_name, "filter_user_identifier": filter_user_identifier}

    list_instances, list_instances_async = list_instances

    @twin("mcp.get_instance", EnsureMcpInstanceResponse.from_dict)
    def get_instance(self, instance_id: str):
        return {"instance_id": instance_id}

    get_instance, get_instance_async = get_instance

    @twin("mcp.update_instance", EnsureMcpInstanceResponse.from_dict)
    def update_instance(self, instance_id: str, name: Optional[str] = None, config_name: Optional[str] = None):
        """Renames an instance or switches it to another config (at least one is required)."""
        return {"instance_id": instance_id, "name": name, "config_name": config_name}

    update_instance, update_instance_async = update_instance

    @twin("mcp.delete_instance", DeleteMcpConfigResponse.from_dict)
    def delete_instance(self, instance_id: str):
        """Deletes an instance; its URL stops working at once."""
        return {"instance_id": instance_id}

    delete_instance, delete_instance_async = delete_instance

    @twin("mcp.get_instance_auth_state", GetMcpInstanceAuthStateResponse.from_dict)
    def get_instance_auth_state(self, instance_id: str, include_auth_links: Optional[bool] = None):
        """Authorization state per connection; with ``include_auth_links``, links for those not ACTIVE."""
        return {"instance_id": instance_id, "include_auth_links": include_auth_links}

    get_instance_auth_state, get_instance_auth_state_async = get_instance_auth_state

    @twin("mcp.list_mcp_connected_accounts", ListMcpConnectedAccountsResponse.from_dict)
    def list_mcp_connected_accounts(self, config_id: str, identifier: str, include_auth_link: Optional[bool] = None):
        """A user's authorization state for each connection of a config."""
        return {"config_id": config_id, "identifier": identifier, "include_auth_links": include_auth_link}

    list_mcp_connected_accounts, list_mcp_connected_accounts_async = list_mcp_connected_accounts

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
