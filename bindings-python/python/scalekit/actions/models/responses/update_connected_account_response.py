"""The official module path of ``UpdateConnectedAccountResponse`` (defined in :mod:`scalekit.actions.types`)."""

from scalekit.actions.types import UpdateConnectedAccountResponse

__all__ = ["UpdateConnectedAccountResponse"]
