"""The official module path of ``CreateConnectedAccountRequest`` (defined in :mod:`scalekit.actions.types`)."""

from scalekit.actions.types import CreateConnectedAccountRequest

__all__ = ["CreateConnectedAccountRequest"]
