from scalekit.actions.models._base import KwModel


class CreateCustomProviderRequest(KwModel):
    """``display_name`` and ``proxy_url`` (required), ``description``, ``auth_patterns``,
    ``proxy_enabled``, ``icon_src``, ``metadata``; on this gateway also ``identifier`` and
    ``tools`` (declarative tools in the connector-file format)."""
