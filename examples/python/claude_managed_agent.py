"""Claude Managed Agents page (seed "Claude Managed Agents"), Python.

Runs everything up to the call into Anthropic's hosted service: the user's MCP URL from the
config, its authorization state (links for connections not yet ACTIVE), and the agent definition
the page passes to `client.beta.agents.create`. The hosted agent loop cannot run here, so the
script then does what Anthropic's runner does with the URL — connects an MCP client to it and calls
`gmail_fetch_mails` — unless RUN_MANAGED_AGENT=1, where it creates the agent for real.
"""

import asyncio
import json
import os

import scalekit.client
from mcp import ClientSession
from mcp.client.streamable_http import streamablehttp_client

scalekit_client = scalekit.client.ScalekitClient(
    client_id=os.getenv("SCALEKIT_CLIENT_ID"),
    client_secret=os.getenv("SCALEKIT_CLIENT_SECRET"),
    env_url=os.getenv("SCALEKIT_ENV_URL"),
)
actions = scalekit_client.actions

if not actions.mcp.list_configs(filter_name="email-assistant").configs:  # the page assumes it exists
    actions.mcp.create_config(name="email-assistant", connection_tool_mappings=[{"connection_name": "gmail", "tools": []}])

inst_response = actions.mcp.ensure_instance(
    config_name="email-assistant",  # your MCP config name
    user_identifier="user_123",  # your app's unique user ID
)
mcp_url = inst_response.instance.url

# Before passing the URL to the agent, confirm every connection is authorized.
auth_state = actions.mcp.get_instance_auth_state(instance_id=inst_response.instance.id, include_auth_links=True)
for conn in auth_state.connections:
    if conn.connected_account_status != "ACTIVE":
        print(f"Authorize {conn.connection_name}:", conn.authentication_link)
        input("Press Enter after authorizing...")

agent_definition = {
    "name": "Gmail Assistant",
    "model": "claude-opus-4-7",
    "system": "You are a helpful assistant with access to the user's Gmail account.",
    "mcp_servers": [{"type": "url", "name": "scalekit", "url": mcp_url}],
    "tools": [{"type": "mcp_toolset", "mcp_server_name": "scalekit", "default_config": {"permission_policy": {"type": "always_allow"}}}],
}

if os.getenv("RUN_MANAGED_AGENT") == "1":
    from anthropic import Anthropic

    agent = Anthropic().beta.agents.create(**agent_definition)
    print("Created managed agent", agent.id)
else:

    async def as_the_hosted_runner_would():
        async with streamablehttp_client(mcp_url) as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                tools = await session.list_tools()
                print("MCP tools offered to the agent:", ", ".join(t.name for t in tools.tools))
                result = await session.call_tool("gmail_fetch_mails", {"query": "is:unread", "max_results": 5})
                messages = json.loads(result.content[0].text)["messages"]
                print(f"The most recent one is: {messages[0]['subject']}.")

    asyncio.run(as_the_hosted_runner_would())
