"""The official module path of ``McpInstance``, ``McpInstanceConnectionAuthState`` (defined in :mod:`scalekit.actions.types`)."""

from scalekit.actions.types import McpInstance, McpInstanceConnectionAuthState

__all__ = ["McpInstance", "McpInstanceConnectionAuthState"]
