"""Custom provider models: a provider's auth pattern (``type`` OAUTH, BEARER, BASIC or API_KEY,
the credential ``fields`` users fill in, ``oauth_config``, ``auth_header_key_override``) and the
provider itself."""

from __future__ import annotations

from scalekit.actions.models._base import KwModel

__all__ = ["AuthFieldOption", "AuthField", "OAuthScope", "OAuthConfig", "AuthPattern", "Provider", "CustomProvider"]


class AuthFieldOption(KwModel):
    """One choice of a ``select`` field: ``value``, ``display_name``, ``description``, ``default``."""


class AuthField(KwModel):
    """A value the user supplies: ``field_name`` (the credential key, e.g. ``token``), ``label``,
    ``input_type`` (``text``, ``password``…), ``hint``, ``required``."""


class OAuthScope(KwModel):
    """``scope``, ``display_name``, ``description``, ``required``."""


class OAuthConfig(KwModel):
    """``authorize_uri``, ``token_uri``, ``user_info_uri``, ``available_scopes``, ``pkce_enabled``."""


class AuthPattern(KwModel):
    """How users authenticate with the provider (one per custom provider here)."""


class Provider(KwModel):
    """``id``, ``identifier``, ``display_name``, ``description``, ``proxy_url``, ``proxy_enabled``,
    ``icon_src``, ``metadata``, ``is_custom``, ``auth_patterns`` and, on this gateway, ``tools``."""

    @classmethod
    def from_dict(cls, data):
        data = dict(data or {})
        data["auth_patterns"] = [AuthPattern.from_dict(p) for p in data.get("auth_patterns") or []]
        return cls(**data)


CustomProvider = Provider
