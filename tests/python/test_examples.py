"""Every Python example in examples/python runs against a fresh `agentkit dev` and the scripted
model endpoints (tests/models/scripted_llm.py), as a user would run it: the authorization link is
opened and Enter pressed by scripts/demo_driver.py. Each must exit 0, print an answer quoting the
sandbox mailbox, and leave a successful gmail_fetch_mails execution record for user_123."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import urllib.request

import pytest

from gateway import ROOT, DevGateway, api_token

sys.path.insert(0, str(ROOT / "tests" / "models"))
import scripted_llm  # noqa: E402

EXAMPLES = ["quickstart.py", "anthropic_agent.py", "openai_agent.py", "langchain_agent.py", "langchain_mcp_agent.py",
            "google_adk_agent.py", "google_adk_mcp_agent.py", "claude_managed_agent.py"]
NEWEST_UNREAD = "Q3 roadmap review moved to Thursday"


@pytest.fixture(scope="module")
def llm_url():
    server = scripted_llm.serve()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def executions(env, identifier):
    token = api_token(env)
    req = urllib.request.Request(f"{env['SCALEKIT_ENV_URL']}/api/v1/executions?identifier={identifier}", headers={"authorization": f"Bearer {token}"})
    return json.load(urllib.request.urlopen(req))["executions"]


@pytest.mark.parametrize("example", EXAMPLES)
def test_example(example, llm_url):
    gateway = DevGateway()
    try:
        env = {**os.environ, **gateway.env, "ANTHROPIC_BASE_URL": llm_url, "ANTHROPIC_API_KEY": "test-key",
               "OPENAI_BASE_URL": f"{llm_url}/v1", "OPENAI_API_KEY": "test-key",
               "GOOGLE_GEMINI_BASE_URL": llm_url, "GOOGLE_API_KEY": "test-key"}
        proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "demo_driver.py"), sys.executable, str(ROOT / "examples" / "python" / example)],
                              env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert NEWEST_UNREAD in proc.stdout, proc.stdout
        records = executions(gateway.env, "user_123")
        assert any(r["tool_name"] == "gmail_fetch_mails" and r["status"] == "SUCCESS" for r in records), records
    finally:
        gateway.stop()


def test_every_python_example_is_covered():
    on_disk = {p.name for p in (ROOT / "examples" / "python").glob("*.py")} - {"documented_calls.py"}  # run by dist-check
    assert on_disk == set(EXAMPLES)
