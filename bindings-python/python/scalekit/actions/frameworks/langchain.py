"""``actions.langchain.get_tools(...)`` → LangChain ``StructuredTool`` objects."""

from __future__ import annotations

from typing import Any, List, Optional

try:
    from langchain_core.tools import StructuredTool, ToolException
except ImportError as error:  # pragma: no cover - exercised only without langchain installed
    raise ImportError("LangChain support needs langchain-core: pip install langchain-core") from error

from scalekit.actions.frameworks.util import as_text, scoped_definitions
from scalekit.common.exceptions import ScalekitException

__all__ = ["LangChain"]


class LangChain:
    def __init__(self, actions: Any) -> None:
        self._actions = actions

    def _tool(self, definition: dict, identifier: str) -> StructuredTool:
        name = definition["name"]

        def run(**tool_input: Any) -> str:
            try:
                result = self._actions.execute_tool(tool_name=name, identifier=identifier, tool_input=tool_input)
            except ScalekitException as error:
                raise ToolException(str(error.message)) from error
            return as_text(result.data)

        async def arun(**tool_input: Any) -> str:
            try:
                result = await self._actions.execute_tool_async(tool_name=name, identifier=identifier, tool_input=tool_input)
            except ScalekitException as error:
                raise ToolException(str(error.message)) from error
            return as_text(result.data)

        return StructuredTool(
            name=name,
            description=definition.get("description") or "Scalekit tool",
            args_schema=definition.get("input_schema") or {"type": "object", "properties": {}},
            func=run,
            coroutine=arun,
            handle_tool_error=True,
        )

    def get_tools(self, identifier: str, providers: Optional[List[str]] = None, tool_names: Optional[List[str]] = None,
                  connection_names: Optional[List[str]] = None, page_size: Optional[int] = None,
                  page_token: Optional[str] = None) -> List[StructuredTool]:
        """The user's tools (every page) as LangChain tools; sync and async invocation both work."""
        definitions = scoped_definitions(self._actions.tools, identifier, providers, tool_names, connection_names, page_size, page_token)
        return [self._tool(d, identifier) for d in definitions]
