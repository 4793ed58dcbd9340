"""The official module path of ``DeleteMcpConfigResponse`` (defined in :mod:`scalekit.actions.types`)."""

from scalekit.actions.types import DeleteMcpConfigResponse

__all__ = ["DeleteMcpConfigResponse"]
