"""LangChain page, "Use MCP instead" (Python): a LangChain agent on the user's Scalekit MCP URL
through langchain-mcp-adapters. Fixes to the page, marked below: `MultiServerMCPClient` is no
longer an async context manager and its `get_tools()` is a coroutine (langchain-mcp-adapters 0.1+)."""

import asyncio
import os

import scalekit.client
from langchain_core.messages import HumanMessage, ToolMessage
from langchain_mcp_adapters.client import MultiServerMCPClient
from langchain_openai import ChatOpenAI

scalekit_client = scalekit.client.ScalekitClient(
    client_id=os.getenv("SCALEKIT_CLIENT_ID"),
    client_secret=os.getenv("SCALEKIT_CLIENT_SECRET"),
    env_url=os.getenv("SCALEKIT_ENV_URL"),
)
actions = scalekit_client.actions

# Generate the user's MCP URL (the "Generate user MCP URLs" page).
if not actions.mcp.list_configs(filter_name="langchain-email-agent").configs:
    actions.mcp.create_config(name="langchain-email-agent", connection_tool_mappings=[{"connection_name": "gmail", "tools": []}])
mcp_url = actions.mcp.ensure_instance(config_name="langchain-email-agent", user_identifier="user_123").instance.url
auth_state = actions.mcp.get_instance_auth_state(
    instance_id=actions.mcp.ensure_instance(config_name="langchain-email-agent", user_identifier="user_123").instance.id,
    include_auth_links=True,
)
for conn in auth_state.connections:
    if conn.connected_account_status != "ACTIVE":
        print(f"Authorize {conn.connection_name}:", conn.authentication_link)
        input("Press Enter after authorizing...")


async def run(mcp_url: str):
    client = MultiServerMCPClient({"scalekit": {"transport": "streamable_http", "url": mcp_url}})  # fix: no `async with`
    tools = await client.get_tools()  # fix: a coroutine
    tool_map = {t.name: t for t in tools}
    llm = ChatOpenAI(model="gpt-4o").bind_tools(tools)
    messages = [HumanMessage("Fetch my last 5 unread emails and summarize them")]
    while True:
        response = await llm.ainvoke(messages)
        messages.append(response)
        if not response.tool_calls:
            print(response.content)
            break
        for tc in response.tool_calls:
            result = await tool_map[tc["name"]].ainvoke(tc["args"])
            messages.append(ToolMessage(content=str(result), tool_call_id=tc["id"]))


asyncio.run(run(mcp_url))
