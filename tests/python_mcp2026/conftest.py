"""The MCP 2026-07-28 client suite: the official `mcp` 2.x client against `agentkit dev`. Runs in
its own venv (.venv-mcp2026, see the Makefile); the gateway and SDK fixtures are tests/python's."""

import importlib.util
import sys
from pathlib import Path

_PYTHON_TESTS = Path(__file__).resolve().parents[1] / "python"
sys.path.insert(0, str(_PYTHON_TESTS))
_spec = importlib.util.spec_from_file_location("python_suite_fixtures", _PYTHON_TESTS / "conftest.py")
_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fixtures)

gateway = _fixtures.gateway
gateway_env = _fixtures.gateway_env
client = _fixtures.client
