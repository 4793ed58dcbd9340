"""Model behaviour shared by every SDK model: the pydantic v2 methods users call on the official
models (``model_dump``, ``model_dump_json``, ``dict``, ``json``, ``model_validate``…), without
importing pydantic, whose import alone costs more than this whole package."""

from __future__ import annotations

import enum
import json as _json
import typing
from dataclasses import fields as _dataclass_fields
from dataclasses import is_dataclass
from datetime import datetime
from typing import Any, Dict, Optional


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


def _dump(value: Any, mode: str, exclude_none: bool) -> Any:
    if isinstance(value, PydanticLike):
        return value.model_dump(mode=mode, exclude_none=exclude_none)
    if isinstance(value, dict):
        return {k: _dump(v, mode, exclude_none) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_dump(v, mode, exclude_none) for v in value]
    if mode == "json":
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, enum.Enum):
            return value.value
    return value


def parse_time(value: Any) -> Optional[datetime]:
    """RFC 3339 → naive UTC datetime (as the official SDK returns); datetimes pass; None when unset."""
    if isinstance(value, datetime) or not value:
        return value or None
    from datetime import timezone

    text = str(value).replace("Z", "+00:00")
    if "." in text:
        # datetime.fromisoformat (3.9/3.10) takes at most 6 fractional digits.
        head, _, rest = text.partition(".")
        digits = "".join(c for c in rest if c.isdigit())
        text = f"{head}.{digits[:6]}{rest[len(digits):]}"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


_HINTS: Dict[type, Dict[str, Any]] = {}


def _coerce(hint: Any, value: Any) -> Any:
    """``value`` as the annotated type: nested models from dicts, datetimes from RFC 3339 text."""
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin is typing.Union:
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return _coerce(inner[0], value) if len(inner) == 1 else value
    if origin in (list, typing.List) and isinstance(value, (list, tuple)):
        (item,) = typing.get_args(hint) or (Any,)
        return [_coerce(item, v) for v in value]
    if hint is datetime:
        return parse_time(value)
    if isinstance(hint, type) and issubclass(hint, PydanticLike) and isinstance(value, dict):
        return hint.model_validate(value)
    return value


class PydanticLike:
    """The pydantic v2 (and v1) methods of the official models, over the instance's fields."""

    def _field_values(self) -> Dict[str, Any]:
        if is_dataclass(self):
            return {f.name: getattr(self, f.name) for f in _dataclass_fields(self)}
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    def model_dump(self, *, mode: str = "python", include: Any = None, exclude: Any = None, exclude_none: bool = False,
                   **_options: Any) -> Dict[str, Any]:
        """The fields as a dict (``mode="json"``: datetimes as ISO text, enums as values)."""
        out = {}
        for name, value in self._field_values().items():
            if (include is not None and name not in include) or (exclude is not None and name in exclude):
                continue
            if exclude_none and value is None:
                continue
            out[name] = _dump(value, mode, exclude_none)
        return out

    def model_dump_json(self, *, indent: Optional[int] = None, include: Any = None, exclude: Any = None,
                        exclude_none: bool = False, **_options: Any) -> str:
        return _json.dumps(self.model_dump(mode="json", include=include, exclude=exclude, exclude_none=exclude_none),
                           indent=indent, ensure_ascii=False)

    def dict(self, **options: Any) -> Dict[str, Any]:
        """pydantic v1 name of :meth:`model_dump`."""
        return self.model_dump(**options)

    def json(self, **options: Any) -> str:
        """pydantic v1 name of :meth:`model_dump_json`."""
        return self.model_dump_json(**options)

    def model_copy(self, *, update: Optional[Dict[str, Any]] = None, deep: bool = False):
        import copy

        clone = copy.deepcopy(self) if deep else copy.copy(self)
        for name, value in (update or {}).items():
            object.__setattr__(clone, name, value)
        return clone

    @classmethod
    def model_validate(cls, obj: Any, **_options: Any):
        """An instance from a dict of field values (nested models and datetimes converted) or a model."""
        if isinstance(obj, cls):
            return obj
        if isinstance(obj, PydanticLike):
            obj = obj.model_dump()
        if not isinstance(obj, dict):
            raise TypeError(f"{cls.__name__}.model_validate expects a dict or a model, got {type(obj).__name__}")
        if not is_dataclass(cls):
            return cls(**obj)
        hints = _HINTS.get(cls)
        if hints is None:
            hints = _HINTS[cls] = typing.get_type_hints(cls)
        names = {f.name for f in _dataclass_fields(cls) if f.init}
        return cls(**{k: _coerce(hints.get(k, Any), v) for k, v in obj.items() if k in names})

    @classmethod
    def model_validate_json(cls, data: Any, **options: Any):
        return cls.model_validate(_json.loads(data), **options)

    @classmethod
    def model_construct(cls, **values: Any):
        return cls.model_validate(values)


class KwModel(PydanticLike):
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
