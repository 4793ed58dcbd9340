"""Prints the development dependencies listed once in pyproject.toml, one per line: the `dev`
extra, or the extra named as the first argument."""

import pathlib
import re
import sys

extra = sys.argv[1] if len(sys.argv) > 1 else "dev"

pyproject = (pathlib.Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
try:
    import tomllib  # Python 3.11+

    deps = tomllib.loads(pyproject)["project"]["optional-dependencies"][extra]
except ImportError:  # Python 3.9 / 3.10: the list is plain strings, one per line
    block = re.search(rf"(?ms)^{extra} = \[(.*?)^\]", pyproject)
    deps = re.findall(r'"([^"]+)"', block.group(1)) if block else []
print("\n".join(deps))
