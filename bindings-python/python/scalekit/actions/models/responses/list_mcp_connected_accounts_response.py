"""The official module path of ``ListMcpConnectedAccountsResponse`` (defined in :mod:`scalekit.actions.types`)."""

from scalekit.actions.types import ListMcpConnectedAccountsResponse

__all__ = ["ListMcpConnectedAccountsResponse"]
