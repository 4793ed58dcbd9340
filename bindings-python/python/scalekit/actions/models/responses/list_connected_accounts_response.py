"""The official module path of ``ConnectedAccountForList``, ``ListConnectedAccountsResponse`` (defined in :mod:`scalekit.actions.types`)."""

from scalekit.actions.types import ConnectedAccountForList, ListConnectedAccountsResponse

__all__ = ["ConnectedAccountForList", "ListConnectedAccountsResponse"]
