"""``client.actions.triggers``: a connection's triggers and the accounts subscribed to them, its
ingress endpoint for pushed triggers and the provider's signing secret, what triggers did lately
(the official ``TriggerService`` names), and checking the trigger events the gateway forwards to
your app. ``connection_id`` is ``conn_<name>`` or the connection's name."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Union

from scalekit import _webhooks
from scalekit._operations import twin

__all__ = ["ActionTriggers", "TriggerAnswer"]


class TriggerAnswer(dict):
    """A trigger answer: a dict whose keys also read as attributes, nested answers included
    (``resp.triggers[0].name`` and ``resp["triggers"][0]["name"]`` alike)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return _answer(self[name])
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, key: str) -> Any:
        return _answer(super().__getitem__(key))


def _answer(value: Any) -> Any:
    if isinstance(value, dict) and not isinstance(value, TriggerAnswer):
        return TriggerAnswer(value)
    if isinstance(value, list):
        return [_answer(v) for v in value]
    return value


class ActionTriggers:
    def __init__(self, native: Any = None) -> None:
        self._native = native

    @twin("triggers.list_available_triggers", TriggerAnswer)
    def list_available_triggers(self, connection_id: str):
        """The triggers the connection offers, each ``available`` or not (with ``reason`` and ``remedy``)."""
        return {"connection_id": connection_id}

    list_available_triggers, list_available_triggers_async = list_available_triggers

    @twin("triggers.list_eligible_accounts", TriggerAnswer)
    def list_eligible_accounts(self, connection_id: str, trigger_name: str, query: Optional[str] = None,
                               page_size: Optional[int] = None, page_token: Optional[str] = None):
        """The connection's accounts, each ``eligible`` for the trigger or not, with its ``health``
        (state, reason, remedy, the one action to take)."""
        return {"connection_id": connection_id, "trigger_name": trigger_name, "query": query, "page_size": page_size,
                "page_token": page_token}

    list_eligible_accounts, list_eligible_accounts_async = list_eligible_accounts

    @twin("triggers.list_trigger_subscriptions", TriggerAnswer)
    def list_trigger_subscriptions(self, connection_id: str, trigger_name: Optional[str] = None,
                                   statuses: Optional[List[str]] = None, page_size: Optional[int] = None,
                                   page_token: Optional[str] = None):
        """The connection's subscriptions by id, with ``status_counts``; ``next_page_token`` pages on."""
        return {"connection_id": connection_id, "trigger_name": trigger_name, "statuses": statuses,
                "page_size": page_size, "page_token": page_token}

    list_trigger_subscriptions, list_trigger_subscriptions_async = list_trigger_subscriptions

    @twin("triggers.create_trigger_subscription", TriggerAnswer)
    def create_trigger_subscription(self, connection_id: str, connected_account_id: str, trigger_name: str,
                                    interval_seconds: Optional[int] = None, config: Optional[Dict[str, str]] = None):
        """Subscribes an ACTIVE connected account; the trigger's events reach your webhook endpoints."""
        return {"connection_id": connection_id, "connected_account_id": connected_account_id,
                "trigger_name": trigger_name, "interval_seconds": interval_seconds, "config": config}

    create_trigger_subscription, create_trigger_subscription_async = create_trigger_subscription

    @twin("triggers.batch_create_trigger_subscriptions", TriggerAnswer)
    def batch_create_trigger_subscriptions(self, connection_id: str, connected_account_ids: List[str], trigger_name: str,
                                           interval_seconds: Optional[int] = None,
                                           config: Optional[Dict[str, str]] = None):
        """Subscribes up to 100 accounts; ``results`` has an ``outcome`` for each (``CREATED``,
        ``ALREADY_SUBSCRIBED``, ``REFUSED``, ``NOT_FOUND``, ``FAILED``)."""
        return {"connection_id": connection_id, "connected_account_ids": connected_account_ids,
                "trigger_name": trigger_name, "interval_seconds": interval_seconds, "config": config}

    batch_create_trigger_subscriptions, batch_create_trigger_subscriptions_async = batch_create_trigger_subscriptions

    @twin("triggers.delete_trigger_subscription", TriggerAnswer)
    def delete_trigger_subscription(self, connection_id: str, subscription_id: str):
        """Deletes a subscription (``ScalekitNotFoundException`` when there is none)."""
        return {"connection_id": connection_id, "subscription_id": subscription_id}

    delete_trigger_subscription, delete_trigger_subscription_async = delete_trigger_subscription

    @twin("triggers.get_trigger_ingress_endpoint", TriggerAnswer)
    def get_trigger_ingress_endpoint(self, connection_id: str):
        """The connection's ingress endpoint: the ``url`` to register at the provider and the signing
        secret's state (``signing_secret_configured``, ``rotation_in_progress``, never the secret);
        ``ScalekitNotFoundException`` until one is created."""
        return {"connection_id": connection_id}

    get_trigger_ingress_endpoint, get_trigger_ingress_endpoint_async = get_trigger_ingress_endpoint

    @twin("triggers.create_trigger_ingress_endpoint", TriggerAnswer)
    def create_trigger_ingress_endpoint(self, connection_id: str):
        """Creates the connection's ingress endpoint (again: the same one);
        ``ScalekitBadRequestException`` when its connector has no pushed triggers."""
        return {"connection_id": connection_id}

    create_trigger_ingress_endpoint, create_trigger_ingress_endpoint_async = create_trigger_ingress_endpoint

    @twin("triggers.set_trigger_signing_secret", TriggerAnswer)
    def set_trigger_signing_secret(self, connection_id: str, signing_secret: str):
        """Sets the provider's signing secret (8 to 256 bytes, as the provider shows it). With one set
        already both are accepted until ``confirm_trigger_signing_secret_rotation`` is called with
        the answer's ``signing_secret_rotation_id``."""
        return {"connection_id": connection_id, "signing_secret": signing_secret}

    set_trigger_signing_secret, set_trigger_signing_secret_async = set_trigger_signing_secret

    @twin("triggers.confirm_trigger_signing_secret_rotation", TriggerAnswer)
    def confirm_trigger_signing_secret_rotation(self, connection_id: str, signing_secret_rotation_id: int):
        """Ends a rotation: only the newest secret is accepted from now on.
        ``ScalekitConflictException`` (field ``signing_secret_rotation_id``) when that is not the
        current rotation."""
        return {"connection_id": connection_id, "signing_secret_rotation_id": signing_secret_rotation_id}

    confirm_trigger_signing_secret_rotation, confirm_trigger_signing_secret_rotation_async = (
        confirm_trigger_signing_secret_rotation)

    @twin("triggers.get_trigger_activity", TriggerAnswer)
    def get_trigger_activity(self):
        """What triggers did over the last ``window_hours``: ``counts`` by name (``events``,
        ``delivered``, ``pushes_accepted``, ``pushes_refused``, …), ``signature_banner`` and
        ``degraded``."""
        return {}

    get_trigger_activity, get_trigger_activity_async = get_trigger_activity

    @twin("triggers.list_trigger_delivery_attempts_by_endpoint", TriggerAnswer)
    def list_trigger_delivery_attempts_by_endpoint(self, endpoint_id: str, page_size: Optional[int] = None):
        """A webhook endpoint's newest delivery ``attempts`` (``page_size`` at most 100), each with
        the receiver's status code and answer; ``ScalekitNotFoundException`` for an unknown endpoint."""
        return {"endpoint_id": endpoint_id, "page_size": page_size}

    list_trigger_delivery_attempts_by_endpoint, list_trigger_delivery_attempts_by_endpoint_async = (
        list_trigger_delivery_attempts_by_endpoint)

    def verify_event(self, secret: str, headers: Mapping[str, str], payload: Union[str, bytes]) -> Dict[str, Any]:
        """The event (parsed JSON object) when its Standard Webhooks headers (``webhook-id``,
        ``webhook-timestamp`` within five minutes, ``webhook-signature``) check out over the raw
        ``payload`` with the ``whsec_…`` secret; raises ``WebhookVerificationError`` otherwise."""
        return _webhooks.verify_event(secret, headers, payload)
