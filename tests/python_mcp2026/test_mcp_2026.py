"""MCP protocol 2026-07-28 through the official Python client (`mcp` 2.3, `mcp.Client`) on instance
and config URLs: `server/discover` instead of `initialize`, no session, sorted tools with 2020-12
schemas and cache hints, calls as the URL's user, "connect your account" as an `input_required`
round trip (URL elicitation with the authorization link), and the envelope checks (header
mismatch -32020, unsupported version -32022, missing `_meta`) as HTTP 400 JSON-RPC errors."""

from __future__ import annotations

import asyncio
import html
import json
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import httpx2
import mcp_types as types
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from scalekit.actions.types import McpConfigConnectionToolMapping

MODERN = "2026-07-28"
TOOLS = ["gmail_list_labels", "gmail_fetch_mails", "gmail_send_message"]


def _authorize(client, user):
    link = client.actions.get_authorization_link(connection_name="gmail", identifier=user).link
    urllib.request.urlopen(link).read()


@pytest.fixture
def config(client):
    name = f"py-2026-{uuid.uuid4().hex[:8]}"
    client.actions.mcp.create_config(
        name=name, connection_tool_mappings=[McpConfigConnectionToolMapping(connection_name="gmail", tools=TOOLS)]
    )
    return name


def _instance_url(client, config, user):
    return client.actions.mcp.ensure_instance(config_name=config, user_identifier=user).instance.url


