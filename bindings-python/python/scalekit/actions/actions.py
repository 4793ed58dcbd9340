"""The official module path of the ``client.actions`` classes (``from scalekit.actions.actions import ActionClient``)."""

from scalekit.actions import ActionClient
from scalekit.actions.mcp import ActionMcp
from scalekit.actions.providers import ActionProviders

__all__ = ["ActionClient", "ActionMcp", "ActionProviders"]
