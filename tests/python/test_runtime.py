"""The Python SDK's runtime contract: sync calls release the GIL, awaitables do not block the
event loop, and a process that used the SDK always exits cleanly."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import threading
import time

SLOW_MS = 300


def _headers():
    return {"x-sandbox-delay-ms": str(SLOW_MS)}


def _activate(client, env, user):
    import json
    import urllib.request

    req = urllib.request.Request(env["AGENTKIT_SANDBOX_URL"] + "/sandbox/tokens", data=json.dumps({"user": user}).encode(),
                                 headers={"content-type": "application/json"})
    token = json.load(urllib.request.urlopen(req))["access_token"]
    client.actions.get_or_create_connected_account(connection_name="gmail", identifier=user,
                                                   authorization_details={"oauth_token": {"access_token": token}})


def test_sync_call_releases_the_gil(client, gateway_env):
    _activate(client, gateway_env, "gil-user")
    ticks = 0
    stop = threading.Event()

    def spin():
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.001)

    spinner = threading.Thread(target=spin)
    spinner.start()
    before = ticks
    resp = client.actions.request(connection_name="gmail", identifier="gil-user", path="/gmail/v1/users/me/labels", headers=_headers())
    during = ticks - before
    stop.set()
    spinner.join()
    assert resp.status_code == 200
    # A thread holding the GIL for 300 ms would allow ~0 ticks; a released GIL allows ~hundreds.
    assert during > 50, f"only {during} ticks while the call waited: the GIL was held"


async def test_async_twin_does_not_block_the_loop(client, gateway_env):
    _activate(client, gateway_env, "async-user")
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    task = asyncio.create_task(ticker())
    started = time.monotonic()
    results = await asyncio.gather(*[
        client.actions.request_async(connection_name="gmail", identifier="async-user", path="/gmail/v1/users/me/labels", headers=_headers())
        for _ in range(5)
    ])
    elapsed = time.monotonic() - started
    task.cancel()
    assert all(r.status_code == 200 for r in results)
    # Five 300 ms calls ran concurrently (not 1.5 s in sequence) while the loop kept ticking.
    assert elapsed < 1.2, f"calls did not overlap: {elapsed:.2f}s"
    assert ticks > 20, f"event loop starved: {ticks} ticks"
    resp = await client.actions.execute_tool_async(tool_name="gmail_list_labels", identifier="async-user", tool_input={})
    assert len(resp.data["labels"]) == 10


EXIT_SCRIPT = textwrap.dedent(
    """
    import asyncio, os, threading
    import scalekit.client
    c = scalekit.client.ScalekitClient(client_id=os.environ["SCALEKIT_CLIENT_ID"],
        client_secret=os.environ["SCALEKIT_CLIENT_SECRET"], env_url=os.environ["SCALEKIT_ENV_URL"])
    c.actions.list_connected_accounts(page_size=1)
    async def main():
        # Leave work in flight on the runtime, finishing while the interpreter shuts down.
        for delay in range(0, 40, 2):
            asyncio.ensure_future(c.actions.request_async(connection_name="gmail", identifier="gil-user",
                path="/gmail/v1/users/me/labels", headers={"x-sandbox-delay-ms": str(delay)}))
        await c.actions.list_connected_accounts_async(page_size=1)
    asyncio.run(main())
    threading.Thread(target=lambda: c.actions.list_connected_accounts(page_size=1), daemon=True).start()
    """
)


def test_process_exits_cleanly_every_time(gateway_env):
    env = {**os.environ, **gateway_env}
    runs = int(os.environ.get("AGENTKIT_EXIT_RUNS", "40"))
    failures = []
    for _ in range(runs):
        proc = subprocess.run([sys.executable, "-c", EXIT_SCRIPT], env=env, capture_output=True, text=True, timeout=60)
        if proc.returncode != 0:
            failures.append((proc.returncode, proc.stderr[-500:]))
    assert not failures, f"{len(failures)}/{runs} runs exited non-zero: {failures[:3]}"


async def test_async_modifiers_run_on_the_callers_loop(client, gateway_env):
    """An async modifier shares the event loop of the call that ran it: a lock made on that loop
    works inside it (with a fresh loop per call it would belong to another loop)."""
    _activate(client, gateway_env, "loop-user")
    loop = asyncio.get_running_loop()
    lock = asyncio.Lock()
    seen = []

    @client.actions.post_modifier(tool_names=["gmail_list_labels"])
    async def on_callers_loop(output):
        seen.append(asyncio.get_running_loop() is loop)
        async with lock:
            await asyncio.sleep(0)
        return {**output, "modified_on_callers_loop": True}

    result = await client.actions.execute_tool_async(tool_name="gmail_list_labels", identifier="loop-user", tool_input={})
    assert seen == [True]
    assert result.data["modified_on_callers_loop"] is True
