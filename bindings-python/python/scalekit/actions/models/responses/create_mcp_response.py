"""The official module path of ``CreateMcpResponse`` (defined in :mod:`scalekit.actions.types`)."""

from scalekit.actions.types import CreateMcpResponse

__all__ = ["CreateMcpResponse"]
