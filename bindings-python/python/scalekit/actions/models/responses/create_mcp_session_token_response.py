"""The official module path of ``CreateMcpSessionTokenResponse`` (defined in :mod:`scalekit.actions.types`)."""

from scalekit.actions.types import CreateMcpSessionTokenResponse

__all__ = ["CreateMcpSessionTokenResponse"]