def _post(url, body, headers=None):
    """A raw 2026-07-28 POST; (HTTP status, JSON answer)."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json", "accept": "application/json, text/event-stream", **(headers or {})},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def _envelope(version=MODERN):
    return {"io.modelcontextprotocol/protocolVersion": version, "io.modelcontextprotocol/clientCapabilities": {}}


async def test_discover_list_and_call_without_a_session(client, config):
    user = f"modern-{uuid.uuid4().hex[:6]}"
    _authorize(client, user)
    async with Client(_instance_url(client, config, user)) as mcp:
        assert mcp.protocol_version == MODERN, "server/discover answered: no initialize handshake"
        assert mcp.server_info.name == "agentkit"
        listed = await mcp.list_tools()
        names = [t.name for t in listed.tools]
        assert names == sorted(TOOLS), "every listed tool, in a deterministic order"
        assert all(t.input_schema.get("$schema") == "https://json-schema.org/draft/2020-12/schema" for t in listed.tools)
        result = await mcp.call_tool("gmail_fetch_mails", {"query": "is:unread", "max_results": 2})
        assert result.is_error is False
        assert all(user in m["to"] for m in result.structured_content["messages"]), "ran as the URL's user"


async def test_raw_answers_carry_result_type_cache_hints_and_no_session(client, config):
    url = _instance_url(client, config, f"raw-{uuid.uuid4().hex[:6]}")
    headers = {"mcp-protocol-version": MODERN, "mcp-method": "server/discover"}
    status, answer = _post(url, {"jsonrpc": "2.0", "id": 1, "method": "server/discover", "params": {"_meta": _envelope()}}, headers)
    assert status == 200, answer
    result = answer["result"]
    assert result["resultType"] == "complete"
    assert MODERN in result["supportedVersions"] and "2025-11-25" in result["supportedVersions"]
    assert result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"] == "agentkit"
    headers = {"mcp-protocol-version": MODERN, "mcp-method": "tools/list"}
    status, answer = _post(url, {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {"_meta": _envelope()}}, headers)
    assert status == 200, answer
    assert answer["result"]["cacheScope"] == "private" and answer["result"]["ttlMs"] > 0
    assert answer["result"]["resultType"] == "complete"


async def test_bad_arguments_are_a_tool_error_the_model_can_read_and_removed_methods_are_404(client, config):
    user = f"args-{uuid.uuid4().hex[:6]}"
    _authorize(client, user)
    async with Client(_instance_url(client, config, user)) as mcp:
        result = await mcp.call_tool("gmail_send_message", {"subject": "no recipient"})
    assert result.is_error is True, "input validation is a tool execution error, not a protocol error"
    assert "arguments.to" in result.content[0].text
    url = _instance_url(client, config, user)
    for method in ("ping", "initialize", "logging/setLevel"):
        status, answer = _post(url, {"jsonrpc": "2.0", "id": 7, "method": method, "params": {"_meta": _envelope()}},
                               {"mcp-protocol-version": MODERN, "mcp-method": method})
        assert (status, answer["error"]["code"], answer["id"]) == (404, -32601, 7), (method, answer)


async def test_connect_your_account_is_an_input_required_round_trip(client, config):
    user = f"connect-{uuid.uuid4().hex[:6]}"
    opened = []

    async def open_link(context, params):
        # The "user" follows the URL in a browser and authorizes; the client then retries.
        assert params.mode == "url"
        opened.append(params.url)
        urllib.request.urlopen(params.url).read()
        return types.ElicitResult(action="accept")

    async with Client(_instance_url(client, config, user), elicitation_callback=open_link) as mcp:
        result = await mcp.call_tool("gmail_list_labels", {})
    assert len(opened) == 1 and "/connect/" in opened[0], opened
    assert result.is_error is False
    assert len(result.structured_content["labels"]) > 0
    assert client.actions.get_connected_account(connection_name="gmail", identifier=user).connected_account.status == "ACTIVE"


async def test_clients_that_cannot_open_urls_get_the_link_as_a_tool_error(client, config):
    user = f"nolinks-{uuid.uuid4().hex[:6]}"
    async with Client(_instance_url(client, config, user)) as mcp:
        result = await mcp.call_tool("gmail_list_labels", {})
    assert result.is_error is True
    assert "/connect/" in result.content[0].text


async def test_config_url_with_a_session_token(client, config):
    user = f"cfg-{uuid.uuid4().hex[:6]}"
    _authorize(client, user)
    cfg = next(c for c in client.actions.mcp.list_configs().configs if c.name == config)
    token = client.actions.mcp.create_session_token(mcp_config_id=cfg.id, identifier=user, expiry="600s").token
    http = httpx2.AsyncClient(headers={"authorization": f"Bearer {token}"})
    async with Client(streamable_http_client(cfg.mcp_server_url, http_client=http)) as mcp:
        assert mcp.protocol_version == MODERN
        result = await mcp.call_tool("gmail_list_labels", {})
        assert result.is_error is False
    status, _ = _post(
        cfg.mcp_server_url,
        {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": _envelope()}},
        {"mcp-protocol-version": MODERN, "mcp-method": "tools/list"},
    )
    assert status == 401, "the config URL still needs its bearer token"


@pytest.mark.parametrize(
    ("body", "headers", "code"),
    [
        # Mcp-Method says one thing, the body another.
        ({"method": "tools/list", "params": {"_meta": _envelope()}}, {"mcp-protocol-version": MODERN, "mcp-method": "tools/call"}, -32020),
        # Mcp-Name differs from the tool called.
        (
            {"method": "tools/call", "params": {"_meta": _envelope(), "name": "gmail_list_labels", "arguments": {}}},
            {"mcp-protocol-version": MODERN, "mcp-method": "tools/call", "mcp-name": "gmail_send_message"},
            -32020,
        ),
        # The version header disagrees with the envelope.
        ({"method": "tools/list", "params": {"_meta": _envelope()}}, {"mcp-protocol-version": "2025-11-25", "mcp-method": "tools/list"}, -32020),
        # A version we do not speak.
        ({"method": "tools/list", "params": {"_meta": _envelope("2031-01-01")}}, {"mcp-protocol-version": "2031-01-01", "mcp-method": "tools/list"}, -32022),
        # No envelope at all on a modern request.
        ({"method": "server/discover", "params": {}}, {"mcp-protocol-version": MODERN, "mcp-method": "server/discover"}, -32602),
    ],
)
def test_envelope_errors_are_http_400(client, config, body, headers, code):
    url = _instance_url(client, config, f"bad-{uuid.uuid4().hex[:6]}")
    status, answer = _post(url, {"jsonrpc": "2.0", "id": 7, **body}, headers)
    assert status == 400, answer
    assert answer["error"]["code"] == code, answer
    if code == -32022:
        assert MODERN in answer["error"]["data"]["supported"]
        assert answer["error"]["data"]["requested"] == "2031-01-01"


# ----- OAuth sign-in for MCP clients (the config URL as an OAuth-protected resource) -----------

class _MemoryStorage:
    """Token storage of the official OAuth client provider, kept in memory."""

    def __init__(self):
        self.tokens = None
        self.client_info = None

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens):
        self.tokens = tokens

    async def get_client_info(self):
        return self.client_info

    async def set_client_info(self, client_info):
        self.client_info = client_info


class _HeadlessBrowser:
    """Plays the user's browser: follows the authorization URL to the app's sign-in page (the
    sandbox's stand-in, signing `user` in), approves the consent page, and keeps the redirect to
    the client's callback instead of loading it."""

    def __init__(self, user, decision="approve"):
        self.user, self.decision, self.consent_page, self.callback = user, decision, "", None

    def _get(self, url):
        request = urllib.request.Request(url)
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request) as answer:
                return answer.status, answer.headers, answer.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read().decode()

    async def redirect_handler(self, authorization_url):
        status, headers, _ = self._get(authorization_url)
        assert status == 302, f"authorize answered {status}"
        status, headers, _ = self._get(headers["location"] + "&identifier=" + urllib.parse.quote(self.user))
        assert status == 302, "the app signs the user in and sends the browser back"
        status, _, page = self._get(headers["location"])
        assert status == 200, page
        self.consent_page = page
        fields = dict(re.findall(r'<input type=hidden name=(\w+) value="([^"]*)">', page))
        fields = {k: html.unescape(v) for k, v in fields.items()}
        base = authorization_url.split("/mcp/oauth/")[0]
        form = urllib.parse.urlencode({**fields, "decision": self.decision}).encode()
        request = urllib.request.Request(base + "/mcp/oauth/consent", data=form, method="POST")
        try:
            urllib.request.build_opener(_NoRedirect).open(request)
        except urllib.error.HTTPError as e:
            assert e.code == 302, e.read()
            self.callback = urllib.parse.urlparse(e.headers["location"])

    async def callback_handler(self):
        from mcp.shared.auth import AuthorizationCodeResult

        query = urllib.parse.parse_qs(self.callback.query)
        if "error" in query:
            raise RuntimeError(query["error"][0])
        return AuthorizationCodeResult(code=query["code"][0], state=query.get("state", [None])[0], iss=query["iss"][0])


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _oauth_client(url, browser):
    from mcp.client.auth import OAuthClientProvider
    from mcp.shared.auth import OAuthClientMetadata

    provider = OAuthClientProvider(
        server_url=url,
        client_metadata=OAuthClientMetadata(client_name="AgentKit test client", redirect_uris=["http://localhost:33418/callback"]),
        storage=_MemoryStorage(),
        redirect_handler=browser.redirect_handler,
        callback_handler=browser.callback_handler,
    )
    return Client(streamable_http_client(url, http_client=httpx2.AsyncClient(auth=provider)))


