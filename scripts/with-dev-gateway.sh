#!/usr/bin/env bash
# Runs a command with a fresh `agentkit dev` (gateway + sandbox) and its variables exported.
# Usage: scripts/with-dev-gateway.sh COMMAND [ARGS...]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${AGENTKIT_BIN:-$root/target/debug/agentkit}"
data_dir="$(mktemp -d)"
env_file="$data_dir/env"
"$bin" dev --port 0 --data-dir "$data_dir/state" >"$env_file" 2>"$data_dir/gateway.log" &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$data_dir"; }
trap cleanup EXIT
for _ in $(seq 1 100); do
  grep -q AGENTKIT_SANDBOX_URL "$env_file" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || { cat "$data_dir/gateway.log" >&2; exit 1; }
  sleep 0.1
done
# shellcheck disable=SC1090
source "$env_file"
"$@"
