"""Messages of ``scalekit.v1.mcp`` at the official import path (real protobuf classes built from
core's descriptor set), taken and returned by the low-level ``client.mcp``."""

from scalekit.v1._wire import members

globals().update(members("scalekit/v1/mcp/mcp.proto", __name__))
