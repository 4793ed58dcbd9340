"""Trigger polling at scale: 1,000 Gmail subscriptions on one gateway (`agentkit dev`, SQLite),
each polled every BENCH_TRIGGER_INTERVAL seconds. One message arrives in every mailbox at a
random moment within one interval; the bench measures, per message, how long until the app's
receiver had its signed event, and how late the polls started (the gateway's
`agentkit_trigger_poll_lag_seconds`). Baseline measured in the same run: a poller that is never
late delivers after a uniform wait over the interval (p50 = interval / 2, p99 = 0.99 interval);
the ratios say how far from that the gateway is. Prints figures; asserts nothing.

Run with `make bench`, or under scripts/with-dev-gateway.sh with the variables set.
"""

from __future__ import annotations

import datetime
import json
import os
import random
import statistics
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

N = int(os.environ.get("BENCH_TRIGGER_SUBSCRIPTIONS", "1000"))
INTERVAL = int(os.environ.get("BENCH_TRIGGER_INTERVAL", "10"))
BASE = os.environ["SCALEKIT_ENV_URL"]
SANDBOX = os.environ["AGENTKIT_SANDBOX_URL"]
METRICS = os.environ.get("AGENTKIT_METRICS_URL", "")

received: dict[str, float] = {}
# When the gateway built each event (the poll that found the message).
found: dict[str, float] = {}
lock = threading.Lock()


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (the stdlib's name)
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        event = json.loads(body)
        data = event.get("data", {})
        key = f"{data.get('identifier')}/{data.get('item', {}).get('id')}"
        occurred = datetime.datetime.fromisoformat(event["occurred_at"].replace("Z", "+00:00")[:26] + "+00:00")
        with lock:
            received.setdefault(key, time.time())
            found.setdefault(key, occurred.timestamp())
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *_):
        pass


def quantile(values, q):
    return statistics.quantiles(values, n=100)[q - 1]


def poll_lag_quantiles():
    """The gateway's own summary of how late polls started, by quantile."""
    if not METRICS:
        return {}
    text = urllib.request.urlopen(METRICS).read().decode()
    out = {}
    for line in text.splitlines():
        if line.startswith("agentkit_trigger_poll_lag_seconds{") and "quantile=" in line:
            q = line.split('quantile="')[1].split('"')[0]
            out[q] = float(line.rsplit(" ", 1)[1])
    return out


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook = f"http://127.0.0.1:{server.server_address[1]}/events"
    http = httpx.Client(timeout=60)
    token = http.post(
        f"{BASE}/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": os.environ["SCALEKIT_CLIENT_ID"],
            "client_secret": os.environ["SCALEKIT_CLIENT_SECRET"],
        },
    ).json()["access_token"]
    auth = {"authorization": f"Bearer {token}"}
    http.post(f"{BASE}/api/v1/webhook_endpoints", headers=auth, json={"url": hook, "events": ["trigger.*"]})

    users = [f"bench-trigger-{n}" for n in range(N)]

    def account(user):
        access = http.post(f"{SANDBOX}/sandbox/tokens", json={"user": user, "expires_in": 86400}).json()
        created = http.post(
            f"{BASE}/api/v1/connected_accounts",
            headers=auth,
            json={
                "connector": "gmail",
                "identifier": user,
                "connected_account": {"authorization_details": {"oauth_token": {"access_token": access["access_token"]}}},
            },
        )
        created.raise_for_status()
        return created.json()["connected_account"]["id"]

    started = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(account, users))
    for i in range(0, N, 100):
        answer = http.post(
            f"{BASE}/api/v1/connections/gmail/trigger-subscriptions:batchCreate",
            headers=auth,
            json={"connected_account_ids": ids[i : i + 100], "trigger_name": "gmail_new_message", "interval_seconds": INTERVAL},
        ).json()
        assert answer["created_count"] == len(ids[i : i + 100]), answer
    setup = time.perf_counter() - started

    def first_polls_done():
        done, token_ = 0, ""
        while True:
            page = http.get(
                f"{BASE}/api/v1/connections/gmail/trigger-subscriptions",
                headers=auth,
                params={"page_size": 100, "page_token": token_},
            ).json()
            done += sum(1 for s in page["subscriptions"] if s["poll_state"].get("watermark_updated_at"))
            token_ = page["next_page_token"]
            if not token_:
                return done

    while first_polls_done() < N:
        time.sleep(0.5)

    # One message per mailbox, at a random moment within one interval.
    sent: dict[str, float] = {}
    schedule = sorted((random.uniform(0, INTERVAL), user) for user in users)
    begin = time.time()
    for at, user in schedule:
        pause = begin + at - time.time()
        if pause > 0:
            time.sleep(pause)
        message = http.post(f"{SANDBOX}/sandbox/deliver", json={"user": user, "subject": "bench"}).json()
        sent[f"{user}/{message['id']}"] = time.time()
    deadline = time.time() + 10 * INTERVAL
    while time.time() < deadline:
        with lock:
            if all(key in received for key in sent):
                break
        time.sleep(0.2)
    with lock:
        lags = [received[k] - t for k, t in sent.items() if k in received]
        detect = [found[k] - t for k, t in sent.items() if k in found]
        deliver = [received[k] - found[k] for k in sent if k in found]
    missing = len(sent) - len(lags)
    polls = poll_lag_quantiles()
    print(
        f"trigger polling: {N} Gmail subscriptions every {INTERVAL} s on one gateway "
        f"(set up in {setup:.1f} s; {N / INTERVAL:.0f} polls/s needed)"
    )
    print(f"  events received {len(lags)} of {len(sent)} ({missing} missing after {10 * INTERVAL} s)")
    if len(lags) >= 2:
        p50, p99 = quantile(lags, 50), quantile(lags, 99)
        ideal50, ideal99 = INTERVAL / 2, 0.99 * INTERVAL
        print(f"  message → signed event at the app   p50 {p50:6.2f} s   p99 {p99:6.2f} s   max {max(lags):6.2f} s")
        print(f"  baseline (a poller never late)      p50 {ideal50:6.2f} s   p99 {ideal99:6.2f} s")
        print(f"    of which: found by a poll         p50 {quantile(detect, 50):6.2f} s   p99 {quantile(detect, 99):6.2f} s")
        print(f"    of which: delivered after         p50 {quantile(deliver, 50):6.2f} s   p99 {quantile(deliver, 99):6.2f} s")
        print(f"  ratio to the baseline               p50 {p50 / ideal50:6.2f}x   p99 {p99 / ideal99:6.2f}x")
    if polls:
        print(
            f"  polls started late by (gateway summary)  p50 {polls.get('0.5', 0) * 1e3:7.1f} ms   "
            f"p99 {polls.get('0.99', 0) * 1e3:7.1f} ms   max {polls.get('1', 0) * 1e3:7.1f} ms"
        )


if __name__ == "__main__":
    main()
