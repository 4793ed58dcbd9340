"""``actions.upload_resumable`` (and its ``_async`` twin) against ``agentkit dev``: Google's
resumable protocol through the gateway into the sandbox's stand-in, which fails a chunk and drops a
connection on demand. The file the stand-in assembles must hash like the original."""

from __future__ import annotations

import asyncio
import hashlib
import json
import urllib.request
import warnings

import pytest

from test_runtime import _activate

GRANULE = 256 * 1024
DATA = bytes((i * 7) % 251 for i in range(GRANULE * 3 + 12_345))


def _faults(env, fail=(), broken=()):
    body = json.dumps({"upload_fail_chunks": list(fail), "upload_break_chunks": list(broken)}).encode()
    req = urllib.request.Request(env["AGENTKIT_SANDBOX_URL"] + "/sandbox/settings", data=body,
                                 headers={"content-type": "application/json"})
    urllib.request.urlopen(req).read()


def test_upload_resumable_resumes_after_a_failed_and_a_dropped_chunk(client, gateway_env, tmp_path):
    _activate(client, gateway_env, "py-uploader")
    _faults(gateway_env, fail=[1], broken=[2])
    seen = []
    path = tmp_path / "report.pdf"
    path.write_bytes(DATA)
    try:
        resp = client.actions.upload_resumable(
            connection_name="gmail", identifier="py-uploader", path="/upload/drive/v3/files", data=path,
            metadata={"name": "report.pdf"}, content_type="application/pdf", chunk_size=GRANULE,
            on_progress=lambda sent, total: seen.append((sent, total)))
    finally:
        _faults(gateway_env)
    assert resp.status_code == 200
    file = resp.json()
    assert file["name"] == "report.pdf" and file["mimeType"] == "application/pdf"
    assert file["sha256Checksum"] == hashlib.sha256(DATA).hexdigest()
    assert seen[-1] == (len(DATA), len(DATA))
    assert any(sent % GRANULE for sent, _ in seen[:-1]), f"resumed from half a chunk: {seen}"


async def test_upload_resumable_async_takes_bytes_and_file_objects(client, gateway_env, tmp_path):
    _activate(client, gateway_env, "py-uploader-async")
    resp = await client.actions.upload_resumable_async(
        "gmail", "py-uploader-async", "/upload/drive/v3/files", DATA, metadata={"name": "a.bin"})
    assert resp.json()["sha256Checksum"] == hashlib.sha256(DATA).hexdigest()
    path = tmp_path / "b.bin"
    path.write_bytes(DATA[:1000])
    with open(path, "rb") as handle:
        resp = await client.actions.upload_resumable_async("gmail", "py-uploader-async", "/upload/drive/v3/files",
                                                           handle, metadata={"name": "b.bin"})
    assert resp.json()["size"] == "1000"
    # A str is content, not a path to read.
    resp = client.actions.upload_resumable("gmail", "py-uploader-async", "/upload/drive/v3/files", "/etc/hostname")
    assert resp.json()["size"] == str(len("/etc/hostname"))


def test_upload_resumable_refuses_bad_input_and_stops_on_a_failing_callback(client, gateway_env):
    from scalekit.common.exceptions import ScalekitBadRequestException, ScalekitException

    _activate(client, gateway_env, "py-uploader-bad")
    with pytest.raises(ScalekitBadRequestException) as bad:
        client.actions.upload_resumable("gmail", "py-uploader-bad", "/upload/drive/v3/files", DATA, chunk_size=1000)
    assert "chunk_size" in str(bad.value)

    def cancel(sent, total):
        raise RuntimeError("the user cancelled")

    with pytest.raises(ScalekitException) as stopped:
        client.actions.upload_resumable("gmail", "py-uploader-bad", "/upload/drive/v3/files", DATA,
                                        chunk_size=GRANULE, on_progress=cancel)
    assert "the user cancelled" in str(stopped.value)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ScalekitException):
            client.actions.upload_resumable("gmail", "py-uploader-bad", "/upload/drive/v3/files", DATA,
                                            chunk_size=1000, chunksize=GRANULE)
    assert any("chunksize" in str(w.message) for w in caught)


async def test_an_async_progress_callback_runs_on_the_callers_loop_and_can_stop_the_upload(client, gateway_env):
    from scalekit.common.exceptions import ScalekitException

    _activate(client, gateway_env, "py-uploader-loop")
    loop = asyncio.get_running_loop()
    seen = []

    async def on_progress(sent, total):
        assert asyncio.get_running_loop() is loop
        seen.append(sent)

    await client.actions.upload_resumable_async("gmail", "py-uploader-loop", "/upload/drive/v3/files", DATA,
                                                chunk_size=GRANULE, on_progress=on_progress)
    assert seen[-1] == len(DATA) and len(seen) == 4

    async def cancel(sent, total):
        raise RuntimeError("cancelled from the loop")

    with pytest.raises(ScalekitException) as stopped:
        await client.actions.upload_resumable_async("gmail", "py-uploader-loop", "/upload/drive/v3/files", DATA,
                                                    chunk_size=GRANULE, on_progress=cancel)
    assert "cancelled from the loop" in str(stopped.value)


def test_the_async_twin_is_a_coroutine(client):
    assert asyncio.iscoroutinefunction(client.actions.upload_resumable_async)
