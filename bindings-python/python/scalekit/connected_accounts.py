"""Low-level connected-accounts client (``client.connected_accounts``), as in the official SDK:
protobuf messages in (``CreateConnectedAccount`` …) and ``(response message, None)`` pairs out,
whose attributes also read through. Every method has an awaitable ``_async`` twin."""

from __future__ import annotations

from typing import Any, List, Optional

from scalekit._operations import plain_dict, proto_result, twin

__all__ = ["ConnectedAccountsClient"]


def _account_body(connected_account: Any) -> dict:
    body = plain_dict(connected_account, "connected_account") or {}
    return {"authorization_details": body.get("authorization_details"), "api_config": body.get("api_config")}


class ConnectedAccountsClient:
    def __init__(self, native: Any) -> None:
        self._native = native

    @twin("list_connected_accounts", proto_result("scalekit.v1.connected_accounts.connected_accounts_pb2.ListConnectedAccountsResponse"))
    def list_connected_accounts(self, organization_id: Optional[str] = None, user_id: Optional[str] = None,
                                connector: Optional[str] = None, identifier: Optional[str] = None,
                                provider: Optional[str] = None, page_size: Optional[int] = None,
                                page_token: Optional[str] = None, connection_names: Optional[List[str]] = None):
        """Accounts matching the filters (``connector`` is the connection name), without credentials."""
        return {"organization_id": organization_id, "user_id": user_id, "connection_name": connector,
                "identifier": identifier, "provider": provider, "page_size": page_size, "page_token": page_token,
                "connection_names": connection_names or None}

    list_connected_accounts, list_connected_accounts_async = list_connected_accounts

    @twin("search_connected_accounts", proto_result("scalekit.v1.connected_accounts.connected_accounts_pb2.ListConnectedAccountsResponse"))
    def search_connected_accounts(self, query: str, *, page_size: Optional[int] = None, page_token: Optional[str] = None,
                                  connection_id: Optional[str] = None):
        """Accounts whose identifier, connection or connector contains ``query`` (at least 3
        characters), without credentials; ``connection_id`` keeps one connection's."""
        return {"query": query, "page_size": page_size, "page_token": page_token, "connection_id": connection_id}

    search_connected_accounts, search_connected_accounts_async = search_connected_accounts

    @twin("create_connected_account", proto_result("scalekit.v1.connected_accounts.connected_accounts_pb2.CreateConnectedAccountResponse"))
    def create_connected_account(self, connector: str, identifier: str, connected_account: Any,
                                 organization_id: Optional[str] = None, user_id: Optional[str] = None):
        """Creates an account from a ``CreateConnectedAccount`` message (credentials, ``api_config``)."""
        return {"connection_name": connector, "identifier": identifier, "organization_id": organization_id,
                "user_id": user_id, **_account_body(connected_account)}

    create_connected_account, create_connected_account_async = create_connected_account

    @twin("update_connected_account", proto_result("scalekit.v1.connected_accounts.connected_accounts_pb2.UpdateConnectedAccountResponse"))
    def update_connected_account(self, connector: str, identifier: str, connected_account: Any,
                                 organization_id: Optional[str] = None, user_id: Optional[str] = None,
                                 connected_account_id: Optional[str] = None):
        """Replaces credentials and/or ``api_config`` from an ``UpdateConnectedAccount`` message."""
        return {"connection_name": connector, "identifier": identifier, "connected_account_id": connected_account_id,
                "organization_id": organization_id, "user_id": user_id, **_account_body(connected_account)}

    update_connected_account, update_connected_account_async = update_connected_account

    @twin("delete_connected_account", proto_result("scalekit.v1.connected_accounts.connected_accounts_pb2.DeleteConnectedAccountResponse"))
    def delete_connected_account(self, connector: str, identifier: str, organization_id: Optional[str] = None,
                                 user_id: Optional[str] = None, connected_account_id: Optional[str] = None):
        return {"connection_name": connector, "identifier": identifier, "connected_account_id": connected_account_id,
                "organization_id": organization_id, "user_id": user_id}

    delete_connected_account, delete_connected_account_async = delete_connected_account

    @twin("get_authorization_link", proto_result("scalekit.v1.connected_accounts.connected_accounts_pb2.GetMagicLinkForConnectedAccountResponse"))
    def get_magic_link_for_connected_account(self, connector: str, identifier: str, organization_id: Optional[str] = None,
                                             user_id: Optional[str] = None, connected_account_id: Optional[str] = None,
                                             state: Optional[str] = None, user_verify_url: Optional[str] = None,
                                             scope_selection: Any = None):
        """A signed, expiring authorization link for the user (``link``, ``expiry``); a
        ``scope_selection`` (``{"scopes": [...], "optional_scopes": [...]}`` or the protobuf
        ``ScopeSelection``) replaces the connection's scopes for this authorization."""
        return {"connection_name": connector, "identifier": identifier, "connected_account_id": connected_account_id,
                "organization_id": organization_id, "user_id": user_id, "state": state,
                "user_verify_url": user_verify_url, "scope_selection": plain_dict(scope_selection, "scope_selection")}

    get_magic_link_for_connected_account, get_magic_link_for_connected_account_async = get_magic_link_for_connected_account

    @twin("get_connected_account", proto_result("scalekit.v1.connected_accounts.connected_accounts_pb2.GetConnectedAccountByIdentifierResponse"))
    def get_connected_account_by_identifier(self, connector: str, identifier: str, organization_id: Optional[str] = None,
                                            user_id: Optional[str] = None, connected_account_id: Optional[str] = None):
        """The account with its credentials. Protect access to this method."""
        return {"connection_name": connector, "identifier": identifier, "connected_account_id": connected_account_id,
                "organization_id": organization_id, "user_id": user_id}

    get_connected_account_by_identifier, get_connected_account_by_identifier_async = get_connected_account_by_identifier

    @twin("get_connected_account_details", proto_result("scalekit.v1.connected_accounts.connected_accounts_pb2.GetConnectedAccountByIdentifierResponse"))
    def get_connected_account_details_by_identifier(self, connector: str, identifier: str,
                                                    organization_id: Optional[str] = None, user_id: Optional[str] = None,
                                                    connected_account_id: Optional[str] = None):
        """The account without credentials."""
        return {"connection_name": connector, "identifier": identifier, "connected_account_id": connected_account_id,
                "organization_id": organization_id, "user_id": user_id}

    (get_connected_account_details_by_identifier,
     get_connected_account_details_by_identifier_async) = get_connected_account_details_by_identifier

    @twin("verify_connected_account_user", proto_result("scalekit.v1.connected_accounts.connected_accounts_pb2.VerifyConnectedAccountUserResponse"))
    def verify_connected_account_user(self, auth_request_id: str, identifier: str):
        return {"auth_request_id": auth_request_id, "identifier": identifier}

    verify_connected_account_user, verify_connected_account_user_async = verify_connected_account_user
