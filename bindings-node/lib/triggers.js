'use strict';
// `actions.triggers`.
const { verifyTriggerEvent } = require('../native.js');
const { OperationGroup, checkSignature } = require('./call');

/**
 * `actions.triggers`: a connection's triggers and the accounts subscribed to them (the official
 * `TriggerService` names, camelCase), and checking the trigger events forwarded to your app.
 * `connectionId` is `conn_<name>` or the connection's name.
 */
class TriggersClient extends OperationGroup {
  /** The triggers the connection offers, each `available` or not (with `reason` and `remedy`). */
  listAvailableTriggers({ connectionId } = {}) { return this._call('triggers.list_available_triggers', { connectionId }); }
  /** The connection's accounts, each `eligible` for the trigger or not, with its `health`. */
  listEligibleAccounts({ connectionId, triggerName, query, pageSize, pageToken } = {}) {
    return this._call('triggers.list_eligible_accounts', { connectionId, triggerName, query, pageSize, pageToken });
  }
  /** The connection's subscriptions by id, with `statusCounts`; `nextPageToken` pages on. */
  listTriggerSubscriptions({ connectionId, triggerName, statuses, pageSize, pageToken } = {}) {
    return this._call('triggers.list_trigger_subscriptions', { connectionId, triggerName, statuses, pageSize, pageToken });
  }
  /** Subscribes an ACTIVE connected account; the trigger's events reach your webhook endpoints. */
  createTriggerSubscription({ connectionId, connectedAccountId, triggerName, intervalSeconds, config } = {}) {
    return this._call('triggers.create_trigger_subscription', { connectionId, connectedAccountId, triggerName, intervalSeconds, config });
  }
  /** Subscribes up to 100 accounts; `results` has an `outcome` for each. */
  batchCreateTriggerSubscriptions({ connectionId, connectedAccountIds, triggerName, intervalSeconds, config } = {}) {
    return this._call('triggers.batch_create_trigger_subscriptions', { connectionId, connectedAccountIds, triggerName, intervalSeconds, config });
  }
  /** Deletes a subscription (`ScalekitNotFoundException` when there is none). */
  deleteTriggerSubscription({ connectionId, subscriptionId } = {}) {
    return this._call('triggers.delete_trigger_subscription', { connectionId, subscriptionId });
  }
  /** The connection's ingress endpoint (the `url` to register, the signing secret's state); not found until created. */
  getTriggerIngressEndpoint({ connectionId } = {}) {
    return this._call('triggers.get_trigger_ingress_endpoint', { connectionId });
  }
  /** Creates the connection's ingress endpoint (again: the same one); bad request when its connector has no pushed triggers. */
  createTriggerIngressEndpoint({ connectionId } = {}) {
    return this._call('triggers.create_trigger_ingress_endpoint', { connectionId });
  }
  /** Sets the provider's signing secret; with one set already, a rotation to confirm by its `signingSecretRotationId`. */
  setTriggerSigningSecret({ connectionId, signingSecret } = {}) {
    return this._call('triggers.set_trigger_signing_secret', { connectionId, signingSecret });
  }
  /** Ends a rotation: only the newest secret is accepted (`ScalekitConflictException` for a rotation that is not the current one). */
  confirmTriggerSigningSecretRotation({ connectionId, signingSecretRotationId } = {}) {
    return this._call('triggers.confirm_trigger_signing_secret_rotation', { connectionId, signingSecretRotationId });
  }
  /** What triggers did over the last `windowHours`: `counts` by name (keys as sent: `pushes_accepted`). */
  getTriggerActivity() {
    return this._call('triggers.get_trigger_activity', {});
  }
  /** A webhook endpoint's newest delivery `attempts` (`pageSize` at most 100); not found for an unknown endpoint. */
  listTriggerDeliveryAttemptsByEndpoint({ endpointId, pageSize } = {}) {
    return this._call('triggers.list_trigger_delivery_attempts_by_endpoint', { endpointId, pageSize });
  }

  /** The event (parsed JSON object) once its `webhook-*` headers check out over the raw payload. */
  verifyEvent(secret, headers, payload) {
    return checkSignature(verifyTriggerEvent, secret, headers, payload);
  }
}

exports.TriggersClient = TriggersClient;
