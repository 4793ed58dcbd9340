"""The published connected_account.* webhooks, from outside: registered at runtime, signed in
the Standard Webhooks style and verified by the SDK helper, retried until a receiver takes them,
and kept in a durable outbox across a kill -9."""

from __future__ import annotations

import http.server
import json
import threading
import time
import urllib.error
import urllib.request
import uuid

import pytest

import scalekit.client
from scalekit.common.exceptions import WebhookVerificationError

from gateway import DevGateway, api_token


class Receiver:
    """A webhook receiver on 127.0.0.1: records every delivery; answers 500 to the first
    `failures` deliveries, 200 after."""

    def __init__(self, failures=0, port=0):
        self.deliveries, self.failures = [], failures
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"]))
                receiver.deliveries.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = 500 if len(receiver.deliveries) <= receiver.failures else 200
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"

    def wait_for(self, predicate, timeout=20.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not predicate(self.deliveries):
            time.sleep(0.05)
        return self.deliveries

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def _client(env):
    return scalekit.client.ScalekitClient(env_url=env["SCALEKIT_ENV_URL"], client_id=env["SCALEKIT_CLIENT_ID"],
                                          client_secret=env["SCALEKIT_CLIENT_SECRET"])


def _api(env, method, path, body=None):
    token = api_token(env)
    request = urllib.request.Request(env["SCALEKIT_ENV_URL"] + path, method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"authorization": f"Bearer {token}", "content-type": "application/json"})
    try:
        return json.load(urllib.request.urlopen(request))
    except urllib.error.HTTPError as e:
        return {"status": e.code, **json.loads(e.read() or b"{}")}


# The `webhooks:` section of the published OpenAPI.
PUBLISHED_EVENTS = {
    "connected_account.created", "connected_account.updated", "connected_account.status_updated",
    "connected_account.deleted", "connected_account.magic_link_generated", "connected_account.oauth_tokens_fetched",
    "connected_account.token_refresh_succeeded", "connected_account.token_refresh_failed", "connected_account.oauth_succeeded",
}


def _types(deliveries):
    return [json.loads(body)["type"] for _, body in deliveries]


@pytest.fixture
def gateway():
    gateway = DevGateway()
    yield gateway
    gateway.stop()


def test_events_are_signed_verified_and_shaped_as_published(gateway):
    env, receiver = gateway.env, Receiver()
    try:
        client = _client(env)
        endpoint = _api(env, "POST", "/api/v1/webhook_endpoints", {"url": receiver.url, "events": []})
        assert endpoint["id"].startswith("whe_") and endpoint["secret"].startswith("whsec_")
        listed = _api(env, "GET", "/api/v1/webhook_endpoints")["webhook_endpoints"]
        assert [e["id"] for e in listed] == [endpoint["id"]] and "secret" not in json.dumps(listed)
        bad = _api(env, "POST", "/api/v1/webhook_endpoints", {"url": receiver.url, "events": ["connected_account.exploded"]})
        assert bad["status"] == 400 and "events" in json.dumps(bad)
        metadata = _api(env, "POST", "/api/v1/webhook_endpoints", {"url": "http://169.254.169.254/hooks"})
        assert metadata["status"] == 403, "receivers pass the egress policy"

        user = f"wh-{uuid.uuid4().hex[:6]}"
        link = client.actions.get_authorization_link(connection_name="gmail", identifier=user).link
        urllib.request.urlopen(link).read()
        # The provider expires the user's access token: the next call refreshes it.
        settings = urllib.request.Request(env["AGENTKIT_SANDBOX_URL"] + "/sandbox/settings", method="POST",
                                          data=json.dumps({"expire_user": user}).encode(), headers={"content-type": "application/json"})
        urllib.request.urlopen(settings).read()
        client.actions.execute_tool(tool_name="gmail_list_labels", identifier=user, tool_input={})
        client.actions.delete_connected_account(connection_name="gmail", identifier=user)
        # An account whose refresh token the provider refuses: refresh failed, ACTIVE → EXPIRED.
        revoked = f"wh-revoked-{uuid.uuid4().hex[:6]}"
        client.actions.create_connected_account(connection_name="gmail", identifier=revoked, authorization_details={
            "oauth_token": {"access_token": "ya29.not-valid", "refresh_token": "not-valid"}})
        with pytest.raises(Exception):
            client.actions.execute_tool(tool_name="gmail_list_labels", identifier=revoked, tool_input={})
        expected = ["connected_account.created", "connected_account.magic_link_generated",
                    "connected_account.oauth_tokens_fetched", "connected_account.oauth_succeeded",
                    "connected_account.status_updated", "connected_account.token_refresh_succeeded",
                    "connected_account.deleted", "connected_account.created", "connected_account.token_refresh_failed",
                    "connected_account.status_updated"]
        deliveries = receiver.wait_for(lambda d: len(d) >= len(expected))
        assert sorted(_types(deliveries)) == sorted(expected)
        client.actions.update_connected_account(connection_name="gmail", identifier=revoked, authorization_details={
            "oauth_token": {"access_token": "ya29.again", "refresh_token": "again"}})
        deliveries = receiver.wait_for(lambda d: "connected_account.updated" in _types(d))
        assert set(_types(deliveries)) == PUBLISHED_EVENTS, "all nine published events"
        deliveries = [(h, b) for h, b in deliveries if json.loads(b)["data"]["identifier"] == user]
        for headers, body in deliveries:
            assert client.verify_webhook_payload(endpoint["secret"], headers, body) is True
            event = json.loads(body)
            assert headers["webhook-id"] == event["id"] and event["id"].startswith("evt_")
            assert (event["spec_version"], event["object"]) == ("1", "ConnectedAccount")
            data = event["data"]
            assert (data["identifier"], data["provider"], data["connection_name"]) == (user, "GMAIL", "gmail")
            assert "access_token" not in body.decode() and "refresh_token" not in body.decode()
        status = next(json.loads(b) for _, b in deliveries if json.loads(b)["type"] == "connected_account.status_updated")
        assert (status["data"]["old_status"], status["data"]["status"]) == ("PENDING_AUTH", "ACTIVE")

        headers, body = deliveries[0]
        with pytest.raises(WebhookVerificationError):
            client.verify_webhook_payload(endpoint["secret"], headers, body + b" ")
        with pytest.raises(WebhookVerificationError):
            client.verify_webhook_payload(endpoint["secret"], {**headers, "webhook-timestamp": str(int(time.time()) - 301)}, body)
        with pytest.raises(WebhookVerificationError):
            client.verify_webhook_payload("whsec_" + "QUJD" * 8, headers, body)

        assert _api(env, "DELETE", f"/api/v1/webhook_endpoints/{endpoint['id']}") == {}
        assert _api(env, "GET", "/api/v1/webhook_endpoints")["webhook_endpoints"] == []
    finally:
        receiver.stop()


