"""Quickstart (seed page "Connect my agent to apps"), Python.

Runs the documented code unchanged against `agentkit dev`: a connected account for user_123, its
authorization link, then the last 5 unread emails through `gmail_fetch_mails`.

Offline stand-in for the user's consent: when AGENTKIT_SANDBOX_URL is set (printed by `agentkit dev`)
and the account is not ACTIVE, the sandbox mints an access token for the user and the account is
updated with it through the documented `get_or_create_connected_account(authorization_details=...)`.
"""

import scalekit.client
import os
import json
import urllib.request

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

    sandbox = os.getenv("AGENTKIT_SANDBOX_URL")
    if sandbox:  # the sandbox stands in for the user's consent at Google
        request = urllib.request.Request(
            f"{sandbox}/sandbox/tokens",
            data=json.dumps({"user": "user_123"}).encode(),
            headers={"content-type": "application/json"},
        )
        token = json.load(urllib.request.urlopen(request))["access_token"]
        connected_account = actions.get_or_create_connected_account(
            connection_name=connection_name,
            identifier="user_123",
            authorization_details={"oauth_token": {"access_token": token}},
        ).connected_account
        print(f"Connected account is now {connected_account.status}")

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
