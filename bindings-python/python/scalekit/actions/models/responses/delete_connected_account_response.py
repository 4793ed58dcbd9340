"""The official module path of ``DeleteConnectedAccountResponse`` (defined in :mod:`scalekit.actions.types`)."""

from scalekit.actions.types import DeleteConnectedAccountResponse

__all__ = ["DeleteConnectedAccountResponse"]
