'use strict';
/**
 * `scalekit.v1.connected_accounts` at the official SDK's import path: the enums (numbers, as the
 * official protobuf-es enums: `ConnectorStatus.ACTIVE === 1`) and a schema per message
 * (`AuthorizationDetailsSchema`, `ConnectedAccountSchema`…), built from field tables by
 * lib/proto.js. Connected-account results are messages of these schemas.
 */

const { T, ONE, MANY, buildFile } = require('../../../../../proto');

const STATUS = ['CONNECTION_STATUS_UNSPECIFIED', 'ACTIVE', 'EXPIRED', 'PENDING_AUTH', 'PENDING_VERIFICATION', 'DISCONNECTED'];
const TYPES = ['CONNECTION_TYPE_UNSPECIFIED', 'OAUTH', 'API_KEY', 'BASIC_AUTH', 'BEARER_TOKEN', 'CUSTOM', 'BASIC', 'OAUTH_M2M',
  'TRELLO_OAUTH1', 'GOOGLE_DWD', 'TRUSTED_IDP', 'SMART_FHIR', 'NO_AUTH',
  // Ours, appended after the official values (KEY_PAIR = 13): key-pair accounts.
  'KEY_PAIR'];

/** A TypeScript-style numeric enum object: `E.ACTIVE === 1` and `E[1] === 'ACTIVE'`. */
function numericEnum(names) {
  const e = {};
  names.forEach((name, number) => { e[name] = number; e[number] = name; });
  return Object.freeze(e);
}

const P = '.scalekit.v1.connected_accounts.';
const TS = '.google.protobuf.Timestamp';
const STRUCT = '.google.protobuf.Struct';
const S = T.STRING;
const M = T.MESSAGE;
const ACCOUNT = [
  [1, 'identifier', S, ONE], [2, 'provider', S, ONE], [3, 'status', T.ENUM, ONE, `${P}ConnectorStatus`],
  [4, 'authorization_type', T.ENUM, ONE, `${P}ConnectorType`], [6, 'token_expires_at', M, ONE, TS],
  [7, 'updated_at', M, ONE, TS], [8, 'connector', S, ONE], [9, 'last_used_at', M, ONE, TS], [10, 'id', S, ONE],
  [11, 'connection_id', S, ONE],
];
const SELECTOR = [[1, 'organization_id', S, ONE], [2, 'user_id', S, ONE], [3, 'connector', S, ONE], [4, 'identifier', S, ONE], [5, 'id', S, ONE]];
const ACCOUNT_INPUT = [[5, 'authorization_details', M, ONE, `${P}AuthorizationDetails`], [11, 'api_config', M, ONE, STRUCT]];

const registry = buildFile('scalekit/v1/connected_accounts/connected_accounts.proto', 'scalekit.v1.connected_accounts', {
  OauthToken: [[1, 'access_token', S, ONE], [2, 'refresh_token', S, ONE], [3, 'scopes', S, MANY], [4, 'domain', S, ONE]],
  StaticAuth: [[1, 'details', M, ONE, STRUCT]],
  GoogleDWDAuth: [[1, 'subject', S, ONE], [2, 'access_token', S, ONE], [3, 'scopes', S, MANY], [4, 'token_expires_at', M, ONE, TS]],
  TrustedIDPAuth: [[1, 'db_user', S, ONE], [2, 'access_key_id', S, ONE], [3, 'secret_access_key', S, ONE], [4, 'session_token', S, ONE], [5, 'expiry', M, ONE, TS]],
  AuthorizationDetails: [
    [1, 'oauth_token', M, ONE, `${P}OauthToken`, 'details'], [2, 'static_auth', M, ONE, `${P}StaticAuth`, 'details'],
    [3, 'google_dwd', M, ONE, `${P}GoogleDWDAuth`, 'details'], [4, 'trusted_idp', M, ONE, `${P}TrustedIDPAuth`, 'details'],
  ],
  ConnectedAccount: [...ACCOUNT, [5, 'authorization_details', M, ONE, `${P}AuthorizationDetails`], [12, 'api_config', M, ONE, STRUCT]],
  ConnectedAccountForList: ACCOUNT,
  CreateConnectedAccount: ACCOUNT_INPUT,
  UpdateConnectedAccount: [[5, 'authorization_details', M, ONE, `${P}AuthorizationDetails`], [10, 'api_config', M, ONE, STRUCT]],
  ListConnectedAccountsResponse: [[1, 'connected_accounts', M, MANY, `${P}ConnectedAccountForList`], [2, 'total_size', T.UINT32, ONE],
    [3, 'next_page_token', S, ONE], [4, 'prev_page_token', S, ONE]],
  CreateConnectedAccountResponse: [[1, 'connected_account', M, ONE, `${P}ConnectedAccount`]],
  UpdateConnectedAccountResponse: [[1, 'connected_account', M, ONE, `${P}ConnectedAccount`]],
  GetConnectedAccountByIdentifierResponse: [[1, 'connected_account', M, ONE, `${P}ConnectedAccount`]],
  DeleteConnectedAccountResponse: [],
  GetMagicLinkForConnectedAccountResponse: [[1, 'link', S, ONE], [2, 'expiry', M, ONE, TS]],
  VerifyConnectedAccountUserResponse: [[1, 'post_user_verify_redirect_url', S, ONE]],
  CreateConnectedAccountRequest: [...SELECTOR.slice(0, 4), [5, 'connected_account', M, ONE, `${P}CreateConnectedAccount`]],
  UpdateConnectedAccountRequest: [...SELECTOR.slice(0, 4), [6, 'id', S, ONE], [5, 'connected_account', M, ONE, `${P}UpdateConnectedAccount`]],
  DeleteConnectedAccountRequest: SELECTOR,
  GetConnectedAccountByIdentifierRequest: SELECTOR,
  GetMagicLinkForConnectedAccountRequest: [...SELECTOR, [7, 'state', S, ONE], [8, 'user_verify_url', S, ONE]],
  VerifyConnectedAccountUserRequest: [[1, 'auth_request_id', S, ONE], [2, 'identifier', S, ONE]],
  ListConnectedAccountsRequest: [...SELECTOR.slice(0, 4), [5, 'provider', S, ONE], [6, 'page_size', T.UINT32, ONE], [7, 'page_token', S, ONE],
    [8, 'query', S, ONE], [9, 'connection_names', S, MANY]],
}, { ConnectorStatus: STATUS, ConnectorType: TYPES });

