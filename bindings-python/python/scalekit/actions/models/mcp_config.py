"""The official module path of ``McpConfig``, ``McpConfigConnectionToolMapping`` (defined in :mod:`scalekit.actions.types`)."""

from scalekit.actions.types import McpConfig, McpConfigConnectionToolMapping

__all__ = ["McpConfig", "McpConfigConnectionToolMapping"]
