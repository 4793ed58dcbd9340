"""Low-level MCP client (``client.mcp``), as in the official SDK: ``(response message, None)``
pairs whose attributes also read through; ``create_config`` takes an ``McpConfig`` message.
Every method has an awaitable ``_async`` twin."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, List, Optional, Union

from scalekit._operations import plain_dict, proto_result, twin

__all__ = ["McpClient"]

_UNSET: Any = type("_Unset", (), {"__repr__": lambda self: "<unset>"})()


def _mappings(mappings: Optional[List[Any]]) -> Optional[List[dict]]:
    if mappings is None:
        return None
    return [plain_dict(m, "connection_tool_mappings[]") if not hasattr(m, "to_dict") else m.to_dict() for m in mappings]


def session_token_params(mcp_config_id: Optional[str], identifier: Optional[str], expiry: Any,
                         access_level: Optional[str], connection_name: Optional[str]) -> dict:
    """Operation parameters of a session token; a ``timedelta`` expiry becomes seconds."""
    if isinstance(expiry, timedelta):
        expiry = expiry.total_seconds()
    return {"config_id": mcp_config_id, "connection_name": connection_name, "identifier": identifier,
            "expiry": expiry, "access_level": access_level}


class McpClient:
    def __init__(self, native: Any) -> None:
        self._native = native

    @twin("mcp.list_configs", proto_result("scalekit.v1.mcp.mcp_pb2.ListMcpConfigsResponse"))
    def list_configs(self, page_size: Optional[int] = None, page_token: Optional[str] = None,
                     filter_id: Optional[str] = None, filter_provider: Optional[str] = None,
                     filter_name: Optional[str] = None, filter_mcp_server_url: Optional[str] = None,
                     search: Optional[str] = None):
        return {"page_size": page_size, "page_token": page_token, "filter_id": filter_id,
                "filter_provider": filter_provider, "filter_name": filter_name,
                "filter_mcp_server_url": filter_mcp_server_url, "search": search}

    list_configs, list_configs_async = list_configs

    @twin("mcp.create_config", proto_result("scalekit.v1.mcp.mcp_pb2.CreateMcpConfigResponse"))
    def create_config(self, mcp_config: Any):
        """Creates a config from an ``McpConfig`` message (``name``, ``description``, mappings)."""
        config = plain_dict(mcp_config, "mcp_config") or {}
        return {"name": config.get("name"), "description": config.get("description"),
                "connection_tool_mappings": config.get("connection_tool_mappings")}

    create_config, create_config_async = create_config

    @twin("mcp.update_config", proto_result("scalekit.v1.mcp.mcp_pb2.UpdateMcpConfigResponse"))
    def update_config(self, config_id: str, description: Optional[str] = None,
                      connection_tool_mappings: Optional[List[Any]] = None):
        return {"config_id": config_id, "description": description,
                "connection_tool_mappings": _mappings(connection_tool_mappings)}

    update_config, update_config_async = update_config

    @twin("mcp.delete_config", proto_result("scalekit.v1.mcp.mcp_pb2.DeleteMcpConfigResponse"))
    def delete_config(self, config_id: str):
        return {"config_id": config_id}

    delete_config, delete_config_async = delete_config

    @twin("mcp.ensure_instance", proto_result("scalekit.v1.mcp.mcp_pb2.EnsureMcpInstanceResponse"))
    def ensure_instance(self, name: Optional[str], config_name: str, user_identifier: str):
        """The user's MCP server of a config, created on first call (``name`` first, as officially)."""
        return {"name": name, "config_name": config_name, "user_identifier": user_identifier}

    ensure_instance, ensure_instance_async = ensure_instance

    @twin("mcp.update_instance", proto_result("scalekit.v1.mcp.mcp_pb2.UpdateMcpInstanceResponse"))
    def update_instance(self, instance_id: str, name: Optional[str] = None, config_name: Optional[str] = None):
        return {"instance_id": instance_id, "name": name, "config_name": config_name}

    update_instance, update_instance_async = update_instance

    @twin("mcp.get_instance", proto_result("scalekit.v1.mcp.mcp_pb2.GetMcpInstanceResponse"))
    def get_instance(self, instance_id: str):
        return {"instance_id": instance_id}

    get_instance, get_instance_async = get_instance

    @twin("mcp.list_instances", proto_result("scalekit.v1.mcp.mcp_pb2.ListMcpInstancesResponse"))
    def list_instances(self, page_size: Optional[int] = None, page_token: Optional[str] = None,
                       filter_id: Optional[str] = None, filter_name: Optional[str] = None,
                       filter_config_name: Optional[str] = None, filter_user_identifier: Optional[str] = None):
        return {"page_size": page_size, "page_token": page_token, "filter_id": filter_id, "filter_name": filter_name,
                "filter_config_name": filter_config_name, "filter_user_identifier": filter_user_identifier}

    list_instances, list_instances_async = list_instances

    @twin("mcp.delete_instance", proto_result("scalekit.v1.mcp.mcp_pb2.DeleteMcpInstanceResponse"))
    def delete_instance(self, instance_id: str):
        return {"instance_id": instance_id}

    delete_instance, delete_instance_async = delete_instance

    @twin("mcp.get_instance_auth_state", proto_result("scalekit.v1.mcp.mcp_pb2.GetMcpInstanceAuthStateResponse"))
    def get_instance_auth_state(self, instance_id: str, include_auth_links: Optional[bool] = None):
        return {"instance_id": instance_id, "include_auth_links": include_auth_links}

    get_instance_auth_state, get_instance_auth_state_async = get_instance_auth_state

    @twin("mcp.list_mcp_connected_accounts", proto_result("scalekit.v1.mcp.mcp_pb2.ListMcpConnectedAccountsResponse"))
    def list_mcp_connected_accounts(self, config_id: str, identifier: str, include_auth_link: Optional[bool] = None):
        return {"config_id": config_id, "identifier": identifier, "include_auth_links": include_auth_link}

    list_mcp_connected_accounts, list_mcp_connected_accounts_async = list_mcp_connected_accounts

    @twin("mcp.create_session_token", proto_result("scalekit.v1.mcp.mcp_pb2.CreateMcpSessionTokenResponse"))
    def create_session_token(self, mcp_config_id: Any = _UNSET, identifier: Optional[str] = None,
                             expiry: Union[timedelta, float, str, None] = None, access_level: Optional[str] = None, *,
                             connection_name: Optional[str] = None):
        """A bearer token for the config's MCP server, or with ``connection_name`` for the
        connection's own server (``expiry`` a ``timedelta``, 60 s – 24 h)."""
        config_id = None if mcp_config_id is _UNSET else mcp_config_id
        return session_token_params(config_id, identifier, expiry, access_level, connection_name)

    create_session_token, create_session_token_async = create_session_token
