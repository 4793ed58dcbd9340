"""The protobuf message classes of ``scalekit.v1.*``, built from the one descriptor set that core
compiles from ``core/proto`` (``_native.WIRE_DESCRIPTOR_SET``): no field is written down in
Python, so a field means the same, by name and by number, here, in Node and in the gateway."""

from __future__ import annotations

import enum
from typing import Any, Dict

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf import struct_pb2, timestamp_pb2, wrappers_pb2  # noqa: F401  (register the files ours import)

from scalekit import _native

_loaded = False


class ProtoEnum(enum.IntEnum):
    """An IntEnum with the protobuf enum-wrapper API: ``ConnectorStatus.Name(1)``, ``.Value("ACTIVE")``."""

    @classmethod
    def Name(cls, number: int) -> str:  # noqa: N802  (protobuf's name)
        try:
            return cls(number).name
        except ValueError:
            raise ValueError(f"Enum {cls.__name__} has no name defined for value {number!r}") from None

    @classmethod
    def Value(cls, name: str) -> int:  # noqa: N802
        try:
            return int(cls[name])
        except KeyError:
            raise ValueError(f"Enum {cls.__name__} has no value defined for name {name!r}") from None

    @classmethod
    def keys(cls):
        return [m.name for m in cls]

    @classmethod
    def values(cls):
        return [int(m) for m in cls]

    @classmethod
    def items(cls):
        return [(m.name, int(m)) for m in cls]


def _pool() -> descriptor_pool.DescriptorPool:
    """The default pool, with our files added once (the well-known ones are the runtime's own)."""
    global _loaded
    pool = descriptor_pool.Default()
    if not _loaded:
        for file in descriptor_pb2.FileDescriptorSet.FromString(_native.WIRE_DESCRIPTOR_SET).file:
            if file.name.startswith("google/protobuf/"):
                continue
            try:
                pool.FindFileByName(file.name)
            except KeyError:
                pool.Add(file)
        _loaded = True
    return pool


def members(file_name: str, module: str) -> Dict[str, Any]:
    """What a generated ``*_pb2`` module of ``file_name`` holds: ``DESCRIPTOR``, a class per message,
    an enum per enum (a :class:`ProtoEnum`), each enum value as a module constant, and ``__all__``."""
    file = _pool().FindFileByName(file_name)
    found: Dict[str, Any] = {"DESCRIPTOR": file}
    for name, descriptor in file.enum_types_by_name.items():
        found[name] = ProtoEnum(name, [(v.name, v.number) for v in descriptor.values], module=module)
        found.update({v.name: v.number for v in descriptor.values})
    for name, descriptor in file.message_types_by_name.items():
        found[name] = message_factory.GetMessageClass(descriptor)
    found["__all__"] = [name for name in found if name != "DESCRIPTOR"]
    return found
