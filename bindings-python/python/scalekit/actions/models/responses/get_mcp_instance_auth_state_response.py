"""The official module path of ``GetMcpInstanceAuthStateResponse`` (defined in :mod:`scalekit.actions.types`)."""

from scalekit.actions.types import GetMcpInstanceAuthStateResponse

__all__ = ["GetMcpInstanceAuthStateResponse"]