def _config_url(client, config):
    return next(c for c in client.actions.mcp.list_configs().configs if c.name == config).mcp_server_url


async def test_an_mcp_client_signs_in_with_oauth_and_acts_as_the_signed_in_user(client, config):
    user = f"oauth-{uuid.uuid4().hex[:6]}"
    _authorize(client, user)
    url = _config_url(client, config)
    browser = _HeadlessBrowser(user)
    async with _oauth_client(url, browser) as mcp:
        assert mcp.protocol_version == MODERN
        result = await mcp.call_tool("gmail_fetch_mails", {"query": "is:unread", "max_results": 2})
    assert "gmail_send_message" in browser.consent_page, "the consent page lists the config's tools"
    assert user in browser.consent_page
    assert result.is_error is False
    assert all(user in m["to"] for m in result.structured_content["messages"]), "tools run as the signed-in user"


def _token_for(client, config, user):
    """An access token for `config`'s URL, through registration, sign-in, consent and the token
    endpoint by hand (what the client above does), with its PKCE verifier."""
    import base64
    import hashlib
    import secrets

    url = _config_url(client, config)
    base = url.split("/mcp/v1/")[0]
    redirect = "http://localhost:33418/callback"
    registered = json.loads(urllib.request.urlopen(urllib.request.Request(
        base + "/mcp/oauth/register", data=json.dumps({"redirect_uris": [redirect]}).encode(),
        headers={"content-type": "application/json"}, method="POST")).read())
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = urllib.parse.urlencode({"response_type": "code", "client_id": registered["client_id"], "redirect_uri": redirect,
                                    "code_challenge": challenge, "code_challenge_method": "S256", "state": "s1", "resource": url})
    browser = _HeadlessBrowser(user)
    asyncio.run(browser.redirect_handler(f"{base}/mcp/oauth/authorize?{query}"))
    code = urllib.parse.parse_qs(browser.callback.query)["code"][0]
    return base, url, registered["client_id"], redirect, code, verifier


