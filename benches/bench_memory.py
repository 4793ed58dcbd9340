"""The gateway's memory under sustained load when nobody scrapes `/metrics` (as under
`agentkit dev`): resident memory at start, then after each slice of `execute_tool` load (wrk,
16 connections), and the growth per request between the first and the last slice. Before the
metrics recorder folded its samples on its own, this grew by 20–117 bytes per request without
bound. Also the start: time from exec to ready, and resident memory then. Asserts nothing.

Environment: AGENTKIT_BIN (a release build, as `make bench` passes), BENCH_SLICES (default 6),
BENCH_SECONDS (per slice, default 10).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_gateway import BIN, DevGateway, ensure_wrk, scenarios  # noqa: E402

SLICES = int(os.environ.get("BENCH_SLICES", "6"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main():
    wrk = ensure_wrk()
    started = time.perf_counter()
    gw = DevGateway(Path(tempfile.gettempdir()))
    ready_ms = (time.perf_counter() - started) * 1e3
    try:
        print(f"binary {BIN}")
        print(f"agentkit dev ready after {ready_ms:.0f} ms (gateway and sandbox), resident {rss_mib(gw.proc.pid):.1f} MiB")
        light = next(s for s in scenarios(gw) if s.name.startswith("execute_tool gmail_list_labels"))
        script = gw.dir / "light.lua"
        script.write_text(f"wrk.method = 'POST'\nwrk.body = {light.body!r}\n"
                          + "".join(f"wrk.headers[{k!r}] = {v!r}\n" for k, v in light.headers.items()))
        total, first = 0, None
        print(f"{'after requests':>16}{'resident MiB':>14}")
        for _ in range(SLICES):
            out = subprocess.run([wrk, "-t", "2", "-c", "16", "-d", f"{SECONDS}s", "-s", str(script), light.url],
                                 capture_output=True, text=True, check=True).stdout
            total += int(next(line.split()[0] for line in out.splitlines() if "requests in" in line))
            rss = rss_mib(gw.proc.pid)
            first = first or (total, rss)
            print(f"{total:>16,}{rss:>14.1f}")
        grown = (rss - first[1]) * 1024 * 1024 / max(total - first[0], 1)
        print(f"growth after the first slice: {grown:.2f} bytes per request ({total - first[0]:,} requests, "
              f"/metrics never scraped)")
    finally:
        gw.close()


if __name__ == "__main__":
    main()
