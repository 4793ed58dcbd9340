#!/usr/bin/env bash
# Builds deploy/Containerfile on a machine that reaches no image registry (only Debian, PyPI, npm
# and crates.io), with `--build-arg BINARY=prebuilt`:
#   - by default (`make image`, CI): the release binary is compiled here and packed as
#     localhost/agentkit:latest onto a runtime base assembled from this machine's Debian packages
#     (libc6, libgcc-s1, ca-certificates) in place of distroless' cc image;
#   - with AGENTKIT_STATIC_BINARY=dist/agentkit-<version>-x86_64-unknown-linux-musl (`make dist`):
#     that static binary is packed as localhost/agentkit:<version>-static onto a base holding only
#     CA roots and the user (no libraries: it links none).
# Then checks the image: non-root user, entrypoint, size, and that the binary taken out of it
# serves /readyz here and names its commit (`podman run` is refused in this sandbox, so it runs
# outside the container).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v podman >/dev/null || { echo "podman is not installed (apt-get install podman)" >&2; exit 1; }
# `agentkit --version` names the commit the image was built from.
AGENTKIT_COMMIT="${AGENTKIT_COMMIT:-$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)}"
export AGENTKIT_COMMIT
static="${AGENTKIT_STATIC_BINARY:-}"
if [ -n "$static" ]; then
  binary="$static"
  version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)"
  image="localhost/agentkit:$version-static"
else
  cargo build --release --locked -p agentkit-server --no-default-features --bin agentkit
  binary=target/release/agentkit
  image=localhost/agentkit:latest
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
mkdir -p "$rootfs/etc/ssl/certs" "$rootfs/tmp" "$rootfs/home/nonroot"
chmod 1777 "$rootfs/tmp"
: >"$work/packages"
# The shared libraries the binary links, from the packages that own them (none for a static one).
if [ -z "$static" ]; then
  for lib in $(ldd "$binary" | grep -o '/[^ ]*'); do
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
    { dpkg -S "$lib" 2>/dev/null || dpkg -S "$(readlink -f "$lib")" 2>/dev/null || true; } | cut -d: -f1 >>"$work/packages"
  done
fi
cp -L /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' >"$rootfs/etc/group"
echo "runtime base from Debian packages: $(sort -u "$work/packages" | tr '\n' ' ')ca-certificates"
tar -C "$rootfs" --numeric-owner --owner=0 --group=0 --exclude=./home -cf "$work/base.tar" .
tar -C "$rootfs" --numeric-owner --owner=0 --group=0 --no-recursion -rf "$work/base.tar" ./home
tar -C "$rootfs" --numeric-owner --owner=65532 --group=65532 -rf "$work/base.tar" ./home/nonroot
podman import "$work/base.tar" localhost/agentkit-runtime-base:latest >/dev/null

# The build context is the repository with .containerignore; the binary goes in through a
# context of its own, so a static one from dist/ (ignored there) is found too.
mkdir -p "$work/binary"
cp "$binary" "$work/binary/agentkit"
podman build --isolation=chroot -f deploy/Containerfile \
  --build-context "prebuilt-binary=$work/binary" \
  --build-arg BINARY=prebuilt --build-arg RUNTIME_IMAGE=localhost/agentkit-runtime-base:latest \
  -t "$image" .

# What the image says about itself.
user="$(podman image inspect "$image" --format '{{.Config.User}}')"
entrypoint="$(podman image inspect "$image" --format '{{.Config.Entrypoint}}')"
size="$(podman image inspect "$image" --format '{{.Size}}')"
echo "image $image: user $user, entrypoint $entrypoint, $((size / 1024 / 1024)) MiB"
[ "$user" = "65532:65532" ] || { echo "the image must run as a non-root user, not '$user'" >&2; exit 1; }

# The binary as packed in the image, run here with the image's own libraries (if it has any).
container="$(podman create "$image")"
mkdir -p "$work/out"
podman export "$container" | tar -C "$work/out" -xf -
podman rm "$container" >/dev/null
cmp "$work/out/usr/local/bin/agentkit" "$binary"
run_packed() {
  if [ -n "$static" ]; then
    "$work/out/usr/local/bin/agentkit" "$@"
  else
    "$work/out/lib64/ld-linux-x86-64.so.2" --library-path "$work/out/lib/x86_64-linux-gnu" \
      "$work/out/usr/local/bin/agentkit" "$@"
  fi
}
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
mkdir -p "$work/data"
printf '[server]\nlisten = "127.0.0.1:%s"\ndata_dir = "%s"\n' "$port" "$work/data" >"$work/agentkit.toml"
run_packed serve --config "$work/agentkit.toml" >"$work/log" 2>&1 &
gateway=$!
for _ in $(seq 100); do
  if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then break; fi
  sleep 0.1
done
ready="$(curl -fsS "http://127.0.0.1:$port/readyz" || true)"
kill "$gateway"; wait "$gateway" || true
[ -n "$ready" ] || { echo "the image's binary did not get ready:"; cat "$work/log"; exit 1; } >&2
echo "the image's binary, with the image's libraries, served /readyz: $ready"
packed_version="$(run_packed --version)"
echo "the image's binary: $packed_version"
case "$packed_version" in
  *"(commit $AGENTKIT_COMMIT)") ;;
  *) echo "--version does not name commit $AGENTKIT_COMMIT" >&2; exit 1 ;;
esac
