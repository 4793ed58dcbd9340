"""Protobuf messages of ``scalekit.v1.tools`` (built at import from a descriptor, no codegen).

Responses of the low-level ``tools`` client are real protobuf messages, so documented code such as
``MessageToDict(t.tool)`` and ``t.tool.definition["name"]`` works unchanged.
"""

from scalekit.v1._descriptor import DOUBLE as _D
from scalekit.v1._descriptor import ENUM as _E
from scalekit.v1._descriptor import INT32 as _I
from scalekit.v1._descriptor import MANY as _MANY
from scalekit.v1._descriptor import MESSAGE as _M
from scalekit.v1._descriptor import ONE as _ONE
from scalekit.v1._descriptor import STRING as _S
from scalekit.v1._descriptor import UINT32 as _U
from scalekit.v1._descriptor import build

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
    "SearchToolsRequest": [("query", _S, _ONE, None), ("identifier", _S, _ONE, None), ("top_k", _U, _ONE, None)],
    "ConnectionReadiness": [
        ("connection_name", _S, _ONE, None), ("connected_account_id", _S, _ONE, None),
        ("readiness_state", _E, _ONE, ".scalekit.v1.tools.ToolReadinessState"),
    ],
    "SearchedTool": [
        ("name", _S, _ONE, None), ("provider", _S, _ONE, None), ("description", _S, _ONE, None),
        ("score", _D, _ONE, None), ("connections", _M, _MANY, ".scalekit.v1.tools.ConnectionReadiness"),
    ],
    "SearchToolsResponse": [("tools", _M, _MANY, ".scalekit.v1.tools.SearchedTool")],
}
_ENUMS = {
    "ToolReadinessState": ["TOOL_READINESS_STATE_UNSPECIFIED", "TOOL_READINESS_STATE_READY",
                           "TOOL_READINESS_STATE_NEEDS_CONNECTION", "TOOL_READINESS_STATE_NEEDS_REAUTH"],
}


_classes = build("scalekit/v1/tools/tools.proto", "scalekit.v1.tools", _MESSAGES, _ENUMS)
Tool = _classes["Tool"]
ScopedTool = _classes["ScopedTool"]
Filter = _classes["Filter"]
ScopedToolFilter = _classes["ScopedToolFilter"]
ListToolsResponse = _classes["ListToolsResponse"]
ListScopedToolsResponse = _classes["ListScopedToolsResponse"]
ListAvailableToolsResponse = _classes["ListAvailableToolsResponse"]
ExecuteToolResponse = _classes["ExecuteToolResponse"]
SearchToolsRequest = _classes["SearchToolsRequest"]
ConnectionReadiness = _classes["ConnectionReadiness"]
SearchedTool = _classes["SearchedTool"]
SearchToolsResponse = _classes["SearchToolsResponse"]


def _definition_field(tool, name: str, default):
    """One field of a tool's ``definition`` Struct as plain Python (``default`` when absent)."""
    from google.protobuf.json_format import MessageToDict

    return MessageToDict(tool.definition).get(name, default) if tool.HasField("definition") else default


# The names the SDK reference page's tables give each tool (``name``, ``description``,
# ``input_schema``), as read-only properties over ``definition``: the official shape
# (``t.tool.definition["name"]``) stays, and ``MessageToDict`` still gives the official JSON.
for _cls, _tool_of in ((Tool, lambda t: t), (ScopedTool, lambda t: t.tool)):
    _cls.name = property(lambda self, _of=_tool_of: _definition_field(_of(self), "name", ""),
                         doc="The tool's name (``definition['name']``).")
    _cls.description = property(lambda self, _of=_tool_of: _definition_field(_of(self), "description", ""),
                                doc="The tool's description (``definition['description']``).")
    _cls.input_schema = property(lambda self, _of=_tool_of: _definition_field(_of(self), "input_schema", {}),
                                 doc="JSON Schema of the tool's input, a plain dict for a model API.")

# The enum's values as module constants, as generated modules have them.
(TOOL_READINESS_STATE_UNSPECIFIED, TOOL_READINESS_STATE_READY, TOOL_READINESS_STATE_NEEDS_CONNECTION,
 TOOL_READINESS_STATE_NEEDS_REAUTH) = range(4)

__all__ = [*_MESSAGES, *_ENUMS["ToolReadinessState"]]
