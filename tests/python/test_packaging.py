"""Packaging checks: stubs match the native module, shared test files exist in both languages,
and the documented import paths resolve."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
from pathlib import Path

import scalekit
from scalekit import _native

ROOT = Path(__file__).resolve().parents[2]


def _stub_names():
    tree = ast.parse((Path(scalekit.__file__).parent / "_native.pyi").read_text())
    names, methods = set(), set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        if isinstance(node, ast.AnnAssign):
            names.add(node.target.id)
        if isinstance(node, ast.ClassDef) and node.name == "NativeClient":
            methods = {n.name for n in node.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("__")}
    return names, methods


def test_stubs_match_the_native_module():
    names, methods = _stub_names()
    native_names = {n for n in dir(_native) if not n.startswith("_")} | {"__version__"}
    assert names == native_names, f"stub drift: only in stub {names - native_names}, only in module {native_names - names}"
    native_methods = {n for n, _ in inspect.getmembers(_native.NativeClient) if not n.startswith("_")}
    assert methods == native_methods, f"NativeClient drift: {methods ^ native_methods}"
    assert (Path(scalekit.__file__).parent / "py.typed").exists()


# Suites about the gateway itself rather than an SDK, run once (from Python); the Node twin of this
# test reads the same list.
ONE_LANGUAGE = set(json.loads((ROOT / "tests" / "fixtures" / "one_language_suites.json").read_text())["suites"])


def test_every_test_file_has_its_twin_in_the_other_language():
    # tests/python_mcp2026 holds the twins that need mcp 2.x (their own venv).
    python = {p.stem.removeprefix("test_") for d in ("python", "python_mcp2026") for p in (ROOT / "tests" / d).glob("test_*.py")}
    node = {p.name.removesuffix(".test.mjs") for p in (ROOT / "tests" / "node").glob("*.test.mjs")}
    assert python - ONE_LANGUAGE == node, f"only in Python: {python - ONE_LANGUAGE - node}; only in Node: {node - python}"


def test_documented_import_paths():
    for module, names in {
        "scalekit": ["ScalekitClient"],
        "scalekit.client": ["ScalekitClient"],
        "scalekit.actions.types": ["McpConfigConnectionToolMapping", "ExecuteToolResponse"],
        "scalekit.actions.modifier": ["Modifier", "ModifierType", "ToolNames"],
        "scalekit.common.exceptions": ["ScalekitNotFoundException", "ScalekitServerException", "ScalekitToolException"],
        "scalekit.v1.tools.tools_pb2": ["Filter", "ScopedToolFilter", "Tool"],
        "scalekit.v1.connected_accounts.connected_accounts_pb2": ["ConnectorStatus", "ConnectorType"],
    }.items():
        loaded = importlib.import_module(module)
        for name in names:
            assert hasattr(loaded, name), f"{module}.{name}"


def test_every_network_method_has_an_async_twin(client):
    for owner in (client.actions, client.actions.tools):
        for name, member in inspect.getmembers(owner, inspect.ismethod):
            if name.startswith("_") or name in {"add_modifier", "get_modifiers", "pre_modifier", "post_modifier"} or name.endswith("_async"):
                continue
            twin = getattr(owner, f"{name}_async", None)
            assert twin is not None and inspect.iscoroutinefunction(twin), f"{type(owner).__name__}.{name} lacks an awaitable twin"


# Scenario ops that run a core operation under another name (the runners map them).
SCENARIO_ALIASES = {"tools.execute_tool": "execute_tool_unmodified"}


def _scenario_ops():
    import json

    ops = set()
    for path in (ROOT / "tests" / "fixtures" / "scenarios").glob("*.json"):
        ops |= {step["op"] for step in json.loads(path.read_text())["steps"]}
    return ops


def test_every_core_operation_is_called_by_the_facade_and_a_scenario():
    """The operation table lives once, in core: the façade must call every entry, and a shared
    scenario must exercise it (adding an operation on one side only fails here)."""
    source = "\n".join(p.read_text() for p in Path(scalekit.__file__).parent.rglob("*.py"))
    unused = [op for op in _native.OPERATIONS if f'"{op}"' not in source]
    assert not unused, f"core operations the Python façade never calls: {unused}"
    scenario_ops = _scenario_ops()

    def exercised(op):
        return any(s == op or s.endswith("." + op) or SCENARIO_ALIASES.get(s) == op for s in scenario_ops)

    missing = [op for op in _native.OPERATIONS if not exercised(op)]
    assert not missing, f"core operations no scenario in tests/fixtures/scenarios runs: {missing}"


def test_every_error_class_core_names_exists():
    from scalekit.common import exceptions

    missing = [name for name in _native.ERROR_CLASSES if not isinstance(getattr(exceptions, name, None), type)]
    assert not missing, f"exception classes core names but Python lacks: {missing}"
    assert all(issubclass(getattr(exceptions, name), exceptions.ScalekitException) for name in _native.ERROR_CLASSES)


def _stub_signatures():
    """(owner, name) → [(parameter, default or None)] from the stub file, `self` left out."""
    tree = ast.parse((Path(scalekit.__file__).parent / "_native.pyi").read_text())
    out = {}

    def params(fn):
        args = [a.arg for a in fn.args.args if a.arg != "self"]
        defaults = [ast.literal_eval(d) for d in fn.args.defaults]
        padded = [inspect.Parameter.empty] * (len(args) - len(defaults)) + defaults
        return list(zip(args, padded))

    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            out[(None, node.name)] = params(node)
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    out[(node.name, item.name)] = params(item)
    return out


def test_stub_signatures_match_the_native_module():
    """Names, order and defaults of every parameter, not just the function names."""
    for (owner, name), expected in _stub_signatures().items():
        target = getattr(_native, owner) if owner else _native
        obj = target if name == "__init__" else getattr(target, name)
        actual = [(p.name, p.default) for p in inspect.signature(obj).parameters.values() if p.name != "self"]
        assert actual == expected, f"{owner or '_native'}.{name}: stub {expected} != module {actual}"


def test_a_mixed_install_with_the_official_package_is_found(tmp_path):
    """The official package's .dist-info beside ours is found (dist-check proves the refusal on
    a real install of both wheels); an unrelated one, or none, is not."""
    from scalekit._install_check import official_dist_info

    assert official_dist_info(str(tmp_path)) is None
    (tmp_path / "agentkit_gateway_sdk-0.1.0.dist-info").mkdir()
    (tmp_path / "scalekit_sdk_python_extras-1.0.dist-info").mkdir()
    assert official_dist_info(str(tmp_path)) is None
    (tmp_path / "scalekit_sdk_python-2.21.0.dist-info").mkdir()
    assert official_dist_info(str(tmp_path)) == "scalekit_sdk_python-2.21.0.dist-info"
    assert official_dist_info(str(tmp_path / "missing")) is None
