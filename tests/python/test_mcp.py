"""Real MCP clients (the official `mcp` package: Streamable HTTP and legacy SSE transports) against
per-user instance URLs: tool listing, calls for the right user, the authorization link for an
unauthorized connection, argument errors, revocation, isolation between users, 50 sessions."""

from __future__ import annotations

import asyncio
import urllib.request
import uuid

import pytest
from mcp import ClientSession
from mcp.client.sse import sse_client

try:  # mcp 2.x
    from mcp import MCPError as McpError
    from mcp.client.streamable_http import streamable_http_client
except ImportError:  # mcp 1.x (what langchain-mcp-adapters pins)
    from contextlib import asynccontextmanager

    from mcp.client.streamable_http import streamablehttp_client
    from mcp.shared.exceptions import McpError

    @asynccontextmanager
    async def streamable_http_client(url):
        async with streamablehttp_client(url) as (read, write, _):
            yield read, write

from scalekit.actions.types import McpConfigConnectionToolMapping


def _authorize(client, user):
    link = client.actions.get_authorization_link(connection_name="gmail", identifier=user).link
    urllib.request.urlopen(link).read()


@pytest.fixture
def setup(client):
    name = f"py-mcp-{uuid.uuid4().hex[:8]}"
    client.actions.mcp.create_config(
        name=name,
        connection_tool_mappings=[McpConfigConnectionToolMapping(connection_name="gmail", tools=["gmail_fetch_mails", "gmail_list_labels"])],
    )
    return name


async def _session_call(transport, url, tool, arguments):
    async with transport(url) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            listed = await session.list_tools()
            try:
                result = await session.call_tool(tool, arguments)
            except McpError as error:  # a JSON-RPC error answer
                result = error
            return [t.name for t in listed.tools], result


def _is_error(result) -> bool:
    return getattr(result, "is_error", getattr(result, "isError", None))


def _data(result) -> dict:
    return getattr(result, "structured_content", None) or getattr(result, "structuredContent", None)


async def test_streamable_http_and_sse_clients(client, setup):
    user = f"mcp-a-{uuid.uuid4().hex[:6]}"
    url = client.actions.mcp.ensure_instance(config_name=setup, user_identifier=user).instance.url

    names, result = await _session_call(streamable_http_client, url, "gmail_fetch_mails", {"query": "is:unread"})
    assert names == ["gmail_fetch_mails", "gmail_list_labels"]
    assert _is_error(result) and "/connect/" in result.content[0].text, "unauthorized → tool error with the link"

    _authorize(client, user)
    for transport in (streamable_http_client, sse_client):
        _, result = await _session_call(transport, url, "gmail_fetch_mails", {"query": "is:unread", "max_results": 3})
        assert not _is_error(result)
        assert len(_data(result)["messages"]) == 3
        assert all(user in m["to"] for m in _data(result)["messages"]), "the URL's own user's mailbox"

    # Bad arguments are a tool execution error the model can read (MCP 2025-11-25), naming the field.
    _, result = await _session_call(streamable_http_client, url, "gmail_fetch_mails", {"max_results": "three"})
    assert _is_error(result) and "arguments.max_results" in result.content[0].text
    _, error = await _session_call(streamable_http_client, url, "gmail_no_such_tool", {})
    assert isinstance(error, McpError) and "Unknown tool" in str(error)


async def test_isolation_revocation_and_concurrency(client, setup):
    alice, bob = f"mcp-alice-{uuid.uuid4().hex[:6]}", f"mcp-bob-{uuid.uuid4().hex[:6]}"
    for user in (alice, bob):
        _authorize(client, user)
    alice_url = client.actions.mcp.ensure_instance(config_name=setup, user_identifier=alice).instance.url
    bob_instance = client.actions.mcp.ensure_instance(config_name=setup, user_identifier=bob).instance
    assert alice_url != bob_instance.url

    _, result = await _session_call(streamable_http_client, alice_url, "gmail_fetch_mails", {"max_results": 1})
    assert alice in _data(result)["messages"][0]["to"] and bob not in _data(result)["messages"][0]["to"]

    sessions = await asyncio.gather(*[
        _session_call(streamable_http_client, alice_url, "gmail_list_labels", {}) for _ in range(50)
    ])
    assert all(not _is_error(r) and len(_data(r)["labels"]) == 10 for _, r in sessions)

    client.actions.mcp.delete_instance(instance_id=bob_instance.id)
    with pytest.raises(Exception):
        await _session_call(streamable_http_client, bob_instance.url, "gmail_list_labels", {})
    # Deleting the config revokes every instance URL made from it.
    config_id = client.actions.mcp.list_configs(filter_name=setup).configs[0].id
    client.actions.mcp.delete_config(config_id=config_id)
    with pytest.raises(Exception):
        await _session_call(streamable_http_client, alice_url, "gmail_list_labels", {})


async def test_a_live_session_sees_config_and_instance_changes_at_once(client, setup):
    """The gateway keeps an MCP URL's instance, config and session in memory: a change made
    through the API reaches a session that is already open (and cached) on its next message."""
    user = f"mcp-live-{uuid.uuid4().hex[:6]}"
    instance = client.actions.mcp.ensure_instance(config_name=setup, user_identifier=user).instance
    config_id = client.actions.mcp.list_configs(filter_name=setup).configs[0].id
    async with streamable_http_client(instance.url) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            for _ in range(3):  # read, then from memory
                listed = await session.list_tools()
            assert [t.name for t in listed.tools] == ["gmail_fetch_mails", "gmail_list_labels"]
            client.actions.mcp.update_config(config_id=config_id, connection_tool_mappings=[
                McpConfigConnectionToolMapping(connection_name="gmail", tools=["gmail_list_labels"])])
            listed = await session.list_tools()
            assert [t.name for t in listed.tools] == ["gmail_list_labels"], "the new mapping, on the next message"
            client.actions.mcp.delete_instance(instance_id=instance.id)
            with pytest.raises(Exception):
                await session.list_tools()
