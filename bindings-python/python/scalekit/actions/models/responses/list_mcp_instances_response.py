"""The official module path of ``ListMcpInstancesResponse`` (defined in :mod:`scalekit.actions.types`)."""

from scalekit.actions.types import ListMcpInstancesResponse

__all__ = ["ListMcpInstancesResponse"]
