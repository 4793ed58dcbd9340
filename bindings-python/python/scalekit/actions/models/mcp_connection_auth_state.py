"""The official module path of ``McpConnectionAuthState`` (defined in :mod:`scalekit.actions.types`)."""

from scalekit.actions.types import McpConnectionAuthState

__all__ = ["McpConnectionAuthState"]
