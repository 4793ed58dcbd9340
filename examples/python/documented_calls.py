"""Documented calls only: a connected account with explicit credentials, list_scoped_tools,
execute_tool and the proxied request. Used to check the released wheel in a clean venv
(`scripts/check-dist.sh`); run it against `agentkit dev` with its printed variables set."""

import json
import os
import urllib.request
import uuid

from google.protobuf.json_format import MessageToDict

import scalekit.client

client = scalekit.client.ScalekitClient(
    client_id=os.getenv("SCALEKIT_CLIENT_ID"),
    client_secret=os.getenv("SCALEKIT_CLIENT_SECRET"),
    env_url=os.getenv("SCALEKIT_ENV_URL"),
)
actions = client.actions
user = f"dist-{uuid.uuid4().hex[:8]}"

# The sandbox upstream mints the user's access token (a stand-in for Google's consent).
minted = urllib.request.Request(
    os.environ["AGENTKIT_SANDBOX_URL"] + "/sandbox/tokens",
    data=json.dumps({"user": user}).encode(),
    headers={"content-type": "application/json"},
)
access_token = json.load(urllib.request.urlopen(minted))["access_token"]

account = actions.create_connected_account(
    connection_name="gmail",
    identifier=user,
    authorization_details={"oauth_token": {"access_token": access_token}},
).connected_account
assert account.status == "ACTIVE", account.status

scoped, _ = actions.tools.list_scoped_tools(identifier=user, filter={"connection_names": ["gmail"]}, page_size=100)
names = [MessageToDict(t.tool).get("definition", {}).get("name") for t in scoped.tools]
assert "gmail_fetch_mails" in names, names

result = actions.execute_tool(tool_name="gmail_fetch_mails", identifier=user, tool_input={"query": "is:unread", "max_results": 5})
assert isinstance(result.data, dict) and len(result.data["messages"]) == 5

response = actions.request(connection_name="gmail", identifier=user, path="/gmail/v1/users/me/messages", query_params={"maxResults": 5, "q": "is:unread"})
assert response.status_code == 200 and len(response.json()["messages"]) == 5

print(f"python ok: {len(names)} tools, {len(result.data['messages'])} unread emails, proxy {response.status_code}")
