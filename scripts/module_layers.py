"""Checks the gateway's layer order (ARCHITECTURE.md) on its folders: which top-level module of
server/src names which (`crate::x`, `crate::{x, y}`, `super::x` and `super::{x, y}` inside a
folder, `use agentkit_server::x` in main.rs), tests left out.

    composition root (main, lib, startup, router, dev)
    → entry points (api, mcp, console)   never import each other
      → domain (+ state, the context its use cases take)
        → catalog · credentials · execution · webhooks · audit   (definitions never import their runners)
          → store (+ the vault that seals what it stores)
            → primitives (config, egress, permissions, telemetry, …)

The composition root may import anything; nothing below imports it. A module
imports its own layer or the ones below, except where a rule above says otherwise.

The layers are not clean yet: `scripts/module_layers.baseline` lists every import that breaks
them today. An import that is not listed fails (no new ones); a listed one that is gone fails too
until its line is removed (the list only shrinks). `--write-baseline` rewrites the list.
Exits 1 on a failure. Used by `make lint-fast` (no build)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "server" / "src"
BASELINE = Path(__file__).with_suffix(".baseline")

# Top to bottom; a module may import its own layer and every layer below it.
LAYERS: list[tuple[str, set[str]]] = [
    ("composition root", {"main", "lib", "startup", "router", "dev"}),
    ("entry points", {"api", "mcp", "console"}),
    ("domain", {"domain", "state"}),
    ("definitions and runners", {"catalog", "credentials", "execution", "webhooks", "audit"}),
    ("store", {"store"}),
    ("primitives", {"config", "egress", "permissions", "telemetry", "throttle", "leased_work",
                    "input_text", "private_files", "listener", "html"}),
]
# Same-layer imports that are refused: entry points stay apart, definitions do not know runners.
FORBIDDEN_SIDEWAYS = {("entry points", "*"), ("definitions and runners", "catalog→execution")}

LAYER_OF = {module: name for name, modules in LAYERS for module in modules}
RANK = {name: n for n, (name, _) in enumerate(LAYERS)}


def top_module(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".rs") if len(rel.parts) > 1 else rel.stem


def names_in(group: str) -> list[str]:
    """`a, b::c, d as e` of a `{…}` group: the first segment of each path."""
    return [part.strip().split("::")[0].split(" ")[0] for part in group.split(",") if part.strip()]


def imports(path: Path) -> set[str]:
    """The top-level modules a file names (outside `#[cfg(test)]` blocks)."""
    text = re.sub(r"#\[cfg\(test\)\][\s\S]*", "", path.read_text())
    text = re.sub(r"//[^\n]*", "", text)  # comments and doc comments
    found: set[str] = set()
    prefix = "agentkit_server" if path.name == "main.rs" and path.parent == SRC else "crate"
    for ref in re.findall(rf"\b{prefix}::([a-z_]+)", text):
        found.add(ref)
    for group in re.findall(rf"\b{prefix}::\{{([^}}]*)\}}", text):
        found.update(names_in(group))
    if len(path.relative_to(SRC).parts) > 1:
        # `super::x` inside a folder is the folder's own module (or the crate root's, from a
        # folder's mod.rs, which is one level up).
        if path.name == "mod.rs":
            found.update(re.findall(r"\bsuper::([a-z_]+)", text))
            for group in re.findall(r"\bsuper::\{([^}]*)\}", text):
                found.update(names_in(group))
    return {m for m in found if m in LAYER_OF}


def violation(source: str, target: str) -> str | None:
    """Why `source` may not import `target`, or None."""
    if source == target:
        return None
    s_layer, t_layer = LAYER_OF[source], LAYER_OF[target]
    if t_layer == "composition root" and s_layer != t_layer:
        return "nothing imports the composition root"
    if RANK[t_layer] < RANK[s_layer]:
        return f"{s_layer} import {t_layer} (upwards)"
    if s_layer == t_layer:
        if (s_layer, "*") in FORBIDDEN_SIDEWAYS:
            return f"{s_layer} import each other"
        if (s_layer, f"{source}→{target}") in FORBIDDEN_SIDEWAYS:
            return "definitions import their runners"
    return None


def current() -> dict[str, str]:
    """`file → module` lines that break the order, with why."""
    found = {}
    for path in sorted(SRC.rglob("*.rs")):
        source = top_module(path)
        if source not in LAYER_OF:
            raise SystemExit(f"{path.relative_to(ROOT)}: module {source!r} is in no layer: add it to LAYERS")
        for target in sorted(imports(path)):
            why = violation(source, target)
            if why:
                found[f"{path.relative_to(SRC)} → {target}"] = why
    return found


def main() -> int:
    found = current()
    if "--write-baseline" in sys.argv:
        BASELINE.write_text("".join(f"{line}\n" for line in sorted(found)))
        print(f"{len(found)} imports against the layer order written to {BASELINE.relative_to(ROOT)}")
        return 0
    listed = {line.strip() for line in BASELINE.read_text().splitlines() if line.strip()} if BASELINE.exists() else set()
    new = sorted(set(found) - listed)
    gone = sorted(listed - set(found))
    for line in new:
        print(f"layer order broken: server/src/{line} ({found[line]})")
    for line in gone:
        print(f"fixed, remove its line from {BASELINE.name}: {line}")
    modules = {line.split(" → ")[0].split("/")[0].removesuffix(".rs") for line in found}
    print(f"layer order: {len(found)} imports still break it, in {len(modules)} modules "
          f"({len(new)} new, {len(gone)} fixed and still listed)", file=sys.stderr)
    return 1 if new or gone else 0


if __name__ == "__main__":
    sys.exit(main())
