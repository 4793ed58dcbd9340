"""``client.actions``: connected accounts, authorization links, tool execution with modifiers and
the proxied ``request``. Every network method has an awaitable twin named ``<method>_async``."""

from __future__ import annotations

import inspect
import os
from typing import Any, Callable, Dict, List, Optional

from scalekit._operations import named_parameters, twin, warn_unknown_keywords
from scalekit.actions.modifier import Modifier, ModifierType, ToolNames
from scalekit.actions.types import (
    CreateConnectedAccountResponse,
    DeleteConnectedAccountResponse,
    ExecuteToolResponse,
    GetConnectedAccountAuthResponse,
    GetConnectedAccountDetailsResponse,
    ListConnectedAccountsResponse,
    ListConnectionsResponse,
    ListToolsResponse,
    MagicLinkResponse,
    SearchToolsResponse,
    UpdateConnectedAccountResponse,
    VerifyConnectedAccountUserResponse,
)
from scalekit.actions.mcp import ActionMcp
from scalekit.actions.providers import ActionProviders
from scalekit.actions.triggers import ActionTriggers
from scalekit.tools import ToolsClient

__all__ = ["ActionClient"]

# MCP methods also on `actions` itself, as in the official SDK.
_MCP_PASS_THROUGH = ("list_configs", "create_config", "update_config", "delete_config", "ensure_instance", "update_instance",
                     "get_instance", "list_instances", "delete_instance", "get_instance_auth_state")


def _pass_through(name: str) -> Callable:
    """``actions.<name>``: ``actions.mcp.<name>`` with its signature plus ``**kwargs``, which are
    accepted and ignored (with a warning) as the official pass-throughs do."""
    target = getattr(ActionMcp, name)
    signature = inspect.signature(target)
    accepted = set(signature.parameters) - {"self"}

    if name.endswith("_async"):
        async def method(self, *args, **kwargs):
            warn_unknown_keywords(name, accepted, kwargs)
            return await getattr(self.mcp, name)(*args, **{k: v for k, v in kwargs.items() if k in accepted})
    else:
        def method(self, *args, **kwargs):
            warn_unknown_keywords(name, accepted, kwargs)
            return getattr(self.mcp, name)(*args, **{k: v for k, v in kwargs.items() if k in accepted})

    method.__name__ = method.__qualname__ = name
    method.__doc__ = target.__doc__
    method.__signature__ = signature.replace(
        parameters=[*signature.parameters.values(), inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD)])
    return method


def _account(connection_name=None, identifier=None, connected_account_id=None, **extra) -> Dict[str, Any]:
    return {"connection_name": connection_name, "identifier": identifier, "connected_account_id": connected_account_id, **extra}


def _on_this_loop(on_progress: Optional[Callable[[int, int], Any]]) -> Optional[Callable[[int, int], Any]]:
    """An ``async def`` progress callback of an ``*_async`` upload runs on the caller's event loop
    (the native side calls from its own thread and waits, so what it raises stops the upload)."""
    if on_progress is None or not inspect.iscoroutinefunction(on_progress):
        return on_progress
    import asyncio

    loop = asyncio.get_running_loop()

    def report(sent: int, total: int) -> None:
        asyncio.run_coroutine_threadsafe(on_progress(sent, total), loop).result()

    return report


def _proxy_response(status: int, headers: list, body: bytes, url: str):
    """A ``requests.Response`` when requests is installed (as documented), else a lookalike."""
    try:
        import requests
        from requests.structures import CaseInsensitiveDict
    except ImportError:  # pragma: no cover - requests is a dependency of the documented flow
        from scalekit._proxy_response import ProxyResponse

        return ProxyResponse(status, headers, body, url)
    resp = requests.Response()
    resp.status_code = status
    resp.headers = CaseInsensitiveDict(headers)
    resp._content = body
    resp.url = url
    resp.encoding = requests.utils.get_encoding_from_headers(resp.headers) or "utf-8"
    resp.reason = ""
    return resp


