"""Low-level tools client (``client.actions.tools``): raw tool schemas and execution without
modifiers. List methods return ``(protobuf_message, None)`` tuples that also expose the message's
attributes, so both documented styles work."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from scalekit._operations import plain_dict, proto_result, twin

__all__ = ["ToolsClient"]


def _filter(value: Any) -> Optional[Dict[str, Any]]:
    return plain_dict(value, "filter")


_proto = proto_result


class ToolsClient:
    def __init__(self, native: Any) -> None:
        self._native = native

    @twin("list_tools", _proto("scalekit.v1.tools.tools_pb2.ListToolsResponse"))
    def list_tools(self, filter=None, page_size: Optional[int] = None, page_token: Optional[str] = None):
        """Every tool of the catalog matching ``filter`` (``Filter`` message or dict)."""
        return {"filter": _filter(filter), "page_size": page_size, "page_token": page_token}

    list_tools, list_tools_async = list_tools

    @twin("search_tools", _proto("scalekit.v1.tools.tools_pb2.SearchToolsResponse"))
    def search_tools(self, query: str, identifier: Optional[str] = None, top_k: Optional[int] = None):
        """Catalog tools ranked for a natural-language ``query`` (``top_k`` results, default 10,
        at most 50); with ``identifier``, each result's ``connections`` give that user's readiness
        (``TOOL_READINESS_STATE_READY`` / ``…_NEEDS_CONNECTION`` / ``…_NEEDS_REAUTH``) per connection."""
        return {"query": query, "identifier": identifier, "top_k": top_k}

    search_tools, search_tools_async = search_tools

    @twin("list_scoped_tools", _proto("scalekit.v1.tools.tools_pb2.ListScopedToolsResponse"))
    def list_scoped_tools(self, identifier: str, filter=None, page_size: Optional[int] = None, page_token: Optional[str] = None):
        """Tools this user can run through their connected accounts, with paging metadata."""
        return {"identifier": identifier, "filter": _filter(filter), "page_size": page_size, "page_token": page_token}

    list_scoped_tools, list_scoped_tools_async = list_scoped_tools

    @twin("list_available_tools", _proto("scalekit.v1.tools.tools_pb2.ListAvailableToolsResponse"))
    def list_available_tools(self, identifier: str, page_size: Optional[int] = None, page_token: Optional[str] = None):
        """Tools of every configured connection, whether or not this user has authorized it."""
        return {"identifier": identifier, "page_size": page_size, "page_token": page_token}

    list_available_tools, list_available_tools_async = list_available_tools

    @staticmethod
    def format_tools(definitions: List[Dict[str, Any]], format: str = "anthropic") -> List[Dict[str, Any]]:
        """Tool definitions in a vendor's format: ``anthropic``, ``openai``, ``openai_responses``,
        ``openai_strict``, ``gemini`` or ``json_schema``."""
        from scalekit import _native

        return _native.format_tools(definitions, format)

    def list_formatted_tools(self, identifier: str, format: str = "anthropic", providers: Optional[List[str]] = None,
                             tool_names: Optional[List[str]] = None, connection_names: Optional[List[str]] = None,
                             page_size: Optional[int] = None) -> List[Dict[str, Any]]:
        """Every tool of the user (all pages), ready for a model API in ``format``."""
        from scalekit.actions.frameworks.util import scoped_definitions

        return self.format_tools(scoped_definitions(self, identifier, providers, tool_names, connection_names, page_size), format)

    async def list_formatted_tools_async(self, identifier: str, format: str = "anthropic", providers: Optional[List[str]] = None,
                                         tool_names: Optional[List[str]] = None, connection_names: Optional[List[str]] = None,
                                         page_size: Optional[int] = None) -> List[Dict[str, Any]]:
        """Awaitable twin of :meth:`list_formatted_tools`."""
        from scalekit.actions.frameworks.util import scoped_definitions_async

        definitions = await scoped_definitions_async(self, identifier, providers, tool_names, connection_names, page_size)
        return self.format_tools(definitions, format)

    @twin("execute_tool_unmodified", _proto("scalekit.v1.tools.tools_pb2.ExecuteToolResponse"))
    def execute_tool(self, tool_name: str, identifier: Optional[str] = None, params: Optional[dict] = None,
                     connected_account_id: Optional[str] = None, connection_name: Optional[str] = None):
        """Runs a tool without modifiers; ``(ExecuteToolResponse message, None)`` as the official
        low-level client returns. Prefer ``actions.execute_tool``."""
        return {"tool_name": tool_name, "identifier": identifier, "tool_input": params,
                "connected_account_id": connected_account_id, "connection_name": connection_name}

    execute_tool, execute_tool_async = execute_tool
