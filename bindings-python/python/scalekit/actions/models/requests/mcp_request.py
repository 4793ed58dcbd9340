"""The official module path of ``McpRequest`` (defined in :mod:`scalekit.actions.types`)."""

from scalekit.actions.types import McpRequest

__all__ = ["McpRequest"]
