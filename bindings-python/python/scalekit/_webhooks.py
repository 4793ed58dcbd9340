"""Standard Webhooks checks shared by ``ScalekitClient`` and ``actions.triggers`` (logic in core)."""

from __future__ import annotations

from typing import Any, Dict, Mapping, Union

from scalekit import _native


def _args(headers: Mapping[str, str], payload: Union[str, bytes]):
    body = payload.encode() if isinstance(payload, str) else bytes(payload)
    return [(str(k), str(v)) for k, v in dict(headers).items()], body


def verify_payload(secret: str, headers: Mapping[str, str], payload: Union[str, bytes]) -> bool:
    """True when ``webhook-id``/``-timestamp`` (five minutes)/``-signature`` check out over the raw
    ``payload`` with the ``whsec_…`` secret; raises ``WebhookVerificationError`` otherwise."""
    pairs, body = _args(headers, payload)
    _native.verify_webhook_payload(secret, pairs, body)
    return True


def verify_event(secret: str, headers: Mapping[str, str], payload: Union[str, bytes]) -> Dict[str, Any]:
    """The trigger event (a JSON object) once its signature checks out as :func:`verify_payload`."""
    pairs, body = _args(headers, payload)
    return _native.verify_trigger_event(secret, pairs, body)
