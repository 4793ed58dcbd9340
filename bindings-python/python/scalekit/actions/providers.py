"""``client.actions.providers``: list providers and create, update or delete custom providers
(connectors made at runtime). Each method takes the official SDK's request object or the same
fields as keywords, and has an awaitable ``_async`` twin."""

from __future__ import annotations

from typing import Any, Optional

from scalekit._operations import twin
from scalekit.actions.models._base import to_wire
from scalekit.actions.models.responses import (
    CreateCustomProviderResponse,
    DeleteCustomProviderResponse,
    ListProvidersResponse,
    UpdateCustomProviderResponse,
)

__all__ = ["ActionProviders"]


def _fields(request: Optional[Any], fields: dict) -> dict:
    params = dict(to_wire(request) or {}) if request is not None else {}
    params.update(to_wire(fields))
    return params


class ActionProviders:
    def __init__(self, native: Any) -> None:
        self._native = native

    @twin("providers.create_custom_provider", CreateCustomProviderResponse.from_dict)
    def create_custom_provider(self, request: Optional[Any] = None, **fields):
        """Creates a custom provider; its connection (named by the returned identifier) works at once."""
        return _fields(request, fields)

    create_custom_provider, create_custom_provider_async = create_custom_provider

    @twin("providers.update_custom_provider", UpdateCustomProviderResponse.from_dict)
    def update_custom_provider(self, request: Optional[Any] = None, **fields):
        """Changes the given fields of a custom provider (``identifier`` names it)."""
        return _fields(request, fields)

    update_custom_provider, update_custom_provider_async = update_custom_provider

    @twin("providers.delete_custom_provider", DeleteCustomProviderResponse.from_dict)
    def delete_custom_provider(self, request: Optional[Any] = None, **fields):
        """Deletes a custom provider that no connected account uses any more."""
        return _fields(request, fields)

    delete_custom_provider, delete_custom_provider_async = delete_custom_provider

    @twin("providers.list_providers", ListProvidersResponse.from_dict)
    def list_providers(self, request: Optional[Any] = None, **fields):
        """Built-in and custom providers, one page at a time (``provider_type`` filters)."""
        return _fields(request, fields)

    list_providers, list_providers_async = list_providers
