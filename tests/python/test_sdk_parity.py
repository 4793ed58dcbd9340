"""Drop-in parity with the official ``scalekit-sdk-python``: the mechanical surface comparison
against the real package (scripts/sdk_parity.py installs it into a scratch venv), then
official-style calls that used to fail on this SDK, run against ``agentkit dev``."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import urllib.request
import uuid
from datetime import datetime, timedelta
from http import HTTPStatus
from pathlib import Path

import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamablehttp_client

from scalekit.actions.types import McpConfigConnectionToolMapping

ROOT = Path(__file__).resolve().parents[2]


def test_every_official_method_is_here_with_a_compatible_signature():
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "sdk_parity.py"), "--strict"], capture_output=True,
                         text=True, timeout=600)
    print(out.stdout, out.stderr)
    assert out.returncode == 0, out.stdout + out.stderr
    found = re.search(r"(\d+) official, (\d+) compatible; names (\d+) official, (\d+) present", out.stdout)
    assert found, out.stdout
    official, compatible, names, present = map(int, found.groups())
    baseline = json.loads((ROOT / "tests" / "parity" / "python-baseline.json").read_text())
    assert compatible >= len(baseline["compatible"]) and official >= 70
    assert present == names, out.stdout


def test_the_comparison_notices_a_changed_signature():
    sys.path.insert(0, str(ROOT / "scripts"))
    from sdk_parity import incompatibility

    official = {"kind": "method", "params": [{"name": "a", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                                             {"name": "b", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                                             {"name": "kwargs", "kind": "VAR_KEYWORD", "default": None}]}
    same = json.loads(json.dumps(official))
    assert incompatibility(official, same) is None
    swapped = {"kind": "method", "params": [same["params"][1], same["params"][0], same["params"][2]]}
    assert "position" in incompatibility(official, swapped)
    no_kwargs = {"kind": "method", "params": same["params"][:2]}
    assert incompatibility(official, no_kwargs) == "no **kwargs"
    other_default = json.loads(json.dumps(official))
    other_default["params"][1]["default"] = "5"
    assert "defaults to 5" in incompatibility(official, other_default)
    assert incompatibility(official, None) == "missing"


def test_official_style_mcp_calls(client):
    name = f"py-parity-{uuid.uuid4().hex[:8]}"
    user = f"{name}@example.com"
    # Unknown keywords are taken, as the official pass-throughs take them, and said to be ignored.
    with pytest.warns(UserWarning, match="'unknown_option'; it is ignored"):
        created = client.actions.create_config(name=name, connection_tool_mappings=[
            McpConfigConnectionToolMapping(connection_name="gmail", tools=["gmail_fetch_mails"])], unknown_option=True)
    config = created.config
    # list_configs(filter_mcp_server_url=...) filters; paging under the official names.
    with pytest.warns(UserWarning, match="'ignored'; it is ignored"):
        listed = client.actions.list_configs(filter_mcp_server_url=config.mcp_server_url, page_size=5, ignored=1)
    assert [c.id for c in listed.configs] == [config.id]
    assert listed.total_count == 1 and listed.previous_page_token is None
    assert client.actions.mcp.list_configs(filter_mcp_server_url=config.mcp_server_url + "x").configs == []
    # Instances carry datetimes.
    instance = client.actions.ensure_instance(config_name=name, user_identifier=user).instance
    assert isinstance(instance.updated_at, datetime) and instance.config.name == name
    # Each answer is of the official response type (not a look-alike of another one).
    from scalekit.actions.types import GetMcpInstanceResponse, UpdateMcpConfigResponse, UpdateMcpInstanceResponse

    assert type(client.actions.get_instance(instance_id=instance.id)) is GetMcpInstanceResponse
    assert type(client.actions.update_instance(instance_id=instance.id, name="renamed")) is UpdateMcpInstanceResponse
    assert type(client.actions.update_config(config_id=config.id, description="d")) is UpdateMcpConfigResponse
    # timedelta expiry, datetime expires_at (naive UTC).
    token = client.actions.mcp.create_session_token(mcp_config_id=config.id, identifier=user, expiry=timedelta(minutes=30))
    remaining = token.expires_at - datetime.utcnow()
    assert timedelta(minutes=29) < remaining <= timedelta(minutes=30, seconds=5), remaining
    with pytest.raises(ValueError):
        client.actions.mcp.create_session_token(mcp_config_id=config.id, connection_name="gmail", identifier=user)

    # Pydantic-style model methods.
    dumped = listed.model_dump()
    assert dumped["configs"][0]["id"] == config.id and dumped["total_count"] == 1
    assert json.loads(listed.model_dump_json())["configs"][0]["name"] == name
    assert listed.dict() == dumped and json.loads(listed.json()) == json.loads(listed.model_dump_json())
    assert type(listed).model_validate(dumped) == listed
    assert isinstance(type(instance).model_validate(instance.model_dump(mode="json")).updated_at, datetime)
    with pytest.warns(UserWarning, match="'extra'; it is ignored"):
        client.actions.delete_config(config_id=config.id, extra="ignored")


def test_connection_mcp_server_with_a_connection_session_token(client, gateway_env):
    user = f"py-conn-{uuid.uuid4().hex[:8]}"
    link = client.actions.get_authorization_link(connection_name="gmail", identifier=user).link
    urllib.request.urlopen(link).read()
    token = client.actions.mcp.create_session_token(connection_name="Gmail", identifier=user, access_level="READ_ONLY",
                                                    expiry=timedelta(minutes=5)).token
    url = f"{gateway_env['SCALEKIT_ENV_URL']}/mcp/v3/connections/gmail"

    async def session(bearer):
        async with streamablehttp_client(url, headers={"Authorization": f"Bearer {bearer}"}) as (read, write, _):
            async with ClientSession(read, write) as s:
                await s.initialize()
                tools = [t.name for t in (await s.list_tools()).tools]
                return tools, await s.call_tool("gmail_fetch_mails", {"max_results": 1})

    tools, result = asyncio.run(session(token))
    # Every read-only gmail tool, none that writes, and calls run as the token's user.
    assert "gmail_fetch_mails" in tools and "gmail_list_labels" in tools and "gmail_send_message" not in tools
    assert not getattr(result, "isError", False), result
    with pytest.raises(Exception):
        asyncio.run(session(token + "x"))
    # A config token does not open a connection's server.
    other = client.actions.mcp.create_config(name=f"c{uuid.uuid4().hex[:8]}").config
    config_token = client.actions.mcp.create_session_token(mcp_config_id=other.id, identifier=user).token
    request = urllib.request.Request(url, data=b"{}", method="POST", headers={"Authorization": f"Bearer {config_token}",
                                                                              "Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)
    assert refused.value.code == 401


def test_exceptions_carry_the_official_attributes(client):
    from scalekit.common.exceptions import ScalekitNotFoundException, ScalekitServerException

    with pytest.raises(ScalekitNotFoundException) as caught:
        client.actions.get_instance(instance_id="inst_missing")
    error = caught.value
    assert error.http_status is HTTPStatus.NOT_FOUND and error.http_status == 404
    assert error.grpc_status.name == "NOT_FOUND"
    assert error.err_details and error.err_details[0]["error_code"] == "NOT_FOUND"

    class Answer:  # what requests.Response offers promote()
        status_code = 409
        content = json.dumps({"code": 6, "message": "exists", "details": []}).encode()

    promoted = ScalekitServerException.promote(Answer())
    assert type(promoted).__name__ == "ScalekitConflictException" and promoted.message == "exists"
    assert ScalekitServerException.promote(error) is error


def test_client_positional_order_and_enum_helpers(gateway_env):
    from scalekit import ScalekitClient
    from scalekit.v1.connected_accounts import connected_accounts_pb2

    positional = ScalekitClient(gateway_env["SCALEKIT_ENV_URL"], gateway_env["SCALEKIT_CLIENT_ID"],
                                gateway_env["SCALEKIT_CLIENT_SECRET"], 30_000, 5_000, 15, 45)
    assert positional.actions.list_tools(page_size=1).tools
    status = connected_accounts_pb2.ConnectorStatus
    assert status.Name(1) == "ACTIVE" and status.Value("EXPIRED") == 2 and connected_accounts_pb2.PENDING_AUTH == 3
    with pytest.raises(ValueError):
        status.Name(99)


def test_search_tools_and_low_level_pairs(client):
    from google.protobuf.json_format import MessageToDict

    from scalekit.v1.tools import tools_pb2

    user = f"py-search-{uuid.uuid4().hex[:8]}"
    client.actions.get_or_create_connected_account(connection_name="gmail", identifier=user)
    response, call = client.tools.search_tools("read my unread emails", identifier=user, top_k=2)
    assert call is None and len(response.tools) == 2 and response.tools[0].name.startswith("gmail_")
    readiness = response.tools[0].connections[0]
    assert readiness.readiness_state == tools_pb2.TOOL_READINESS_STATE_NEEDS_CONNECTION and readiness.connection_name == "gmail"
    assert MessageToDict(response)["tools"][0]["score"] > 0
    # An unknown keyword is taken (the official signature has **kwargs) and said to be ignored.
    with pytest.warns(UserWarning, match=r"search_tools\(\) got an unknown keyword argument 'unknown'; it is ignored"):
        ranked = client.actions.search_tools(query="read my unread emails", identifier=user, top_k=2, unknown=1)
    assert [t.name for t in ranked.tools] == [t.name for t in response.tools]
    assert ranked.tools[0].connections[0].readiness_state == "NEEDS_CONNECTION"
    assert len(client.actions.search_tools("gmail", top_k=500).tools) <= 50
    # tools.execute_tool returns the official (response, call) pair too.
    link = client.actions.get_authorization_link(connection_name="gmail", identifier=user).link
    urllib.request.urlopen(link).read()
    result, call = client.tools.execute_tool(tool_name="gmail_list_labels", identifier=user, params={})
    assert call is None and result.execution_id and "labels" in MessageToDict(result.data)


def test_low_level_connected_accounts_and_mcp_clients(client):
    from scalekit.v1.connected_accounts.connected_accounts_pb2 import (
        AuthorizationDetails,
        ConnectorStatus,
        CreateConnectedAccount,
        OauthToken,
        UpdateConnectedAccount,
    )
    from scalekit.v1.mcp.mcp_pb2 import McpConfig, McpConfigConnectionToolMapping

    accounts, mcp = client.connected_accounts, client.mcp
    user = f"py-low-{uuid.uuid4().hex[:8]}"
    details = AuthorizationDetails(oauth_token=OauthToken(access_token="tok-1", scopes=["mail.read"]))
    created, call = accounts.create_connected_account("gmail", user, CreateConnectedAccount(authorization_details=details))
    assert call is None and created.connected_account.status == ConnectorStatus.ACTIVE
    account_id = created.connected_account.id
    fetched = accounts.get_connected_account_by_identifier("gmail", user)
    assert fetched.connected_account.authorization_details.oauth_token.access_token == "tok-1"
    assert fetched.connected_account.updated_at.ToDatetime().year >= 2024
    hidden = accounts.get_connected_account_details_by_identifier(connector="gmail", identifier=user)
    assert not hidden.connected_account.authorization_details.oauth_token.access_token
    replaced = UpdateConnectedAccount(authorization_details=AuthorizationDetails(oauth_token=OauthToken(access_token="tok-2")))
    accounts.update_connected_account("gmail", user, replaced, connected_account_id=account_id)
    assert accounts.get_connected_account_by_identifier("gmail", user)[0].connected_account.authorization_details.oauth_token.access_token == "tok-2"
    listed, _ = accounts.list_connected_accounts(identifier=user)
    assert [a.id for a in listed.connected_accounts] == [account_id] and listed.total_size == 1
    link = accounts.get_magic_link_for_connected_account("gmail", user, state="s1")
    assert "/connect/" in link.link and link.expiry.seconds > 0
    accounts.delete_connected_account("gmail", user)
    assert accounts.list_connected_accounts(identifier=user).connected_accounts == []

    name = f"low{uuid.uuid4().hex[:8]}"
    config = mcp.create_config(McpConfig(name=name, connection_tool_mappings=[
        McpConfigConnectionToolMapping(connection_name="gmail", tools=["gmail_fetch_mails"])])).config
    assert config.mcp_server_url and config.connection_tool_mappings[0].provider
    assert [c.id for c in mcp.list_configs(filter_mcp_server_url=config.mcp_server_url).configs] == [config.id]
    instance = mcp.ensure_instance(None, name, user).instance
    assert instance.url and mcp.get_instance(instance.id).instance.user_identifier == user
    states = mcp.get_instance_auth_state(instance.id, include_auth_links=True).connections
    assert states[0].connection_name == "gmail" and states[0].authentication_link
    token = mcp.create_session_token(config.id, user, timedelta(minutes=10))
    assert token.token and token.expires_at.ToDatetime() > datetime.utcnow()
    mcp.delete_instance(instance.id)
    mcp.delete_config(config.id)
    assert mcp.list_configs(filter_name=name).configs == []


def _standard_webhooks_headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict:
    """Signs as the Standard Webhooks specification says, independently of the SDK."""
    import base64
    import hashlib
    import hmac

    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp), "webhook-signature": "v1," + base64.b64encode(digest).decode()}


def test_trigger_event_verification(client):
    import base64
    import time

    from scalekit.common.exceptions import WebhookVerificationError

    secret = "whsec_" + base64.b64encode(b"trigger-secret-0123456789abcdef").decode()
    body = json.dumps({"type": "gmail.message.received", "data": {"message_id": "m1"}}).encode()
    headers = _standard_webhooks_headers(secret, "evt_1", int(time.time()), body)
    assert client.verify_trigger_event(secret, headers, body)["data"]["message_id"] == "m1"
    assert client.actions.triggers.verify_event(secret, headers, body.decode())["type"] == "gmail.message.received"
    stale = _standard_webhooks_headers(secret, "evt_1", int(time.time()) - 301, body)
    for bad_headers, bad_body in [(stale, body), (headers, body + b" "), ({k: v for k, v in headers.items() if k != "webhook-id"}, body)]:
        with pytest.raises(WebhookVerificationError):
            client.verify_trigger_event(secret, bad_headers, bad_body)
    listed = b"[1, 2]"
    with pytest.raises(WebhookVerificationError):
        client.actions.triggers.verify_event(secret, _standard_webhooks_headers(secret, "evt_2", int(time.time()), listed), listed)


def test_a_misspelt_keyword_warns_instead_of_running_without_it(client):
    """``execute_tool(tool_inputs=...)`` (one letter off) used to run the tool with no input, silently."""
    user = f"py-kw-{uuid.uuid4().hex[:8]}"
    client.actions.create_connected_account(connection_name="gmail", identifier=user,
                                            authorization_details={"static_auth": {"details": {"access_token": "t"}}})
    with pytest.warns(UserWarning, match=r"execute_tool\(\) got an unknown keyword argument 'tool_inputs' \(did you mean 'tool_input'\?\)"):
        try:  # the call itself may fail (a made-up token): the warning is the point
            client.actions.execute_tool(tool_name="gmail_fetch_emails", identifier=user, tool_inputs={"max_results": 1})
        except Exception:  # noqa: BLE001
            pass
    with pytest.warns(UserWarning, match=r"request\(\) got an unknown keyword argument 'query' \(did you mean 'query_params'\?\)"):
        client.actions.request(connection_name="gmail", identifier=user, path="/gmail/v1/users/me/labels", query={"x": 1})
    with pytest.warns(UserWarning, match=r"list_configs\(\) got an unknown keyword argument 'flter'"):
        client.actions.list_configs(flter="x")
    # Known keywords stay quiet.
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client.actions.list_connected_accounts(identifier=user, query=user)

