"""Builds protobuf message classes at import from compact field tables (no protoc, no codegen),
so low-level clients return real messages (``MessageToDict`` and friends work on them)."""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf import struct_pb2, timestamp_pb2, wrappers_pb2  # noqa: F401  (register dependencies)

F = descriptor_pb2.FieldDescriptorProto
STRING, MESSAGE, INT32, UINT32, BOOL, DOUBLE, ENUM = (F.TYPE_STRING, F.TYPE_MESSAGE, F.TYPE_INT32, F.TYPE_UINT32,
                                                      F.TYPE_BOOL, F.TYPE_DOUBLE, F.TYPE_ENUM)
ONE, MANY = F.LABEL_OPTIONAL, F.LABEL_REPEATED

# (field name, type, label, type name of a message or enum field[, oneof it belongs to])
Field = Tuple
TIMESTAMP, STRUCT, BOOL_VALUE = ".google.protobuf.Timestamp", ".google.protobuf.Struct", ".google.protobuf.BoolValue"


def build(file_name: str, package: str, messages: Dict[str, Sequence[Field]],
          enums: Optional[Dict[str, List[str]]] = None) -> Dict[str, type]:
    """Message classes of ``messages`` in a file ``file_name`` of ``package``; ``enums`` maps an
    enum's name to its value names in number order. Adding the same file twice reuses it."""
    proto = descriptor_pb2.FileDescriptorProto(
        name=file_name, package=package, syntax="proto3",
        dependency=["google/protobuf/struct.proto", "google/protobuf/timestamp.proto", "google/protobuf/wrappers.proto"],
    )
    for name, values in (enums or {}).items():
        enum = proto.enum_type.add(name=name)
        for number, value in enumerate(values):
            enum.value.add(name=value, number=number)
    for name, fields in messages.items():
        message = proto.message_type.add(name=name)
        oneofs: List[str] = []
        for number, (field, ftype, label, type_name, *oneof) in enumerate(fields, start=1):
            f = message.field.add(name=field, number=number, type=ftype, label=label)
            f.json_name = "".join(p if i == 0 else p.capitalize() for i, p in enumerate(field.split("_")))
            if type_name:
                f.type_name = type_name
            if oneof:
                if oneof[0] not in oneofs:
                    oneofs.append(oneof[0])
                    message.oneof_decl.add(name=oneof[0])
                f.oneof_index = oneofs.index(oneof[0])
    pool = descriptor_pool.Default()
    try:
        file_desc = pool.FindFileByName(proto.name)
    except KeyError:
        pool.Add(proto)
        file_desc = pool.FindFileByName(proto.name)
    return {name: message_factory.GetMessageClass(file_desc.message_types_by_name[name]) for name in messages}
