"""execute_tool latency and throughput: Python SDK vs a raw httpx POST, and gateway vs the sandbox
upstream called directly. Prints figures and ratios measured in this run; asserts nothing.

Run with `make bench` (release gateway), or under scripts/with-dev-gateway.sh with the variables set.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
import urllib.request

import httpx

import scalekit.client

N = int(os.environ.get("BENCH_CALLS", "400"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "16"))
USER = "bench_user"
TOOL = {"tool_name": "gmail_list_labels", "identifier": USER, "params": {}}


def timed(fn, n=N):
    fn()  # warm-up (connection, token)
    lat = []
    start = time.perf_counter()
    for _ in range(n):
        t = time.perf_counter()
        fn()
        lat.append(time.perf_counter() - t)
    return lat, n / (time.perf_counter() - start)


async def timed_async(make_call, n=N, concurrency=CONCURRENCY):
    await make_call()
    sem = asyncio.Semaphore(concurrency)
    lat = []

    async def one():
        async with sem:
            t = time.perf_counter()
            await make_call()
            lat.append(time.perf_counter() - t)

    start = time.perf_counter()
    await asyncio.gather(*[one() for _ in range(n)])
    return lat, n / (time.perf_counter() - start)


def row(name, result):
    lat, rate = result
    q = statistics.quantiles(lat, n=100)
    print(f"{name:<44} p50 {q[49] * 1e3:7.3f} ms   p99 {q[98] * 1e3:7.3f} ms   {rate:8.0f} calls/s")
    return q[49], rate


def main():
    env = os.environ
    base, sandbox = env["SCALEKIT_ENV_URL"], env["AGENTKIT_SANDBOX_URL"]
    client = scalekit.client.ScalekitClient(client_id=env["SCALEKIT_CLIENT_ID"], client_secret=env["SCALEKIT_CLIENT_SECRET"], env_url=base)
    req = urllib.request.Request(f"{sandbox}/sandbox/tokens", data=json.dumps({"user": USER, "expires_in": 86400}).encode(),
                                 headers={"content-type": "application/json"})
    upstream_token = json.load(urllib.request.urlopen(req))["access_token"]
    client.actions.get_or_create_connected_account(connection_name="gmail", identifier=USER,
                                                   authorization_details={"oauth_token": {"access_token": upstream_token}})
    token = httpx.post(f"{base}/oauth/token", data={"grant_type": "client_credentials", "client_id": env["SCALEKIT_CLIENT_ID"],
                                                     "client_secret": env["SCALEKIT_CLIENT_SECRET"]}).json()["access_token"]
    raw = httpx.Client(headers={"authorization": f"Bearer {token}"})
    direct = httpx.Client(headers={"authorization": f"Bearer {upstream_token}"})

    print(f"execute_tool({TOOL['tool_name']}) — {N} sequential calls each, then {N} with concurrency {CONCURRENCY}\n")
    sdk = row("Python SDK actions.execute_tool (sync)", timed(lambda: client.actions.execute_tool(
        tool_name=TOOL["tool_name"], identifier=USER, tool_input={})))
    http = row("raw httpx POST /api/v1/execute_tool", timed(lambda: raw.post(f"{base}/api/v1/execute_tool", json=TOOL).raise_for_status()))
    gw = row("gateway GET /proxy/gmail/v1/users/me/labels", timed(lambda: raw.get(
        f"{base}/proxy/gmail/v1/users/me/labels", headers={"connection_name": "gmail", "identifier": USER}).raise_for_status()))
    up = row("sandbox upstream GET (direct, no gateway)", timed(lambda: direct.get(f"{sandbox}/gmail/v1/users/me/labels").raise_for_status()))

    async def concurrent():
        araw = httpx.AsyncClient(headers={"authorization": f"Bearer {token}"}, limits=httpx.Limits(max_connections=CONCURRENCY))
        sdk_c = row(f"Python SDK execute_tool_async (x{CONCURRENCY})", await timed_async(lambda: client.actions.execute_tool_async(
            tool_name=TOOL["tool_name"], identifier=USER, tool_input={})))
        http_c = row(f"httpx.AsyncClient POST execute_tool (x{CONCURRENCY})", await timed_async(
            lambda: araw.post(f"{base}/api/v1/execute_tool", json=TOOL)))
        await araw.aclose()
        return sdk_c, http_c

    sdk_c, http_c = asyncio.run(concurrent())
    print()
    print(f"SDK / raw httpx p50 latency (sequential):   {sdk[0] / http[0]:5.2f}x   (below 1 = SDK faster)")
    print(f"SDK / raw httpx throughput (concurrent):    {sdk_c[1] / http_c[1]:5.2f}x   (above 1 = SDK faster)")
    print(f"gateway proxy / direct upstream p50:        {gw[0] / up[0]:5.2f}x   (+{(gw[0] - up[0]) * 1e3:.3f} ms per call)")
    print(f"execute_tool / direct upstream p50:         {http[0] / up[0]:5.2f}x   (+{(http[0] - up[0]) * 1e3:.3f} ms per call)")


if __name__ == "__main__":
    main()
