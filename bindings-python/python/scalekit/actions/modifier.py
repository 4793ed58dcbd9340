"""Modifier types (``scalekit.actions.modifier``). Registration goes through
``actions.pre_modifier`` / ``actions.post_modifier``; the chain itself runs in the Rust core."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Literal, Optional, Union

ModifierType = Literal["pre", "post"]
ToolNames = Union[str, List[str]]
ToolInput = Dict[str, Any]
ToolOutput = Dict[str, Any]

__all__ = ["Modifier", "ModifierType", "ToolNames", "ToolInput", "ToolOutput"]


class Modifier:
    """A function applied to the input (``pre``) or output (``post``) of the named tools."""

    def __init__(self, tool_names: ToolNames, modifier_type: ModifierType, func: Optional[Callable[[dict], Any]] = None, **_ignored: Any) -> None:
        if isinstance(tool_names, str):
            tool_names = [tool_names]
        if not tool_names or not all(isinstance(n, str) and n for n in tool_names):
            raise ValueError("tool_names must be a non-empty string or list of strings")
        if modifier_type not in ("pre", "post"):
            raise ValueError('modifier_type must be "pre" or "post"')
        self.tool_names: List[str] = list(tool_names)
        self.type: ModifierType = modifier_type
        self.func = func

    def apply(self, tool_name: str, data: dict) -> Any:
        if self.func is not None and tool_name in self.tool_names:
            return self.func(data)
        return data

    def __repr__(self) -> str:
        return f"Modifier(tool_names={self.tool_names!r}, modifier_type={self.type!r})"
