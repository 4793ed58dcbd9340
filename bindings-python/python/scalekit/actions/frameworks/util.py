"""Shared by the framework adapters: every scoped tool of a user, and results as model text."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

from google.protobuf.json_format import MessageToDict


def scoped_definitions(tools: Any, identifier: str, providers: Optional[List[str]] = None, tool_names: Optional[List[str]] = None,
                       connection_names: Optional[List[str]] = None, page_size: Optional[int] = None,
                       page_token: Optional[str] = None) -> List[Dict[str, Any]]:
    """Tool definitions (name, description, input_schema, annotations) of every page."""
    if not identifier:
        raise ValueError("identifier is required")
    flt = {"providers": providers, "tool_names": tool_names, "connection_names": connection_names}
    definitions: List[Dict[str, Any]] = []
    token = page_token
    while True:
        page, _ = tools.list_scoped_tools(identifier=identifier, filter=flt, page_size=page_size or 100, page_token=token)
        definitions.extend(MessageToDict(t.tool, preserving_proto_field_name=True).get("definition", {}) for t in page.tools)
        token = page.next_page_token
        if not token:
            return definitions


def as_text(data: Any) -> str:
    """Tool output for the model: JSON, never a Python repr."""
    return json.dumps(data, ensure_ascii=False, default=str)
