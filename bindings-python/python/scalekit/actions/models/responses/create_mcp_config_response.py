"""The official module path of ``CreateMcpConfigResponse`` (defined in :mod:`scalekit.actions.types`)."""

from scalekit.actions.types import CreateMcpConfigResponse

__all__ = ["CreateMcpConfigResponse"]
