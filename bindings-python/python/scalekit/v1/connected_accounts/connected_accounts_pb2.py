"""Enums of ``scalekit.v1.connected_accounts``, at the official import path."""

import enum


class ConnectorStatus(enum.IntEnum):
    """Status of a connected account. The Python API reports statuses as their names (``"ACTIVE"``)."""

    CONNECTION_STATUS_UNSPECIFIED = 0
    ACTIVE = 1
    EXPIRED = 2
    PENDING_AUTH = 3
    PENDING_VERIFICATION = 4
    DISCONNECTED = 5


class ConnectorType(enum.IntEnum):
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


__all__ = ["ConnectorStatus", "ConnectorType"]
