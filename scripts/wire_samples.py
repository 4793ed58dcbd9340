"""Sample values of the ``scalekit.v1.*`` messages and their binary encodings, with whichever
``scalekit`` package the interpreter running this file has installed: ours, or the official SDK in
its scratch venv. ``tests/python/test_wire_model.py`` samples the official messages and has both
packages encode the same values, so a field at another number (or missing) shows as a difference.

    python wire_samples.py sample   -> {message name: JSON with every field set}, from the official side
    python wire_samples.py encode   <- that JSON on stdin -> {message name: hex of its encoding}
"""

from __future__ import annotations

import importlib
import json
import sys

MODULES = ["scalekit.v1.connected_accounts.connected_accounts_pb2", "scalekit.v1.tools.tools_pb2",
           "scalekit.v1.mcp.mcp_pb2"]
WELL_KNOWN = {"google.protobuf.Timestamp": "2026-01-02T03:04:05.500Z", "google.protobuf.BoolValue": True,
              "google.protobuf.Struct": {"text": "t", "number": 2.5, "list": [True, None], "object": {"k": "v"}},
              "google.protobuf.Duration": "90s"}


def value(field, depth: int):
    from google.protobuf.descriptor import FieldDescriptor as F

    if field.message_type is not None:
        name = field.message_type.full_name
        return WELL_KNOWN[name] if name in WELL_KNOWN else sample(field.message_type, depth + 1)
    if field.enum_type is not None:
        return field.enum_type.values[-1].name
    return {F.TYPE_STRING: f"{field.name}-value", F.TYPE_BOOL: True, F.TYPE_DOUBLE: 0.25, F.TYPE_FLOAT: 0.25,
            F.TYPE_BYTES: "AQI="}.get(field.type, field.number + 300)


def sample(message, depth: int = 0) -> dict:
    """Every field of ``message`` set (the first member of each oneof), nested messages too."""
    out: dict = {}
    if depth > 4:
        return out
    for field in message.fields:
        oneof = field.containing_oneof
        if oneof is not None and not oneof.name.startswith("_") and oneof.fields[0] is not field:
            continue
        one = value(field, depth)
        out[field.name] = [one, one] if field.is_repeated else one
    return out


def messages():
    for module in MODULES:
        try:
            file = importlib.import_module(module).DESCRIPTOR
        except ImportError:
            continue
        yield from file.message_types_by_name.values()


def main() -> int:
    from google.protobuf import json_format, message_factory

    if sys.argv[1] == "sample":
        print(json.dumps({m.full_name: sample(m) for m in messages()}))
        return 0
    wanted = json.load(sys.stdin)
    found = {m.full_name: m for m in messages()}
    out = {}
    for name, data in wanted.items():
        if name not in found:
            out[name] = "missing"
            continue
        try:
            message = json_format.ParseDict(data, message_factory.GetMessageClass(found[name])())
        except json_format.ParseError as e:
            out[name] = f"refused: {e}"
            continue
        out[name] = message.SerializeToString(deterministic=True).hex()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
