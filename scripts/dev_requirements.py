"""Prints the development dependencies listed once in pyproject.toml (`dev` extra), one per line."""

import pathlib
import tomllib

pyproject = pathlib.Path(__file__).resolve().parents[1] / "pyproject.toml"
print("\n".join(tomllib.loads(pyproject.read_text())["project"]["optional-dependencies"]["dev"]))
