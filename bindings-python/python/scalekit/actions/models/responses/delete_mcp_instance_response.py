"""The official module path of ``DeleteMcpInstanceResponse`` (defined in :mod:`scalekit.actions.types`)."""

from scalekit.actions.types import DeleteMcpInstanceResponse

__all__ = ["DeleteMcpInstanceResponse"]
