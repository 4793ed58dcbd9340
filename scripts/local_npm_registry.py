"""A local npm registry for dist-check: serves every npm tarball of a folder (`dist/`) under its
package name, as a registry would after `npm publish`, so `npm install
@scalekit-sdk/node@npm:agentkit-gateway-sdk` (the documented alias command) runs exactly as a user
types it, with `--registry`. A platform package of ours that was not built here (macOS, Windows)
answers 404, as an unpublished one would (npm skips an optional dependency that does not fit
the platform); any other package is redirected to registry.npmjs.org.

    python3 scripts/local_npm_registry.py dist/   # prints the registry's URL, serves until killed
"""

from __future__ import annotations

import base64
import hashlib
import json
import pathlib
import sys
import tarfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

UPSTREAM = "https://registry.npmjs.org"
OUR_PLATFORM_PACKAGES = "agentkit-gateway-sdk-"


def packages(folder: pathlib.Path) -> dict[str, dict]:
    """Name → (manifest, tarball bytes) for every `*.tgz` in `folder`."""
    found: dict[str, dict] = {}
    for tgz in sorted(folder.glob("*.tgz")):
        with tarfile.open(tgz) as archive:
            member = archive.extractfile("package/package.json")
            if member is None:
                continue
            manifest = json.load(member)
        data = tgz.read_bytes()
        entry = found.setdefault(manifest["name"], {"versions": {}, "files": {}})
        entry["versions"][manifest["version"]] = (manifest, tgz.name, data)
        entry["files"][tgz.name] = data
    return found


def main() -> None:
    folder = pathlib.Path(sys.argv[1])
    served = packages(folder)

    class Registry(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def do_GET(self):  # noqa: N802 (the stdlib's name)
            path = unquote(self.path.split("?", 1)[0]).lstrip("/")
            name, _, rest = path.partition("/-/")
            base = f"http://{self.headers.get('Host')}"
            if name in served and rest in served[name]["files"]:
                return self.answer(200, served[name]["files"][rest], "application/octet-stream")
            if name in served and not rest:
                versions = {}
                for version, (manifest, file, data) in served[name]["versions"].items():
                    integrity = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
                    dist = {"tarball": f"{base}/{name}/-/{file}", "shasum": hashlib.sha1(data).hexdigest(),
                            "integrity": integrity}
                    versions[version] = {**manifest, "dist": dist}
                latest = sorted(versions, key=lambda v: [int(p) if p.isdigit() else p for p in v.split(".")])[-1]
                body = {"name": name, "dist-tags": {"latest": latest}, "versions": versions}
                return self.answer(200, json.dumps(body).encode(), "application/json")
            if name.startswith(OUR_PLATFORM_PACKAGES):
                return self.answer(404, b'{"error": "not found"}', "application/json")
            self.send_response(302)
            self.send_header("Location", f"{UPSTREAM}/{self.path.lstrip('/')}")
            self.end_headers()

        def answer(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Registry)
    print(f"http://127.0.0.1:{server.server_address[1]}/", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
