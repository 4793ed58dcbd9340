"""A polled trigger end to end through the Python SDK against a fresh ``agentkit dev``: a webhook
endpoint registered over REST, then only the SDK — an ACTIVE Gmail account subscribed to
``gmail_new_message`` every second, the user mails themselves, and the app's receiver gets exactly
one event for that mail within seconds, checked with ``verify_trigger_event`` (a tampered body is
refused)."""

from __future__ import annotations

import http.server
import json
import threading
import time
import urllib.request
import uuid

import pytest

import scalekit.client
from scalekit.common.exceptions import ScalekitNotFoundException, WebhookVerificationError

from gateway import DevGateway, api_token


class Receiver:
    """An app's webhook receiver on 127.0.0.1: keeps each POST's headers and raw body, answers 200."""

    def __init__(self):
        self.received = []  # (monotonic time, headers, raw body)
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"]))
                receiver.received.append((time.monotonic(), dict(self.headers.items()), body))
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/events"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def _eventually(seconds, what, check, every=0.1):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    pytest.fail(f"{what}: not within {seconds} s")


def test_a_new_mail_reaches_the_apps_receiver_as_one_signed_trigger_event():
    gateway, receiver = DevGateway(), Receiver()
    triggers = subscription = None
    try:
        env = gateway.env
        # The one REST call: the app's webhook endpoint, for trigger events.
        request = urllib.request.Request(
            env["SCALEKIT_ENV_URL"] + "/api/v1/webhook_endpoints", method="POST",
            data=json.dumps({"url": receiver.url, "events": ["trigger.*"]}).encode(),
            headers={"authorization": f"Bearer {api_token(env)}", "content-type": "application/json"})
        with urllib.request.urlopen(request) as answer:
            assert answer.status == 201
            endpoint = json.load(answer)
        secret = endpoint["secret"]
        assert secret.startswith("whsec_")

        # From here on, the SDK only.
        client = scalekit.client.ScalekitClient(env_url=env["SCALEKIT_ENV_URL"], client_id=env["SCALEKIT_CLIENT_ID"],
                                                client_secret=env["SCALEKIT_CLIENT_SECRET"])
        user = f"py-e2e-{uuid.uuid4().hex[:8]}"
        urllib.request.urlopen(client.actions.get_authorization_link(connection_name="gmail", identifier=user).link).read()
        account = client.actions.get_connected_account(connection_name="gmail", identifier=user).connected_account
        assert account.status == "ACTIVE"
        inbox = client.actions.execute_tool(tool_name="gmail_fetch_mails", identifier=user,
                                            tool_input={"query": "in:inbox", "max_results": 20})
        assert inbox.data["messages"], "the sandbox seeds the mailbox: mail that is there before subscribing"

        triggers = client.actions.triggers
        subscription = triggers.create_trigger_subscription(connection_id="gmail", connected_account_id=account.id,
                                                            trigger_name="gmail_new_message", interval_seconds=1)
        assert (subscription.status, subscription.requested_interval_seconds) == ("ACTIVE", 1)
        assert subscription.connected_account_identifier == user

        def polled_once():
            listed = triggers.list_trigger_subscriptions(connection_id="gmail", trigger_name="gmail_new_message")
            mine = [s for s in listed.subscriptions if s.id == subscription.id]
            return mine and mine[0].poll_state.get("watermark_updated_at")

        # The first poll notes what is in the mailbox (the sandbox's seeded mail): not news.
        _eventually(10, "the first poll", polled_once)

        subject = f"e2e {uuid.uuid4().hex}"
        sent = client.actions.execute_tool(tool_name="gmail_send_email", identifier=user,
                                           tool_input={"to": user, "subject": subject, "body": "hi"})
        sent_at = time.monotonic()
        sent_id = sent.data["id"]

        _eventually(10, "the trigger event", lambda: receiver.received, every=0.05)
        arrived_at, headers, body = receiver.received[0]
        assert arrived_at - sent_at <= 8, f"the event came {arrived_at - sent_at:.1f} s after the mail"
        time.sleep(2.5)  # more polls: nothing else (the seeded mail, the same mail again) may come
        assert len(receiver.received) == 1, [b for _, _, b in receiver.received]

        event = client.verify_trigger_event(secret, headers, body)
        assert event["type"] == "trigger.gmail_new_message"
        assert event["data"]["identifier"] == user
        assert event["data"]["item"]["id"] == sent_id
        assert event["data"]["subscription_id"] == subscription.id
        assert {k.lower(): v for k, v in headers.items()}["webhook-id"] == event["id"]

        # One byte of the body changed (the identifier's last character): refused, by both verifiers.
        at = body.index(user.encode()) + len(user) - 1
        tampered = body[:at] + bytes([body[at] ^ 1]) + body[at + 1:]
        assert len(tampered) == len(body) and tampered != body
        with pytest.raises(WebhookVerificationError):
            client.verify_trigger_event(secret, headers, tampered)
        with pytest.raises(WebhookVerificationError):
            triggers.verify_event(secret, headers, tampered)

        triggers.delete_trigger_subscription(connection_id="gmail", subscription_id=subscription.id)
        deleted, subscription = subscription, None
        listed = triggers.list_trigger_subscriptions(connection_id="gmail")
        assert deleted.id not in [s.id for s in listed.subscriptions]
        with pytest.raises(ScalekitNotFoundException):
            triggers.delete_trigger_subscription(connection_id="gmail", subscription_id=deleted.id)
    finally:
        if subscription is not None:
            try:
                triggers.delete_trigger_subscription(connection_id="gmail", subscription_id=subscription.id)
            except Exception:
                pass
        receiver.stop()
        gateway.stop()
