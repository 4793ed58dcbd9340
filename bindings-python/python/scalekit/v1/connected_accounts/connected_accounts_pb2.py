"""Enums of ``scalekit.v1.connected_accounts``, at the official import path."""

import enum


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


# Module constants, as generated protobuf modules have them (`connected_accounts_pb2.ACTIVE`).
globals().update({m.name: int(m) for enum_type in (ConnectorStatus, ConnectorType) for m in enum_type})

__all__ = ["ConnectorStatus", "ConnectorType", *ConnectorStatus.__members__, *ConnectorType.__members__]
