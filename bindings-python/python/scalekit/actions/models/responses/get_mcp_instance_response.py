"""The official module path of ``GetMcpInstanceResponse`` (defined in :mod:`scalekit.actions.types`)."""

from scalekit.actions.types import GetMcpInstanceResponse

__all__ = ["GetMcpInstanceResponse"]
