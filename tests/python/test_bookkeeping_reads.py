"""A connected account read answers at once, with its own queued use, while the bookkeeping
writer is held back (here by another connection holding SQLite's write lock, as a burst over many
accounts or a slow disk would). Before, the read committed the whole queue first and waited for
every other account's bookkeeping. (`/details`, which shows no credentials: a credential read is
audited, and an audit row is a write that must commit.)"""

from __future__ import annotations

import json
import sqlite3
import time
import urllib.request
import uuid
from pathlib import Path

import scalekit.client

from gateway import DevGateway, api_token


def test_an_account_read_does_not_wait_for_the_bookkeeping_writer():
    gateway = DevGateway()
    try:
        env = gateway.env
        client = scalekit.client.ScalekitClient(env_url=env["SCALEKIT_ENV_URL"], client_id=env["SCALEKIT_CLIENT_ID"],
                                                client_secret=env["SCALEKIT_CLIENT_SECRET"])
        user = f"busy-{uuid.uuid4().hex[:6]}"
        urllib.request.urlopen(client.actions.get_authorization_link(connection_name="gmail", identifier=user).link).read()
        details = urllib.request.Request(
            env["SCALEKIT_ENV_URL"] + f"/api/v1/connected_accounts/details?connector=gmail&identifier={user}",
            headers={"authorization": f"Bearer {api_token(env)}"})

        def read():
            with urllib.request.urlopen(details, timeout=10) as answer:
                return json.load(answer)["connected_account"]

        assert not read().get("last_used_at")

        blocker = sqlite3.connect(Path(gateway.data_dir) / "state" / "agentkit.db", timeout=1, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # the bookkeeping writer cannot commit from here on
        try:
            client.actions.execute_tool(tool_name="gmail_list_labels", identifier=user, tool_input={})
            started = time.monotonic()
            account = read()
            waited = time.monotonic() - started
        finally:
            blocker.execute("COMMIT")
            blocker.close()
        assert waited < 1.0, f"the read waited {waited:.2f} s for the bookkeeping writer"
        assert account.get("last_used_at"), "the queued use is shown"
    finally:
        gateway.stop()
