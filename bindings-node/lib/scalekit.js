'use strict';

const { NativeClient, verifyWebhookPayload, verifyTriggerEvent } = require('../native.js');
const errors = require('./errors');
const { checkSignature } = require('./call');
const { ToolsClient } = require('./tools');
const { ConnectedAccountsClient } = require('./connected-accounts');
const { ActionsClient } = require('./actions');

const { version: SDK_VERSION } = require('../package.json');

/**
 * Client for an AgentKit environment. Both documented forms work:
 * `new ScalekitClient(envUrl, clientId, clientSecret, options?)` and
 * `new ScalekitClient({ envUrl, clientId, clientSecret, ...options })`.
 * No network I/O happens here; the token is fetched on first use.
 */
class ScalekitClient {
  constructor(envUrl, clientId, clientSecret, options = {}) {
    if (envUrl && typeof envUrl === 'object') {
      ({ envUrl, clientId, clientSecret, ...options } = envUrl);
    }
    let native;
    try {
      native = new NativeClient(envUrl ?? '', clientId ?? '', clientSecret ?? '', options.timeoutMs, options.toolTimeoutMs, `AgentKit-Node/${SDK_VERSION}`);
    } catch (err) {
      throw errors.wrapError(err);
    }
    this.envUrl = envUrl;
    this.tools = new ToolsClient(native);
    this.connectedAccounts = new ConnectedAccountsClient(native);
    this.actions = new ActionsClient(native, envUrl, this.tools);
  }

  /**
   * Checks a webhook delivery signed with `secret` (`whsec_…`): its `webhook-id`,
   * `webhook-timestamp` (within five minutes) and `webhook-signature` headers over the raw
   * `payload`. Returns true, or throws `WebhookVerificationError`.
   */
  verifyWebhookPayload(secret, headers, payload) {
    checkSignature(verifyWebhookPayload, secret, headers, payload);
    return true;
  }

  /** A trigger event checked as `verifyWebhookPayload`, returned as its parsed JSON object. */
  verifyTriggerEvent(secret, headers, payload) {
    return checkSignature(verifyTriggerEvent, secret, headers, payload);
  }
}

Object.defineProperty(exports, '__esModule', { value: true });
exports.ScalekitClient = ScalekitClient;
// The official package's module path `lib/scalekit` has it as its default export.
exports.default = ScalekitClient;
