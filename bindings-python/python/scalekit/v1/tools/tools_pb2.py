"""Protobuf messages of ``scalekit.v1.tools`` (built from core's descriptor set, no codegen).

Responses of the low-level ``tools`` client are real protobuf messages, so documented code such as
``MessageToDict(t.tool)`` and ``t.tool.definition["name"]`` works unchanged.
"""

from scalekit.v1._wire import members

_members = members("scalekit/v1/tools/tools.proto", __name__)
globals().update(_members)
Tool, ScopedTool = _members["Tool"], _members["ScopedTool"]


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
