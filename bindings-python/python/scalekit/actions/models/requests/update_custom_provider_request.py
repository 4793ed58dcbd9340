from scalekit.actions.models._base import KwModel


class UpdateCustomProviderRequest(KwModel):
    """``identifier`` (required) and the fields to change; fields not given keep their value."""
