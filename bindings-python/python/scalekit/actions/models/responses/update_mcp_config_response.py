"""The official module path of ``UpdateMcpConfigResponse`` (defined in :mod:`scalekit.actions.types`)."""

from scalekit.actions.types import UpdateMcpConfigResponse

__all__ = ["UpdateMcpConfigResponse"]
