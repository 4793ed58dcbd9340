"""``actions.google.get_tools(...)`` → Google ADK tools (``ScalekitGoogleAdkTool``)."""

from __future__ import annotations

from typing import Any, List, Optional

try:
    from google.adk.tools.base_tool import BaseTool
    from google.genai import types
except ImportError as error:  # pragma: no cover - exercised only without google-adk installed
    raise ImportError("Google ADK support needs google-adk: pip install google-adk") from error

from scalekit.actions.frameworks.util import scoped_definitions
from scalekit.common.exceptions import ScalekitException

__all__ = ["GoogleADK", "ScalekitGoogleAdkTool"]


class ScalekitGoogleAdkTool(BaseTool):
    """One Scalekit tool for an ADK agent; runs through ``actions.execute_tool_async``."""

    def __init__(self, actions: Any, definition: dict, identifier: str) -> None:
        super().__init__(name=definition["name"], description=definition.get("description") or "Scalekit tool")
        self._actions = actions
        self._identifier = identifier
        self._schema = definition.get("input_schema") or {"type": "object", "properties": {}}

    def _get_declaration(self) -> types.FunctionDeclaration:
        return types.FunctionDeclaration(name=self.name, description=self.description, parameters_json_schema=self._schema)

    async def run_async(self, *, args: dict, tool_context: Any) -> dict:
        try:
            result = await self._actions.execute_tool_async(tool_name=self.name, identifier=self._identifier, tool_input=args)
        except ScalekitException as error:
            return {"error": error.message}
        return result.data or {}


class GoogleADK:
    def __init__(self, actions: Any) -> None:
        self._actions = actions

    def get_tools(self, identifier: str, providers: Optional[List[str]] = None, tool_names: Optional[List[str]] = None,
                  connection_names: Optional[List[str]] = None, page_size: Optional[int] = None,
                  page_token: Optional[str] = None) -> List[ScalekitGoogleAdkTool]:
        """The user's tools (every page) for a Google ADK ``Agent``."""
        definitions = scoped_definitions(self._actions.tools, identifier, providers, tool_names, connection_names, page_size, page_token)
        return [ScalekitGoogleAdkTool(self._actions, d, identifier) for d in definitions]
