'use strict';
// `scalekit.connectedAccounts`.
const { OperationGroup } = require('./call');
const { accountMessage, plainInput } = require('./answers');

/**
 * `scalekit.connectedAccounts`: the official low-level connected-accounts client (`connector` is
 * the connection name; `connectedAccount` a `CreateConnectedAccount` / `UpdateConnectedAccount`
 * message or plain object). Answers are protobuf-es messages.
 */
class ConnectedAccountsClient extends OperationGroup {
  /** Accounts matching the filters, without credentials. */
  listConnectedAccounts(options = {}) {
    const { connector, ...rest } = options;
    return this._call('list_connected_accounts', { ...rest, connectionName: connector }, accountMessage('ListConnectedAccountsResponse'));
  }

  /** Accounts whose identifier, connection or connector contains `query` (3+ characters), without credentials. */
  searchConnectedAccounts({ query, pageSize, pageToken, connectionId } = {}) {
    return this._call('search_connected_accounts', { query, pageSize, pageToken, connectionId }, accountMessage('ListConnectedAccountsResponse'));
  }

  createConnectedAccount({ connector, identifier, connectedAccount, organizationId, userId } = {}) {
    const body = plainInput(connectedAccount) ?? {};
    return this._call('create_connected_account', { connectionName: connector, identifier, organizationId, userId, authorizationDetails: body.authorizationDetails, apiConfig: body.apiConfig }, accountMessage('CreateConnectedAccountResponse'));
  }

  /** The user's account on the connection, created (PENDING_AUTH) when missing. */
  getOrCreateConnectedAccount({ connector, authorizationDetails, ...rest } = {}) {
    return this._call('get_or_create_connected_account', { ...rest, connectionName: connector, authorizationDetails: plainInput(authorizationDetails) }, accountMessage('CreateConnectedAccountResponse'));
  }

  updateConnectedAccount({ connector, connectedAccount, ...rest } = {}) {
    const body = plainInput(connectedAccount) ?? {};
    return this._call('update_connected_account', { ...rest, connectionName: connector, authorizationDetails: body.authorizationDetails, apiConfig: body.apiConfig }, accountMessage('UpdateConnectedAccountResponse'));
  }

  deleteConnectedAccount({ connector, ...rest } = {}) {
    return this._call('delete_connected_account', { ...rest, connectionName: connector }, accountMessage('DeleteConnectedAccountResponse'));
  }

  /** A signed, expiring authorization link (`link`, `expiry`). */
  getMagicLinkForConnectedAccount({ connector, ...rest } = {}) {
    return this._call('get_authorization_link', { ...rest, connectionName: connector }, accountMessage('GetMagicLinkForConnectedAccountResponse'));
  }

  verifyConnectedAccountUser(params) {
    return this._call('verify_connected_account_user', params, accountMessage('VerifyConnectedAccountUserResponse'));
  }

  /** The account with its credentials. Protect access to this method. */
  getConnectedAccountByIdentifier({ connector, ...rest } = {}) {
    return this._call('get_connected_account', { ...rest, connectionName: connector }, accountMessage('GetConnectedAccountByIdentifierResponse'));
  }
}
ConnectedAccountsClient.prototype.upsertConnectedAccount = ConnectedAccountsClient.prototype.getOrCreateConnectedAccount;

Object.defineProperty(exports, '__esModule', { value: true });
exports.ConnectedAccountsClient = ConnectedAccountsClient;
// The official package's module path `lib/connected-accounts` has it as its default export.
exports.default = ConnectedAccountsClient;
