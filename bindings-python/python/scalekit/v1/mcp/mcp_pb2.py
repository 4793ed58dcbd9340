"""Messages of ``scalekit.v1.mcp`` at the official import path (real protobuf classes built at
import from field tables), taken and returned by the low-level ``client.mcp``."""

from scalekit.v1._descriptor import BOOL as _B
from scalekit.v1._descriptor import MANY as _MANY
from scalekit.v1._descriptor import MESSAGE as _M
from scalekit.v1._descriptor import ONE as _ONE
from scalekit.v1._descriptor import STRING as _S
from scalekit.v1._descriptor import TIMESTAMP as _TIME
from scalekit.v1._descriptor import UINT32 as _U
from scalekit.v1._descriptor import build

_P = ".scalekit.v1.mcp."
_AUTH_STATE = [("connection_id", _S, _ONE, None), ("connection_name", _S, _ONE, None), ("provider", _S, _ONE, None),
               ("connected_account_id", _S, _ONE, None), ("connected_account_status", _S, _ONE, None),
               ("authentication_link", _S, _ONE, None)]
_PAGE = [("next_page_token", _S, _ONE, None), ("prev_page_token", _S, _ONE, None), ("total_size", _U, _ONE, None)]
_MESSAGES = {
    "McpConfigConnectionToolMapping": [
        ("connection_id", _S, _ONE, None), ("connection_name", _S, _ONE, None), ("provider", _S, _ONE, None),
        ("tools", _S, _MANY, None), ("connected_account_id", _S, _ONE, None), ("connected_account_status", _S, _ONE, None)],
    "McpConfig": [("id", _S, _ONE, None), ("name", _S, _ONE, None), ("description", _S, _ONE, None),
                  ("connection_tool_mappings", _M, _MANY, _P + "McpConfigConnectionToolMapping"),
                  ("mcp_server_url", _S, _ONE, None), ("oauth_metadata_url", _S, _ONE, None)],
    "McpInstance": [("id", _S, _ONE, None), ("name", _S, _ONE, None), ("user_identifier", _S, _ONE, None),
                    ("config", _M, _ONE, _P + "McpConfig"), ("last_used_at", _M, _ONE, _TIME),
                    ("updated_at", _M, _ONE, _TIME), ("url", _S, _ONE, None)],
    "McpInstanceConnectionAuthState": list(_AUTH_STATE),
    "McpConnectionAuthState": list(_AUTH_STATE),
    "CreateMcpConfigResponse": [("config", _M, _ONE, _P + "McpConfig")],
    "UpdateMcpConfigResponse": [("config", _M, _ONE, _P + "McpConfig")],
    "GetMcpConfigResponse": [("config", _M, _ONE, _P + "McpConfig")],
    "DeleteMcpConfigResponse": [],
    "ListMcpConfigsResponse": [("configs", _M, _MANY, _P + "McpConfig")] + _PAGE,
    "EnsureMcpInstanceResponse": [("instance", _M, _ONE, _P + "McpInstance")],
    "UpdateMcpInstanceResponse": [("instance", _M, _ONE, _P + "McpInstance")],
    "GetMcpInstanceResponse": [("instance", _M, _ONE, _P + "McpInstance")],
    "DeleteMcpInstanceResponse": [],
    "ListMcpInstancesResponse": [("instances", _M, _MANY, _P + "McpInstance")] + _PAGE,
    "GetMcpInstanceAuthStateResponse": [("connections", _M, _MANY, _P + "McpInstanceConnectionAuthState")],
    "ListMcpConnectedAccountsResponse": [("connected_accounts", _M, _MANY, _P + "McpConnectionAuthState")],
    "CreateMcpSessionTokenResponse": [("token", _S, _ONE, None), ("expires_at", _M, _ONE, _TIME)],
    "GetMcpInstanceAuthStateRequest": [("instance_id", _S, _ONE, None), ("include_auth_links", _B, _ONE, None)],
}
globals().update(build("scalekit/v1/mcp/mcp.proto", "scalekit.v1.mcp", _MESSAGES))

__all__ = list(_MESSAGES)
