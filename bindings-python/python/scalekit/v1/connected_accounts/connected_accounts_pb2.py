"""Enums and messages of ``scalekit.v1.connected_accounts``, at the official import path.

The messages are real protobuf classes (built at import from field tables): the low-level
``client.connected_accounts`` takes and returns them as the official SDK does.
"""

import enum

from scalekit.v1._descriptor import BOOL as _B
from scalekit.v1._descriptor import ENUM as _E
from scalekit.v1._descriptor import MANY as _MANY
from scalekit.v1._descriptor import MESSAGE as _M
from scalekit.v1._descriptor import ONE as _ONE
from scalekit.v1._descriptor import STRING as _S
from scalekit.v1._descriptor import STRUCT as _STRUCT
from scalekit.v1._descriptor import TIMESTAMP as _TIME
from scalekit.v1._descriptor import UINT32 as _U
from scalekit.v1._descriptor import build


class _ProtoEnum(enum.IntEnum):
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


class ConnectorStatus(_ProtoEnum):
    """Status of a connected account. The Python API reports statuses as their names (``"ACTIVE"``)."""

    CONNECTION_STATUS_UNSPECIFIED = 0
    ACTIVE = 1
    EXPIRED = 2
    PENDING_AUTH = 3
    PENDING_VERIFICATION = 4
    DISCONNECTED = 5


class ConnectorType(_ProtoEnum):
    """How a connected account authenticates."""

    CONNECTION_TYPE_UNSPECIFIED = 0
    OAUTH = 1
    API_KEY = 2
    BASIC_AUTH = 3
    BEARER_TOKEN = 4
    CUSTOM = 5
    BASIC = 6
    OAUTH_M2M = 7
    TRELLO_OAUTH1 = 8
    GOOGLE_DWD = 9
    TRUSTED_IDP = 10
    SMART_FHIR = 11
    NO_AUTH = 12
    # Not in the official enum (it ends at NO_AUTH): AgentKit's key-pair accounts (an RSA key
    # signs a JWT per call). Appended, so every official name keeps its number.
    KEY_PAIR = 13


_P = ".scalekit.v1.connected_accounts."
_ACCOUNT_FIELDS = [
    ("identifier", _S, _ONE, None), ("provider", _S, _ONE, None), ("status", _E, _ONE, _P + "ConnectorStatus"),
    ("authorization_type", _E, _ONE, _P + "ConnectorType"), ("token_expires_at", _M, _ONE, _TIME),
    ("updated_at", _M, _ONE, _TIME), ("connector", _S, _ONE, None), ("last_used_at", _M, _ONE, _TIME),
    ("id", _S, _ONE, None), ("connection_id", _S, _ONE, None), ("is_org_wide_credential", _B, _ONE, None),
]
_SELECTOR = [("organization_id", _S, _ONE, None), ("user_id", _S, _ONE, None), ("connector", _S, _ONE, None),
             ("identifier", _S, _ONE, None), ("id", _S, _ONE, None)]
_MESSAGES = {
    "OauthToken": [("access_token", _S, _ONE, None), ("refresh_token", _S, _ONE, None), ("scopes", _S, _MANY, None),
                   ("domain", _S, _ONE, None)],
    "StaticAuth": [("details", _M, _ONE, _STRUCT)],
    "GoogleDWDAuth": [("subject", _S, _ONE, None), ("access_token", _S, _ONE, None), ("scopes", _S, _MANY, None),
                      ("token_expires_at", _M, _ONE, _TIME)],
    "TrustedIDPAuth": [("db_user", _S, _ONE, None), ("access_key_id", _S, _ONE, None),
                       ("secret_access_key", _S, _ONE, None), ("session_token", _S, _ONE, None),
                       ("expiry", _M, _ONE, _TIME)],
    "AuthorizationDetails": [
        ("oauth_token", _M, _ONE, _P + "OauthToken", "details"), ("static_auth", _M, _ONE, _P + "StaticAuth", "details"),
        ("google_dwd", _M, _ONE, _P + "GoogleDWDAuth", "details"),
        ("trusted_idp", _M, _ONE, _P + "TrustedIDPAuth", "details"),
    ],
    "ConnectedAccount": _ACCOUNT_FIELDS + [("authorization_details", _M, _ONE, _P + "AuthorizationDetails"),
                                           ("api_config", _M, _ONE, _STRUCT)],
    "ConnectedAccountForList": list(_ACCOUNT_FIELDS),
    "CreateConnectedAccount": [("authorization_details", _M, _ONE, _P + "AuthorizationDetails"),
                               ("api_config", _M, _ONE, _STRUCT)],
    "UpdateConnectedAccount": [("authorization_details", _M, _ONE, _P + "AuthorizationDetails"),
                               ("api_config", _M, _ONE, _STRUCT)],
    "ScopeSelection": [("scopes", _S, _MANY, None), ("optional_scopes", _S, _MANY, None)],
    "ListConnectedAccountsRequest": _SELECTOR[:4] + [
        ("provider", _S, _ONE, None), ("page_size", _U, _ONE, None), ("page_token", _S, _ONE, None),
        ("query", _S, _ONE, None), ("connection_names", _S, _MANY, None)],
    "ListConnectedAccountsResponse": [
        ("connected_accounts", _M, _MANY, _P + "ConnectedAccountForList"), ("total_size", _U, _ONE, None),
        ("next_page_token", _S, _ONE, None), ("prev_page_token", _S, _ONE, None)],
    "CreateConnectedAccountRequest": _SELECTOR[:4] + [("connected_account", _M, _ONE, _P + "CreateConnectedAccount")],
    "CreateConnectedAccountResponse": [("connected_account", _M, _ONE, _P + "ConnectedAccount")],
    "UpdateConnectedAccountRequest": _SELECTOR + [("connected_account", _M, _ONE, _P + "UpdateConnectedAccount"),
                                                  ("scope_selection", _M, _ONE, _P + "ScopeSelection")],
    "UpdateConnectedAccountResponse": [("connected_account", _M, _ONE, _P + "ConnectedAccount")],
    "DeleteConnectedAccountRequest": list(_SELECTOR),
    "DeleteConnectedAccountResponse": [],
    "GetMagicLinkForConnectedAccountRequest": _SELECTOR + [("state", _S, _ONE, None), ("user_verify_url", _S, _ONE, None)],
    "GetMagicLinkForConnectedAccountResponse": [("link", _S, _ONE, None), ("expiry", _M, _ONE, _TIME)],
    "VerifyConnectedAccountUserRequest": [("auth_request_id", _S, _ONE, None), ("identifier", _S, _ONE, None)],
    "VerifyConnectedAccountUserResponse": [("post_user_verify_redirect_url", _S, _ONE, None)],
    "GetConnectedAccountByIdentifierRequest": list(_SELECTOR),
    "GetConnectedAccountByIdentifierResponse": [("connected_account", _M, _ONE, _P + "ConnectedAccount")],
}
_classes = build("scalekit/v1/connected_accounts/connected_accounts.proto", "scalekit.v1.connected_accounts", _MESSAGES,
                 {"ConnectorStatus": [m.name for m in ConnectorStatus], "ConnectorType": [m.name for m in ConnectorType]})
globals().update(_classes)

# Module constants, as generated protobuf modules have them (`connected_accounts_pb2.ACTIVE`).
globals().update({m.name: int(m) for enum_type in (ConnectorStatus, ConnectorType) for m in enum_type})

__all__ = ["ConnectorStatus", "ConnectorType", *ConnectorStatus.__members__, *ConnectorType.__members__, *_MESSAGES]
