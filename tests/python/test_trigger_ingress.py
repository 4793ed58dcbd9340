"""Pushed triggers through ``actions.triggers``, beyond what the shared scenario can reach on
``agentkit dev``'s Gmail: a GitHub connection (added over REST) gets its ingress endpoint, a signing
secret and a confirmed rotation; the activity counts show the missing secret; a webhook endpoint's
delivery attempts list the receiver's answers, newest first."""

from __future__ import annotations

import asyncio
import http.server
import json
import threading
import time
import urllib.error
import urllib.request
import uuid

import pytest

import scalekit.client
from scalekit.common.exceptions import ScalekitConflictException, ScalekitNotFoundException

from gateway import DevGateway, api_token


@pytest.fixture(scope="module")
def gateway():
    gateway = DevGateway()
    yield gateway
    gateway.stop()


def _client(env):
    return scalekit.client.ScalekitClient(env_url=env["SCALEKIT_ENV_URL"], client_id=env["SCALEKIT_CLIENT_ID"],
                                          client_secret=env["SCALEKIT_CLIENT_SECRET"])


def _api(env, method, path, body=None):
    request = urllib.request.Request(env["SCALEKIT_ENV_URL"] + path, method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"authorization": f"Bearer {api_token(env)}", "content-type": "application/json"})
    try:
        return json.load(urllib.request.urlopen(request))
    except urllib.error.HTTPError as e:
        return {"status": e.code, **json.loads(e.read() or b"{}")}


def test_ingress_endpoint_and_signing_secret_rotation(gateway):
    env = gateway.env
    triggers = _client(env).actions.triggers
    created = _api(env, "POST", "/api/v1/connections", {"name": "github", "connector": "github"})
    assert created.get("name") == "github", created
    with pytest.raises(ScalekitNotFoundException):
        triggers.get_trigger_ingress_endpoint(connection_id="github")

    ingress = triggers.create_trigger_ingress_endpoint(connection_id="github")
    assert ingress.connection_id == "conn_github" and ingress.url.endswith("/api/v1/trigger-delivery/wb/" + ingress.id)
    assert (ingress.signing_secret_configured, ingress.signing_secret_rotation_id) == (False, 0)
    assert triggers.create_trigger_ingress_endpoint(connection_id="conn_github").id == ingress.id, "again: the same one"
    assert triggers.get_trigger_activity().signature_banner is True, "a pushed trigger without its secret"

    first = triggers.set_trigger_signing_secret(connection_id="github", signing_secret="first-secret-0001")
    assert (first.signing_secret_configured, first.signing_secret_rotation_id, first.rotation_in_progress) == (True, 1, False)
    assert first.masked_signing_secret == "••••0001" and "first-secret" not in json.dumps(first)
    second = triggers.set_trigger_signing_secret(connection_id="github", signing_secret="second-secret-0002")
    assert (second.signing_secret_rotation_id, second.rotation_in_progress) == (2, True)
    assert second.previous_signing_secret_expires_at

    with pytest.raises(ScalekitConflictException) as refused:
        triggers.confirm_trigger_signing_secret_rotation(connection_id="github", signing_secret_rotation_id=1)
    assert (refused.value.http_status, refused.value.field) == (409, "signing_secret_rotation_id")
    confirmed = asyncio.run(triggers.confirm_trigger_signing_secret_rotation_async(
        connection_id="github", signing_secret_rotation_id=second.signing_secret_rotation_id))
    assert (confirmed.rotation_in_progress, confirmed.signing_secret_rotation_id) == (False, 2)
    assert "previous_signing_secret_expires_at" not in confirmed
    assert dict(triggers.get_trigger_ingress_endpoint(connection_id="conn_github")) == dict(confirmed)
    activity = asyncio.run(triggers.get_trigger_activity_async())
    assert (activity.signature_banner, activity.window_hours) == (False, 24)
    assert {"events", "pushes_accepted", "pushes_refused"} <= set(activity.counts)


class FlakyReceiver:
    """A webhook receiver on 127.0.0.1 answering 500 to its first delivery, 200 after."""

    def __init__(self):
        self.hits = 0
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["content-length"]))
                receiver.hits += 1
                self.send_response(500 if receiver.hits == 1 else 200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def test_delivery_attempts_by_endpoint(gateway):
    env, receiver = gateway.env, FlakyReceiver()
    try:
        client = _client(env)
        endpoint = _api(env, "POST", "/api/v1/webhook_endpoints", {"url": receiver.url, "events": ["connected_account.created"]})
        client.actions.create_connected_account(connection_name="gmail", identifier=f"py-attempts-{uuid.uuid4().hex[:6]}",
                                                authorization_details={"oauth_token": {"access_token": "a", "refresh_token": "r"}})
        triggers = client.actions.triggers
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            attempts = triggers.list_trigger_delivery_attempts_by_endpoint(endpoint_id=endpoint["id"], page_size=10).attempts
            if len(attempts) == 2:
                break
            time.sleep(0.1)
        assert [(a.status, a.response_status_code) for a in attempts] == [("SUCCESS", 200), ("FAIL", 500)], "newest first"
        assert {a.endpoint_id for a in attempts} == {endpoint["id"]} and len({a.msg_id for a in attempts}) == 1
        newest = asyncio.run(triggers.list_trigger_delivery_attempts_by_endpoint_async(endpoint_id=endpoint["id"], page_size=1))
        assert [a.id for a in newest.attempts] == [attempts[0].id]
        with pytest.raises(ScalekitNotFoundException):
            triggers.list_trigger_delivery_attempts_by_endpoint(endpoint_id="whe_missing")
    finally:
        receiver.stop()