def _redeem(base, fields):
    request = urllib.request.Request(base + "/mcp/oauth/token", data=urllib.parse.urlencode(fields).encode(), method="POST")
    try:
        return 200, json.loads(urllib.request.urlopen(request).read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_oauth_refuses_tampered_pkce_resource_and_replayed_codes(client, config):
    user = f"oauth-bad-{uuid.uuid4().hex[:6]}"
    base, url, client_id, redirect, code, verifier = _token_for(client, config, user)
    redeem = {"grant_type": "authorization_code", "code": code, "client_id": client_id, "redirect_uri": redirect,
              "code_verifier": verifier, "resource": url}
    status, answer = _redeem(base, {**redeem, "code_verifier": verifier[:-1] + ("A" if verifier[-1] != "A" else "B")})
    assert (status, answer["error"]) == (400, "invalid_grant"), "a wrong PKCE verifier is refused (and spends the code)"
    base, url, client_id, redirect, code, verifier = _token_for(client, config, user)
    redeem.update(code=code, client_id=client_id, code_verifier=verifier)
    status, answer = _redeem(base, {**redeem, "resource": url + "-other"})
    assert (status, answer["error"]) == (400, "invalid_target"), answer
    base, url, client_id, redirect, code, verifier = _token_for(client, config, user)
    redeem.update(code=code, client_id=client_id, code_verifier=verifier)
    status, answer = _redeem(base, redeem)
    assert status == 200 and answer["token_type"] == "Bearer", answer
    token = answer["access_token"]
    status, answer = _redeem(base, redeem)
    assert (status, answer["error"]) == (400, "invalid_grant"), "a code works once"

    # The token opens its own config URL, not another config's.
    headers = {"mcp-protocol-version": MODERN, "mcp-method": "tools/list", "authorization": f"Bearer {token}"}
    listing = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": _envelope()}}
    assert _post(url, listing, headers)[0] == 200
    other = f"py-2026-other-{uuid.uuid4().hex[:6]}"
    client.actions.mcp.create_config(name=other, connection_tool_mappings=[McpConfigConnectionToolMapping(connection_name="gmail", tools=TOOLS)])
    status, _ = _post(_config_url(client, other), listing, headers)
    assert status == 401, "a token minted for one config is refused by another"


def test_config_url_points_unauthenticated_clients_at_its_metadata(client, config):
    url = _config_url(client, config)
    request = urllib.request.Request(url, data=b"{}", headers={"content-type": "application/json"}, method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)
    assert refused.value.code == 401
    challenge = refused.value.headers["www-authenticate"]
    metadata_url = re.search(r'resource_metadata="([^"]+)"', challenge).group(1)
    listed = next(c for c in client.actions.mcp.list_configs().configs if c.name == config)
    assert listed.oauth_metadata_url == metadata_url, "actions.mcp hands out where OAuth clients start"
    metadata = json.loads(urllib.request.urlopen(metadata_url).read())
    assert metadata["resource"] == url
    issuer = metadata["authorization_servers"][0]
    server = json.loads(urllib.request.urlopen(issuer + "/.well-known/oauth-authorization-server").read())
    assert server["issuer"] == issuer
    assert server["code_challenge_methods_supported"] == ["S256"]
    assert server["authorization_response_iss_parameter_supported"] is True


def test_refresh_tokens_rotate_a_replayed_one_ends_the_grant_and_revocation_works(client, config):
    user = f"oauth-rt-{uuid.uuid4().hex[:6]}"
    base, url, client_id, redirect, code, verifier = _token_for(client, config, user)
    status, first = _redeem(base, {"grant_type": "authorization_code", "code": code, "client_id": client_id,
                                   "redirect_uri": redirect, "code_verifier": verifier, "resource": url})
    assert status == 200 and first["refresh_token"], first
    listing = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": _envelope()}}

    def call_with(token):
        headers = {"mcp-protocol-version": MODERN, "mcp-method": "tools/list", "authorization": f"Bearer {token}"}
        return _post(url, listing, headers)[0]

    refresh = {"grant_type": "refresh_token", "client_id": client_id, "resource": url}
    status, second = _redeem(base, {**refresh, "refresh_token": first["refresh_token"]})
    assert status == 200 and second["refresh_token"] != first["refresh_token"], "the refresh token rotates"
    assert call_with(second["access_token"]) == 200
    status, answer = _redeem(base, {**refresh, "refresh_token": first["refresh_token"]})
    assert (status, answer["error"]) == (400, "invalid_grant"), "a used refresh token is refused"
    assert call_with(second["access_token"]) == 401, "and its replay revoked the whole grant"
    status, _ = _redeem(base, {**refresh, "refresh_token": second["refresh_token"]})
    assert status == 400

    # RFC 7009: revoking an access token ends its grant.
    base, url, client_id, redirect, code, verifier = _token_for(client, config, user)
    status, fresh = _redeem(base, {"grant_type": "authorization_code", "code": code, "client_id": client_id,
                                   "redirect_uri": redirect, "code_verifier": verifier, "resource": url})
    assert call_with(fresh["access_token"]) == 200
    revoked = urllib.request.urlopen(urllib.request.Request(
        base + "/mcp/oauth/revoke", data=urllib.parse.urlencode({"token": fresh["access_token"]}).encode(), method="POST"))
    assert revoked.status == 200
    assert call_with(fresh["access_token"]) == 401, "a revoked token is refused"
    status, _ = _redeem(base, {**refresh, "client_id": client_id, "refresh_token": fresh["refresh_token"]})
    assert status == 400, "and so is the refresh token of its grant"


@pytest.mark.parametrize(
    ("metadata", "error"),
    [
        ({"redirect_uris": ["http://attacker.example/cb"]}, "invalid_redirect_uri"),  # plain http off loopback
        ({"redirect_uris": ["javascript:alert(1)"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["https://app.example/cb#frag"]}, "invalid_redirect_uri"),
        ({"redirect_uris": []}, "invalid_redirect_uri"),
        ({"redirect_uris": ["https://app.example/cb"], "token_endpoint_auth_method": "client_secret_basic"}, "invalid_client_metadata"),
        ({"redirect_uris": ["https://app.example/cb"], "client_name": "x" * 20000}, "invalid_client_metadata"),
    ],
)
def test_registration_refuses_unsafe_client_metadata(client, config, metadata, error):
    base = _config_url(client, config).split("/mcp/v1/")[0]
    request = urllib.request.Request(base + "/mcp/oauth/register", data=json.dumps(metadata).encode(),
                                     headers={"content-type": "application/json"}, method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)
    assert refused.value.code == 400
    assert json.loads(refused.value.read())["error"] == error


# ----- Client ID Metadata Documents: the client is known by the https URL of its metadata -------

def _tls_fixture(directory):
    """A CA and a server certificate for 127.0.0.1 signed by it (cryptography, which mcp needs)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "AgentKit test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    import ipaddress

    leaf = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    (directory / "ca.pem").write_bytes(ca.public_bytes(pem))
    (directory / "server.pem").write_bytes(leaf.public_bytes(pem))
    (directory / "server.key").write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return directory / "ca.pem"


def _serve_https(directory, documents):
    """An https server on 127.0.0.1 answering `documents[path]` as JSON; its port."""
    import http.server
    import ssl
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps(documents.get(self.path, {})).encode()
            self.send_response(200 if self.path in documents else 404)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(directory / "server.pem", directory / "server.key")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def gateway_trusting_a_test_ca(tmp_path):
    """`agentkit serve` + `agentkit sandbox`, OAuth for MCP clients on (the sandbox plays the app's
    sign-in), outbound TLS trusting a test CA (SSL_CERT_FILE), and an https server for metadata
    documents on a loopback address, allowed by name in `[mcp_oauth] client_metadata_allow` (the
    providers' `[egress] allow` does not open it)."""
    import os
    import subprocess
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))
    from gateway import agentkit_binary

    ca = _tls_fixture(tmp_path)
    documents = {}
    https = _serve_https(tmp_path, documents)
    sandbox_port, port = _free_port(), _free_port()
    sandbox = subprocess.Popen([agentkit_binary(), "sandbox", "--port", str(sandbox_port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    (tmp_path / "agentkit.toml").write_text(f"""
[server]
listen = "127.0.0.1:{port}"
data_dir = "{tmp_path / 'data'}"
[[api_clients]]
client_id = "skc_cimd"
client_secret = "sks_cimd_secret"
[egress]
allow = ["127.0.0.1:{sandbox_port}"]
[mcp_oauth]
login_url = "{sandbox_url}/sandbox/app/login"
login_secret = "sandbox-app-login-secret-0123456789abcdef"
client_metadata_allow = ["127.0.0.1:{https.server_port}"]
[[connections]]
name = "gmail"
connector = "gmail"
base_url = "{sandbox_url}"
client_id = "agentkit-sandbox-app"
client_secret = "sandbox-app-secret"
authorize_url = "{sandbox_url}/oauth2/authorize"
token_url = "{sandbox_url}/oauth2/token"
send_login_hint = true
""")
    gateway = subprocess.Popen([agentkit_binary(), "serve", "--config", str(tmp_path / "agentkit.toml")],
                               env={**os.environ, "SSL_CERT_FILE": str(ca)}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(base + "/readyz")
            break
        except Exception:
            import time

            time.sleep(0.05)
    try:
        yield base, https, documents
    finally:
        for process in (gateway, sandbox):
            process.terminate()
            process.wait()
        https.shutdown()


async def test_an_mcp_client_signs_in_with_a_client_id_metadata_document(gateway_trusting_a_test_ca, tmp_path):
    import scalekit.client

    base, https, documents = gateway_trusting_a_test_ca
    metadata_url = f"https://127.0.0.1:{https.server_port}/clients/agentkit-test.json"
    redirect = "http://localhost:33420/callback"
    documents["/clients/agentkit-test.json"] = {
        "client_id": metadata_url, "client_name": "CIMD test client", "redirect_uris": [redirect],
        "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"], "token_endpoint_auth_method": "none",
    }
    app = scalekit.client.ScalekitClient(client_id="skc_cimd", client_secret="sks_cimd_secret", env_url=base)
    app.actions.mcp.create_config(name="cimd", connection_tool_mappings=[McpConfigConnectionToolMapping(connection_name="gmail", tools=TOOLS)])
    url = _config_url(app, "cimd")

    from mcp.client.auth import OAuthClientProvider
    from mcp.shared.auth import OAuthClientMetadata

    browser, storage = _HeadlessBrowser("cimd-user"), _MemoryStorage()
    provider = OAuthClientProvider(
        server_url=url,
        client_metadata=OAuthClientMetadata(client_name="CIMD test client", redirect_uris=[redirect]),
        storage=storage,
        redirect_handler=browser.redirect_handler,
        callback_handler=browser.callback_handler,
        client_metadata_url=metadata_url,
    )
    async with Client(streamable_http_client(url, http_client=httpx2.AsyncClient(auth=provider))) as mcp:
        listed = await mcp.list_tools()
    assert [t.name for t in listed.tools] == sorted(TOOLS)
    assert storage.client_info.client_id == metadata_url, "no registration: the document's URL is the client id"
    assert "CIMD test client" in browser.consent_page, "the consent page names the client from its document"

    # A document that does not name itself as the client is refused.
    documents["/clients/liar.json"] = {**documents["/clients/agentkit-test.json"], "client_id": "https://elsewhere.example/c.json"}
    liar = f"https://127.0.0.1:{https.server_port}/clients/liar.json"
    query = urllib.parse.urlencode({"response_type": "code", "client_id": liar, "redirect_uri": redirect,
                                    "code_challenge": "x" * 43, "code_challenge_method": "S256", "resource": url})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{base}/mcp/oauth/authorize?{query}")
    assert refused.value.code == 400

    # Metadata documents are fetched through the egress policy: a valid document on an internal
    # address the operator did not allow is never fetched (no request forgery through client ids).
    unlisted_documents = {}
    unlisted = _serve_https(tmp_path, unlisted_documents)
    internal = f"https://127.0.0.1:{unlisted.server_port}/clients/agentkit-test.json"
    unlisted_documents["/clients/agentkit-test.json"] = {**documents["/clients/agentkit-test.json"], "client_id": internal}
    query = urllib.parse.urlencode({"response_type": "code", "client_id": internal, "redirect_uri": redirect,
                                    "code_challenge": "x" * 43, "code_challenge_method": "S256", "resource": url})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{base}/mcp/oauth/authorize?{query}")
    assert refused.value.code == 400
    unlisted.shutdown()


def test_the_callers_trace_context_reaches_the_execution_record(client, config, gateway_env):
    user = f"trace-{uuid.uuid4().hex[:6]}"
    _authorize(client, user)
    url = _instance_url(client, config, user)
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"_meta": {**_envelope(), "traceparent": traceparent}, "name": "gmail_list_labels", "arguments": {}}}
    headers = {"mcp-protocol-version": MODERN, "mcp-method": "tools/call", "mcp-name": "gmail_list_labels"}
    status, answer = _post(url, call, headers)
    assert status == 200 and answer["result"]["isError"] is False, answer

    base = gateway_env["SCALEKIT_ENV_URL"]
    token = json.loads(urllib.request.urlopen(urllib.request.Request(base + "/oauth/token", method="POST", data=urllib.parse.urlencode({
        "grant_type": "client_credentials", "client_id": gateway_env["SCALEKIT_CLIENT_ID"],
        "client_secret": gateway_env["SCALEKIT_CLIENT_SECRET"]}).encode())).read())["access_token"]
    # execute_tool continues an HTTP `traceparent`; a malformed one is not recorded.
    for value in ("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "not-a-trace"):
        urllib.request.urlopen(urllib.request.Request(
            base + "/api/v1/execute_tool", method="POST",
            data=json.dumps({"tool_name": "gmail_list_labels", "identifier": user, "params": {}}).encode(),
            headers={"authorization": f"Bearer {token}", "content-type": "application/json", "traceparent": value})).read()
    listed = urllib.request.urlopen(urllib.request.Request(
        f"{base}/api/v1/executions?identifier={user}", headers={"authorization": f"Bearer {token}"}))
    records = json.loads(listed.read())["executions"]
    assert len(records) == 3, records
    assert sorted(r.get("traceparent") or "" for r in records) == sorted(
        ["", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", traceparent])
