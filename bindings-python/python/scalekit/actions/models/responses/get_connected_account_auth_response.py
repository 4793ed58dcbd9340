"""The official module path of ``ConnectedAccount``, ``GetConnectedAccountAuthResponse``, ``GetConnectedAccountDetailsResponse`` (defined in :mod:`scalekit.actions.types`)."""

from scalekit.actions.types import ConnectedAccount, GetConnectedAccountAuthResponse, GetConnectedAccountDetailsResponse

__all__ = ["ConnectedAccount", "GetConnectedAccountAuthResponse", "GetConnectedAccountDetailsResponse"]
