"""The official module path of ``ListToolsResponse``, ``Tool`` (defined in :mod:`scalekit.actions.types`)."""

from scalekit.actions.types import ListToolsResponse, Tool

__all__ = ["ListToolsResponse", "Tool"]