class ActionClient:
    def __init__(self, native: Any, env_url: str) -> None:
        self._native = native
        self._env_url = env_url.rstrip("/")
        self.tools = ToolsClient(native)
        self._mcp = ActionMcp(native)
        self._providers = ActionProviders(native)
        self._modifiers: List[Modifier] = []

    @property
    def mcp(self) -> ActionMcp:
        """MCP configs, per-user instances and session tokens."""
        return self._mcp

    @property
    def providers(self) -> ActionProviders:
        """Built-in and custom providers."""
        return self._providers

    @property
    def triggers(self) -> ActionTriggers:
        """A connection's triggers and their subscriptions; checks the trigger events forwarded to
        your app (``verify_event``)."""
        return ActionTriggers(self._native)

    # ----- connected accounts --------------------------------------------------------------

    @twin("create_connected_account", CreateConnectedAccountResponse.from_dict)
    def create_connected_account(self, connection_name: str, identifier: str, authorization_details: Optional[dict] = None,
                                 organization_id: Optional[str] = None, user_id: Optional[str] = None,
                                 api_config: Optional[dict] = None, **kwargs):
        """Creates a connected account with explicit credentials (``oauth_token`` or ``static_auth``)."""
        return _account(connection_name, identifier, authorization_details=authorization_details,
                        organization_id=organization_id, user_id=user_id, api_config=api_config)

    create_connected_account, create_connected_account_async = create_connected_account

    @twin("get_or_create_connected_account", CreateConnectedAccountResponse.from_dict)
    def get_or_create_connected_account(self, connection_name: str, identifier: str, authorization_details: Optional[dict] = None,
                                        organization_id: Optional[str] = None, user_id: Optional[str] = None,
                                        api_config: Optional[dict] = None, **kwargs):
        """Returns the user's account on the connection, creating it (``PENDING_AUTH``) when missing;
        credentials given here replace the stored ones."""
        return _account(connection_name, identifier, authorization_details=authorization_details,
                        organization_id=organization_id, user_id=user_id, api_config=api_config)

    get_or_create_connected_account, get_or_create_connected_account_async = get_or_create_connected_account
    upsert_connected_account, upsert_connected_account_async = get_or_create_connected_account, get_or_create_connected_account_async

    @twin("update_connected_account", UpdateConnectedAccountResponse.from_dict)
    def update_connected_account(self, connection_name: Optional[str] = None, identifier: Optional[str] = None,
                                 authorization_details: Optional[dict] = None, organization_id: Optional[str] = None,
                                 user_id: Optional[str] = None, connected_account_id: Optional[str] = None,
                                 api_config: Optional[dict] = None, **kwargs):
        """Replaces credentials and/or ``api_config`` of an account (by id, or connection + identifier)."""
        return _account(connection_name, identifier, connected_account_id, authorization_details=authorization_details,
                        organization_id=organization_id, user_id=user_id, api_config=api_config)

    update_connected_account, update_connected_account_async = update_connected_account

    @twin("get_connected_account", GetConnectedAccountAuthResponse.from_dict)
    def get_connected_account(self, connection_name: Optional[str] = None, identifier: Optional[str] = None,
                              connected_account_id: Optional[str] = None, **kwargs):
        """The account with its credentials. Protect access to this method."""
        return _account(connection_name, identifier, connected_account_id)

    get_connected_account, get_connected_account_async = get_connected_account

    @twin("get_connected_account_details", GetConnectedAccountDetailsResponse.from_dict)
    def get_connected_account_details(self, connection_name: Optional[str] = None, identifier: Optional[str] = None,
                                      connected_account_id: Optional[str] = None, **kwargs):
        """The account without credentials."""
        return _account(connection_name, identifier, connected_account_id)

    get_connected_account_details, get_connected_account_details_async = get_connected_account_details

    @twin("delete_connected_account", DeleteConnectedAccountResponse.from_dict)
    def delete_connected_account(self, connection_name: Optional[str] = None, identifier: Optional[str] = None,
                                 connected_account_id: Optional[str] = None, **kwargs):
        """Deletes a connected account and its credentials."""
        return _account(connection_name, identifier, connected_account_id)

    delete_connected_account, delete_connected_account_async = delete_connected_account

    @twin("list_connected_accounts", ListConnectedAccountsResponse.from_dict, reads=("query",))
    def list_connected_accounts(self, connection_name: Optional[str] = None, identifier: Optional[str] = None,
                                provider: Optional[str] = None, connection_names: Optional[List[str]] = None,
                                page_size: Optional[int] = None, page_token: Optional[str] = None, **kwargs):
        """Accounts matching the filters (no credentials), one page at a time."""
        return {"connection_name": connection_name, "identifier": identifier, "provider": provider,
                "connection_names": connection_names or None, "page_size": page_size, "page_token": page_token,
                "query": kwargs.get("query")}

    list_connected_accounts, list_connected_accounts_async = list_connected_accounts

    @twin("search_connected_accounts", ListConnectedAccountsResponse.from_dict)
    def search_connected_accounts(self, query: str, *, page_size: Optional[int] = None, page_token: Optional[str] = None,
                                  connection_id: Optional[str] = None):
        """Accounts whose identifier, connection or connector contains ``query`` (at least 3
        characters), without credentials, one page at a time."""
        return {"query": query, "page_size": page_size, "page_token": page_token, "connection_id": connection_id}

    search_connected_accounts, search_connected_accounts_async = search_connected_accounts

    @twin("list_connections", ListConnectionsResponse.from_dict, reads=("query",))
    def list_connections(self, page_size: Optional[int] = None, page_token: Optional[str] = None,
                         provider: Optional[str] = None, **kwargs):
        """The app's connections (at most 30 a page): ``connection_name``, ``provider``, ``type``…"""
        return {"page_size": page_size, "page_token": page_token, "provider": provider, "query": kwargs.get("query")}

    list_connections, list_connections_async = list_connections

    # ----- authorization --------------------------------------------------------------------

    @twin("get_authorization_link", MagicLinkResponse.from_dict)
    def get_authorization_link(self, identifier: Optional[str] = None, connection_name: Optional[str] = None,
                               connected_account_id: Optional[str] = None, state: Optional[str] = None,
                               user_verify_url: Optional[str] = None, scopes: Optional[List[str]] = None,
                               optional_scopes: Optional[List[str]] = None, **kwargs):
        """A signed, expiring link that starts the user's authorization for the connection.
        ``scopes`` (the user must grant them) and ``optional_scopes`` (the user may decline them)
        replace the connection's scopes for this authorization."""
        return _account(connection_name, identifier, connected_account_id, state=state, user_verify_url=user_verify_url,
                        scopes=scopes, optional_scopes=optional_scopes)

    get_authorization_link, get_authorization_link_async = get_authorization_link

    @twin("verify_connected_account_user", VerifyConnectedAccountUserResponse.from_dict)
    def verify_connected_account_user(self, auth_request_id: str, identifier: str):
        """Confirms the user who authorized is the user the link was made for."""
        return {"auth_request_id": auth_request_id, "identifier": identifier}

    verify_connected_account_user, verify_connected_account_user_async = verify_connected_account_user

    # ----- tools ----------------------------------------------------------------------------

    @twin("execute_tool", ExecuteToolResponse.from_dict)
    def execute_tool(self, tool_input: Optional[dict] = None, tool_name: Optional[str] = None, identifier: Optional[str] = None,
                     tool_request: Any = None, connected_account_id: Optional[str] = None,
                     connection_name: Optional[str] = None, **kwargs):
        """Runs a tool for a user; registered pre/post modifiers apply. ``result.data`` is a dict."""
        return {"tool_name": tool_name, "tool_input": tool_input, "identifier": identifier,
                "connected_account_id": connected_account_id, "connection_name": connection_name}

    execute_tool, execute_tool_async = execute_tool

    @twin("list_tools", ListToolsResponse.from_dict)
    def list_tools(self, connection_name: Optional[str] = None, identifier: Optional[str] = None, provider: Optional[str] = None,
                   tool_name: Optional[List[str]] = None, query: Optional[str] = None, organization_id: Optional[str] = None,
                   user_id: Optional[str] = None, connected_account_id: Optional[str] = None, summary: Optional[bool] = None,
                   page_size: Optional[int] = None, page_token: Optional[str] = None, **kwargs):
        """Catalog tools matching the filters."""
        names = [tool_name] if isinstance(tool_name, str) else tool_name
        return {"filter": {"connector": connection_name, "identifier": identifier, "provider": provider, "tool_name": names,
                           "query": query, "organization_id": organization_id, "user_id": user_id,
                           "connected_account_id": connected_account_id, "summary": summary},
                "page_size": page_size, "page_token": page_token}

    list_tools, list_tools_async = list_tools

    @twin("search_tools", SearchToolsResponse.from_dict)
    def search_tools(self, query: str, identifier: Optional[str] = None, top_k: Optional[int] = None, **kwargs):
        """Catalog tools ranked for a natural-language ``query`` (``top_k`` results, default 10, at
        most 50); with ``identifier``, each result's ``connections`` tell whether that user's
        accounts are ``READY``, ``NEEDS_CONNECTION`` or ``NEEDS_REAUTH`` for it."""
        return {"query": query, "identifier": identifier, "top_k": top_k}

    search_tools, search_tools_async = search_tools

    # ----- proxy ----------------------------------------------------------------------------

    def _proxy_params(self, connection_name, identifier, path, method, query_params, body, form_data, headers, timeout):
        return {"connection_name": connection_name, "identifier": identifier, "path": path, "method": method,
                "query_params": query_params, "body": body, "form_data": form_data, "headers": headers,
                "timeout_ms": timeout * 1000 if timeout else None}

    def request(self, connection_name: str, identifier: str, path: str, method: str = "GET", query_params: Optional[dict] = None,
                body: Any = None, form_data: Optional[dict] = None, raw_body: Any = None, headers: Optional[dict] = None,
                timeout: float = 30, **kwargs):
        """Calls the provider's API as the user; returns a ``requests.Response`` whatever its status."""
        warn_unknown_keywords("request", named_parameters(type(self).request), kwargs)
        params = self._proxy_params(connection_name, identifier, path, method, query_params, body, form_data, headers, timeout)
        raw = raw_body.encode() if isinstance(raw_body, str) else raw_body
        status, resp_headers, content = self._native.request(params, raw)
        return _proxy_response(status, resp_headers, content, f"{self._env_url}/proxy/{path.lstrip('/')}")

    async def request_async(self, connection_name: str, identifier: str, path: str, method: str = "GET",
                            query_params: Optional[dict] = None, body: Any = None, form_data: Optional[dict] = None,
                            raw_body: Any = None, headers: Optional[dict] = None, timeout: float = 30, **kwargs):
        """Awaitable twin of :meth:`request`."""
        warn_unknown_keywords("request_async", named_parameters(type(self).request_async), kwargs)
        params = self._proxy_params(connection_name, identifier, path, method, query_params, body, form_data, headers, timeout)
        raw = raw_body.encode() if isinstance(raw_body, str) else raw_body
        status, resp_headers, content = await self._native.request_async(params, raw)
        return _proxy_response(status, resp_headers, content, f"{self._env_url}/proxy/{path.lstrip('/')}")

    def _upload_arguments(self, connection_name, identifier, path, data, file_path, content_type, metadata,
                          chunk_size, method, query_params, headers, timeout):
        # A path is a ``pathlib.Path`` (or ``file_path=``): a ``str`` is content, never read from
        # disk (text a model wrote must not be able to name a local file to upload).
        if isinstance(data, os.PathLike):
            data, file_path = None, os.fspath(data)
        elif isinstance(data, str):
            data = data.encode()
        elif data is not None and hasattr(data, "read"):
            data = data.read()
        if isinstance(data, (bytearray, memoryview)):
            data = bytes(data)
        params = {"connection_name": connection_name, "identifier": identifier, "path": path, "method": method,
                  "content_type": content_type, "metadata": metadata, "chunk_size": chunk_size,
                  "query_params": query_params, "headers": headers, "timeout_ms": timeout * 1000 if timeout else None}
        return params, data, file_path

    def upload_resumable(self, connection_name: str, identifier: str, path: str, data: Any = None, *,
                         file_path: Optional[str] = None, content_type: Optional[str] = None,
                         metadata: Optional[dict] = None, chunk_size: Optional[int] = None,
                         on_progress: Optional[Callable[[int, int], Any]] = None, method: str = "POST",
                         query_params: Optional[dict] = None, headers: Optional[dict] = None, timeout: float = 60,
                         **kwargs):
        """Uploads a file with Google's resumable protocol (Drive ``/upload/drive/v3/files``, Cloud
        Storage, YouTube, Gmail) through the gateway, as the user: ``data`` is bytes, text, a binary
        file or a ``pathlib.Path`` (or give ``file_path``); ``metadata`` describes the new resource; chunks are
        ``chunk_size`` bytes (a multiple of 256 KiB, 4 MiB by default); a dropped connection or a
        5xx resumes where the provider stands; ``on_progress(sent, total)`` follows each chunk.
        Returns the provider's last answer as a ``requests.Response`` (the created file)."""
        warn_unknown_keywords("upload_resumable", named_parameters(type(self).upload_resumable), kwargs)
        params, data, file_path = self._upload_arguments(connection_name, identifier, path, data, file_path,
                                                         content_type, metadata, chunk_size, method, query_params,
                                                         headers, timeout)
        status, resp_headers, content = self._native.upload_resumable(params, data, file_path, on_progress)
        return _proxy_response(status, resp_headers, content, f"{self._env_url}/proxy/{path.lstrip('/')}")

    async def upload_resumable_async(self, connection_name: str, identifier: str, path: str, data: Any = None, *,
                                     file_path: Optional[str] = None, content_type: Optional[str] = None,
                                     metadata: Optional[dict] = None, chunk_size: Optional[int] = None,
                                     on_progress: Optional[Callable[[int, int], Any]] = None, method: str = "POST",
                                     query_params: Optional[dict] = None, headers: Optional[dict] = None,
                                     timeout: float = 60, **kwargs):
        """Awaitable twin of :meth:`upload_resumable`."""
        warn_unknown_keywords("upload_resumable_async", named_parameters(type(self).upload_resumable_async), kwargs)
        params, data, file_path = self._upload_arguments(connection_name, identifier, path, data, file_path,
                                                         content_type, metadata, chunk_size, method, query_params,
                                                         headers, timeout)
        status, resp_headers, content = await self._native.upload_resumable_async(
            params, data, file_path, _on_this_loop(on_progress))
        return _proxy_response(status, resp_headers, content, f"{self._env_url}/proxy/{path.lstrip('/')}")

    # ----- framework adapters (imported on first use: the frameworks are optional) ----------

    @property
    def langchain(self):
        """LangChain adapter: ``actions.langchain.get_tools(identifier=...)``."""
        from scalekit.actions.frameworks.langchain import LangChain

        return LangChain(self)

    @property
    def google(self):
        """Google ADK adapter: ``actions.google.get_tools(identifier=...)``."""
        from scalekit.actions.frameworks.google_adk import GoogleADK

        return GoogleADK(self)

    # ----- MCP pass-throughs (as the official ActionClient): set below the class ------------

    # ----- modifiers ------------------------------------------------------------------------

    def add_modifier(self, modifier: Modifier) -> None:
        """Registers a modifier; modifiers of one kind chain in registration order."""
        if modifier.func is None:
            raise ValueError("modifier.func is not set")
        self._native.add_modifier(modifier.type, modifier.tool_names, modifier.func)
        self._modifiers.append(modifier)

    def get_modifiers(self, tool_name: Optional[str] = None, modifier_type: Optional[ModifierType] = None) -> List[Modifier]:
        return [m for m in self._modifiers
                if (tool_name is None or tool_name in m.tool_names) and (modifier_type is None or m.type == modifier_type)]

    def _decorator(self, kind: ModifierType, tool_names: ToolNames) -> Callable[[Callable], Callable]:
        def register(func: Callable) -> Callable:
            self.add_modifier(Modifier(tool_names, kind, func))
            return func

        return register

    def pre_modifier(self, tool_names: ToolNames, **kwargs: Any) -> Callable[[Callable], Callable]:
        """Decorator: ``func(tool_input) -> tool_input`` runs before the named tools execute."""
        return self._decorator("pre", tool_names)

    def post_modifier(self, tool_names: ToolNames, **kwargs: Any) -> Callable[[Callable], Callable]:
        """Decorator: ``func(output) -> output`` runs on the named tools' ``data``."""
        return self._decorator("post", tool_names)


for _name in _MCP_PASS_THROUGH:
    setattr(ActionClient, _name, _pass_through(_name))
    setattr(ActionClient, _name + "_async", _pass_through(_name + "_async"))
