"""Compares the Python SDK's AgentKit surface with the official ``scalekit-sdk-python``, mechanically.

``python scripts/sdk_parity.py`` installs the pinned official package into a scratch venv under
``target/official-sdk/`` (once), dumps both surfaces with ``inspect.signature`` (this same file runs
as ``dump`` inside each interpreter, so no project code is imported), prints
``Python SDK parity: N official, M compatible`` with every gap, and exits 1 when a method that the
committed baseline (tests/parity/python-baseline.json) counts as compatible is not any more.

A method is compatible when every official parameter is there with the same name, in the same
position when it can be passed positionally, with the same default (or a default where the
official one is required), ``**kwargs`` where the official accepts them, and any extra parameter of
ours is optional. Properties must stay properties.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

OFFICIAL_VERSION = "2.21.0"
ROOT = Path(__file__).resolve().parent.parent
SCRATCH = ROOT / "target" / "official-sdk" / f"python-{OFFICIAL_VERSION}"
BASELINE = ROOT / "tests" / "parity" / "python-baseline.json"

# The AgentKit classes of the official package (not the SSO / users / organizations clients).
CLASSES = [
    ("scalekit.actions.actions", "ActionClient"),
    ("scalekit.actions.actions", "ActionMcp"),
    ("scalekit.actions.actions", "ActionProviders"),
    ("scalekit.tools", "ToolsClient"),
    ("scalekit.connected_accounts", "ConnectedAccountsClient"),
    ("scalekit.mcp", "McpClient"),
]
# Only these members of the root client belong to AgentKit.
CLIENT_MEMBERS = ("__init__", "verify_webhook_payload")
# Modules users import names from (every module of these packages too), each compared by the
# names it exports: ``__all__``, else the classes and functions it defines.
NAME_PACKAGES = ["scalekit.actions.types", "scalekit.actions.models", "scalekit.common.exceptions"]


def _describe(member) -> dict:
    import inspect

    if isinstance(member, property):
        return {"kind": "property"}
    target = member.__func__ if isinstance(member, (staticmethod, classmethod)) else member
    params = []
    for p in inspect.signature(target).parameters.values():
        if p.name == "self":
            continue
        default = None if p.default is inspect.Parameter.empty else repr(p.default)
        params.append({"name": p.name, "kind": p.kind.name, "default": default})
    return {"kind": "method", "params": params}


def dump() -> dict:
    """The surface of whichever ``scalekit`` this interpreter imports."""
    import importlib

    methods: dict = {}
    for module, cls_name in CLASSES + [("scalekit.client", "ScalekitClient")]:
        try:
            cls = getattr(importlib.import_module(module), cls_name)
        except (ImportError, AttributeError):
            continue
        for name in dir(cls):
            if cls_name == "ScalekitClient" and name not in CLIENT_MEMBERS:
                continue
            if name.startswith("_") and not (cls_name == "ScalekitClient" and name == "__init__"):
                continue
            member = _lookup(cls, name)
            if member is None or not (callable(member) or isinstance(member, property)):
                continue
            methods[f"{cls_name}.{name}"] = _describe(member)
    names: dict = {}
    for module in _modules():
        try:
            mod = importlib.import_module(module)
        except ImportError:
            names[module] = None
            continue
        exported = getattr(mod, "__all__", None) or [
            n for n, v in vars(mod).items()
            if not n.startswith("_") and getattr(v, "__module__", None) == module and isinstance(v, type)]
        names[module] = sorted(n for n in exported if hasattr(mod, n))
    return {"methods": methods, "names": names}


def _modules() -> list:
    import importlib
    import pkgutil

    found = []
    for name in NAME_PACKAGES:
        try:
            package = importlib.import_module(name)
        except ImportError:
            continue
        found.append(name)
        if hasattr(package, "__path__"):
            found += [m.name for m in pkgutil.walk_packages(package.__path__, name + ".")]
    return found


def _lookup(cls, name):
    for klass in cls.__mro__:
        if name in vars(klass):
            return vars(klass)[name]
    return getattr(cls, name, None)


def incompatibility(official: dict, ours: dict | None) -> str | None:
    """Why ``ours`` cannot stand in for ``official``, or None."""
    if ours is None:
        return "missing"
    if official["kind"] != ours["kind"]:
        return f"is a {ours['kind']}, official a {official['kind']}"
    if official["kind"] == "property":
        return None
    positional = ("POSITIONAL_ONLY", "POSITIONAL_OR_KEYWORD")
    ours_by_name = {p["name"]: (i, p) for i, p in enumerate(ours["params"])}
    has_var_kw = any(p["kind"] == "VAR_KEYWORD" for p in ours["params"])
    for index, p in enumerate(official["params"]):
        if p["kind"] == "VAR_KEYWORD":
            if not has_var_kw:
                return "no **kwargs"
            continue
        if p["kind"] == "VAR_POSITIONAL":
            if not any(q["kind"] == "VAR_POSITIONAL" for q in ours["params"]):
                return "no *args"
            continue
        if p["name"] not in ours_by_name:
            return f"no parameter {p['name']!r}"
        at, q = ours_by_name[p["name"]]
        if p["kind"] in positional and (at != index or q["kind"] not in positional):
            return f"parameter {p['name']!r} at position {at}, official {index}"
        sentinel = (p["default"] or "").startswith("<")  # an object() marker: any default will do
        if p["default"] is not None and q["default"] != p["default"] and not (sentinel and q["default"] is not None):
            return f"parameter {p['name']!r} defaults to {q['default'] or 'nothing'}, official {p['default']}"
    official_names = {p["name"] for p in official["params"]}
    for q in ours["params"]:
        if q["name"] not in official_names and q["kind"] not in ("VAR_KEYWORD", "VAR_POSITIONAL") and q["default"] is None:
            return f"extra required parameter {q['name']!r}"
    return None


def official_python() -> Path:
    """The interpreter of a scratch venv holding the official package (installed once)."""
    python = SCRATCH / "bin" / "python"
    if not (SCRATCH / ".ready").exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(SCRATCH)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        f"scalekit-sdk-python=={OFFICIAL_VERSION}"], check=True)
        (SCRATCH / ".ready").touch()
    return python


def official_surface() -> dict:
    return _dump_with(str(official_python()))


def _dump_with(python: str) -> dict:
    out = subprocess.run([python, __file__, "dump"], check=True, capture_output=True, text=True, cwd="/")
    return json.loads(out.stdout)


def compare(official: dict, ours: dict) -> dict:
    gaps = {key: incompatibility(spec, ours["methods"].get(key)) for key, spec in sorted(official["methods"].items())}
    missing_names = {}
    for module, names in official["names"].items():
        if names is None:
            continue
        have = ours["names"].get(module)
        if have is None:
            missing_names[module] = ["(module)"] + names
            continue
        lost = sorted(set(names) - set(have))
        if lost:
            missing_names[module] = lost
    return {"gaps": {k: v for k, v in gaps.items() if v}, "total": len(gaps),
            "compatible": sorted(k for k, v in gaps.items() if not v), "missing_names": missing_names,
            "names_total": sum(len(n) for n in official["names"].values() if n)}


def main() -> int:
    if sys.argv[1:] == ["dump"]:
        print(json.dumps(dump()))
        return 0
    result = compare(official_surface(), _dump_with(sys.executable))
    names_missing = sum(len(v) for v in result["missing_names"].values())
    print(f"Python SDK parity (scalekit-sdk-python {OFFICIAL_VERSION}): {result['total']} official, "
          f"{len(result['compatible'])} compatible; names {result['names_total']} official, "
          f"{result['names_total'] - names_missing} present")
    baseline = json.loads(BASELINE.read_text()) if BASELINE.exists() else {"compatible": [], "exceptions": {}}
    for key, why in result["gaps"].items():
        reason = baseline["exceptions"].get(key)
        print(f"  {key}: {why}" + (f"  [accepted: {reason}]" if reason else ""))
    for module, names in result["missing_names"].items():
        print(f"  {module}: missing {', '.join(names)}")
    regressed = sorted(set(baseline["compatible"]) - set(result["compatible"]))
    unexplained = sorted(k for k in result["gaps"] if k not in baseline["exceptions"])
    if "--write-baseline" in sys.argv:
        BASELINE.parent.mkdir(parents=True, exist_ok=True)
        BASELINE.write_text(json.dumps({"official": OFFICIAL_VERSION, "compatible": result["compatible"],
                                        "exceptions": baseline["exceptions"]}, indent=2) + "\n")
        return 0
    if regressed:
        print(f"REGRESSION: no longer compatible: {', '.join(regressed)}")
        return 1
    if unexplained and "--strict" in sys.argv:
        print(f"gaps without a reason in the baseline: {', '.join(unexplained)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
