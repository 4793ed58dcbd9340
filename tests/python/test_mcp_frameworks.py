"""The framework MCP clients of the seed pages against an instance URL: LangChain's
`MultiServerMCPClient` (langchain-mcp-adapters) and Google ADK's `MCPToolset` with
`StreamableHTTPConnectionParams`. Each lists the tools and runs `gmail_fetch_mails` for the URL's
user."""

from __future__ import annotations

import json
import urllib.request
import uuid

from google.adk.tools.mcp_tool.mcp_session_manager import StreamableHTTPConnectionParams
from google.adk.tools.mcp_tool.mcp_toolset import MCPToolset
from langchain_mcp_adapters.client import MultiServerMCPClient


def _instance_url(client) -> tuple[str, str]:
    user = f"fw-{uuid.uuid4().hex[:8]}"
    name = f"fw-{uuid.uuid4().hex[:8]}"
    client.actions.mcp.create_config(name=name, connection_tool_mappings=[{"connection_name": "gmail", "tools": ["gmail_fetch_mails"]}])
    urllib.request.urlopen(client.actions.get_authorization_link(connection_name="gmail", identifier=user).link).read()
    return client.actions.mcp.ensure_instance(config_name=name, user_identifier=user).instance.url, user


def _messages(result) -> list:
    """The tool output as the framework hands it to the model (JSON text, possibly in content blocks)."""
    if isinstance(result, tuple):
        result = result[0]
    if isinstance(result, list):
        result = "".join(block.get("text", "") if isinstance(block, dict) else str(block) for block in result)
    if isinstance(result, dict):
        result = result.get("content", [{}])[0].get("text", json.dumps(result))
    return json.loads(result)["messages"]


async def test_langchain_multi_server_mcp_client(client):
    url, user = _instance_url(client)
    mcp_client = MultiServerMCPClient({"agentkit": {"url": url, "transport": "streamable_http"}})
    tools = await mcp_client.get_tools()
    assert [t.name for t in tools] == ["gmail_fetch_mails"]
    result = await tools[0].ainvoke({"query": "is:unread", "max_results": 2})
    messages = _messages(result)
    assert len(messages) == 2 and all(user in m["to"] for m in messages)


async def test_google_adk_mcp_toolset(client):
    url, user = _instance_url(client)
    toolset = MCPToolset(connection_params=StreamableHTTPConnectionParams(url=url))
    try:
        tools = await toolset.get_tools()
        assert [t.name for t in tools] == ["gmail_fetch_mails"]
        result = await tools[0].run_async(args={"query": "is:unread", "max_results": 3}, tool_context=None)
        messages = _messages(result if not hasattr(result, "model_dump") else result.model_dump())
        assert len(messages) == 3 and all(user in m["to"] for m in messages)
    finally:
        await toolset.close()
