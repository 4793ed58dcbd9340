"""Every fragment of the SDK reference pages runs as a program against a fresh ``agentkit dev``.

The fragments are test data (tests/fixtures/sdk_reference/fragments.json and the files it names,
copied from the "Python SDK reference" and "Node.js SDK reference" pages). Each scenario's
program is: a prelude giving the names a fragment takes from its surroundings (``request.args``
of a web handler, ``llm``, ``prompt``), the page's initialisation fragment, the scenario's
``context`` fragments, the fragment itself, and then this suite's check of what it did. The Node
twins run in tests/node/sdk_reference.test.mjs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import urllib.request

import pytest

from gateway import ROOT, DevGateway

FIXTURES = ROOT / "tests" / "fixtures" / "sdk_reference"
MANIFEST = json.loads((FIXTURES / "fragments.json").read_text())
SCENARIOS = MANIFEST["scenarios"]
USER = "user@example.com"
VERIFY_HOST = "your-app.com"

PRELUDE = textwrap.dedent("""\
    import os
    import types

    request = types.SimpleNamespace(args={"auth_request_id": os.environ.get("AUTH_REQUEST_ID", "")})
    prompt = "You read the user's mail."
""")
# A model for the agent fragments (never called: the fragments only build the agent).
LLM = textwrap.dedent("""\
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

    llm = GenericFakeChatModel(messages=iter([]))
""")

# What each fragment must have done, run after it in the same program.
CHECKS = {
    "install_and_initialize": """
        assert actions.list_connected_accounts().connected_accounts is not None
    """,
    "get_authorization_link": """
        assert magic_link.link.startswith("http"), magic_link
    """,
    "verify_connected_account_user": """
        assert "/connect/complete" in result.post_user_verify_redirect_url, result
        status = actions.get_connected_account(connection_name="gmail", identifier="user@example.com").connected_account.status
        assert str(status).endswith("ACTIVE"), status
    """,
    "get_or_create_connected_account": """
        assert account.connected_account.id.startswith("ca_"), account
    """,
    "execute_tool": """
        # The limit and the label filter applied at the provider: the sandbox mailbox holds six
        # unread messages and two read ones.
        assert len(emails["emails"]) == 5, emails
        assert all("UNREAD" in e["labelIds"] and e["subject"] for e in emails["emails"]), emails
        everything = actions.execute_tool(tool_name="gmail_fetch_emails", tool_input={"max_results": 50},
                                          identifier="user@example.com").data["emails"]
        assert len(everything) == 8 and sum("UNREAD" in e["labelIds"] for e in everything) == 6, everything
    """,
    "request": """
        assert 0 < len(messages) <= 5, messages
    """,
    "mcp_create_config": """
        assert config.config.name == "email-agent", config
        assert [list(m.tools) for m in config.config.connection_tool_mappings] == [["gmail_fetch_emails", "gmail_send_email"]]
    """,
    "mcp_ensure_instance": """
        assert mcp_url.startswith("http"), instance
    """,
    "mcp_get_instance_auth_state": """
        assert [(c.connection_name, c.connected_account_status) for c in auth_state.connections] == [("gmail", "ACTIVE")], auth_state
    """,
    "langchain_get_tools": """
        assert "gmail_fetch_emails" in [t.name for t in tools]
    """,
    "google_get_tools": """
        assert "gmail_fetch_emails" in [t.name for t in tools], tools
    """,
    "list_scoped_tools": """
        import json
        by_name = {t.name: t for t in tools_response.tools}
        fetch = by_name["gmail_fetch_emails"]
        assert fetch.description and fetch.input_schema["properties"]["label"]["type"] == "string", fetch
        json.dumps(fetch.input_schema)  # a plain dict, ready for a model API
        assert fetch.tool.definition["name"] == "gmail_fetch_emails"  # the official shape stays
        assert "gmail_send_email" in by_name
    """,
    "modifiers": """
        out = actions.execute_tool(tool_name="gmail_fetch_emails", tool_input={"max_results": 3},
                                   identifier="user@example.com").data
        assert len(out["emails"]) == 3 and all("UNREAD" in e["labelIds"] for e in out["emails"]), out
    """,
    "error_handling": """
        assert "account" not in globals()  # the not-found branch ran
    """,
}


def fragment(path: str) -> str:
    return (FIXTURES / path).read_text()


def program(scenario: dict, file: str) -> str:
    parts = [PRELUDE, fragment(SCENARIOS[0]["python"]["file"])]
    by_id = {s["id"]: s for s in SCENARIOS}
    parts += [fragment(by_id[c]["python"]["file"]) for c in scenario["context"]]
    if scenario["id"] != "install_and_initialize":
        if "llm" in fragment(file):
            parts.append(LLM)
        parts.append(fragment(file))
    parts.append(textwrap.dedent(CHECKS[scenario["id"]]))
    return "\n".join(parts)


@pytest.fixture(scope="module")
def dev():
    gateway = DevGateway()
    yield gateway
    gateway.stop()


@pytest.fixture(scope="module")
def client(dev):
    import scalekit.client

    return scalekit.client.ScalekitClient(client_id=dev.env["SCALEKIT_CLIENT_ID"],
                                          client_secret=dev.env["SCALEKIT_CLIENT_SECRET"],
                                          env_url=dev.env["SCALEKIT_ENV_URL"])


def auth_request_id(client) -> str:
    """Opens a real authorization link like a browser, up to the app's verify URL."""
    import urllib.error
    import urllib.parse

    link = client.actions.get_authorization_link(identifier=USER, connection_name="gmail",
                                                 user_verify_url=f"https://{VERIFY_HOST}/verify").link

    class StopAtApp(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, req, fp, code, msg, headers, newurl):
            if urllib.parse.urlparse(newurl).hostname == VERIFY_HOST:
                raise urllib.error.HTTPError(newurl, code, msg, headers, fp)
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    try:
        urllib.request.build_opener(StopAtApp).open(link)
    except urllib.error.HTTPError as stopped:
        location = stopped.headers.get("location", "")
        return dict(urllib.parse.parse_qsl(urllib.parse.urlparse(location).query))["auth_request_id"]
    raise AssertionError("the authorization link never reached the app's verify URL")


