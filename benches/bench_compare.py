"""Two (or more) gateway binaries, paired: each round starts `agentkit dev` from each binary in
turn and runs the same scenarios of benches/bench_gateway.py at 64 connections, so a before and an
after meet the same machine load; medians over the rounds are printed, with each scenario's CPU
per request split by thread (tokio workers, the SQLite worker, the log writer) from
/proc/<pid>/task. Asserts nothing; docs/performance.md quotes it.

    python benches/bench_compare.py OLD_BINARY NEW_BINARY

Environment: COMPARE_ROUNDS (default 4), COMPARE_SECONDS (per measurement, default 4),
COMPARE_SCENARIOS (comma-separated name prefixes, default every scenario but the heavy tool),
COMPARE_LOADED=1: each gateway also serves GitHub's imported description (1,200+ tools, from npm
as in bench_openapi_import.py) and polls COMPARE_TRIGGERS (default 1,000) Gmail trigger
subscriptions every 10 s while it is measured.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_gateway as bench  # noqa: E402

ROUNDS = int(os.environ.get("COMPARE_ROUNDS", "4"))
WANTED = os.environ.get("COMPARE_SCENARIOS", "direct,/proxy,execute_tool gmail_list,MCP").split(",")
CONNECTIONS = 64
LOADED = os.environ.get("COMPARE_LOADED") == "1"
TRIGGERS = int(os.environ.get("COMPARE_TRIGGERS", "1000"))


def import_github(binary: str, work: Path) -> Path:
    """A connectors folder holding GitHub's description imported as connector `github_api`."""
    import bench_openapi_import

    connectors = work / "connectors"
    connectors.mkdir(exist_ok=True)
    done = subprocess.run([binary, "connectors", "import", "openapi", str(bench_openapi_import.description(work)),
                           "--name", "github_api", "--out", str(connectors / "github_api.json")],
                          capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(done.stderr)
    return connectors


def post(url: str, body: dict, headers: dict) -> dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={**headers, "content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.load(answer)


def subscribe_triggers(gw: bench.DevGateway):
    """TRIGGERS Gmail accounts, each with a `gmail_new_message` subscription polled every 10 s."""
    base, sandbox = gw.env["SCALEKIT_ENV_URL"], gw.env["AGENTKIT_SANDBOX_URL"]
    form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": gw.env["SCALEKIT_CLIENT_ID"],
                                   "client_secret": gw.env["SCALEKIT_CLIENT_SECRET"]}).encode()
    with urllib.request.urlopen(urllib.request.Request(f"{base}/oauth/token", data=form)) as answer:
        auth = {"authorization": f"Bearer {json.load(answer)['access_token']}"}

    def account(n: int) -> str:
        user = f"bench-trigger-{n}"
        access = post(f"{sandbox}/sandbox/tokens", {"user": user, "expires_in": 86400}, {})["access_token"]
        created = post(f"{base}/api/v1/connected_accounts", {"connector": "gmail", "identifier": user, "connected_account": {
            "authorization_details": {"oauth_token": {"access_token": access}}}}, auth)
        return created["connected_account"]["id"]

    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(account, range(TRIGGERS)))
    for i in range(0, len(ids), 100):
        post(f"{base}/api/v1/connections/gmail/trigger-subscriptions:batchCreate",
             {"connected_account_ids": ids[i : i + 100], "trigger_name": "gmail_new_message", "interval_seconds": 10}, auth)


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds so far per thread name (numbered workers folded into one name)."""
    ticks = os.sysconf("SC_CLK_TCK")
    seconds: dict[str, float] = defaultdict(float)
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")].rstrip("0123456789-")
        fields = stat.rsplit(")", 1)[1].split()
        seconds[name] += (int(fields[11]) + int(fields[12])) / ticks
    return seconds


def main():
    binaries = sys.argv[1:]
    if len(binaries) < 2:
        sys.exit(__doc__)
    bench.SECONDS = int(os.environ.get("COMPARE_SECONDS", "4"))
    wrk = bench.ensure_wrk()
    work = Path(tempfile.mkdtemp(prefix="agentkit-compare-"))
    if LOADED:
        os.environ["AGENTKIT_SERVER__CONNECTORS_DIR"] = str(import_github(binaries[-1], work))
    rows: dict[tuple[str, str], list] = defaultdict(list)
    for _ in range(ROUNDS):
        for binary in binaries:
            bench.BIN = binary
            gw = bench.DevGateway(Path("/var/tmp") if Path("/var/tmp").is_dir() else Path("/tmp"))
            try:
                if LOADED:
                    subscribe_triggers(gw)
                chosen = [s for s in bench.scenarios(gw) if any(s.name.startswith(w) for w in WANTED)]
                bench.check_scenarios(gw, chosen)
                for scenario in chosen:
                    before = thread_cpu(gw.proc.pid)
                    figures = bench.run_wrk(wrk, gw, scenario, CONNECTIONS, gw.dir)
                    after = thread_cpu(gw.proc.pid)
                    requests = max(figures.rps * bench.SECONDS, 1.0)
                    split = {name: (after[name] - before.get(name, 0.0)) * 1000 / requests for name in after}
                    rows[(scenario.name, binary)].append((figures, split))
            finally:
                gw.close()
    shutil.rmtree(work, ignore_errors=True)
    if LOADED:
        print(f"loaded: GitHub's description imported, {TRIGGERS} trigger subscriptions polled every 10 s")
    print(f"{os.cpu_count()} cores; {ROUNDS} rounds, {bench.SECONDS} s each, {CONNECTIONS} connections; medians\n")
    print(f"{'scenario':<34}{'binary':<28}{'req/s':>8}{'p99 ms':>8}{'cpu ms/req':>11}{'x direct':>9}  cpu ms/req by thread")
    direct_name = next((name for name, _ in rows if name.startswith("direct")), "")
    for binary in binaries:
        direct = [f.rps for f, _ in rows.get((direct_name, binary), [])]
        for (name, b), measured in rows.items():
            if b != binary:
                continue
            rps = statistics.median(f.rps for f, _ in measured)
            threads = sorted({t for _, split in measured for t in split})
            by_thread = {t: statistics.median(split.get(t, 0.0) for _, split in measured) for t in threads}
            shown = ", ".join(f"{t} {ms:.4f}" for t, ms in by_thread.items() if ms >= 0.0005)
            ratio = rps / statistics.median(direct) if direct else float("nan")
            print(f"{name:<34}{Path(binary).name[:27]:<28}{rps:>8.0f}{statistics.median(f.p99_ms for f, _ in measured):>8.2f}"
                  f"{statistics.median(f.cpu_ms for f, _ in measured):>11.3f}{ratio:>9.3f}  {shown}")
        print()


if __name__ == "__main__":
    main()