exports.ConnectorStatus = numericEnum(STATUS);
exports.ConnectorType = numericEnum(TYPES);
exports.ConnectorStatusSchema = registry.getEnum('scalekit.v1.connected_accounts.ConnectorStatus');
exports.ConnectorTypeSchema = registry.getEnum('scalekit.v1.connected_accounts.ConnectorType');
exports.file_scalekit_v1_connected_accounts_connected_accounts = registry.getFile('scalekit/v1/connected_accounts/connected_accounts.proto');
// One static line per schema, so ESM `import {{ XSchema }}` of this CommonJS module finds each.
exports.OauthTokenSchema = registry.getMessage('scalekit.v1.connected_accounts.OauthToken');
exports.StaticAuthSchema = registry.getMessage('scalekit.v1.connected_accounts.StaticAuth');
exports.GoogleDWDAuthSchema = registry.getMessage('scalekit.v1.connected_accounts.GoogleDWDAuth');
exports.TrustedIDPAuthSchema = registry.getMessage('scalekit.v1.connected_accounts.TrustedIDPAuth');
exports.AuthorizationDetailsSchema = registry.getMessage('scalekit.v1.connected_accounts.AuthorizationDetails');
exports.ConnectedAccountSchema = registry.getMessage('scalekit.v1.connected_accounts.ConnectedAccount');
exports.ConnectedAccountForListSchema = registry.getMessage('scalekit.v1.connected_accounts.ConnectedAccountForList');
exports.CreateConnectedAccountSchema = registry.getMessage('scalekit.v1.connected_accounts.CreateConnectedAccount');
exports.UpdateConnectedAccountSchema = registry.getMessage('scalekit.v1.connected_accounts.UpdateConnectedAccount');
exports.ListConnectedAccountsResponseSchema = registry.getMessage('scalekit.v1.connected_accounts.ListConnectedAccountsResponse');
exports.CreateConnectedAccountResponseSchema = registry.getMessage('scalekit.v1.connected_accounts.CreateConnectedAccountResponse');
exports.UpdateConnectedAccountResponseSchema = registry.getMessage('scalekit.v1.connected_accounts.UpdateConnectedAccountResponse');
exports.GetConnectedAccountByIdentifierResponseSchema = registry.getMessage('scalekit.v1.connected_accounts.GetConnectedAccountByIdentifierResponse');
exports.DeleteConnectedAccountResponseSchema = registry.getMessage('scalekit.v1.connected_accounts.DeleteConnectedAccountResponse');
exports.GetMagicLinkForConnectedAccountResponseSchema = registry.getMessage('scalekit.v1.connected_accounts.GetMagicLinkForConnectedAccountResponse');
exports.VerifyConnectedAccountUserResponseSchema = registry.getMessage('scalekit.v1.connected_accounts.VerifyConnectedAccountUserResponse');
exports.CreateConnectedAccountRequestSchema = registry.getMessage('scalekit.v1.connected_accounts.CreateConnectedAccountRequest');
exports.UpdateConnectedAccountRequestSchema = registry.getMessage('scalekit.v1.connected_accounts.UpdateConnectedAccountRequest');
exports.DeleteConnectedAccountRequestSchema = registry.getMessage('scalekit.v1.connected_accounts.DeleteConnectedAccountRequest');
exports.GetConnectedAccountByIdentifierRequestSchema = registry.getMessage('scalekit.v1.connected_accounts.GetConnectedAccountByIdentifierRequest');
exports.GetMagicLinkForConnectedAccountRequestSchema = registry.getMessage('scalekit.v1.connected_accounts.GetMagicLinkForConnectedAccountRequest');
exports.VerifyConnectedAccountUserRequestSchema = registry.getMessage('scalekit.v1.connected_accounts.VerifyConnectedAccountUserRequest');
exports.ListConnectedAccountsRequestSchema = registry.getMessage('scalekit.v1.connected_accounts.ListConnectedAccountsRequest');
