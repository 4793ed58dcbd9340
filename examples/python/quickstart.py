"""Quickstart (seed page "Connect my agent to apps"), Python.

The documented code, unchanged: a connected account for user_123, its authorization link (open it
in a browser, authorize, press Enter), then the last 5 unread emails through `gmail_fetch_mails`.
Against `agentkit dev` the link leads to the sandbox's consent page, which approves at once;
`make demo` opens the link with an HTTP client and presses Enter for you (scripts/demo_driver.py).
"""

import scalekit.client
import os

scalekit_client = scalekit.client.ScalekitClient(
    client_id=os.getenv("SCALEKIT_CLIENT_ID"),
    client_secret=os.getenv("SCALEKIT_CLIENT_SECRET"),
    env_url=os.getenv("SCALEKIT_ENV_URL"),
)
actions = scalekit_client.actions
connection_name = os.getenv("GMAIL_CONNECTION_NAME")  # must match the Connection name exactly

# Create or retrieve the user's connected Gmail account
response = actions.get_or_create_connected_account(
    connection_name=connection_name,
    identifier="user_123",  # Replace with your system's unique user ID
)
connected_account = response.connected_account
print(f"Connected account created: {connected_account.id}")

# Generate authorization link if user hasn't authorized or token is expired
if connected_account.status != "ACTIVE":
    print(f"Gmail is not connected: {connected_account.status}")
    link_response = actions.get_authorization_link(
        connection_name=connection_name,
        identifier="user_123",
    )
    print("🔗 click on the link to authorize Gmail", link_response.link)
    input("⎆ Press Enter after authorizing Gmail...")


response = actions.execute_tool(
    tool_name="gmail_fetch_mails",
    identifier="user_123",
    tool_input={
        "query": "is:unread",
        "max_results": 5,
    },
)

print(f"Last {len(response.data['messages'])} unread emails (execution {response.execution_id}):")
for message in response.data["messages"]:
    print(f"- {message['subject']}")
    print(f"  from: {message['from']}  date: {message['date']}")
    print(f"  {message['snippet']}")
