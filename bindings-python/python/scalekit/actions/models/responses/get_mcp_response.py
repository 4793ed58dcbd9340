"""The official module path of ``GetMcpResponse`` (defined in :mod:`scalekit.actions.types`)."""

from scalekit.actions.types import GetMcpResponse

__all__ = ["GetMcpResponse"]
