from scalekit.actions.models._base import KwModel


class ListProvidersRequest(KwModel):
    """``provider_type`` (``DEFAULT``, ``CUSTOM`` or ``ALL``), ``identifier``, ``page_size``, ``page_token``."""
