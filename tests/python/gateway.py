"""Starts a real ``agentkit dev`` process (gateway + sandbox upstream) on free loopback ports."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Dict, Optional

ROOT = Path(__file__).resolve().parents[2]


def connector_tool_names(slug: str) -> list[str]:
    """The tool names of a built-in connector, sorted, read from its connector file."""
    import json
    return sorted(t["name"] for t in json.loads((ROOT / "server" / "connectors" / f"{slug}.json").read_text())["tools"])


def agentkit_binary() -> str:
    explicit = os.environ.get("AGENTKIT_BIN")
    if explicit:
        return explicit
    for profile in ("debug", "release"):
        candidate = ROOT / "target" / profile / "agentkit"
        if candidate.exists():
            return str(candidate)
    raise RuntimeError("agentkit binary not found: run `cargo build -p agentkit-server` or set AGENTKIT_BIN")


class DevGateway:
    """A running ``agentkit dev``; ``env`` holds the printed variables."""

    def __init__(self, env: Optional[Dict[str, str]] = None, data_dir: Optional[str] = None) -> None:
        """``data_dir``: a previous gateway's (a restart keeps its database and dev credentials)."""
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="agentkit-test-")
        self.log_path = Path(self.data_dir) / "gateway.log"
        self._log = open(self.log_path, "a")
        self.process = subprocess.Popen(
            [agentkit_binary(), "dev", "--port", "0", "--data-dir", str(Path(self.data_dir) / "state")],
            stdout=subprocess.PIPE,
            stderr=self._log,
            env={**os.environ, "AGENTKIT_LOG": "debug", **(env or {})},
            text=True,
        )
        self.env: Dict[str, str] = {}
        assert self.process.stdout is not None
        while "AGENTKIT_SANDBOX_URL" not in self.env:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError(f"agentkit dev exited early with {self.process.wait()}")
            name, _, value = line.strip().removeprefix("export ").partition("=")
            self.env[name] = value

    def log_text(self) -> str:
        """Everything the gateway logged so far (stderr, debug level)."""
        self._log.flush()
        return self.log_path.read_text()

    def kill(self) -> None:
        """kill -9: no shutdown, nothing flushed; the data dir stays for a restart."""
        self.process.kill()
        self.process.wait()
        self._log.close()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()
        shutil.rmtree(self.data_dir, ignore_errors=True)


def api_token(env: Dict[str, str]) -> str:
    """An API access token for the dev gateway's client (client credentials at /oauth/token)."""
    import json
    import urllib.parse
    import urllib.request

    form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": env["SCALEKIT_CLIENT_ID"],
                                   "client_secret": env["SCALEKIT_CLIENT_SECRET"]})
    request = urllib.request.Request(env["SCALEKIT_ENV_URL"] + "/oauth/token", data=form.encode())
    return json.load(urllib.request.urlopen(request))["access_token"]
