"""The official module path of ``VerifyConnectedAccountUserResponse`` (defined in :mod:`scalekit.actions.types`)."""

from scalekit.actions.types import VerifyConnectedAccountUserResponse

__all__ = ["VerifyConnectedAccountUserResponse"]
