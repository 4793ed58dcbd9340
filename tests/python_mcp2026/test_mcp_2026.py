"""MCP protocol 2026-07-28 through the official Python client (`mcp` 2.3, `mcp.Client`) on instance
and config URLs: `server/discover` instead of `initialize`, no session, sorted tools with 2020-12
schemas and cache hints, calls as the URL's user, "connect your account" as an `input_required`
round trip (URL elicitation with the authorization link), and the envelope checks (header
mismatch -32020, unsupported version -32022, missing `_meta`) as HTTP 400 JSON-RPC errors."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid

import httpx2
import mcp_types as types
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from scalekit.actions.types import McpConfigConnectionToolMapping

MODERN = "2026-07-28"
TOOLS = ["gmail_list_labels", "gmail_fetch_mails", "gmail_send_message"]


def _authorize(client, user):
    link = client.actions.get_authorization_link(connection_name="gmail", identifier=user).link
    urllib.request.urlopen(link).read()


@pytest.fixture
def config(client):
    name = f"py-2026-{uuid.uuid4().hex[:8]}"
    client.actions.mcp.create_config(
        name=name, connection_tool_mappings=[McpConfigConnectionToolMapping(connection_name="gmail", tools=TOOLS)]
    )
    return name


def _instance_url(client, config, user):
    return client.actions.mcp.ensure_instance(config_name=config, user_identifier=user).instance.url


def _post(url, body, headers=None):
    """A raw 2026-07-28 POST; (HTTP status, JSON answer)."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json", "accept": "application/json, text/event-stream", **(headers or {})},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def _envelope(version=MODERN):
    return {"io.modelcontextprotocol/protocolVersion": version, "io.modelcontextprotocol/clientCapabilities": {}}


async def test_discover_list_and_call_without_a_session(client, config):
    user = f"modern-{uuid.uuid4().hex[:6]}"
    _authorize(client, user)
    async with Client(_instance_url(client, config, user)) as mcp:
        assert mcp.protocol_version == MODERN, "server/discover answered: no initialize handshake"
        assert mcp.server_info.name == "agentkit"
        listed = await mcp.list_tools()
        names = [t.name for t in listed.tools]
        assert names == sorted(TOOLS), "every listed tool, in a deterministic order"
        assert all(t.input_schema.get("$schema") == "https://json-schema.org/draft/2020-12/schema" for t in listed.tools)
        result = await mcp.call_tool("gmail_fetch_mails", {"query": "is:unread", "max_results": 2})
        assert result.is_error is False
        assert all(user in m["to"] for m in result.structured_content["messages"]), "ran as the URL's user"


async def test_raw_answers_carry_result_type_cache_hints_and_no_session(client, config):
    url = _instance_url(client, config, f"raw-{uuid.uuid4().hex[:6]}")
    headers = {"mcp-protocol-version": MODERN, "mcp-method": "server/discover"}
    status, answer = _post(url, {"jsonrpc": "2.0", "id": 1, "method": "server/discover", "params": {"_meta": _envelope()}}, headers)
    assert status == 200, answer
    result = answer["result"]
    assert result["resultType"] == "complete"
    assert MODERN in result["supportedVersions"] and "2025-11-25" in result["supportedVersions"]
    assert result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"] == "agentkit"
    headers = {"mcp-protocol-version": MODERN, "mcp-method": "tools/list"}
    status, answer = _post(url, {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {"_meta": _envelope()}}, headers)
    assert status == 200, answer
    assert answer["result"]["cacheScope"] == "private" and answer["result"]["ttlMs"] > 0
    assert answer["result"]["resultType"] == "complete"


async def test_connect_your_account_is_an_input_required_round_trip(client, config):
    user = f"connect-{uuid.uuid4().hex[:6]}"
    opened = []

    async def open_link(context, params):
        # The "user" follows the URL in a browser and authorizes; the client then retries.
        assert params.mode == "url"
        opened.append(params.url)
        urllib.request.urlopen(params.url).read()
        return types.ElicitResult(action="accept")

    async with Client(_instance_url(client, config, user), elicitation_callback=open_link) as mcp:
        result = await mcp.call_tool("gmail_list_labels", {})
    assert len(opened) == 1 and "/connect/" in opened[0], opened
    assert result.is_error is False
    assert len(result.structured_content["labels"]) > 0
    assert client.actions.get_connected_account(connection_name="gmail", identifier=user).connected_account.status == "ACTIVE"


async def test_clients_that_cannot_open_urls_get_the_link_as_a_tool_error(client, config):
    user = f"nolinks-{uuid.uuid4().hex[:6]}"
    async with Client(_instance_url(client, config, user)) as mcp:
        result = await mcp.call_tool("gmail_list_labels", {})
    assert result.is_error is True
    assert "/connect/" in result.content[0].text


async def test_config_url_with_a_session_token(client, config):
    user = f"cfg-{uuid.uuid4().hex[:6]}"
    _authorize(client, user)
    cfg = next(c for c in client.actions.mcp.list_configs().configs if c.name == config)
    token = client.actions.mcp.create_session_token(mcp_config_id=cfg.id, identifier=user, expiry="600s").token
    http = httpx2.AsyncClient(headers={"authorization": f"Bearer {token}"})
    async with Client(streamable_http_client(cfg.mcp_server_url, http_client=http)) as mcp:
        assert mcp.protocol_version == MODERN
        result = await mcp.call_tool("gmail_list_labels", {})
        assert result.is_error is False
    status, _ = _post(
        cfg.mcp_server_url,
        {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": _envelope()}},
        {"mcp-protocol-version": MODERN, "mcp-method": "tools/list"},
    )
    assert status == 401, "the config URL still needs its bearer token"


@pytest.mark.parametrize(
    ("body", "headers", "code"),
    [
        # Mcp-Method says one thing, the body another.
        ({"method": "tools/list", "params": {"_meta": _envelope()}}, {"mcp-protocol-version": MODERN, "mcp-method": "tools/call"}, -32020),
        # Mcp-Name differs from the tool called.
        (
            {"method": "tools/call", "params": {"_meta": _envelope(), "name": "gmail_list_labels", "arguments": {}}},
            {"mcp-protocol-version": MODERN, "mcp-method": "tools/call", "mcp-name": "gmail_send_message"},
            -32020,
        ),
        # The version header disagrees with the envelope.
        ({"method": "tools/list", "params": {"_meta": _envelope()}}, {"mcp-protocol-version": "2025-11-25", "mcp-method": "tools/list"}, -32020),
        # A version we do not speak.
        ({"method": "tools/list", "params": {"_meta": _envelope("2031-01-01")}}, {"mcp-protocol-version": "2031-01-01", "mcp-method": "tools/list"}, -32022),
        # No envelope at all on a modern request.
        ({"method": "server/discover", "params": {}}, {"mcp-protocol-version": MODERN, "mcp-method": "server/discover"}, -32602),
    ],
)
def test_envelope_errors_are_http_400(client, config, body, headers, code):
    url = _instance_url(client, config, f"bad-{uuid.uuid4().hex[:6]}")
    status, answer = _post(url, {"jsonrpc": "2.0", "id": 7, **body}, headers)
    assert status == 400, answer
    assert answer["error"]["code"] == code, answer
    if code == -32022:
        assert MODERN in answer["error"]["data"]["supported"]
        assert answer["error"]["data"]["requested"] == "2031-01-01"
