"""``scalekit.client.ScalekitClient``: the entry point of the SDK."""

from __future__ import annotations

from typing import Any, Dict, Optional, Union

from scalekit import _native, _webhooks
from scalekit.actions import ActionClient
from scalekit.connected_accounts import ConnectedAccountsClient
from scalekit.mcp import McpClient

__all__ = ["ScalekitClient"]

SDK_VERSION = f"AgentKit-Python/{_native.__version__}"


class ScalekitClient:
    """Client for an AgentKit environment (``env_url``) authenticated as an API client.

    The access token is fetched at construction, so wrong credentials fail here with
    :class:`~scalekit.common.exceptions.ScalekitUnauthorizedException`.
    """

    def __init__(self, env_url: Optional[str] = None, client_id: Optional[str] = None, client_secret: Optional[str] = None,
                 keepalive_time_ms: int = 60_000, keepalive_timeout_ms: int = 10_000, call_timeout_s: float = 20,
                 tool_call_timeout_s: float = 60, **_ignored) -> None:
        # keepalive_* tune the official SDK's gRPC channel pings; this SDK speaks HTTP through a
        # pooled client whose idle connections are checked before reuse, so they are accepted
        # (same positions as the official constructor) and have nothing to tune.
        def native():
            return _native.NativeClient(env_url or "", client_id or "", client_secret or "", float(call_timeout_s),
                                        float(tool_call_timeout_s), SDK_VERSION)

        self.env_url = (env_url or "").rstrip("/")
        self._native = native()
        self._native.authenticate()
        self.actions = ActionClient(self._native, self.env_url)
        # `connect` is a second ActionClient with its own modifier registry, as in the official SDK.
        self.connect = ActionClient(native(), self.env_url)
        self.tools = self.actions.tools
        # The official low-level clients: protobuf messages in, (response message, call) pairs out.
        self.connected_accounts = ConnectedAccountsClient(self._native)
        self.mcp = McpClient(self._native)

    def verify_webhook_payload(self, secret: str, headers: Dict[str, str], payload: Union[str, bytes]) -> bool:
        """Checks a webhook delivery signed with ``secret`` (``whsec_…``): its ``webhook-id``,
        ``webhook-timestamp`` (within five minutes) and ``webhook-signature`` headers over the raw
        ``payload``. Returns True, or raises
        :class:`~scalekit.common.exceptions.WebhookVerificationError`."""
        return _webhooks.verify_payload(secret, headers, payload)

    def verify_trigger_event(self, secret: str, headers: Dict[str, str], payload: Union[str, bytes]) -> Dict[str, Any]:
        """A trigger event checked as :meth:`verify_webhook_payload`, returned as its JSON object."""
        return _webhooks.verify_event(secret, headers, payload)

    def __repr__(self) -> str:
        return f"ScalekitClient(env_url={self.env_url!r})"
