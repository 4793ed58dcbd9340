#!/usr/bin/env bash
# Packs the Node SDK as napi-rs lays it out: the main package (JavaScript, typings, no addon) with
# one optionalDependency per platform, and a package per platform holding only its addon
# (bindings-node/npm/<platform>/, from `napi create-npm-dirs`), so `npm install` fetches the one
# addon that fits. Packs every platform whose addon was built here (bindings-node/*.node) into dist/.
set -euo pipefail
cd "$(dirname "$0")/../bindings-node"
packed=0
for addon in agentkit.*.node; do
  [ -e "$addon" ] || continue
  platform="${addon#agentkit.}"
  platform="${platform%.node}"
  [ -d "npm/$platform" ] || { echo "no npm/$platform for $addon: add its target to package.json's napi.targets" >&2; exit 1; }
  cp "$addon" "npm/$platform/"
  (cd "npm/$platform" && npm pack --silent --pack-destination ../../../dist >/dev/null)
  rm "npm/$platform/$addon"
  packed=$((packed + 1))
done
[ "$packed" -gt 0 ] || { echo "no addon built in bindings-node/" >&2; exit 1; }
# The main package names every platform package as an optional dependency (napi-rs adds them at
# publish time; the repository's package.json has none, so the workspace installs without them).
main="$(mktemp -d)"
trap 'rm -rf "$main"' EXIT
cp -r package.json README.md lib native.js native.d.ts "$main/"
node -e '
  const fs = require("fs");
  const file = process.argv[1];
  const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
  const dirs = fs.readdirSync("npm").sort();
  pkg.optionalDependencies = Object.fromEntries(dirs.map((d) => [JSON.parse(fs.readFileSync(`npm/${d}/package.json`, "utf8")).name, pkg.version]));
  fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + "\n");
' "$main/package.json"
(cd "$main" && npm pack --silent --pack-destination "$OLDPWD/../dist" >/dev/null)
echo "packed the Node SDK and $packed platform addon(s) into dist/"