def test_a_receiver_failing_three_times_gets_the_event_on_the_fourth_try(gateway):
    env, receiver = gateway.env, Receiver(failures=3)
    try:
        endpoint = _api(env, "POST", "/api/v1/webhook_endpoints", {"url": receiver.url, "events": ["connected_account.created"]})
        _client(env).actions.create_connected_account(connection_name="gmail", identifier=f"wh-retry-{uuid.uuid4().hex[:6]}",
                                                      authorization_details={"oauth_token": {"access_token": "a", "refresh_token": "r"}})
        deliveries = receiver.wait_for(lambda d: len(d) >= 4)
        assert len(deliveries) == 4 and _types(deliveries) == ["connected_account.created"] * 4
        assert len({h["webhook-id"] for h, _ in deliveries}) == 1, "every try carries the same webhook-id"
        log = _api(env, "GET", f"/api/v1/webhook_endpoints/{endpoint['id']}/deliveries")["deliveries"]
        assert [(d["status"], d["attempts"], d["last_status"]) for d in log] == [("delivered", 4, 200)]
        # Manual redelivery sends it once more, with the same id.
        assert _api(env, "POST", f"/api/v1/webhook_deliveries/{log[0]['id']}/redeliver") == {}
        deliveries = receiver.wait_for(lambda d: len(d) >= 5)
        assert len(deliveries) == 5 and deliveries[4][0]["webhook-id"] == deliveries[0][0]["webhook-id"]
    finally:
        receiver.stop()


def test_undelivered_events_survive_a_kill_9_and_arrive_after_restart():
    gateway = DevGateway()
    receiver = Receiver(failures=10_000)  # down for now: every try fails
    try:
        env = gateway.env
        endpoint = _api(env, "POST", "/api/v1/webhook_endpoints", {"url": receiver.url, "events": ["connected_account.created"]})
        client = _client(env)
        users = [f"wh-kill-{n}-{uuid.uuid4().hex[:4]}" for n in range(5)]
        for user in users:
            client.actions.create_connected_account(connection_name="gmail", identifier=user,
                                                    authorization_details={"oauth_token": {"access_token": "a", "refresh_token": "r"}})
        receiver.wait_for(lambda d: len({json.loads(b)["data"]["identifier"] for _, b in d}) == len(users))
        gateway.kill()
        receiver.failures = 0  # the receiver is back
        before = len(receiver.deliveries)
        gateway = DevGateway(data_dir=gateway.data_dir)
        deliveries = receiver.wait_for(
            lambda d: {json.loads(b)["data"]["identifier"] for _, b in d[before:]} >= set(users), timeout=45)
        after = deliveries[before:]
        assert {json.loads(b)["data"]["identifier"] for _, b in after} >= set(users), "nothing lost"
        by_user = {}
        for headers, body in deliveries:
            by_user.setdefault(json.loads(body)["data"]["identifier"], set()).add(headers["webhook-id"])
        assert all(len(ids) == 1 for ids in by_user.values()), "duplicates only with the same webhook-id"
        for headers, body in after:
            assert client.verify_webhook_payload(endpoint["secret"], headers, body)
    finally:
        gateway.stop()
        receiver.stop()
