"""The Python SDK through a consent flow at a real OpenID Connect server (oidc-provider, started
with an `agentkit serve` gateway by tests/oidc/stack.mjs): authorization, a tool call with the
issued token, and user verification refusing a second identifier."""

from __future__ import annotations

import http.cookiejar
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

import scalekit.client
from scalekit.common.exceptions import ScalekitForbiddenException

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def stack():
    proc = subprocess.Popen(["node", str(ROOT / "tests" / "oidc" / "stack.mjs")], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    env = {}
    while "OIDC_ISSUER" not in env:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"oidc stack exited with {proc.wait()}")
        name, _, value = line.strip().removeprefix("export ").partition("=")
        env[name] = value
    yield env
    proc.terminate()
    proc.wait(timeout=10)


def browser(stop_at: str = ""):
    """A user's browser: its own cookies, follows redirects, stops before host `stop_at`."""

    class StopAt(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, req, fp, code, msg, headers, newurl):
            if stop_at and urllib.parse.urlparse(newurl).hostname == stop_at:
                return None
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), StopAt)


def test_consent_and_verification_at_a_real_oidc_server(stack):
    client = scalekit.client.ScalekitClient(client_id=stack["SCALEKIT_CLIENT_ID"], client_secret=stack["SCALEKIT_CLIENT_SECRET"],
                                            env_url=stack["SCALEKIT_ENV_URL"])
    actions = client.actions
    link = actions.get_authorization_link(connection_name="oidc", identifier="py-alice").link
    page = browser().open(link)
    assert page.status == 200 and "connected" in page.read().decode()
    account = actions.get_connected_account(connection_name="oidc", identifier="py-alice").connected_account
    assert account.status == "ACTIVE"
    assert account.authorization_details["oauth_token"]["refresh_token"]
    me = actions.execute_tool(tool_name="oidc_userinfo", identifier="py-alice", tool_input={})
    assert me.data["sub"] == "py-alice"

    link = actions.get_authorization_link(connection_name="oidc", identifier="py-bob",
                                          user_verify_url="https://app.example.test/verify", state="st").link
    with pytest.raises(urllib.error.HTTPError) as stopped:
        browser(stop_at="app.example.test").open(link)
    location = urllib.parse.urlparse(stopped.value.headers["location"])
    request_id = urllib.parse.parse_qs(location.query)["auth_request_id"][0]
    with pytest.raises(ScalekitForbiddenException):
        actions.verify_connected_account_user(auth_request_id=request_id, identifier="py-mallory")
    assert actions.get_connected_account_details(connection_name="oidc", identifier="py-bob").connected_account.status == "PENDING_VERIFICATION"
    done = actions.verify_connected_account_user(auth_request_id=request_id, identifier="py-bob")
    assert done.post_user_verify_redirect_url.endswith("/connect/complete")
    assert actions.execute_tool(tool_name="oidc_userinfo", identifier="py-bob", tool_input={}).data["sub"] == "py-bob"
