"""The official module path of ``UpdateConnectedAccountRequest`` (defined in :mod:`scalekit.actions.types`)."""

from scalekit.actions.types import UpdateConnectedAccountRequest

__all__ = ["UpdateConnectedAccountRequest"]
