'use strict';
// `actions.providers`.
const { OperationGroup } = require('./call');

/**
 * `actions.providers`: built-in and custom providers. A custom provider is a connector made at
 * runtime (`{ displayName, proxyUrl, authPatterns: [{ type: 'BEARER' | 'API_KEY' | 'BASIC' | 'OAUTH', … }], tools? }`);
 * its connection, named by the returned `identifier`, works at once.
 */
class ProvidersClient extends OperationGroup {

  /** → `{ provider }` with its server-assigned `identifier`. */
  createCustomProvider(params) { return this._call('providers.create_custom_provider', params); }
  /** `{ identifier, ...fields }`: fields not given keep their value. */
  updateCustomProvider(params) { return this._call('providers.update_custom_provider', params); }
  /** `{ identifier }`; refused while connected accounts use it. */
  deleteCustomProvider(params) { return this._call('providers.delete_custom_provider', params); }
  /** `{ providerType?: 'DEFAULT' | 'CUSTOM' | 'ALL', identifier?, pageSize?, pageToken? }`. */
  listProviders(params = {}) { return this._call('providers.list_providers', params); }
}

exports.ProvidersClient = ProvidersClient;
