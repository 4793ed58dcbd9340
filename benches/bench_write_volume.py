"""What each tool call writes — log bytes (JSON lines, `info`) and database bytes (the SQLite file
and its WAL, after a checkpoint) — with the defaults, and with the operator's knobs for the hot
path: `[logging] quiet_routes = ["/api/v1/execute_tool"]` plus the per-call line's module at
`warn`, and `[bookkeeping] successful_execution_sample = 0.01`. Prints bytes per call and what a
day at a sustained rate costs. Asserts nothing.

Environment: AGENTKIT_BIN (a release build, as `make bench` passes), BENCH_CALLS (default 3000),
BENCH_RATE (calls per second for the per-day figure, default 1000).
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import tempfile
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_gateway import DevGateway, scenarios  # noqa: E402

CALLS = int(os.environ.get("BENCH_CALLS", "3000"))
RATE = int(os.environ.get("BENCH_RATE", "1000"))
KNOBS = {
    "AGENTKIT_LOGGING__QUIET_ROUTES": '["/api/v1/execute_tool"]',
    "AGENTKIT_LOG": "info,agentkit_server::domain::execution=warn",
    "AGENTKIT_BOOKKEEPING__SUCCESSFUL_EXECUTION_SAMPLE": "0.01",
}


def database_bytes(state: Path) -> int:
    db = state / "agentkit.db"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return sum(p.stat().st_size for p in state.glob("agentkit.db*"))


def measure(label: str, env: dict[str, str]) -> tuple[float, float]:
    saved = dict(os.environ)
    os.environ.update({"AGENTKIT_LOG_FORMAT": "json", **env})
    try:
        gw = DevGateway(Path(tempfile.gettempdir()))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    try:
        light = next(s for s in scenarios(gw) if s.name.startswith("execute_tool gmail_list_labels"))
        log_path, state = gw.dir / "gateway.log", gw.dir / "state"

        def call(_):
            req = urllib.request.Request(light.url, data=light.body.encode(), method="POST", headers=light.headers)
            with urllib.request.urlopen(req) as answer:
                json.load(answer)

        list(ThreadPoolExecutor(8).map(call, range(50)))  # warm up: first pages of the database
        gw.log.flush()
        log_before, db_before = log_path.stat().st_size, database_bytes(state)
        list(ThreadPoolExecutor(8).map(call, range(CALLS)))
        # The bookkeeping writer commits within its flush interval; the log writer within a moment.
        import time
        time.sleep(0.5)
        log_per_call = (log_path.stat().st_size - log_before) / CALLS
        db_per_call = (database_bytes(state) - db_before) / CALLS
    finally:
        gw.close()
    per_day = 86_400 * RATE
    print(f"{label:<44}{log_per_call:>10.0f}{db_per_call:>10.0f}"
          f"{log_per_call * per_day / 1e9:>12.1f}{db_per_call * per_day / 1e9:>12.1f}")
    return log_per_call, db_per_call


def main():
    print(f"{CALLS} light execute_tool calls; per day at {RATE} calls/s")
    print(f"{'':<44}{'log B':>10}{'db B':>10}{'log GB/day':>12}{'db GB/day':>12}")
    measure("defaults", {})
    measure("quiet route, per-call line at warn, 1% sample", KNOBS)


if __name__ == "__main__":
    main()
