"""The official module path of ``EnsureMcpInstanceResponse`` (defined in :mod:`scalekit.actions.types`)."""

from scalekit.actions.types import EnsureMcpInstanceResponse

__all__ = ["EnsureMcpInstanceResponse"]
