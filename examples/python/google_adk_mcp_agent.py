"""Google ADK page, "Use MCP instead" (Python): an ADK Agent whose tools come from the user's
Scalekit MCP URL through `MCPToolset` + `StreamableHTTPConnectionParams` (Gemini at
GOOGLE_GEMINI_BASE_URL). The page shows the Agent; the runner is the page's native-tools runner."""

import asyncio
import os

import scalekit.client
from google.adk.agents import Agent
from google.adk.runners import Runner
from google.adk.sessions import InMemorySessionService
from google.adk.tools.mcp_tool.mcp_toolset import MCPToolset, StreamableHTTPConnectionParams
from google.genai import types

scalekit_client = scalekit.client.ScalekitClient(
    client_id=os.getenv("SCALEKIT_CLIENT_ID"),
    client_secret=os.getenv("SCALEKIT_CLIENT_SECRET"),
    env_url=os.getenv("SCALEKIT_ENV_URL"),
)
actions = scalekit_client.actions

# Generate the user's MCP URL (the "Generate user MCP URLs" page).
if not actions.mcp.list_configs(filter_name="adk-email-agent").configs:
    actions.mcp.create_config(name="adk-email-agent", connection_tool_mappings=[{"connection_name": "gmail", "tools": []}])
instance = actions.mcp.ensure_instance(config_name="adk-email-agent", user_identifier="user_123").instance
mcp_url = instance.url
for conn in actions.mcp.get_instance_auth_state(instance_id=instance.id, include_auth_links=True).connections:
    if conn.connected_account_status != "ACTIVE":
        print(f"Authorize {conn.connection_name}:", conn.authentication_link)
        input("Press Enter after authorizing...")

agent = Agent(
    name="gmail_assistant",
    model="gemini-2.0-flash",
    instruction="You are a helpful Gmail assistant.",
    tools=[
        MCPToolset(
            connection_params=StreamableHTTPConnectionParams(url=mcp_url)
        )
    ],
)


async def main():
    session_service = InMemorySessionService()
    runner = Runner(agent=agent, app_name="gmail_app", session_service=session_service)
    session = await session_service.create_session(app_name="gmail_app", user_id="user_123")
    message = types.Content(role="user", parts=[types.Part(text="Fetch my last 5 unread emails and summarize them")])
    async for event in runner.run_async(user_id="user_123", session_id=session.id, new_message=message):
        if event.is_final_response():
            print("".join(part.text or "" for part in event.content.parts))
    await runner.close()


asyncio.run(main())
