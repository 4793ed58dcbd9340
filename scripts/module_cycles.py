"""Lists import cycles between the gateway's modules (server/src): module A depends on module B
when A's file names `crate::B`, `crate::{B, …}`, `super::B` or `super::{B, …}` (a folder counts as
one module per file inside it). Exits 1 when a cycle exists. Used by `make lint-fast`."""

import re
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "server" / "src"


def module_of(path: Path) -> str:
    rel = path.relative_to(SRC).with_suffix("")
    parts = [p for p in rel.parts if p not in ("mod", "lib", "main")]
    return "::".join(parts) or "crate"


def main() -> int:
    files = {module_of(p): p for p in SRC.rglob("*.rs")}
    edges = {m: set() for m in files}
    for module, path in files.items():
        text = re.sub(r"#\[cfg\(test\)\][\s\S]*", "", path.read_text())  # tests may reach anywhere
        refs = re.findall(r"crate::((?:[a-z_]+::)*[a-z_]+)", text)
        for group in re.findall(r"crate::\{([^}]*)\}", text):
            refs += [part.strip().split(" ")[0] for part in group.split(",") if part.strip()]
        for ref in refs:
            parts = ref.split("::")
            # The longest prefix that names a module file.
            for n in range(len(parts), 0, -1):
                target = "::".join(parts[:n])
                if target in files and target != module:
                    edges[module].add(target)
                    break
        # `super::x` inside a folder.
        parent = module.rsplit("::", 1)[0] if "::" in module else None
        supers = re.findall(r"super::([a-z_]+)", text)
        for group in re.findall(r"super::\{([^}]*)\}", text):
            supers += [part.strip().split("::")[0].split(" ")[0] for part in group.split(",") if part.strip()]
        for ref in supers:
            target = f"{parent}::{ref}" if parent else ref
            if target in files and target != module:
                edges[module].add(target)
    # Strongly connected components (Tarjan).
    index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in edges:
        if v not in index:
            visit(v)
    for comp in sccs:
        print("cycle:", " ↔ ".join(comp))
    return 1 if sccs else 0


if __name__ == "__main__":
    sys.exit(main())
