"""Where the gateway's time goes, per path: `perf record` (software clock, call graphs) of the
`agentkit dev` process while `wrk` holds one scenario of benches/bench_gateway.py at 64
connections, then the top symbols by self time and the split between kernel, the gateway's own
code, its libraries and the allocator. Quoted in docs/performance.md; asserts nothing.

Needs `perf` (Debian's linux-perf; installed if missing) and a binary with symbols: `make profile`
builds the `profiling` profile (the release build, symbols kept) and runs this with it.

Environment: AGENTKIT_BIN (default target/profiling/agentkit), PROFILE_SECONDS (default 8),
PROFILE_SCENARIOS (comma-separated name prefixes, default "/proxy,execute_tool gmail_list,MCP"),
PROFILE_TOP (symbols listed per scenario, default 12).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("AGENTKIT_BIN", str(ROOT / "target/profiling/agentkit"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_gateway as bench  # noqa: E402  (reads AGENTKIT_BIN at import)

SECONDS = int(os.environ.get("PROFILE_SECONDS", "8"))
WANTED = os.environ.get("PROFILE_SCENARIOS", "/proxy,execute_tool gmail_list,MCP").split(",")
TOP = int(os.environ.get("PROFILE_TOP", "12"))
CONNECTIONS = 64


def ensure_perf() -> str:
    found = shutil.which("perf")
    if not found:
        subprocess.run(["apt-get", "install", "-y", "-qq", "linux-perf"], check=True, stdout=subprocess.DEVNULL)
        found = shutil.which("perf")
    return found or sys.exit("perf could not be installed")


HTTP = "HTTP (hyper, axum, reqwest, url)"
# (a name in the symbol, its area), first match wins: the frameworks' generic frames often name
# the gateway's types in their parameters, so they are tried before the gateway's own code.
AREAS = [(crate, HTTP) for crate in ("hyper", "h2::", "reqwest", "axum", "tower", "http::", "httparse", "url::", "idna::")]
AREAS += [(crate, "tokio runtime") for crate in ("tokio", "mio::", "futures_util")]
AREAS += [(crate, "store (sqlx, SQLite)") for crate in ("sqlx", "sqlite", "walChecksum", "pcache", "Btree", "Vdbe", "pager")]
AREAS += [(crate, "JSON (serde)") for crate in ("serde",)]
AREAS += [(crate, "logging and tracing") for crate in ("tracing", "sharded_slab", "crossbeam")]
AREAS += [("metrics", "metrics"), ("agentkit_sandbox", "sandbox upstream"), ("agentkit", "gateway's own code")]
AREAS += [(crate, "Rust std (fmt, collections, bytes)") for crate in ("core::", "alloc::", "std::", "bytes::")]


def area(symbol: str, dso: str) -> str:
    """Which part of the process a sample's own frame belongs to."""
    if dso.startswith("[kernel") or symbol.startswith(("entry_", "syscall", "__x64_sys", "do_syscall")):
        return "kernel"
    if "mi_" in symbol or "mimalloc" in symbol:
        return "allocator (mimalloc)"
    if dso.startswith(("libc", "ld-linux", "libm")):
        return "libc"
    for crate, name in AREAS:
        if crate in symbol:
            return name
    if dso == "[vdso]":
        return "kernel"
    return "other"


def profile(perf: str, wrk: str, gw: bench.DevGateway, scenario: bench.Scenario, workdir: Path) -> str:
    data = workdir / "perf.data"
    recorder = subprocess.Popen([perf, "record", "-q", "-e", "cpu-clock", "-F", "999", "-g", "-p", str(gw.proc.pid),
                                 "-o", str(data), "--", "sleep", str(SECONDS)], stderr=subprocess.DEVNULL)
    bench.SECONDS = SECONDS
    figures = bench.run_wrk(wrk, gw, scenario, CONNECTIONS, workdir)
    recorder.wait()
    report = subprocess.run([perf, "report", "-i", str(data), "--no-children", "--stdio", "--sort", "dso,sym",
                             "--percent-limit", "0.01", "-g", "none"], capture_output=True, text=True).stdout
    rows = []
    for line in report.splitlines():
        m = re.match(r"\s+([\d.]+)%\s+(\S+)\s+\[[.k]\]\s+(.*)", line)
        if m:
            rows.append((float(m.group(1)), m.group(2), m.group(3).strip()))
    threads = subprocess.run([perf, "report", "-i", str(data), "--no-children", "--stdio", "--sort", "comm",
                              "--percent-limit", "0.5", "-g", "none"], capture_output=True, text=True).stdout
    by_thread = [(float(m.group(1)), m.group(2).strip()) for m in
                 (re.match(r"\s+([\d.]+)%\s+(.+)", line) for line in threads.splitlines() if not line.startswith("#"))
                 if m]
    by_area: dict[str, float] = defaultdict(float)
    for share, dso, symbol in rows:
        by_area[area(symbol, dso)] += share
    lines = [f"## {scenario.name}: {figures.rps:,.0f} req/s, {figures.cpu_ms:.3f} ms gateway CPU per request",
             "by area: " + ", ".join(f"{name} {share:.1f}%" for name, share in sorted(by_area.items(), key=lambda x: -x[1])),
             "by thread: " + ", ".join(f"{name} {share:.1f}%" for share, name in by_thread)]
    lines += [f"  {share:5.1f}%  {symbol[:110]}" for share, _, symbol in rows[:TOP]]
    return "\n".join(lines)


def main():
    perf, wrk = ensure_perf(), bench.ensure_wrk()
    print(f"perf record -e cpu-clock -F 999 -g, {SECONDS}s per scenario at {CONNECTIONS} connections, binary {bench.BIN}\n")
    gw = bench.DevGateway(Path("/var/tmp") if Path("/var/tmp").is_dir() else Path(tempfile.gettempdir()))
    try:
        chosen = [s for s in bench.scenarios(gw) if any(s.name.startswith(w) for w in WANTED)]
        bench.check_scenarios(gw, chosen)
        for scenario in chosen:
            print(profile(perf, wrk, gw, scenario, gw.dir) + "\n")
    finally:
        gw.close()


if __name__ == "__main__":
    main()
