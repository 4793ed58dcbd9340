"""Protobuf messages of ``scalekit.v1.tools`` (built at import from a descriptor, no codegen).

Responses of the low-level ``tools`` client are real protobuf messages, so documented code such as
``MessageToDict(t.tool)`` and ``t.tool.definition["name"]`` works unchanged.
"""

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf import struct_pb2, timestamp_pb2, wrappers_pb2  # noqa: F401  (register dependencies)

_F = descriptor_pb2.FieldDescriptorProto
_S, _M, _I, _B = _F.TYPE_STRING, _F.TYPE_MESSAGE, _F.TYPE_INT32, _F.TYPE_BOOL
_ONE, _MANY = _F.LABEL_OPTIONAL, _F.LABEL_REPEATED

_MESSAGES = {
    "Tool": [
        ("id", _S, _ONE, None), ("provider", _S, _ONE, None),
        ("definition", _M, _ONE, ".google.protobuf.Struct"), ("metadata", _M, _ONE, ".google.protobuf.Struct"),
        ("tags", _S, _MANY, None), ("is_default", _M, _ONE, ".google.protobuf.BoolValue"),
        ("updated_at", _M, _ONE, ".google.protobuf.Timestamp"),
    ],
    "ScopedTool": [
        ("tool", _M, _ONE, ".scalekit.v1.tools.Tool"), ("identifier", _S, _ONE, None),
        ("connected_account_id", _S, _ONE, None),
    ],
    "Filter": [
        ("summary", _M, _ONE, ".google.protobuf.BoolValue"), ("provider", _S, _ONE, None),
        ("identifier", _S, _ONE, None), ("tool_name", _S, _MANY, None), ("query", _S, _ONE, None),
        ("connector", _S, _ONE, None), ("organization_id", _S, _ONE, None), ("user_id", _S, _ONE, None),
        ("connected_account_id", _S, _ONE, None),
    ],
    "ScopedToolFilter": [
        ("providers", _S, _MANY, None), ("tool_names", _S, _MANY, None), ("connection_names", _S, _MANY, None),
    ],
    "ListToolsResponse": [
        ("next_page_token", _S, _ONE, None), ("total_size", _I, _ONE, None), ("prev_page_token", _S, _ONE, None),
        ("tool_names", _S, _MANY, None), ("tools", _M, _MANY, ".scalekit.v1.tools.Tool"),
    ],
    "ListScopedToolsResponse": [
        ("next_page_token", _S, _ONE, None), ("total_size", _I, _ONE, None), ("prev_page_token", _S, _ONE, None),
        ("tools", _M, _MANY, ".scalekit.v1.tools.ScopedTool"),
    ],
    "ListAvailableToolsResponse": [
        ("next_page_token", _S, _ONE, None), ("total_size", _I, _ONE, None), ("prev_page_token", _S, _ONE, None),
        ("tools", _M, _MANY, ".scalekit.v1.tools.Tool"),
    ],
    "ExecuteToolResponse": [
        ("data", _M, _ONE, ".google.protobuf.Struct"), ("execution_id", _S, _ONE, None),
    ],
}


def _build():
    proto = descriptor_pb2.FileDescriptorProto(
        name="scalekit/v1/tools/tools.proto",
        package="scalekit.v1.tools",
        syntax="proto3",
        dependency=[
            "google/protobuf/struct.proto",
            "google/protobuf/timestamp.proto",
            "google/protobuf/wrappers.proto",
        ],
    )
    for name, fields in _MESSAGES.items():
        message = proto.message_type.add(name=name)
        for number, (field, ftype, label, type_name) in enumerate(fields, start=1):
            f = message.field.add(name=field, number=number, type=ftype, label=label)
            f.json_name = "".join(p if i == 0 else p.capitalize() for i, p in enumerate(field.split("_")))
            if type_name:
                f.type_name = type_name
    pool = descriptor_pool.Default()
    try:
        file_desc = pool.FindFileByName(proto.name)
    except KeyError:
        file_desc = pool.Add(proto)
        file_desc = pool.FindFileByName(proto.name)
    return {name: message_factory.GetMessageClass(file_desc.message_types_by_name[name]) for name in _MESSAGES}


_classes = _build()
Tool = _classes["Tool"]
ScopedTool = _classes["ScopedTool"]
Filter = _classes["Filter"]
ScopedToolFilter = _classes["ScopedToolFilter"]
ListToolsResponse = _classes["ListToolsResponse"]
ListScopedToolsResponse = _classes["ListScopedToolsResponse"]
ListAvailableToolsResponse = _classes["ListAvailableToolsResponse"]
ExecuteToolResponse = _classes["ExecuteToolResponse"]

__all__ = list(_MESSAGES)
