"""A custom connector end to end through the Python SDK: created at runtime with the official
SDK's request models (``client.actions.providers``), then used like any connector — a connected
account with a static token, a declarative tool through ``execute_tool``, a raw ``request``
through the proxy — and removed again."""

from __future__ import annotations

import json
import uuid

import pytest

from scalekit.actions.models.custom_provider import AuthField, AuthPattern
from scalekit.actions.models.requests.create_custom_provider_request import CreateCustomProviderRequest
from scalekit.actions.models.requests.delete_custom_provider_request import DeleteCustomProviderRequest
from scalekit.actions.models.requests.list_providers_request import ListProvidersRequest
from scalekit.actions.models.requests.update_custom_provider_request import UpdateCustomProviderRequest
from scalekit.common.exceptions import ScalekitBadRequestException, ScalekitConflictException, ScalekitNotFoundException

ECHO_TOOL = {
    "name": "PLACEHOLDER_echo",
    "description": "Echo the request the provider received.",
    "annotations": {"read_only_hint": True},
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    "request": {"method": "GET", "path": "/sandbox/echo", "query": {"city": "{{city}}"}},
}


def test_custom_provider_end_to_end(client, gateway_env):
    name = f"Weather {uuid.uuid4().hex[:6]}"
    slug = name.lower().replace(" ", "_")
    tool = dict(ECHO_TOOL, name=f"{slug}_echo")
    providers = client.actions.providers
    created = providers.create_custom_provider(CreateCustomProviderRequest(
        display_name=name,
        description="Forecasts",
        proxy_url=gateway_env["AGENTKIT_SANDBOX_URL"],
        auth_patterns=[AuthPattern(type="API_KEY", display_name="API key", auth_header_key_override="X-Weather-Key",
                                   fields=[AuthField(field_name="api_key", label="API key", input_type="password", required=True)])],
        tools=[tool],
    ))
    provider = created.provider
    assert provider.identifier == slug and provider.is_custom and provider.id.startswith("prov_")
    assert provider.auth_patterns[0].auth_header_key_override == "X-Weather-Key"

    listed = providers.list_providers(ListProvidersRequest(provider_type="CUSTOM", identifier=slug))
    assert [p.identifier for p in listed.providers] == [slug]

    user = f"u-{uuid.uuid4().hex[:6]}"
    client.actions.create_connected_account(connection_name=slug, identifier=user,
                                            authorization_details={"static_auth": {"details": {"api_key": "wk-123"}}})
    assert tool["name"] in [t.tool.definition["name"] for t in
                            client.actions.tools.list_scoped_tools(identifier=user, filter={"connection_names": [slug]})[0].tools]
    result = client.actions.execute_tool(tool_name=tool["name"], identifier=user, tool_input={"city": "Oslo"})
    assert result.data["headers"]["x-weather-key"] == "wk-123"
    assert result.data["query"] == "city=Oslo"
    proxied = client.actions.request(connection_name=slug, identifier=user, path="/sandbox/echo", query_params={"units": "metric"})
    assert json.loads(proxied.text)["headers"]["x-weather-key"] == "wk-123"

    updated = providers.update_custom_provider(UpdateCustomProviderRequest(identifier=slug, description="Forecasts v2"))
    assert updated.provider.description == "Forecasts v2" and updated.provider.display_name == name

    with pytest.raises(ScalekitConflictException):
        providers.delete_custom_provider(DeleteCustomProviderRequest(identifier=slug))  # an account still uses it
    client.actions.delete_connected_account(connection_name=slug, identifier=user)
    providers.delete_custom_provider(DeleteCustomProviderRequest(identifier=slug))
    with pytest.raises(ScalekitNotFoundException):
        client.actions.execute_tool(tool_name=tool["name"], identifier=user, tool_input={"city": "Oslo"})


async def test_custom_provider_errors_name_the_field(client):
    with pytest.raises(ScalekitBadRequestException) as bad:
        await client.actions.providers.create_custom_provider_async(
            display_name="Broken", proxy_url="https://broken.example", auth_patterns=[{"type": "BEARER"}],
            tools=[{"name": "broken_x", "description": "", "input_schema": {"type": "object"}, "request": {"path": "/x"}}])
    assert "tools[0].request: missing field `method`" in str(bad.value)
    with pytest.raises(ScalekitBadRequestException) as bad:
        client.actions.providers.create_custom_provider(display_name="No auth", proxy_url="https://x.example")
    assert "auth_patterns" in str(bad.value)
