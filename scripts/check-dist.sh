#!/usr/bin/env bash
# Installs the release artifacts from dist/ into a clean venv and a clean npm folder (no build
# step runs there) exactly as the README tells users to, and runs the documented-calls programs
# against a fresh `agentkit dev`. Then a mixed install (ours and the official package) must be
# refused (Python: the two share files) or named (Node).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
registry_pid=""
trap '[ -n "$registry_pid" ] && kill "$registry_pid"; rm -rf "$work"' EXIT
# This machine's wheel (dist/ may also hold cross-built ones).
wheel=$(ls "$root"/dist/*manylinux*_x86_64.whl | head -1)
npm_quiet=(--no-audit --no-fund --silent)

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet "$wheel"

# The documented Node install: our package under the official import path, by npm's alias, from
# a registry (dist/'s tarballs served as published; everything else from npmjs).
python3 "$root/scripts/local_npm_registry.py" "$root/dist" >"$work/registry-url" &
registry_pid=$!
for _ in $(seq 50); do [ -s "$work/registry-url" ] && break; sleep 0.1; done
registry=$(cat "$work/registry-url")
mkdir -p "$work/node"
(cd "$work/node" && npm init -y >/dev/null &&
  npm install "${npm_quiet[@]}" --registry "$registry" @scalekit-sdk/node@npm:agentkit-gateway-sdk)
cp "$root/examples/node/documented_calls.mjs" "$work/node/"

"$root/scripts/with-dev-gateway.sh" "$work/venv/bin/python" "$root/examples/python/documented_calls.py"
"$root/scripts/with-dev-gateway.sh" node "$work/node/documented_calls.mjs"

# Python: the official package installed over ours, then ours again (files of both now), is
# refused at import with the fix named.
"$work/venv/bin/pip" install --quiet --no-deps scalekit-sdk-python==2.21.0
"$work/venv/bin/pip" install --quiet --no-deps --force-reinstall "$wheel"
if "$work/venv/bin/python" -c "import scalekit" 2>"$work/mixed.txt"; then
  echo "a mixed install of agentkit-gateway-sdk and scalekit-sdk-python imported silently" >&2
  exit 1
fi
grep -q "pip uninstall -y scalekit-sdk-python agentkit-gateway-sdk" "$work/mixed.txt" || { cat "$work/mixed.txt" >&2; exit 1; }
echo "dist-check: a mixed Python install is refused at import"

# Node: ours under its own name beside the official package: loading ours warns.
mkdir -p "$work/both"
(cd "$work/both" && npm init -y >/dev/null &&
  npm install "${npm_quiet[@]}" --registry "$registry" agentkit-gateway-sdk @scalekit-sdk/node@2.11.0)
(cd "$work/both" && node -e "require('agentkit-gateway-sdk')" 2>"$work/both.txt")
grep -q "AGENTKIT_MIXED_INSTALL" "$work/both.txt" || { echo "no warning for a mixed Node install" >&2; cat "$work/both.txt" >&2; exit 1; }
echo "dist-check: a mixed Node install is named when ours loads"
