"""Glue between the façade and the native module: one definition per operation yields the
documented sync method and its awaitable ``_async`` twin."""

from __future__ import annotations

import difflib
import functools
import inspect
import warnings
from typing import Any, Callable, Collection, Dict, Tuple


def warn_unknown_keywords(method: str, accepted: Collection[str], kwargs: Dict[str, Any], stacklevel: int = 3) -> None:
    """Methods that take ``**kwargs`` (as the official signatures do) accept any keyword; one they
    do not know is ignored, so say so rather than run with it silently missing
    (``execute_tool(tool_inputs=...)`` would run the tool with no input)."""
    for name in kwargs:
        if name in accepted:
            continue
        close = difflib.get_close_matches(name, sorted(accepted), n=1) or sorted(
            a for a in accepted if a.startswith(name) or name.startswith(a))
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        warnings.warn(f"{method}() got an unknown keyword argument {name!r}{hint}; it is ignored",
                      UserWarning, stacklevel=stacklevel)


def named_parameters(function: Callable) -> set:
    """The parameters ``function`` names (not ``self``, ``*args`` or ``**kwargs``)."""
    return {p.name for p in inspect.signature(function).parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}


def twin(op: str, wrap: Callable[[Dict[str, Any]], Any], reads: Collection[str] = ()) -> Callable[[Callable[..., Dict[str, Any]]], Tuple[Callable, Callable]]:
    """Turns a parameter builder into ``(method, method_async)`` running native operation ``op``.
    A builder's ``**kwargs`` are taken and ignored, as the official signatures take them: any
    keyword but those named in ``reads`` (the ones it does use) warns. A builder that forwards its
    keywords names them otherwise (``**fields``) and never warns."""

    def decorate(build: Callable[..., Dict[str, Any]]):
        accepted = named_parameters(build) | set(reads)
        ignores = "kwargs" in inspect.signature(build).parameters

        @functools.wraps(build)
        def sync(self, *args, **kwargs):
            if ignores:
                warn_unknown_keywords(build.__name__, accepted, kwargs)
            return wrap(self._native.call(op, build(self, *args, **kwargs)))

        @functools.wraps(build)
        async def asynchronous(self, *args, **kwargs):
            if ignores:
                warn_unknown_keywords(build.__name__ + "_async", accepted, kwargs)
            return wrap(await self._native.call_async(op, build(self, *args, **kwargs)))

        asynchronous.__name__ = asynchronous.__qualname__ = build.__name__ + "_async"
        return sync, asynchronous

    return decorate


class ProtoResult(tuple):
    """``(message, None)`` like the official low-level client, whose attributes also read through:
    both ``resp, _ = tools.list_scoped_tools(...)`` and ``tools.list_scoped_tools(...).tools`` work."""

    def __new__(cls, message: Any):
        return super().__new__(cls, (message, None))

    def __getattr__(self, name: str) -> Any:
        return getattr(self[0], name)


def proto_result(message_path: str) -> Callable[[Dict[str, Any]], ProtoResult]:
    """Wraps an operation's JSON answer as ``(message, None)`` of the class at ``message_path``
    (``"scalekit.v1.mcp.mcp_pb2.McpConfig"``), imported on first use: protobuf stays out of
    ``import scalekit`` for code that never calls a low-level client."""

    def wrap(data: Dict[str, Any]) -> ProtoResult:
        import importlib

        from google.protobuf.json_format import ParseDict

        module, _, name = message_path.rpartition(".")
        message_class = getattr(importlib.import_module(module), name)
        return ProtoResult(ParseDict(data, message_class(), ignore_unknown_fields=True))

    return wrap


def plain_dict(value: Any, what: str) -> Any:
    """A protobuf message (or pydantic-style model, or dict) as the plain dict operations take."""
    if value is None or isinstance(value, dict):
        return value
    if hasattr(value, "DESCRIPTOR"):
        from google.protobuf.json_format import MessageToDict

        return MessageToDict(value, preserving_proto_field_name=True)
    if hasattr(value, "model_dump"):
        return value.model_dump(exclude_none=True)
    raise TypeError(f"{what} must be a dict or a protobuf message, got {type(value).__name__}")
