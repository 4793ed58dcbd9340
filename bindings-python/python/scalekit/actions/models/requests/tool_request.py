"""The official module path of ``ToolRequest`` (defined in :mod:`scalekit.actions.types`)."""

from scalekit.actions.types import ToolRequest

__all__ = ["ToolRequest"]
