"""Low-level MCP client (``client.mcp``), as in the official SDK: ``(response message, None)``
pairs whose attributes also read through; ``create_config`` takes an ``McpConfig`` message.
Every method has an awaitable ``_async`` twin. :class:`McpParams` holds the parameter builders
this client and ``client.actions.mcp`` share."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, List, Optional, Union

from scalekit._operations import plain_dict, proto_result, twin

__all__ = ["McpClient"]

_UNSET: Any = type("_Unset", (), {"__repr__": lambda self: "<unset>"})()


def mappings_param(mappings: Optional[List[Any]]) -> Optional[List[dict]]:
    """Connection → tool mappings (models, protobuf messages or dicts) as operation parameters."""
    if mappings is None:
        return None
    return [plain_dict(m, "connection_tool_mappings[]") for m in mappings]


def session_token_params(mcp_config_id: Optional[str], identifier: Optional[str], expiry: Any,
                         access_level: Optional[str], connection_name: Optional[str]) -> dict:
    """Operation parameters of a session token; a ``timedelta`` expiry becomes seconds."""
    if isinstance(expiry, timedelta):
        expiry = expiry.total_seconds()
    return {"config_id": mcp_config_id, "connection_name": connection_name, "identifier": identifier,
            "expiry": expiry, "access_level": access_level}


class McpParams:
    """Operation parameters of the MCP methods whose official signatures are the same on
    ``client.mcp`` and ``client.actions.mcp``; each client wraps them with its own answer type."""

    def list_configs(self, page_size: Optional[int] = None, page_token: Optional[str] = None,
                     filter_id: Optional[str] = None, filter_provider: Optional[str] = None,
                     filter_name: Optional[str] = None, filter_mcp_server_url: Optional[str] = None,
                     search: Optional[str] = None):
        """Configs matching the filters, one page at a time."""
        return {"page_size": page_size, "page_token": page_token, "filter_id": filter_id,
                "filter_provider": filter_provider, "filter_name": filter_name,
                "filter_mcp_server_url": filter_mcp_server_url, "search": search}

    def update_config(self, config_id: str, description: Optional[str] = None,
                      connection_tool_mappings: Optional[List[Any]] = None):
        """Updates the description and/or replaces the mappings."""
        return {"config_id": config_id, "description": description,
                "connection_tool_mappings": mappings_param(connection_tool_mappings)}

    def delete_config(self, config_id: str):
        """Deletes a config; its instances' URLs stop working at once."""
        return {"config_id": config_id}

    def update_instance(self, instance_id: str, name: Optional[str] = None, config_name: Optional[str] = None):
        """Renames an instance or switches it to another config (at least one is required)."""
        return {"instance_id": instance_id, "name": name, "config_name": config_name}

    def get_instance(self, instance_id: str):
        return {"instance_id": instance_id}

    def list_instances(self, page_size: Optional[int] = None, page_token: Optional[str] = None,
                       filter_id: Optional[str] = None, filter_name: Optional[str] = None,
                       filter_config_name: Optional[str] = None, filter_user_identifier: Optional[str] = None):
        return {"page_size": page_size, "page_token": page_token, "filter_id": filter_id, "filter_name": filter_name,
                "filter_config_name": filter_config_name, "filter_user_identifier": filter_user_identifier}

    def delete_instance(self, instance_id: str):
        """Deletes an instance; its URL stops working at once."""
        return {"instance_id": instance_id}

    def get_instance_auth_state(self, instance_id: str, include_auth_links: Optional[bool] = None):
        """Authorization state per connection; with ``include_auth_links``, links for those not ACTIVE."""
        return {"instance_id": instance_id, "include_auth_links": include_auth_links}

    def list_mcp_connected_accounts(self, config_id: str, identifier: str, include_auth_link: Optional[bool] = None):
        """A user's authorization state for each connection of a config."""
        return {"config_id": config_id, "identifier": identifier, "include_auth_links": include_auth_link}


def _pb(name: str):
    return proto_result(f"scalekit.v1.mcp.mcp_pb2.{name}")


class McpClient:
    def __init__(self, native: Any) -> None:
        self._native = native

    list_configs, list_configs_async = twin("mcp.list_configs", _pb("ListMcpConfigsResponse"))(McpParams.list_configs)
    update_config, update_config_async = twin("mcp.update_config", _pb("UpdateMcpConfigResponse"))(McpParams.update_config)
    delete_config, delete_config_async = twin("mcp.delete_config", _pb("DeleteMcpConfigResponse"))(McpParams.delete_config)
    update_instance, update_instance_async = twin("mcp.update_instance", _pb("UpdateMcpInstanceResponse"))(
        McpParams.update_instance)
    get_instance, get_instance_async = twin("mcp.get_instance", _pb("GetMcpInstanceResponse"))(McpParams.get_instance)
    list_instances, list_instances_async = twin("mcp.list_instances", _pb("ListMcpInstancesResponse"))(
        McpParams.list_instances)
    delete_instance, delete_instance_async = twin("mcp.delete_instance", _pb("DeleteMcpInstanceResponse"))(
        McpParams.delete_instance)
    get_instance_auth_state, get_instance_auth_state_async = twin(
        "mcp.get_instance_auth_state", _pb("GetMcpInstanceAuthStateResponse"))(McpParams.get_instance_auth_state)
    list_mcp_connected_accounts, list_mcp_connected_accounts_async = twin(
        "mcp.list_mcp_connected_accounts", _pb("ListMcpConnectedAccountsResponse"))(McpParams.list_mcp_connected_accounts)

    @twin("mcp.create_config", _pb("CreateMcpConfigResponse"))
    def create_config(self, mcp_config: Any):
        """Creates a config from an ``McpConfig`` message (``name``, ``description``, mappings)."""
        config = plain_dict(mcp_config, "mcp_config") or {}
        return {"name": config.get("name"), "description": config.get("description"),
                "connection_tool_mappings": config.get("connection_tool_mappings")}

    create_config, create_config_async = create_config

    @twin("mcp.ensure_instance", _pb("EnsureMcpInstanceResponse"))
    def ensure_instance(self, name: Optional[str], config_name: str, user_identifier: str):
        """The user's MCP server of a config, created on first call (``name`` first, as officially)."""
        return {"name": name, "config_name": config_name, "user_identifier": user_identifier}

    ensure_instance, ensure_instance_async = ensure_instance

    @twin("mcp.create_session_token", _pb("CreateMcpSessionTokenResponse"))
    def create_session_token(self, mcp_config_id: Any = _UNSET, identifier: Optional[str] = None,
                             expiry: Union[timedelta, float, str, None] = None, access_level: Optional[str] = None, *,
                             connection_name: Optional[str] = None):
        """A bearer token for the config's MCP server, or with ``connection_name`` for the
        connection's own server (``expiry`` a ``timedelta``, 60 s – 24 h)."""
        config_id = None if mcp_config_id is _UNSET else mcp_config_id
        return session_token_params(config_id, identifier, expiry, access_level, connection_name)

    create_session_token, create_session_token_async = create_session_token
