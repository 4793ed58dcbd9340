#!/usr/bin/env bash
# Installs the release artifacts from dist/ into a clean venv and a clean npm folder (no build
# step runs there) and runs the documented-calls programs against a fresh `agentkit dev`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
wheel=$(ls "$root"/dist/*.whl)
tarball=$(ls "$root"/dist/*.tgz)

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet "$wheel"
mkdir -p "$work/node"
(cd "$work/node" && npm init -y >/dev/null && npm install --no-audit --no-fund --silent "$tarball")
cp "$root/examples/node/documented_calls.mjs" "$work/node/"

"$root/scripts/with-dev-gateway.sh" "$work/venv/bin/python" "$root/examples/python/documented_calls.py"
"$root/scripts/with-dev-gateway.sh" node "$work/node/documented_calls.mjs"
