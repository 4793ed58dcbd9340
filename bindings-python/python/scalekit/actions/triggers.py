"""``client.actions.triggers``: checking the trigger events the gateway forwards to your app."""

from __future__ import annotations

from typing import Any, Dict, Mapping, Union

from scalekit import _webhooks

__all__ = ["ActionTriggers"]


class ActionTriggers:
    def verify_event(self, secret: str, headers: Mapping[str, str], payload: Union[str, bytes]) -> Dict[str, Any]:
        """The event (parsed JSON object) when its Standard Webhooks headers (``webhook-id``,
        ``webhook-timestamp`` within five minutes, ``webhook-signature``) check out over the raw
        ``payload`` with the ``whsec_…`` secret; raises ``WebhookVerificationError`` otherwise."""
        return _webhooks.verify_event(secret, headers, payload)
