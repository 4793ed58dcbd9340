"""The gateway under load: `wrk` against `agentkit dev` (gateway + sandbox upstream), one run,
scenarios alternating at each concurrency, for a data dir on disk and on tmpfs.

Scenarios: the sandbox's Gmail list endpoint called directly (the baseline), the same call through
`/proxy`, `execute_tool` with a light tool (gmail_list_labels) and a heavy one (gmail_fetch_mails),
and MCP `tools/call`. Printed per scenario and concurrency: requests/s, p50, p99 (wrk's), the
gateway process's CPU per request (user + system, from /proc), and ratios against the direct call.
The sandbox runs inside the `agentkit dev` process, so "added CPU" is the scenario's CPU per request
minus the direct call's. Asserts nothing.

Environment: AGENTKIT_BIN (the binary; `make bench` passes a release build), BENCH_SECONDS (per
measurement, default 3), BENCH_CONCURRENCY (default "1,16,64"), BENCH_STORAGE (default
"disk,tmpfs"), BENCH_THREADS (wrk threads, default 2).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = os.environ.get("AGENTKIT_BIN", str(ROOT / "target/release/agentkit"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "3"))
CONCURRENCY = [int(c) for c in os.environ.get("BENCH_CONCURRENCY", "1,16,64").split(",")]
STORAGE = os.environ.get("BENCH_STORAGE", "disk,tmpfs").split(",")
THREADS = int(os.environ.get("BENCH_THREADS", "2"))
USER = "bench_user"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# wrk reports through this hook: one machine-readable line after its own summary.
REPORT = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format("RESULT %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), errors))
end
"""


@dataclass
class Scenario:
    name: str
    method: str
    url: str
    headers: dict
    body: str = ""


@dataclass
class Figures:
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float
    errors: int


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk not found: installing it from Debian's packages", file=sys.stderr)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, stdout=subprocess.DEVNULL)
    return shutil.which("wrk") or sys.exit("wrk could not be installed")


def http(method: str, url: str, body=None, headers=None) -> tuple[dict, dict]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"content-type": "application/json", **(headers or {})})
    with urllib.request.urlopen(req) as answer:
        text = answer.read()
        return (json.loads(text) if text else {}), dict(answer.headers)


class DevGateway:
    """`agentkit dev` on a data dir of our choice; its exported variables parsed from stdout."""

    def __init__(self, data_root: Path):
        self.dir = Path(tempfile.mkdtemp(dir=data_root, prefix="agentkit-bench-"))
        self.log = open(self.dir / "gateway.log", "w")
        self.proc = subprocess.Popen([BIN, "dev", "--port", "0", "--data-dir", str(self.dir / "state")],
                                     stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.env: dict[str, str] = {}
        while "AGENTKIT_SANDBOX_URL" not in self.env:
            line = self.proc.stdout.readline()
            if not line:
                sys.exit(f"agentkit dev exited: see {self.dir / 'gateway.log'}")
            if m := re.match(r"export (\w+)=(.*)", line.strip()):
                self.env[m.group(1)] = m.group(2)

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def scenarios(gw: DevGateway) -> list[Scenario]:
    base, sandbox = gw.env["SCALEKIT_ENV_URL"], gw.env["AGENTKIT_SANDBOX_URL"]
    client_id, secret = gw.env["SCALEKIT_CLIENT_ID"], gw.env["SCALEKIT_CLIENT_SECRET"]
    upstream_token = http("POST", f"{sandbox}/sandbox/tokens", {"user": USER, "expires_in": 86400})[0]["access_token"]
    form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}).encode()
    with urllib.request.urlopen(urllib.request.Request(f"{base}/oauth/token", data=form)) as answer:
        token = json.load(answer)["access_token"]
    api = {"authorization": f"Bearer {token}"}

    import scalekit.client  # the SDK sets up what wrk then calls

    client = scalekit.client.ScalekitClient(client_id=client_id, client_secret=secret, env_url=base)
    client.actions.get_or_create_connected_account(
        connection_name="gmail", identifier=USER, authorization_details={"oauth_token": {"access_token": upstream_token}})
    from scalekit.actions.types import McpConfigConnectionToolMapping

    client.actions.mcp.create_config(name="bench", connection_tool_mappings=[
        McpConfigConnectionToolMapping(connection_name="gmail", tools=["gmail_list_labels"])])
    mcp_url = client.actions.mcp.ensure_instance(config_name="bench", user_identifier=USER).instance.url
    mcp_headers = {"accept": "application/json, text/event-stream"}
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}}
    _, answer_headers = http("POST", mcp_url, init, mcp_headers)
    session = {k.lower(): v for k, v in answer_headers.items()}.get("mcp-session-id")
    if session:
        mcp_headers["mcp-session-id"] = session
    http("POST", mcp_url, {"jsonrpc": "2.0", "method": "notifications/initialized"}, mcp_headers)

    json_api = {**api, "content-type": "application/json"}
    tool = lambda name, params: json.dumps({"tool_name": name, "identifier": USER, "params": params})  # noqa: E731
    call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "gmail_list_labels", "arguments": {}}}
    return [
        Scenario("direct upstream GET labels", "GET", f"{sandbox}/gmail/v1/users/me/labels", {"authorization": f"Bearer {upstream_token}"}),
        Scenario("/proxy GET labels", "GET", f"{base}/proxy/gmail/v1/users/me/labels", {**api, "connection_name": "gmail", "identifier": USER}),
        Scenario("execute_tool gmail_list_labels", "POST", f"{base}/api/v1/execute_tool", json_api, tool("gmail_list_labels", {})),
        Scenario("execute_tool gmail_fetch_mails", "POST", f"{base}/api/v1/execute_tool", json_api, tool("gmail_fetch_mails", {"max_results": 10})),
        Scenario("MCP tools/call gmail_list_labels", "POST", mcp_url, {**mcp_headers, "content-type": "application/json"}, json.dumps(call)),
    ]


def lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid Lua string literal for this ASCII text


def run_wrk(wrk: str, gw: DevGateway, s: Scenario, connections: int, workdir: Path) -> Figures:
    script = workdir / "scenario.lua"
    lines = [f"wrk.method = {lua_string(s.method)}"]
    if s.body:
        lines.append(f"wrk.body = {lua_string(s.body)}")
    lines += [f"wrk.headers[{lua_string(k)}] = {lua_string(v)}" for k, v in s.headers.items()]
    script.write_text("\n".join(lines) + REPORT)
    threads = min(THREADS, connections)
    before = gw.cpu_seconds()
    out = subprocess.run([wrk, "-t", str(threads), "-c", str(connections), "-d", f"{SECONDS}s", "-s", str(script), s.url],
                         capture_output=True, text=True, check=True).stdout
    cpu = gw.cpu_seconds() - before
    m = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) (\d+)", out)
    if not m:
        sys.exit(f"wrk printed no result for {s.name}:\n{out}")
    requests, duration_us, p50, p99, errors = map(int, m.groups())
    return Figures(requests / (duration_us / 1e6), p50 / 1e3, p99 / 1e3, cpu * 1e3 / max(requests, 1), errors)


def check_scenarios(gw: DevGateway, all_scenarios: list[Scenario]):
    """Each scenario answers 200 with a success body once, so wrk measures real work."""
    for s in all_scenarios:
        req = urllib.request.Request(s.url, data=s.body.encode() or None, method=s.method, headers=s.headers)
        with urllib.request.urlopen(req) as answer:
            text = answer.read().decode()
        if answer.status != 200 or '"error"' in text or '"isError":true' in text:
            sys.exit(f"{s.name}: unexpected answer {answer.status}: {text[:300]}")


def main():
    wrk = ensure_wrk()
    print(f"wrk {THREADS} threads, {SECONDS}s per measurement, binary {BIN}")
    print(f"{os.cpu_count()} cores; {Path('/proc/cpuinfo').read_text().split('model name')[1].split(':')[1].splitlines()[0].strip()}\n")
    roots = {"disk": Path(tempfile.gettempdir()) if not Path("/var/tmp").is_dir() else Path("/var/tmp"), "tmpfs": Path("/dev/shm")}
    for storage in STORAGE:
        gw = DevGateway(roots[storage])
        try:
            all_scenarios = scenarios(gw)
            check_scenarios(gw, all_scenarios)
            print(f"== data dir on {storage} ({gw.dir})")
            print(f"{'scenario':<36}{'conc':>5}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'cpu ms/req':>11}"
                  f"{'x direct':>10}{'+p50 ms':>9}{'+p99 ms':>9}{'+cpu ms':>9}{'errors':>8}")
            for connections in CONCURRENCY:
                direct = None
                for s in all_scenarios:
                    f = run_wrk(wrk, gw, s, connections, gw.dir)
                    direct = direct or f
                    ratio = f.rps / direct.rps if direct.rps else 0
                    print(f"{s.name:<36}{connections:>5}{f.rps:>10.0f}{f.p50_ms:>9.3f}{f.p99_ms:>9.3f}{f.cpu_ms:>11.3f}"
                          f"{ratio:>10.3f}{f.p50_ms - direct.p50_ms:>9.3f}{f.p99_ms - direct.p99_ms:>9.3f}"
                          f"{f.cpu_ms - direct.cpu_ms:>9.3f}{f.errors:>8}")
                print()
        finally:
            gw.close()


if __name__ == "__main__":
    main()
