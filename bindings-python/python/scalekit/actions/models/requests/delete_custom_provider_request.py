from scalekit.actions.models._base import KwModel


class DeleteCustomProviderRequest(KwModel):
    """``identifier`` of the custom provider to delete."""
