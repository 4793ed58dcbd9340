"""The official module path of ``CreateConnectedAccountResponse`` (defined in :mod:`scalekit.actions.types`)."""

from scalekit.actions.types import CreateConnectedAccountResponse

__all__ = ["CreateConnectedAccountResponse"]
