"""Responses of ``client.actions.providers``."""

from __future__ import annotations

from scalekit.actions.models._base import KwModel
from scalekit.actions.models.custom_provider import CustomProvider

__all__ = ["CreateCustomProviderResponse", "UpdateCustomProviderResponse", "DeleteCustomProviderResponse",
           "ListProvidersResponse"]


class CreateCustomProviderResponse(KwModel):
    """``provider``: the provider as stored, with its server-assigned ``identifier``."""

    @classmethod
    def from_dict(cls, data):
        return cls(provider=CustomProvider.from_dict((data or {}).get("provider")))


UpdateCustomProviderResponse = CreateCustomProviderResponse


class DeleteCustomProviderResponse(KwModel):
    pass


class ListProvidersResponse(KwModel):
    """``providers``, ``next_page_token``, ``prev_page_token``, ``total_size``."""

    @classmethod
    def from_dict(cls, data):
        data = dict(data or {})
        data["providers"] = [CustomProvider.from_dict(p) for p in data.get("providers") or []]
        return cls(**data)
