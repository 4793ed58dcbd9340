"""``client.actions.triggers``: a connection's triggers and the accounts subscribed to them (the
official ``TriggerService`` names), and checking the trigger events the gateway forwards to your
app. ``connection_id`` is ``conn_<name>`` or the connection's name."""

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

    def verify_event(self, secret: str, headers: Mapping[str, str], payload: Union[str, bytes]) -> Dict[str, Any]:
        """The event (parsed JSON object) when its Standard Webhooks headers (``webhook-id``,
        ``webhook-timestamp`` within five minutes, ``webhook-signature``) check out over the raw
        ``payload`` with the ``whsec_…`` secret; raises ``WebhookVerificationError`` otherwise."""
        return _webhooks.verify_event(secret, headers, payload)
