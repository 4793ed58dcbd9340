'use strict';
/**
 * Connected-account enums at the official SDK's import path. Values are the status names, so
 * `account.status === ConnectorStatus.ACTIVE` and printing a status both read naturally.
 */

const ConnectorStatus = Object.freeze({
  CONNECTION_STATUS_UNSPECIFIED: 'CONNECTION_STATUS_UNSPECIFIED',
  ACTIVE: 'ACTIVE',
  EXPIRED: 'EXPIRED',
  PENDING_AUTH: 'PENDING_AUTH',
  PENDING_VERIFICATION: 'PENDING_VERIFICATION',
  DISCONNECTED: 'DISCONNECTED',
});

const ConnectorType = Object.freeze({
  CONNECTION_TYPE_UNSPECIFIED: 'CONNECTION_TYPE_UNSPECIFIED',
  OAUTH: 'OAUTH',
  API_KEY: 'API_KEY',
  BASIC_AUTH: 'BASIC_AUTH',
  BEARER_TOKEN: 'BEARER_TOKEN',
  CUSTOM: 'CUSTOM',
  BASIC: 'BASIC',
  OAUTH_M2M: 'OAUTH_M2M',
  TRELLO_OAUTH1: 'TRELLO_OAUTH1',
  GOOGLE_DWD: 'GOOGLE_DWD',
  TRUSTED_IDP: 'TRUSTED_IDP',
  SMART_FHIR: 'SMART_FHIR',
  NO_AUTH: 'NO_AUTH',
});

exports.ConnectorStatus = ConnectorStatus;
exports.ConnectorType = ConnectorType;
