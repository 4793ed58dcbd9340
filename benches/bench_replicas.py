"""execute_tool under load on each storage layout, one run: SQLite in one process, PostgreSQL with
one replica, PostgreSQL with three replicas (the load split over them). Each gateway is
`agentkit serve` against one `agentkit sandbox`; wrk drives 64 connections in all (split evenly
over the replicas). Prints calls/s, p50 and p99 (for three replicas: the summed rate and the worst
replica's percentiles) and ratios against SQLite. Asserts nothing.

Run under scripts/with-postgres.sh (it provides AGENTKIT_DATABASE_URL); `make bench` does.
Environment: AGENTKIT_BIN, BENCH_SECONDS (default 5).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = os.environ.get("AGENTKIT_BIN", str(ROOT / "target/release/agentkit"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
CONNECTIONS = 64
CLIENT_ID, CLIENT_SECRET = "skc_bench", "sks_bench_secret"
SIGNING_KEY = "bench-replicas-share-this-signing-key-0123"
VAULT_KEYS = "kbench:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
SANDBOX_CLIENT = ("agentkit-sandbox-app", "sandbox-app-secret")  # agentkit_sandbox::SANDBOX_CLIENT_*


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, headers=None, form=None):
    data = urllib.parse.urlencode(form).encode() if form else (json.dumps(body).encode() if body is not None else None)
    kind = "application/x-www-form-urlencoded" if form else "application/json"
    req = urllib.request.Request(url, data=data, method=method, headers={"content-type": kind, **(headers or {})})
    with urllib.request.urlopen(req) as answer:
        text = answer.read()
        return json.loads(text) if text else {}


def wait_ready(url: str):
    for _ in range(300):
        try:
            urllib.request.urlopen(f"{url}/readyz").read()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"{url} did not become ready")


def start_gateway(workdir: Path, sandbox: str, database_url: str | None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    data = workdir / f"gw-{port}"
    config = workdir / f"gw-{port}.toml"
    client, secret = SANDBOX_CLIENT
    config.write_text(f'''
[server]
listen = "127.0.0.1:{port}"
data_dir = "{data}"
[[api_clients]]
client_id = "{CLIENT_ID}"
client_secret = "{CLIENT_SECRET}"
[egress]
allow = ["{sandbox.removeprefix("http://")}"]
[[connections]]
name = "gmail"
connector = "gmail"
base_url = "{sandbox}"
client_id = "{client}"
client_secret = "{secret}"
token_url = "{sandbox}/oauth2/token"
''')
    env = {**os.environ, "AGENTKIT_SIGNING_KEY": SIGNING_KEY, "AGENTKIT_VAULT_KEYS": VAULT_KEYS, "AGENTKIT_LOG": "warn"}
    env.pop("AGENTKIT_DATABASE_URL", None)
    if database_url:
        env["AGENTKIT_DATABASE_URL"] = database_url
    proc = subprocess.Popen([BIN, "serve", "--config", str(config)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_ready(url)
    return proc, url


def wrk_script(workdir: Path, token: str, user: str) -> Path:
    body = json.dumps({"tool_name": "gmail_list_labels", "identifier": user, "params": {}})
    path = workdir / "execute.lua"
    path.write_text(f'''wrk.method = "POST"
wrk.body = {json.dumps(body)}
wrk.headers["content-type"] = "application/json"
wrk.headers["authorization"] = "Bearer {token}"
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99)))
end
''')
    return path


def measure(urls: list[str], script: Path) -> tuple[float, float, float]:
    """wrk against every URL at once, the connections split evenly; (calls/s, p50 ms, p99 ms)."""
    per = CONNECTIONS // len(urls)
    runs = [subprocess.Popen(["wrk", "-t", "1", "-c", str(per), "-d", f"{SECONDS}s", "-s", str(script),
                              f"{u}/api/v1/execute_tool"], stdout=subprocess.PIPE, text=True) for u in urls]
    rate, p50, p99 = 0.0, 0.0, 0.0
    for run in runs:
        out, _ = run.communicate()
        m = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+)", out)
        if not m:
            sys.exit(f"wrk printed no result:\n{out}")
        requests, duration, r50, r99 = map(int, m.groups())
        rate += requests / (duration / 1e6)
        p50, p99 = max(p50, r50 / 1e3), max(p99, r99 / 1e3)
    return rate, p50, p99


def main():
    database_url = os.environ.get("AGENTKIT_DATABASE_URL") or sys.exit("run under scripts/with-postgres.sh")
    shutil.which("wrk") or subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, stdout=subprocess.DEVNULL)
    workdir = Path(tempfile.mkdtemp(prefix="agentkit-bench-replicas-", dir="/var/tmp"))
    procs = []
    try:
        sandbox_port = free_port()
        procs.append(subprocess.Popen([BIN, "sandbox", "--port", str(sandbox_port)], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL))
        sandbox = f"http://127.0.0.1:{sandbox_port}"
        wait_ready_sandbox = time.time() + 10
        while True:
            try:
                urllib.request.urlopen(f"{sandbox}/sandbox/stats?user=x").read()
                break
            except OSError:
                if time.time() > wait_ready_sandbox:
                    sys.exit("sandbox did not start")
                time.sleep(0.1)
        layouts = [("SQLite, 1 process", None, 1), ("PostgreSQL, 1 replica", database_url, 1),
                   ("PostgreSQL, 3 replicas", database_url, 3)]
        print(f"execute_tool gmail_list_labels, {CONNECTIONS} connections, {SECONDS}s each, binary {BIN}\n")
        print(f"{'layout':<26}{'calls/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'x SQLite':>10}")
        baseline = None
        for n, (name, url, replicas) in enumerate(layouts):
            gateways = [start_gateway(workdir, sandbox, url) for _ in range(replicas)]
            procs += [p for p, _ in gateways]
            urls = [u for _, u in gateways]
            user = f"bench-{n}"
            token = http("POST", f"{urls[0]}/oauth/token",
                         form={"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})["access_token"]
            upstream = http("POST", f"{sandbox}/sandbox/tokens", {"user": user, "expires_in": 86400})["access_token"]
            http("POST", f"{urls[0]}/api/v1/connected_accounts", {
                "connection_name": "gmail", "identifier": user,
                "connected_account": {"authorization_details": {"oauth_token": {"access_token": upstream}}}},
                headers={"authorization": f"Bearer {token}"})
            rate, p50, p99 = measure(urls, wrk_script(workdir, token, user))
            baseline = baseline or rate
            print(f"{name:<26}{rate:>10.0f}{p50:>9.2f}{p99:>9.2f}{rate / baseline:>10.2f}")
            for p, _ in gateways:
                p.terminate()
                p.wait(timeout=60)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
