"""Prints the development dependencies listed once in pyproject.toml (`dev` extra), one per line."""

import pathlib
import re

pyproject = (pathlib.Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
try:
    import tomllib  # Python 3.11+

    deps = tomllib.loads(pyproject)["project"]["optional-dependencies"]["dev"]
except ImportError:  # Python 3.9 / 3.10: the list is plain strings, one per line
    block = re.search(r"(?ms)^dev = \[(.*?)^\]", pyproject)
    deps = re.findall(r'"([^"]+)"', block.group(1)) if block else []
print("\n".join(deps))
