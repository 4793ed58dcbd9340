"""No credential ever leaves the vault by a side door: not in list responses, execution records,
error messages or the gateway's own logs (debug level)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid

import pytest

from scalekit.common.exceptions import ScalekitBadRequestException

from gateway import api_token

CANARY = "ya29.canary-SECRET-never-log-me"



def test_credentials_stay_secret(client, gateway, gateway_env):
    actions = client.actions
    actions.create_connected_account(connection_name="gmail", identifier="secret-user",
                                     authorization_details={"oauth_token": {"access_token": CANARY, "refresh_token": CANARY + "-refresh"}})
    # The provider rejects the access token, then the refresh token: the account is EXPIRED.
    with pytest.raises(ScalekitBadRequestException) as info:
        actions.execute_tool(tool_name="gmail_fetch_mails", identifier="secret-user", tool_input={"query": "is:unread"})
    assert "EXPIRED" in info.value.message
    assert CANARY not in str(info.value) and CANARY not in info.value.message
    proxied = actions.request(connection_name="gmail", identifier="secret-user", path="/gmail/v1/users/me/labels")
    assert proxied.status_code == 400 and CANARY not in proxied.text

    listed = actions.list_connected_accounts(identifier="secret-user")
    assert CANARY not in json.dumps(listed.to_dict(), default=str)
    details = actions.get_connected_account_details(connection_name="gmail", identifier="secret-user")
    assert details.connected_account.authorization_details is None

    token = api_token(gateway_env)
    records = urllib.request.urlopen(urllib.request.Request(
        gateway_env["SCALEKIT_ENV_URL"] + "/api/v1/executions?identifier=secret-user", headers={"authorization": f"Bearer {token}"})).read().decode()
    assert "gmail_fetch_mails" in records and "FAILED" in records
    assert CANARY not in records

    log = gateway.log_text()
    assert "secret-user" in log or "connected account created" in log  # the log did record the activity
    assert CANARY not in log
    assert gateway_env["SCALEKIT_CLIENT_SECRET"] not in log
    # The only place the credential is returned: the documented credential read.
    full = actions.get_connected_account(connection_name="gmail", identifier="secret-user")
    assert full.connected_account.authorization_details["oauth_token"]["access_token"] == CANARY


def test_connected_account_search_matches_text_pages_and_never_returns_credentials(client, gateway_env):
    tag = f"srch{uuid.uuid4().hex[:6]}"
    for n in range(3):
        client.actions.create_connected_account(connection_name="gmail", identifier=f"{tag}-user-{n}@Example.com",
                                                authorization_details={"oauth_token": {"access_token": CANARY, "refresh_token": CANARY}})
    base, token = gateway_env["SCALEKIT_ENV_URL"], api_token(gateway_env)

    def search(query):
        request = urllib.request.Request(f"{base}/api/v1/connected_accounts:search?{query}", headers={"authorization": f"Bearer {token}"})
        try:
            return 200, json.load(urllib.request.urlopen(request))
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    status, first = search(f"query={tag.upper()}-USER&page_size=2")
    assert status == 200 and first["total_size"] == 3 and len(first["connected_accounts"]) == 2, first
    status, second = search(f"query={tag}-user&page_size=2&page_token={first['next_page_token']}")
    found = {a["identifier"] for a in first["connected_accounts"] + second["connected_accounts"]}
    assert found == {f"{tag}-user-{n}@Example.com" for n in range(3)}
    assert CANARY not in json.dumps(first) + json.dumps(second)
    assert all(a.get("authorization_details") in (None, {}) for a in first["connected_accounts"])
    status, by_connector = search(f"query={tag}&connection_id=gmail")
    assert status == 200 and by_connector["total_size"] == 3
    status, none = search(f"query={tag}&connection_id=slack")
    assert status == 200 and none["total_size"] == 0
    for bad, field in (("query=ab", "query"), (f"query={tag}&page_size=31", "page_size")):
        status, body = search(bad)
        assert status == 400 and field in json.dumps(body), body
