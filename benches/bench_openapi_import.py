"""GitHub's own API description imported as a connector, then served: how long the import takes,
how many tools it makes, what the gateway's start time and memory become with them loaded (against
the same gateway without them, measured in the same run), and what tool search ranks first for a
few plain requests.

The description comes from npm (`npm pack @octokit/openapi`, BENCH_OCTOKIT_VERSION, default the
latest) into a temp folder; nothing is kept. Environment: AGENTKIT_BIN (default
target/release/agentkit), BENCH_REPEAT (5 starts each). Asserts nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import tarfile
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = os.environ.get("AGENTKIT_BIN", str(ROOT / "target/release/agentkit"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))
VERSION = os.environ.get("BENCH_OCTOKIT_VERSION", "")
QUERIES = [
    "create an issue",
    "comment on a pull request",
    "list the repositories of an organization",
    "star a repository",
    "merge a pull request",
    "get the contents of a file",
]


def description(work: Path) -> Path:
    spec = f"@octokit/openapi@{VERSION}" if VERSION else "@octokit/openapi"
    out = subprocess.run(["npm", "pack", spec, "--silent", "--pack-destination", str(work)],
                         check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    with tarfile.open(work / out) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("generated/api.github.com.json"))
        tar.extract(member, work, filter="data")
    print(f"description: {out} ({(work / member.name).stat().st_size / 1e6:.1f} MB)")
    return work / member.name


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(work: Path, connectors_dir: Path | None):
    """`agentkit serve` on a fresh data dir: (process, base URL, seconds until /readyz answered)."""
    port = free_port()
    state = Path(tempfile.mkdtemp(dir=work, prefix="state-"))
    lines = [f'[server]\nlisten = "127.0.0.1:{port}"\ndata_dir = "{state}"']
    if connectors_dir:
        lines.append(f'connectors_dir = "{connectors_dir}"')
    lines.append('[[api_clients]]\nclient_id = "bench"\nclient_secret = "bench-secret-0123456789"')
    config = state / "agentkit.toml"
    config.write_text("\n".join(lines) + "\n")
    started = time.perf_counter()
    proc = subprocess.Popen([BIN, "serve", "--config", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    while True:
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=1) as r:
                if r.status == 200:
                    return proc, base, time.perf_counter() - started
        except OSError:
            if proc.poll() is not None:
                raise SystemExit("the gateway exited during start")
            time.sleep(0.01)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def call(base: str, method: str, path: str, body=None, token: str | None = None, form: bool = False):
    data = None
    headers = {}
    if form:
        data = body.encode()
        headers["content-type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = json.dumps(body).encode()
        headers["content-type"] = "application/json"
    if token:
        headers["authorization"] = f"Bearer {token}"
    request = urllib.request.Request(f"{base}{path}", data=data, headers=headers, method=method)
    with urllib.request.urlopen(request, timeout=30) as r:
        return json.loads(r.read())


def measure(work: Path, connectors_dir: Path | None) -> tuple[float, float, float]:
    """Median start seconds, median resident MB after start, and after listing every tool once."""
    starts, rss, rss_listed = [], [], []
    for _ in range(REPEAT):
        proc, base, seconds = serve(work, connectors_dir)
        try:
            starts.append(seconds)
            rss.append(rss_mb(proc.pid))
            token = call(base, "POST", "/oauth/token",
                         "grant_type=client_credentials&client_id=bench&client_secret=bench-secret-0123456789",
                         form=True)["access_token"]
            call(base, "GET", "/api/v1/tools?page_size=1000", token=token)
            rss_listed.append(rss_mb(proc.pid))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return statistics.median(starts), statistics.median(rss), statistics.median(rss_listed)


def main():
    work = Path(tempfile.mkdtemp(prefix="agentkit-bench-openapi-"))
    try:
        spec = description(work)
        connectors = work / "connectors"
        connectors.mkdir()
        timings = []
        for _ in range(REPEAT):
            started = time.perf_counter()
            done = subprocess.run([BIN, "connectors", "import", "openapi", str(spec), "--name", "github_api",
                                   "--out", str(connectors / "github_api.json")], capture_output=True, text=True)
            timings.append(time.perf_counter() - started)
            if done.returncode != 0:
                raise SystemExit(done.stderr)
        imported = json.loads((connectors / "github_api.json").read_text())
        summary = done.stderr.splitlines()[0] if done.stderr else ""
        print(f"import: {len(imported['tools'])} tools in {statistics.median(timings):.2f} s (median of {REPEAT}); {summary}")
        print(f"connector file: {(connectors / 'github_api.json').stat().st_size / 1e6:.1f} MB")

        base_start, base_rss, base_listed = measure(work, None)
        with_start, with_rss, with_listed = measure(work, connectors)
        print(f"{'gateway':<28}{'start s':>10}{'RSS MB':>10}{'RSS after list MB':>20}")
        print(f"{'built-in catalog only':<28}{base_start:>10.3f}{base_rss:>10.1f}{base_listed:>20.1f}")
        print(f"{'+ GitHub description':<28}{with_start:>10.3f}{with_rss:>10.1f}{with_listed:>20.1f}")
        print(f"ratio: start {with_start / base_start:.2f}x, memory {with_rss / base_rss:.2f}x")

        proc, base, _ = serve(work, connectors)
        try:
            token = call(base, "POST", "/oauth/token",
                         "grant_type=client_credentials&client_id=bench&client_secret=bench-secret-0123456789",
                         form=True)["access_token"]
            for query in QUERIES:
                started = time.perf_counter()
                found = call(base, "POST", "/api/v1/tools:search", {"query": query, "top_k": 3}, token=token)
                elapsed = (time.perf_counter() - started) * 1000
                names = [t.get("name") or t.get("definition", {}).get("name") for t in found.get("tools", [])]
                print(f"search {query!r} ({elapsed:.1f} ms): {', '.join(str(n) for n in names)}")
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
