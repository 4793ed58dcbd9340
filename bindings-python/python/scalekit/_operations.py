"""Glue between the façade and the native module: one definition per operation yields the
documented sync method and its awaitable ``_async`` twin."""

from __future__ import annotations

import functools
from typing import Any, Callable, Dict, Tuple


def twin(op: str, wrap: Callable[[Dict[str, Any]], Any]) -> Callable[[Callable[..., Dict[str, Any]]], Tuple[Callable, Callable]]:
    """Turns a parameter builder into ``(method, method_async)`` running native operation ``op``."""

    def decorate(build: Callable[..., Dict[str, Any]]):
        @functools.wraps(build)
        def sync(self, *args, **kwargs):
            return wrap(self._native.call(op, build(self, *args, **kwargs)))

        @functools.wraps(build)
        async def asynchronous(self, *args, **kwargs):
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
