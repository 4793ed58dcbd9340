"""The official module path of ``UpdateMcpInstanceResponse`` (defined in :mod:`scalekit.actions.types`)."""

from scalekit.actions.types import UpdateMcpInstanceResponse

__all__ = ["UpdateMcpInstanceResponse"]
