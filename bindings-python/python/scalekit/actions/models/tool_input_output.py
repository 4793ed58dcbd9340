"""The official module path of ``ToolInput``, ``ToolOutput`` (defined in :mod:`scalekit.actions.types`)."""

from scalekit.actions.types import ToolInput, ToolOutput

__all__ = ["ToolInput", "ToolOutput"]
