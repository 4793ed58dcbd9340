"""The gateway with a lot of data: 100,000 connected accounts and 1,000,000 execution records,
seeded straight into `agentkit dev`'s SQLite file, then the API's lookups and lists timed one
caller at a time (median of BENCH_REPEAT calls). The figures should not grow with the tables.

Environment: AGENTKIT_BIN (default target/release/agentkit), BENCH_ACCOUNTS (100000),
BENCH_EXECUTIONS (1000000), BENCH_REPEAT (15). Asserts nothing.

Seeded accounts carry credentials in the pre-vault plain-JSON form the gateway still reads (a
sealed credential is bound to the id it was sealed for, so it cannot be copied across rows).
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import time
import urllib.parse
import urllib.request
from pathlib import Path

from bench_gateway import DevGateway  # the same `agentkit dev` harness (this folder is on sys.path)

ROOT = Path(__file__).resolve().parent.parent
BIN = os.environ.get("AGENTKIT_BIN", str(ROOT / "target/release/agentkit"))
ACCOUNTS = int(os.environ.get("BENCH_ACCOUNTS", "100000"))
EXECUTIONS = int(os.environ.get("BENCH_EXECUTIONS", "1000000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "15"))
CONNECTIONS = ["gmail", "slack", "github", "notion", "jira"]


def seed(db_path: Path):
    db = sqlite3.connect(db_path, timeout=30)
    now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    credentials = json.dumps({"oauth_token": {"access_token": "seeded-token", "refresh_token": "", "scopes": []}})
    db.executemany(
        "INSERT INTO connected_accounts (id, connection_name, connector, identifier, organization_id, user_id, status, "
        "authorization_type, credentials, created_at, updated_at) VALUES (?, ?, ?, ?, '', '', 'ACTIVE', 'OAUTH', ?, ?, ?)",
        ((f"ca_seed{n:08d}", CONNECTIONS[n % len(CONNECTIONS)], CONNECTIONS[n % len(CONNECTIONS)], f"user-{n // len(CONNECTIONS)}",
          credentials, now, now) for n in range(ACCOUNTS)))
    db.commit()
    start = time.time() - 86400 * 20
    db.executemany(
        "INSERT INTO executions (id, api_client_id, tool_name, connection_name, connected_account_id, identifier, status, "
        "upstream_status, error_code, latency_ms, created_at) VALUES (?, 'bench', 'gmail_list_labels', 'gmail', ?, ?, 'SUCCESS', "
        "NULL, NULL, 12, ?)",
        ((f"exec_seed{n:09d}", f"ca_seed{(n % ACCOUNTS):08d}", f"user-{(n % ACCOUNTS) // len(CONNECTIONS)}",
          time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(start + n * 86400 * 19 / max(EXECUTIONS, 1))))
         for n in range(EXECUTIONS)))
    db.commit()
    db.close()


def main():
    gateway = DevGateway(Path("/var/tmp"))
    env = gateway.env
    try:
        t = time.time()
        seed(gateway.dir / "state" / "agentkit.db")
        print(f"seeded {ACCOUNTS} accounts and {EXECUTIONS} execution records in {time.time() - t:.0f}s ({BIN})\n")
        base = env["SCALEKIT_ENV_URL"]
        form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": env["SCALEKIT_CLIENT_ID"],
                                       "client_secret": env["SCALEKIT_CLIENT_SECRET"]}).encode()
        with urllib.request.urlopen(urllib.request.Request(f"{base}/oauth/token", data=form)) as answer:
            token = json.load(answer)["access_token"]

        def get(path: str) -> dict:
            req = urllib.request.Request(f"{base}{path}", headers={"authorization": f"Bearer {token}"})
            with urllib.request.urlopen(req) as answer:
                return json.load(answer)

        def timed(name: str, path_of):
            paths = [path_of(i) for i in range(REPEAT)]
            t0 = time.perf_counter()
            get(paths[0])  # the first call: nothing cached yet
            cold = (time.perf_counter() - t0) * 1e3
            times = []
            for p in paths:
                t0 = time.perf_counter()
                get(p)
                times.append((time.perf_counter() - t0) * 1e3)
            p90 = sorted(times)[int(len(times) * 0.9)]
            print(f"{name:<58}{statistics.median(times):>9.2f} ms   (p90 {p90:.2f}, first call {cold:.2f})")

        deep = ""
        page = get("/api/v1/connected_accounts?page_size=50")
        for _ in range(100):
            deep = page["next_page_token"]
            page = get(f"/api/v1/connected_accounts?page_size=50&page_token={urllib.parse.quote(deep)}")
        timed("get_connected_account_details (key lookup)",
              lambda i: f"/api/v1/connected_accounts/details?connection_name=gmail&identifier=user-{i * 997 % (ACCOUNTS // 5)}")
        timed("list_connected_accounts, first page of 50", lambda i: "/api/v1/connected_accounts?page_size=50")
        timed("list_connected_accounts connection_names=gmail", lambda i: "/api/v1/connected_accounts?page_size=50&connection_names=gmail")
        timed("list_connected_accounts, page 101 (next_page_token)",
              lambda i: f"/api/v1/connected_accounts?page_size=50&page_token={urllib.parse.quote(deep)}")
        timed("list_connected_accounts query=user-123", lambda i: "/api/v1/connected_accounts?page_size=50&query=user-123")
        timed("list_connected_accounts query=nomatch (rare)", lambda i: "/api/v1/connected_accounts?page_size=50&query=nomatch")
        timed("recent executions (20 newest)", lambda i: "/api/v1/executions?limit=20")
        timed("recent executions of one identifier", lambda i: f"/api/v1/executions?limit=20&identifier=user-{i * 31}")
        print(f"\ndatabase: {sum(f.stat().st_size for f in (gateway.dir / 'state').glob('agentkit.db*')) / 1e6:.0f} MB")
    finally:
        gateway.close()


if __name__ == "__main__":
    main()
