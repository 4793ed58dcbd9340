#!/usr/bin/env bash
# Cross-builds, after `make dist-native`, every Linux artifact this machine can build, with zig as
# C compiler and linker (ziglang and cargo-zigbuild from PyPI, Rust targets from rustup):
#   - abi3 wheels: x86_64 and aarch64 manylinux2014 (glibc 2.17+), x86_64 and aarch64 musllinux_1_2;
#   - Node addons for the same four, each in its napi-rs platform package (scripts/pack-node.sh);
#   - the gateway as static musl binaries for x86_64 and aarch64 (`agentkit --version` names the
#     commit), SHA256SUMS and a CycloneDX SBOM of what they link; both serve /readyz here (aarch64
#     under qemu-user), and the x86_64 one
#     becomes the image localhost/agentkit:<version>-static (with podman); the Helm chart.
# Then scripts/check_artifacts.py checks that each artifact is the architecture and libc it says.
# DIST_TARGETS limits the list (e.g. DIST_TARGETS=aarch64-unknown-linux-gnu).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
venv="$root/.venv"
targets=(${DIST_TARGETS:-x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-unknown-linux-musl aarch64-unknown-linux-musl})
"$venv/bin/pip" install --quiet ziglang==0.17.0 cargo-zigbuild==0.24.0
export PATH="$venv/bin:$PATH"
rustup target add "${targets[@]}" >/dev/null
version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)"
export AGENTKIT_COMMIT="${AGENTKIT_COMMIT:-$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)}"

for target in "${targets[@]}"; do
  case "$target" in
    *-linux-gnu) compatibility=manylinux2014 ;;
    *-linux-musl) compatibility=musllinux_1_2 ;;
  esac
  echo "=== $target: wheel ($compatibility), Node addon"
  # The native wheel (manylinux_2_34) gives way to the wider manylinux2014 one.
  [ "$target" = x86_64-unknown-linux-gnu ] && rm -f dist/*manylinux_2_34_x86_64.whl
  maturin build --release --zig --target "$target" --compatibility "$compatibility" --out dist
  (cd bindings-node && ../node_modules/.bin/napi build --platform --release --target "$target" \
    --cross-compile --no-js --dts native.d.ts)
  case "$target" in
    *-linux-musl)
      echo "=== $target: static gateway binary"
      cargo zigbuild --release --locked -p agentkit-server --no-default-features --bin agentkit --target "$target"
      cp "target/$target/release/agentkit" "dist/agentkit-$version-$target"
      ;;
  esac
done
scripts/pack-node.sh
# The arm64 glibc addon runs here under qemu-user (with the debug gateway's `agentkit dev`).
if [ -e bindings-node/npm/linux-arm64-gnu/package.json ] && ls dist/agentkit-gateway-sdk-linux-arm64-gnu-*.tgz >/dev/null 2>&1; then
  cargo build --quiet -p agentkit-server
  scripts/check-arm64-node.sh
fi

# Checksums of everything in dist/, and the SBOM of the gateway binaries' dependency tree.
if [ ! -x target/tools/bin/cargo-cyclonedx ]; then
  cargo install --quiet --locked --root target/tools cargo-cyclonedx@0.5.9
fi
target/tools/bin/cargo-cyclonedx cyclonedx --manifest-path server/Cargo.toml --format json \
  --no-default-features --spec-version 1.5 --override-filename agentkit-sbom >/dev/null
mv server/agentkit-sbom.json "dist/agentkit-$version.cdx.json"
# cargo-cyclonedx writes one per workspace member: the gateway's is the one shipped.
rm -f ./*/agentkit-sbom.json
# The Helm chart, packaged by Helm's own library (tests/python/test_helm_chart.py checks it).
"$venv/bin/python" -c 'import sys; from helm_python import chart; print(chart.package(sys.argv[1], destination="dist"))' \
  deploy/helm/agentkit
(cd dist && sha256sum -- * | grep -v ' SHA256SUMS$' >SHA256SUMS)
python3 scripts/check_artifacts.py dist
# Each static gateway runs here, the aarch64 one under qemu-user (Debian's qemu-user-static, when
# installed): it names its version and commit, and serves /readyz.
serves_readyz() { # <binary> [emulator]
  local binary="$1" emulator="${2:-}" work port gateway ready="" named
  # (Not `tee /dev/stderr`: opening stderr anew truncates a log file it is redirected to.)
  named="$($emulator "$binary" --version)"
  echo "$named"
  grep -q "$version (commit $AGENTKIT_COMMIT)" <<<"$named"
  work="$(mktemp -d)"
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  printf '[server]\nlisten = "127.0.0.1:%s"\ndata_dir = "%s"\n' "$port" "$work" >"$work/agentkit.toml"
  $emulator "$binary" serve --config "$work/agentkit.toml" >"$work/log" 2>&1 &
  gateway=$!
  # Emulated, the start takes seconds: up to a minute.
  for _ in $(seq 600); do ready="$(curl -fsS "http://127.0.0.1:$port/readyz" 2>/dev/null)" && break; sleep 0.1; done
  kill "$gateway"; wait "$gateway" || true
  [ -n "$ready" ] || { echo "$binary did not get ready:" >&2; cat "$work/log" >&2; exit 1; }
  echo "$binary ${emulator:+(under $emulator) }served /readyz: $ready"
  rm -rf "$work"
}
static="dist/agentkit-$version-x86_64-unknown-linux-musl"
if [ -x "$static" ]; then
  serves_readyz "$static"
  # The image from it: localhost/agentkit:<version>-static (FROM a base of CA roots and a user).
  if command -v podman >/dev/null; then
    AGENTKIT_STATIC_BINARY="$static" scripts/build-image.sh
  fi
fi
static_arm="dist/agentkit-$version-aarch64-unknown-linux-musl"
if [ -x "$static_arm" ]; then
  if command -v qemu-aarch64-static >/dev/null; then
    serves_readyz "$static_arm" qemu-aarch64-static
  else
    echo "qemu-aarch64-static is not installed (apt-get install qemu-user-static): $static_arm was not run" >&2
  fi
fi
