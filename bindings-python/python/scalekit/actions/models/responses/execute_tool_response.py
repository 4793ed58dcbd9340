"""The official module path of ``ExecuteToolResponse`` (defined in :mod:`scalekit.actions.types`)."""

from scalekit.actions.types import ExecuteToolResponse

__all__ = ["ExecuteToolResponse"]
