"""OpenAI page (seed "OpenAI"), Python: the Chat Completions loop, then the Responses API loop.
The documented code; the model is reached at OPENAI_BASE_URL (the scripted endpoint in tests)."""

import json
import os

import scalekit.client
from google.protobuf.json_format import MessageToDict
from openai import OpenAI

scalekit_client = scalekit.client.ScalekitClient(
    client_id=os.getenv("SCALEKIT_CLIENT_ID"),
    client_secret=os.getenv("SCALEKIT_CLIENT_SECRET"),
    env_url=os.getenv("SCALEKIT_ENV_URL"),
)
actions = scalekit_client.actions
client = OpenAI()

response = actions.get_or_create_connected_account(connection_name="gmail", identifier="user_123")
if response.connected_account.status != "ACTIVE":
    link = actions.get_authorization_link(connection_name="gmail", identifier="user_123")
    print("Authorize Gmail:", link.link)
    input("Press Enter after authorizing...")

# Fetch and convert tools to OpenAI format
scoped_response, _ = actions.tools.list_scoped_tools(
    identifier="user_123",
    filter={"connection_names": ["gmail"]},
    page_size=100,  # fetch beyond the default page so no connector tools are missed
)
llm_tools = [
    {
        "type": "function",
        "function": {
            "name": MessageToDict(t.tool).get("definition", {}).get("name"),
            "description": MessageToDict(t.tool).get("definition", {}).get("description", ""),
            "parameters": MessageToDict(t.tool).get("definition", {}).get("input_schema", {}),
        },
    }
    for t in scoped_response.tools
]

# Run the agent loop
messages = [{"role": "user", "content": "Fetch my last 5 unread emails and summarize them"}]

while True:
    response = client.chat.completions.create(
        model="gpt-4o",
        tools=llm_tools,
        messages=messages,
    )
    message = response.choices[0].message
    if not message.tool_calls:
        print(message.content)
        break
    messages.append(message)
    for tc in message.tool_calls:
        result = actions.execute_tool(
            tool_name=tc.function.name,
            identifier="user_123",
            tool_input=json.loads(tc.function.arguments),
        )
        messages.append({
            "role": "tool",
            "tool_call_id": tc.id,
            "content": str(result.data),
        })

# Responses API. The seed passes the Chat Completions tool list here, which the Responses API
# rejects (it wants `{type, name, parameters}` at the top level): use the Responses format.
responses_tools = actions.tools.format_tools([MessageToDict(t.tool)["definition"] for t in scoped_response.tools], "openai_responses")
response = client.responses.create(
    model="gpt-4o",
    input="Fetch my last 5 unread emails and summarize them",
    tools=responses_tools,
)
while any(item.type == "function_call" for item in response.output):
    tool_results = [
        {
            "type": "function_call_output",
            "call_id": item.call_id,
            "output": str(actions.execute_tool(
                tool_name=item.name,
                identifier="user_123",
                tool_input=json.loads(item.arguments),
            ).data),
        }
        for item in response.output
        if item.type == "function_call"
    ]
    response = client.responses.create(
        model="gpt-4o",
        previous_response_id=response.id,
        input=tool_results,
        tools=responses_tools,
    )
for item in response.output:
    if item.type == "message":
        print(item.content[0].text)
