"""Shared by the framework adapters: every scoped tool of a user, and results as model text."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

from google.protobuf.json_format import MessageToDict


def _page_request(identifier: str, providers, tool_names, connection_names, page_size) -> Dict[str, Any]:
    if not identifier:
        raise ValueError("identifier is required")
    flt = {"providers": providers, "tool_names": tool_names, "connection_names": connection_names}
    return {"identifier": identifier, "filter": flt, "page_size": page_size or 100}


def _definitions(page: Any) -> List[Dict[str, Any]]:
    return [MessageToDict(t.tool, preserving_proto_field_name=True).get("definition", {}) for t in page.tools]


def scoped_definitions(tools: Any, identifier: str, providers: Optional[List[str]] = None, tool_names: Optional[List[str]] = None,
                       connection_names: Optional[List[str]] = None, page_size: Optional[int] = None,
                       page_token: Optional[str] = None) -> List[Dict[str, Any]]:
    """Tool definitions (name, description, input_schema, annotations) of every page."""
    request = _page_request(identifier, providers, tool_names, connection_names, page_size)
    definitions: List[Dict[str, Any]] = []
    token = page_token
    while True:
        page, _ = tools.list_scoped_tools(**request, page_token=token)
        definitions.extend(_definitions(page))
        token = page.next_page_token
        if not token:
            return definitions


async def scoped_definitions_async(tools: Any, identifier: str, providers: Optional[List[str]] = None,
                                   tool_names: Optional[List[str]] = None, connection_names: Optional[List[str]] = None,
                                   page_size: Optional[int] = None, page_token: Optional[str] = None) -> List[Dict[str, Any]]:
    """Awaitable twin of :func:`scoped_definitions`."""
    request = _page_request(identifier, providers, tool_names, connection_names, page_size)
    definitions: List[Dict[str, Any]] = []
    token = page_token
    while True:
        page, _ = await tools.list_scoped_tools_async(**request, page_token=token)
        definitions.extend(_definitions(page))
        token = page.next_page_token
        if not token:
            return definitions


def as_text(data: Any) -> str:
    """Tool output for the model: JSON, never a Python repr."""
    return json.dumps(data, ensure_ascii=False, default=str)
