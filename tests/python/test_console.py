"""The console in a real browser (Chromium from Debian, driven by Playwright): the documented first
steps done through it — sign in with `agentkit dev`'s one-time link, **API credentials** → a new
client, **Create connection** — then the quickstart runs unchanged with exactly those values. Every
page opens without console errors or failed requests, and axe-core reports no serious or critical
accessibility violation on any of them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from playwright import sync_api as playwright

from gateway import ROOT, DevGateway

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PAGES = ["Connections", "Connected accounts", "Tools", "Executions", "Audit trail", "Webhooks", "MCP", "Triggers",
         "API credentials", "Settings"]


@pytest.fixture()
def gateway():
    gw = DevGateway()
    yield gw
    gw.stop()


def test_first_steps_through_the_console_then_the_quickstart(gateway):
    assert os.path.exists(CHROMIUM), "Debian's chromium is installed by .ci/run"
    problems: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context()
        page = context.new_page()
        page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: problems.append(f"failed request: {r.url}"))
        page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)

        page.goto(gateway.env["AGENTKIT_CONSOLE_URL"])
        page.get_by_role("button", name="Sign in").click()
        playwright.expect(page.get_by_role("heading", level=1)).to_have_text("Connections")

        page.get_by_role("link", name="API credentials", exact=True).click()
        page.get_by_label("Name", exact=True).fill("quickstart")
        page.get_by_role("button", name="Create API client").click()
        playwright.expect(page.get_by_role("status")).to_have_text("API client created.")
        env_url = page.locator("#new-environment-url").inner_text()
        client_id = page.locator("#new-client-id").inner_text()
        client_secret = page.locator("#new-client-secret").inner_text()

        page.get_by_role("link", name="Connections", exact=True).click()
        page.get_by_label("Connector", exact=True).select_option("github")
        page.get_by_label("Connection name").fill("github")
        page.get_by_label("Client ID").fill("github-app")
        page.get_by_label("Client secret").fill("github-app-secret")
        page.get_by_role("button", name="Create connection").click()
        playwright.expect(page.get_by_role("status")).to_have_text("Connection github created.")
        assert "github-app-secret" not in page.content()

        for name in PAGES:
            page.get_by_role("link", name=name, exact=True).click()
            playwright.expect(page.get_by_role("heading", level=1)).to_have_text(name)
        assert not problems, problems

        # axe-core is a script, which the console's policy forbids: it runs in a context that
        # bypasses the policy, signed in with the same session.
        checker = browser.new_context(bypass_csp=True, storage_state=context.storage_state())
        audit = checker.new_page()
        for path in ["connections", "accounts", "tools", "tools?connector=gmail", "tools/gmail_fetch_mails", "executions",
                     "audit", "webhooks", "mcp", "triggers", "api-credentials", "settings"]:
            audit.goto(f"{env_url}/console/{path}")
            audit.add_script_tag(path=str(AXE))
            violations = audit.evaluate("async () => (await axe.run()).violations"
                                        ".filter(v => ['serious', 'critical'].includes(v.impact))"
                                        ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))")
            assert violations == [], f"/console/{path}: {violations}"
        # The sign-in page too, signed out.
        audit.context.clear_cookies()
        audit.goto(f"{env_url}/console/login")
        audit.add_script_tag(path=str(AXE))
        assert audit.evaluate("async () => (await axe.run()).violations.filter(v => v.impact === 'critical').length") == 0

        # The quickstart, unchanged, with exactly the values the console showed.
        env = {**os.environ, **gateway.env, "SCALEKIT_ENV_URL": env_url, "SCALEKIT_CLIENT_ID": client_id,
               "SCALEKIT_CLIENT_SECRET": client_secret}
        proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "demo_driver.py"), sys.executable,
                               str(ROOT / "examples" / "python" / "quickstart.py")],
                              env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "Q3 roadmap review moved to Thursday" in proc.stdout, proc.stdout

        # Tools → Try it as the account the quickstart connected.
        page.get_by_role("link", name="Tools", exact=True).click()
        page.get_by_label("Connector", exact=True).select_option("gmail")
        page.get_by_role("button", name="Show tools").click()
        page.get_by_role("link", name="gmail_list_labels", exact=True).click()
        page.get_by_label("Run as the connected account of identifier").fill("user_123")
        page.get_by_role("button", name="Run tool").click()
        playwright.expect(page.get_by_role("status")).to_have_text("The tool ran.")
        playwright.expect(page.locator("#tool-result")).to_contain_text("INBOX")
        assert page.locator("#request-id").inner_text().strip(), "the request id is shown"
        assert page.locator("#execution-id").inner_text().strip(), "the execution id is shown"
        playwright.expect(page.get_by_role("heading", name="Execution record")).to_be_visible()

        # Triggers: a subscription made through the SDK is shown with how its polls stand.
        import scalekit.client

        sdk = scalekit.client.ScalekitClient(client_id=gateway.env["SCALEKIT_CLIENT_ID"],
                                             client_secret=gateway.env["SCALEKIT_CLIENT_SECRET"], env_url=env_url)
        account = sdk.actions.get_connected_account_details(connection_name="gmail", identifier="user_123")
        sdk.actions.triggers.create_trigger_subscription(connection_id="gmail", trigger_name="gmail_new_message",
                                                         connected_account_id=account.connected_account.id)
        page.get_by_role("link", name="Triggers", exact=True).click()
        playwright.expect(page.get_by_role("cell", name="gmail_new_message")).to_be_visible()
        playwright.expect(page.get_by_role("cell", name="ACTIVE", exact=True)).to_be_visible()

        # Connected accounts: the user's executions, a new authorization link, and a confirmed delete.
        page.get_by_role("link", name="Connected accounts", exact=True).click()
        page.get_by_role("link", name="Executions").first.click()
        playwright.expect(page.get_by_role("cell", name="gmail_list_labels").first).to_be_visible()
        page.get_by_role("link", name="Connected accounts", exact=True).click()
        page.get_by_role("button", name="Authorization link").first.click()
        playwright.expect(page.locator("#authorization-link")).to_contain_text("/connect/")
        page.get_by_role("link", name="Connected accounts", exact=True).click()
        page.get_by_role("checkbox").first.check()
        page.get_by_role("button", name="Delete").first.click()
        playwright.expect(page.get_by_role("status")).to_contain_text("deleted")
        page.get_by_role("link", name="Connected accounts", exact=True).click()
        playwright.expect(page.get_by_text("No connected account yet")).to_be_visible()
        assert not problems, problems
        browser.close()