def prepare(step: str, client, dev) -> dict:
    """Brings the gateway into the state a scenario's `setup` step names; returns extra env."""
    from scalekit.common.exceptions import ScalekitNotFoundException

    actions = client.actions
    if step == "auth_request":
        return {"AUTH_REQUEST_ID": auth_request_id(client)}
    if step == "active_account":
        req = urllib.request.Request(dev.env["AGENTKIT_SANDBOX_URL"] + "/sandbox/tokens", data=json.dumps({"user": USER}).encode(),
                                     headers={"content-type": "application/json"})
        token = json.load(urllib.request.urlopen(req))["access_token"]
        actions.get_or_create_connected_account(connection_name="gmail", identifier=USER)
        actions.update_connected_account(connection_name="gmail", identifier=USER,
                                         authorization_details={"oauth_token": {"access_token": token}})
    elif step == "no_account":
        try:
            actions.delete_connected_account(connection_name="gmail", identifier=USER)
        except ScalekitNotFoundException:
            pass
    elif step in ("email_agent_config", "no_email_agent_config"):
        existing = [c for c in actions.mcp.list_configs(filter_name="email-agent").configs if c.name == "email-agent"]
        if step == "no_email_agent_config":
            for c in existing:
                actions.mcp.delete_config(config_id=c.id)
        elif not existing:
            actions.mcp.create_config(name="email-agent", connection_tool_mappings=[
                {"connection_name": "gmail", "tools": ["gmail_fetch_emails", "gmail_send_email"]}])
    else:
        raise AssertionError(f"unknown setup step {step}")
    return {}


def run(code: str, dev, extra_env: dict) -> subprocess.CompletedProcess:
    env = {**os.environ, **dev.env, **extra_env}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["id"] for s in SCENARIOS])
def test_fragment(scenario, dev, client):
    spec = scenario["python"]
    extra_env = {}
    for step in scenario["setup"]:
        extra_env.update(prepare(step, client, dev))
    proc = run(program(scenario, spec["file"]), dev, extra_env)
    if "fails_with" in spec:
        # The page's own code cannot run on any server (docs/sdks.md says why): it still fails so…
        assert proc.returncode != 0 and spec["fails_with"] in proc.stderr, proc.stdout + proc.stderr
        # …and the same fragment, corrected as docs/sdks.md shows, runs.
        proc = run(program(scenario, spec["corrected"]), dev, extra_env)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_scenario_is_checked_in_both_suites():
    assert set(CHECKS) == {s["id"] for s in SCENARIOS}
    node_suite = (ROOT / "tests" / "node" / "sdk_reference.test.mjs").read_text()
    for s in SCENARIOS:
        assert (s["python"] or {}).get("file"), s["id"]
        if (s["node"] or {}).get("file"):
            assert f"{s['id']}:" in node_suite, f"no Node check for {s['id']}"
        else:
            assert s["node"]["why"], s["id"]
