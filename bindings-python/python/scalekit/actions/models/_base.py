"""A small keyword model: fields as attributes, nested models and lists serialised by ``to_dict``."""

from __future__ import annotations

from typing import Any, Dict


def to_wire(value: Any) -> Any:
    """Plain JSON data from models, pydantic objects, dicts and lists (``None`` fields dropped)."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if hasattr(value, "model_dump"):
        return to_wire(value.model_dump(exclude_none=True))
    if isinstance(value, dict):
        return {k: to_wire(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [to_wire(v) for v in value]
    return value


class KwModel:
    """Keyword-constructed record: ``AuthPattern(type="BEARER", fields=[...])``."""

    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)

    def to_dict(self) -> Dict[str, Any]:
        return to_wire(dict(self.__dict__))

    @classmethod
    def from_dict(cls, data: Dict[str, Any]):
        return cls(**dict(data or {}))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return None  # an optional field that was not given

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.to_dict()!r})"
