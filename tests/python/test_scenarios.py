"""Runs every shared scenario of tests/fixtures/scenarios through the Python SDK."""

from __future__ import annotations

import json
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Dict

import pytest

import scalekit.client
from scalekit.common import exceptions

SCENARIOS = Path(__file__).resolve().parents[1] / "fixtures" / "scenarios"
FILES = sorted(SCENARIOS.glob("*.json"))


def substitute(value: Any, variables: Dict[str, Any]) -> Any:
    if isinstance(value, str):
        for name, v in variables.items():
            token = "{{" + name + "}}"
            if value == token:
                return v
            value = value.replace(token, str(v))
        return value
    if isinstance(value, list):
        return [substitute(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, variables) for k, v in value.items()}
    return value


MISSING = object()


def _supports_in(obj: Any) -> bool:
    try:
        "x" in obj
        return True
    except TypeError:
        return False


def dig(obj: Any, path: str) -> Any:
    for part in path.split("."):
        if obj is None:
            return MISSING
        if part.isdigit() and hasattr(obj, "__len__") and not hasattr(obj, "keys"):
            index = int(part)
            obj = obj[index] if index < len(obj) else MISSING
        elif isinstance(obj, dict) or (hasattr(obj, "keys") and _supports_in(obj)):
            obj = obj[part] if part in obj else MISSING
        else:
            obj = getattr(obj, part, MISSING)
        if obj is MISSING:
            return MISSING
    return obj


def plain(value: Any) -> Any:
    """Protobuf containers and numbers to plain Python for comparisons."""
    if hasattr(value, "keys") and not isinstance(value, dict):
        return {k: plain(value[k]) for k in value.keys()}
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if not isinstance(value, (str, bytes, dict)) and hasattr(value, "__iter__"):
        return [plain(v) for v in value]
    return value


def check(result: Any, expectation: Dict[str, Any], where: str) -> None:
    value = dig(result, expectation["path"])
    label = f"{where}: {expectation['path']}"
    present = value is not MISSING and value is not None and value != "" and not (hasattr(value, "ListFields") and not value.ListFields())
    if "absent" in expectation:
        assert not present, f"{label} should be absent, got {value!r}"
        return
    assert value is not MISSING, f"{label} is missing in {result!r}"
    if "exists" in expectation:
        assert present, f"{label} should be set"
    if "equals" in expectation:
        assert plain(value) == expectation["equals"], f"{label}: {plain(value)!r} != {expectation['equals']!r}"
    if "length" in expectation:
        assert len(value) == expectation["length"], f"{label}: length {len(value)} != {expectation['length']}"
    if "contains" in expectation:
        assert expectation["contains"] in plain(value), f"{label}: {plain(value)!r} lacks {expectation['contains']!r}"
    unknown = set(expectation) - {"path", "absent", "exists", "equals", "length", "contains"}
    assert not unknown, f"{label}: unknown expectation keys {unknown}"


def browser_open(url: str, stop_at: str = "") -> Dict[str, Any]:
    """GET following redirects like a browser; stops before a redirect to host `stop_at`."""
    import urllib.error
    import urllib.parse

    class StopAt(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, req, fp, code, msg, headers, newurl):
            if stop_at and urllib.parse.urlparse(newurl).hostname == stop_at:
                return None
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    opener = urllib.request.build_opener(StopAt)
    try:
        resp = opener.open(url)
        status, text, location = resp.status, resp.read().decode(), ""
    except urllib.error.HTTPError as e:
        status, text, location = e.code, e.read().decode(), e.headers.get("location", "")
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(location).query))
    return {"status": status, "text": text, "location": location, "query": query}


class Runner:
    def __init__(self, env: Dict[str, str]) -> None:
        self.env = env
        self.client = scalekit.client.ScalekitClient(
            client_id=env["SCALEKIT_CLIENT_ID"], client_secret=env["SCALEKIT_CLIENT_SECRET"], env_url=env["SCALEKIT_ENV_URL"]
        )

    def run(self, op: str, params: Dict[str, Any]) -> Any:
        if op == "sandbox.token":
            req = urllib.request.Request(
                self.env["AGENTKIT_SANDBOX_URL"] + "/sandbox/tokens",
                data=json.dumps(params).encode(),
                headers={"content-type": "application/json"},
            )
            with urllib.request.urlopen(req) as resp:
                return json.load(resp)
        if op == "sandbox.service_account":
            req = urllib.request.Request(
                self.env["AGENTKIT_SANDBOX_URL"] + "/sandbox/service_accounts",
                data=json.dumps(params).encode(),
                headers={"content-type": "application/json"},
            )
            with urllib.request.urlopen(req) as resp:
                return {"key": json.load(resp)}
        if op == "browser.open":
            return browser_open(**params)
        if op == "client.bad_credentials":
            return scalekit.client.ScalekitClient(
                client_id=self.env["SCALEKIT_CLIENT_ID"], client_secret="wrong-secret", env_url=self.env["SCALEKIT_ENV_URL"]
            )
        if op == "modifier.add":
            return self.add_modifier(**params)
        if op == "actions.request":
            resp = self.client.actions.request(**params)
            try:
                data = resp.json()
            except ValueError:
                data = resp.text
            return {"status": resp.status_code, "data": data}
        target, _, method = op.partition(".")
        owner = {"actions": self.client.actions, "tools": self.client.actions.tools, "mcp": self.client.actions.mcp,
                 "providers": self.client.actions.providers, "triggers": self.client.actions.triggers}[target]
        return getattr(owner, method)(**params)

    def add_modifier(self, type: str, tool_names, set=None, append=None):
        def modifier(data):
            if set:
                data.update(set)
            if append:
                data.setdefault(append["key"], []).append(append["value"])
            return data

        decorator = self.client.actions.pre_modifier if type == "pre" else self.client.actions.post_modifier
        decorator(tool_names=tool_names)(modifier)


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_scenario(path: Path, gateway_env):
    scenario = json.loads(path.read_text())
    runner = Runner(gateway_env)
    variables: Dict[str, Any] = {"user": f"py-{scenario['name']}-{uuid.uuid4().hex[:8]}"}
    for number, raw_step in enumerate(scenario["steps"], start=1):
        step = substitute(raw_step, variables)
        where = f"{scenario['name']} step {number} ({step['op']})"
        if "error" in step:
            expected = step["error"]
            cls = getattr(exceptions, expected["class"])
            with pytest.raises(cls) as info:
                runner.run(step["op"], step.get("params", {}))
            err = info.value
            assert type(err).__name__ == expected["class"] or isinstance(err, cls), where
            if "status" in expected:
                assert err.http_status == expected["status"], f"{where}: status {err.http_status}"
            if "field" in expected:
                assert err.field == expected["field"], f"{where}: field {err.field!r} ({err.message})"
            if "message_contains" in expected:
                assert expected["message_contains"] in err.message, f"{where}: message {err.message!r}"
            continue
        result = runner.run(step["op"], step.get("params", {}))
        for expectation in step.get("expect", []):
            check(result, expectation, where)
        for name, source in step.get("save", {}).items():
            value = dig(result, source)
            assert value is not MISSING, f"{where}: cannot save {source}"
            variables[name] = value
