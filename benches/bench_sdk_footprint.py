"""SDK footprint: cold import time and resident memory after import, ours against the official
packages measured in the same run (Python: scalekit-sdk-python in the parity scratch venv;
Node: @scalekit-sdk/node installed into a scratch folder), plus installed size.

Run by `make bench`; prints figures and ratios, no pass/fail.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import sdk_parity  # noqa: E402  (the pinned official Python package and its scratch venv)

RUNS = int(os.environ.get("BENCH_IMPORT_RUNS", "15"))
OFFICIAL_NODE = "2.11.0"
NODE_SCRATCH = ROOT / "target" / "official-sdk" / f"node-{OFFICIAL_NODE}"

PY_PROBE = ("import time, resource; t = time.perf_counter(); {stmt}; "
            "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
NODE_PROBE = ("const t = process.hrtime.bigint(); require({mod!r}); "
              "console.log(Number(process.hrtime.bigint() - t) / 1e9, process.memoryUsage().rss / 1024)")


def measure(argv: list, cwd: str) -> tuple:
    """Median seconds and KiB RSS over RUNS fresh interpreters (the first run warms the page cache)."""
    samples = []
    for _ in range(RUNS + 1):
        out = subprocess.run(argv, capture_output=True, text=True, check=True, cwd=cwd).stdout.split()
        samples.append((float(out[0]), float(out[1])))
    samples = samples[1:]
    return statistics.median(s for s, _ in samples), statistics.median(m for _, m in samples)


def size_of(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def row(label: str, ours: tuple, official: tuple) -> None:
    print(f"{label:<44}{ours[0] * 1e3:>9.1f} ms {ours[1] / 1024:>7.1f} MiB   official {official[0] * 1e3:>7.1f} ms "
          f"{official[1] / 1024:>6.1f} MiB   time ratio {ours[0] / official[0]:.2f}")


def python_rows() -> None:
    sdk_parity.official_surface()  # installs the official package once
    stmt = "import scalekit; from scalekit.actions.types import ListToolsResponse"
    probe = ["-c", PY_PROBE.format(stmt=stmt)]
    ours = measure([sys.executable, *probe], "/")
    official = measure([str(sdk_parity.SCRATCH / "bin" / "python"), *probe], "/")
    row("Python: import scalekit (cold, median)", ours, official)
    low = "import scalekit; from scalekit.v1.connected_accounts import connected_accounts_pb2"
    row("Python: + the low-level protobuf messages", measure([sys.executable, "-c", PY_PROBE.format(stmt=low)], "/"),
        measure([str(sdk_parity.SCRATCH / "bin" / "python"), "-c", PY_PROBE.format(stmt=low)], "/"))
    import scalekit

    ours_size = size_of(Path(scalekit.__file__).parent)
    site = next((sdk_parity.SCRATCH / "lib").glob("python3*/site-packages"))
    official_size = size_of(site) - size_of(site / "pip") if (site / "pip").exists() else size_of(site)
    print(f"{'Python: installed size (package + deps)':<44}{ours_size / 2**20:>9.1f} MiB   official "
          f"{official_size / 2**20:.1f} MiB (with its dependencies)")


def node_rows() -> None:
    if not (NODE_SCRATCH / ".ready").exists():
        NODE_SCRATCH.mkdir(parents=True, exist_ok=True)
        (NODE_SCRATCH / "package.json").write_text(json.dumps({"private": True}))
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent", f"@scalekit-sdk/node@{OFFICIAL_NODE}"],
                       cwd=NODE_SCRATCH, check=True)
        (NODE_SCRATCH / ".ready").touch()
    ours = measure(["node", "-e", NODE_PROBE.format(mod=str(ROOT / "bindings-node"))], str(ROOT))
    official = measure(["node", "-e", NODE_PROBE.format(mod="@scalekit-sdk/node")], str(NODE_SCRATCH))
    row("Node: require('@scalekit-sdk/node') (cold)", ours, official)
    print(f"{'Node: installed size (package + deps)':<44}{size_of(ROOT / 'bindings-node' / 'lib') / 2**20:>9.1f} MiB "
          f"(+ addon {sum(p.stat().st_size for p in (ROOT / 'bindings-node').glob('*.node')) / 2**20:.1f} MiB)   "
          f"official {size_of(NODE_SCRATCH / 'node_modules') / 2**20:.1f} MiB")


if __name__ == "__main__":
    print(f"SDK footprint ({RUNS} cold starts each)")
    python_rows()
    node_rows()
