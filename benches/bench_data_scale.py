"""The gateway with a lot of data: 100,000 connected accounts and 1,000,000 execution records,
seeded straight into `agentkit dev`'s SQLite file, then the API's lookups and lists timed one
caller at a time (median of BENCH_REPEAT calls), and the console's pages over the same data (the
issue's bar: each renders in at most 100 ms), with the ratio to the API call that lists the same
rows. The figures should not grow with the tables.

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
import urllib.error
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


def console_pages(base: str, sign_in_link: str, api_get):
    """Times console pages, signed in through `agentkit dev`'s one-time link, against the API
    call that lists the same rows (measured here, in the same run)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(urllib.request.Request(sign_in_link, data=b"", method="POST"))
    except urllib.error.HTTPError as answer:  # the 303 that sets the session cookie
        cookie = answer.headers["set-cookie"].split(";")[0]

    def page(path: str) -> str:
        req = urllib.request.Request(f"{base}{path}", headers={"cookie": cookie})
        with urllib.request.urlopen(req) as answer:
            return answer.read().decode()

    def median_ms(fetch, path_of) -> float:
        fetch(path_of(0))
        times = []
        for i in range(REPEAT):
            t0 = time.perf_counter()
            fetch(path_of(i))
            times.append((time.perf_counter() - t0) * 1e3)
        return statistics.median(times)

    # Page 101 of the accounts: follow "Next page" 100 times.
    deep = "/console/accounts"
    for _ in range(100):
        html = page(deep)
        at = html.index('href="/console/accounts?') + len('href="')
        deep = html[at:html.index('"', at)].replace("&amp;", "&")
        if "before=" in deep:  # the first link after page 1 is "Previous page"
            at = html.index('href="/console/accounts?', at) + len('href="')
            deep = html[at:html.index('"', at)].replace("&amp;", "&")
    html = page("/console/executions")
    at = html.index('href="/console/executions?') + len('href="')
    older = html[at:html.index('"', at)].replace("&amp;", "&")
    print(f"\n{'console page (HTML, 50 rows)':<58}{'median':>9}      API baseline   ratio")
    for name, path_of, api_path_of in [
        ("Connected accounts, first page", lambda i: "/console/accounts", lambda i: "/api/v1/connected_accounts?page_size=50"),
        ("Connected accounts, page 101", lambda i: deep, None),
        ("Connected accounts, search user-123", lambda i: "/console/accounts?q=user-123",
         lambda i: "/api/v1/connected_accounts?page_size=50&query=user-123"),
        ("Executions, newest", lambda i: "/console/executions", lambda i: "/api/v1/executions?limit=50"),
        ("Executions, second page (keyset)", lambda i: older, None),
        ("Executions of one identifier", lambda i: f"/console/executions?identifier=user-{i * 31}",
         lambda i: f"/api/v1/executions?limit=50&identifier=user-{i * 31}"),
        ("Audit trail", lambda i: "/console/audit", None),
        ("Connections (catalog)", lambda i: "/console/connections", None),
        ("Tools of gmail", lambda i: "/console/tools?connector=gmail", None),
    ]:
        ms = median_ms(page, path_of)
        if api_path_of:
            api_ms = median_ms(api_get, api_path_of)
            print(f"{name:<58}{ms:>9.2f} ms   {api_ms:>9.2f} ms   {ms / api_ms:>5.2f}x")
        else:
            print(f"{name:<58}{ms:>9.2f} ms")


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
        console_pages(base, env["AGENTKIT_CONSOLE_URL"], get)
        print(f"\ndatabase: {sum(f.stat().st_size for f in (gateway.dir / 'state').glob('agentkit.db*')) / 1e6:.0f} MB")
    finally:
        gateway.close()


if __name__ == "__main__":
    main()
