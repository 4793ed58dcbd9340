"""Two (or more) gateway binaries, paired: each round starts `agentkit dev` from each binary in
turn and runs the same scenarios of benches/bench_gateway.py at 64 connections, so a before and an
after meet the same machine load; medians over the rounds are printed, with each scenario's CPU
per request split by thread (tokio workers, the SQLite worker, the log writer) from
/proc/<pid>/task. Asserts nothing; docs/performance.md quotes it.

    python benches/bench_compare.py OLD_BINARY NEW_BINARY

Environment: COMPARE_ROUNDS (default 4), COMPARE_SECONDS (per measurement, default 4),
COMPARE_SCENARIOS (comma-separated name prefixes, default every scenario but the heavy tool).
"""

from __future__ import annotations

import os
import statistics
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_gateway as bench  # noqa: E402

ROUNDS = int(os.environ.get("COMPARE_ROUNDS", "4"))
WANTED = os.environ.get("COMPARE_SCENARIOS", "direct,/proxy,execute_tool gmail_list,MCP").split(",")
CONNECTIONS = 64


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
    rows: dict[tuple[str, str], list] = defaultdict(list)
    for _ in range(ROUNDS):
        for binary in binaries:
            bench.BIN = binary
            gw = bench.DevGateway(Path("/var/tmp") if Path("/var/tmp").is_dir() else Path("/tmp"))
            try:
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
