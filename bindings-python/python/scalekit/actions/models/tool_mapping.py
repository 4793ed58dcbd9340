"""The official module path of ``ToolMapping`` (defined in :mod:`scalekit.actions.types`)."""

from scalekit.actions.types import ToolMapping

__all__ = ["ToolMapping"]
