"""The official module path of ``ListMcpConfigsResponse`` (defined in :mod:`scalekit.actions.types`)."""

from scalekit.actions.types import ListMcpConfigsResponse

__all__ = ["ListMcpConfigsResponse"]
