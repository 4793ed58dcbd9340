"""The one wire model, from Python: the ``scalekit.v1.*`` classes come from core's descriptor set,
the generated types are current, and our messages encode exactly as the official package's do
(the same values, the same bytes: same field numbers, same types)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from google.protobuf import json_format

from scalekit import _native
from scalekit.v1.connected_accounts import connected_accounts_pb2 as accounts_pb2
from scalekit.v1.tools import tools_pb2

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from sdk_parity import official_python  # noqa: E402

SAMPLES = ROOT / "scripts" / "wire_samples.py"


def run(python, *args, stdin=None) -> dict:
    out = subprocess.run([str(python), str(SAMPLES), *args], input=stdin, capture_output=True, text=True,
                         timeout=300, cwd="/")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_the_generated_types_are_current():
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "wire_types.py"), "--check"], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


def test_classes_come_from_the_native_descriptor_set():
    from google.protobuf import descriptor_pb2

    files = {f.name: f for f in descriptor_pb2.FileDescriptorSet.FromString(_native.WIRE_DESCRIPTOR_SET).file}
    ours = files["scalekit/v1/connected_accounts/connected_accounts.proto"]
    assert accounts_pb2.DESCRIPTOR.serialized_pb == ours.SerializeToString()
    account = {f.name: f.number for f in accounts_pb2.ConnectedAccount.DESCRIPTOR.fields}
    # The numbers the official messages give (they differed from Python's own table before).
    assert account["token_expires_at"] == 6 and account["api_config"] == 12 and account["is_org_wide_credential"] == 13
    assert accounts_pb2.ConnectorType.KEY_PAIR == 13 and accounts_pb2.ConnectorType.Name(12) == "NO_AUTH"
    assert tools_pb2.ListToolsResponse.DESCRIPTOR.fields_by_name["total_size"].type == 13  # uint32, as official


@pytest.fixture(scope="module")
def official_samples():
    python = official_python()
    samples = run(python, "sample")
    assert len(samples) > 60, sorted(samples)
    return python, samples


def test_our_messages_encode_as_the_official_ones(official_samples):
    python, samples = official_samples
    theirs = run(python, "encode", stdin=json.dumps(samples))
    mine = run(sys.executable, "encode", stdin=json.dumps(samples))
    compared = [name for name, encoded in mine.items() if encoded != "missing"]
    # Every message we expose is an official one, and none is refused or encoded differently.
    assert len(compared) >= 50, compared
    differing = {name: (mine[name], theirs[name]) for name in compared if mine[name] != theirs[name]}
    assert not differing, json.dumps(differing, indent=1)[:4000]


def test_a_renumbered_field_would_be_seen(official_samples):
    # The comparison's guard: the same sample, one field at another number, encodes differently.
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    python, samples = official_samples
    name = "scalekit.v1.connected_accounts.ConnectedAccount"
    file = descriptor_pb2.FileDescriptorProto.FromString(accounts_pb2.DESCRIPTOR.serialized_pb)
    account = next(m for m in file.message_type if m.name == "ConnectedAccount")
    next(f for f in account.field if f.name == "token_expires_at").number = 5
    next(f for f in account.field if f.name == "authorization_details").number = 6
    pool = descriptor_pool.DescriptorPool()
    for dependency in ("struct", "timestamp"):
        module = __import__(f"google.protobuf.{dependency}_pb2", fromlist=["DESCRIPTOR"])
        pool.Add(descriptor_pb2.FileDescriptorProto.FromString(module.DESCRIPTOR.serialized_pb))
    pool.Add(file)
    renumbered = message_factory.GetMessageClass(pool.FindMessageTypeByName(name))
    encoded = json_format.ParseDict(samples[name], renumbered()).SerializeToString(deterministic=True).hex()
    assert encoded != run(python, "encode", stdin=json.dumps({name: samples[name]}))[name]


# The high-level answer types (``scalekit.actions.types``, the official SDK's pydantic shapes) name
# two paging fields their own way, and leave out a field the official models leave out too.
HIGH_LEVEL_NAMES = {"total_size": "total_count", "prev_page_token": "previous_page_token"}
HIGH_LEVEL_LEAVES_OUT = {"is_org_wide_credential"}


def test_the_high_level_answer_types_have_their_messages_fields():
    import dataclasses

    from scalekit.actions import types
    from scalekit.v1.mcp import mcp_pb2

    messages = {}
    for module in (accounts_pb2, tools_pb2, mcp_pb2):
        messages.update(module.DESCRIPTOR.message_types_by_name)
    checked = []
    for name, cls in vars(types).items():
        # The request types are the official high-level call shapes, not messages.
        if not (isinstance(cls, type) and dataclasses.is_dataclass(cls) and cls.__name__ == name
                and name in messages and not name.endswith("Request")):
            continue
        fields = {f.name for f in dataclasses.fields(cls)}
        expected = {HIGH_LEVEL_NAMES.get(f, f) for f in messages[name].fields_by_name} - HIGH_LEVEL_LEAVES_OUT
        assert fields == expected, f"{name}: {sorted(fields ^ expected)}"
        checked.append(name)
    assert len(checked) >= 25, checked
