'use strict';
/**
 * `scalekit.v1.connected_accounts` at the official SDK's import path: the enums (numbers, as the
 * official protobuf-es enums: `ConnectorStatus.ACTIVE === 1`) and a schema per message
 * (`AuthorizationDetailsSchema`, `ConnectedAccountSchema`…), built from field tables by
 * lib/proto.js. Connected-account results are messages of these schemas. The enums are plain
 * objects ready at load; the schemas (and @bufbuild/protobuf) are built on first read of any.
 */

const { T, ONE, MANY, OPTIONAL, buildFile, lazyExports } = require('../../../../../proto');

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
const O = OPTIONAL;
// Which account: proto3 `optional` fields, as in the official messages.
const SELECTOR = [[1, 'organization_id', S, ONE, undefined, O], [2, 'user_id', S, ONE, undefined, O], [3, 'connector', S, ONE, undefined, O],
  [4, 'identifier', S, ONE, undefined, O], [5, 'id', S, ONE, undefined, O]];
const ACCOUNT_INPUT = [[5, 'authorization_details', M, ONE, `${P}AuthorizationDetails`], [11, 'api_config', M, ONE, STRUCT]];

const MESSAGES = {
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
  UpdateConnectedAccountRequest: [...SELECTOR.slice(0, 4), [6, 'id', S, ONE, undefined, O], [5, 'connected_account', M, ONE, `${P}UpdateConnectedAccount`]],
  DeleteConnectedAccountRequest: SELECTOR,
  GetConnectedAccountByIdentifierRequest: SELECTOR,
  GetMagicLinkForConnectedAccountRequest: [...SELECTOR, [7, 'state', S, ONE, undefined, O], [8, 'user_verify_url', S, ONE, undefined, O]],
  VerifyConnectedAccountUserRequest: [[1, 'auth_request_id', S, ONE], [2, 'identifier', S, ONE]],
  ListConnectedAccountsRequest: [...SELECTOR.slice(0, 4), [5, 'provider', S, ONE], [6, 'page_size', T.UINT32, ONE], [7, 'page_token', S, ONE],
    [8, 'query', S, ONE], [9, 'connection_names', S, MANY]],
};

const PACKAGE = 'scalekit.v1.connected_accounts';
const FILE = 'scalekit/v1/connected_accounts/connected_accounts.proto';

exports.ConnectorStatus = numericEnum(STATUS);
exports.ConnectorType = numericEnum(TYPES);
// One static line per schema, so ESM `import { XSchema }` of this CommonJS module finds each;
// lazyExports below turns each into a getter until the file is built.
exports.ConnectorStatusSchema = void 0;
exports.ConnectorTypeSchema = void 0;
exports.file_scalekit_v1_connected_accounts_connected_accounts = void 0;
exports.OauthTokenSchema = void 0;
exports.StaticAuthSchema = void 0;
exports.GoogleDWDAuthSchema = void 0;
exports.TrustedIDPAuthSchema = void 0;
exports.AuthorizationDetailsSchema = void 0;
exports.ConnectedAccountSchema = void 0;
exports.ConnectedAccountForListSchema = void 0;
exports.CreateConnectedAccountSchema = void 0;
exports.UpdateConnectedAccountSchema = void 0;
exports.ListConnectedAccountsResponseSchema = void 0;
exports.CreateConnectedAccountResponseSchema = void 0;
exports.UpdateConnectedAccountResponseSchema = void 0;
exports.GetConnectedAccountByIdentifierResponseSchema = void 0;
exports.DeleteConnectedAccountResponseSchema = void 0;
exports.GetMagicLinkForConnectedAccountResponseSchema = void 0;
exports.VerifyConnectedAccountUserResponseSchema = void 0;
exports.CreateConnectedAccountRequestSchema = void 0;
exports.UpdateConnectedAccountRequestSchema = void 0;
exports.DeleteConnectedAccountRequestSchema = void 0;
exports.GetConnectedAccountByIdentifierRequestSchema = void 0;
exports.GetMagicLinkForConnectedAccountRequestSchema = void 0;
exports.VerifyConnectedAccountUserRequestSchema = void 0;
exports.ListConnectedAccountsRequestSchema = void 0;

lazyExports(exports, ['ConnectorStatusSchema', 'ConnectorTypeSchema', 'file_scalekit_v1_connected_accounts_connected_accounts',
  ...Object.keys(MESSAGES).map((name) => `${name}Schema`)], () => {
  const registry = buildFile(FILE, PACKAGE, MESSAGES, { ConnectorStatus: STATUS, ConnectorType: TYPES });
  return {
    ConnectorStatusSchema: registry.getEnum(`${PACKAGE}.ConnectorStatus`),
    ConnectorTypeSchema: registry.getEnum(`${PACKAGE}.ConnectorType`),
    file_scalekit_v1_connected_accounts_connected_accounts: registry.getFile(FILE),
    ...Object.fromEntries(Object.keys(MESSAGES).map((name) => [`${name}Schema`, registry.getMessage(`${PACKAGE}.${name}`)])),
  };
});
