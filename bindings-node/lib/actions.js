'use strict';
// `scalekit.actions`: the documented AgentKit surface.
const { classForStatus } = require('../native.js');
const errors = require('./errors');
const { run, modifierFailure, OperationGroup } = require('./call');
const { accountMessage, executeToolResponse, proxyResponse } = require('./answers');
const { McpClient } = require('./mcp');
const { ProvidersClient } = require('./providers');
const { TriggersClient } = require('./triggers');

class ActionsClient extends OperationGroup {
  constructor(native, envUrl, tools) {
    super(native);
    this._envUrl = envUrl.replace(/\/+$/, '');
    this.tools = tools;
    this.mcp = new McpClient(native);
    this.providers = new ProvidersClient(native);
    this.triggers = new TriggersClient(native);
    this.upsertConnectedAccount = this.getOrCreateConnectedAccount;
  }

  /** Returns the user's account on the connection, creating it (PENDING_AUTH) when missing. */
  getOrCreateConnectedAccount(params) { return this._call('get_or_create_connected_account', params, accountMessage('CreateConnectedAccountResponse')); }
  /** Creates a connected account with explicit credentials. */
  createConnectedAccount(params) { return this._call('create_connected_account', params, accountMessage('CreateConnectedAccountResponse')); }
  /** Replaces credentials and/or apiConfig of an account. */
  updateConnectedAccount(params) { return this._call('update_connected_account', params, accountMessage('UpdateConnectedAccountResponse')); }
  /** The account with its credentials. Protect access to this method. */
  getConnectedAccount(params) { return this._call('get_connected_account', params, accountMessage('GetConnectedAccountByIdentifierResponse')); }
  /** The account without credentials. */
  getConnectedAccountDetails(params) { return this._call('get_connected_account_details', params, accountMessage('GetConnectedAccountByIdentifierResponse')); }
  /** Deletes a connected account and its credentials. */
  deleteConnectedAccount(params) { return this._call('delete_connected_account', params, accountMessage('DeleteConnectedAccountResponse')); }
  /** Accounts matching the filters (no credentials), one page at a time. */
  listConnectedAccounts(params = {}) { return this._call('list_connected_accounts', params, accountMessage('ListConnectedAccountsResponse')); }
  /** Accounts whose identifier, connection or connector contains `query` (3+ characters), one page at a time. */
  searchConnectedAccounts({ query, pageSize, pageToken, connectionId } = {}) {
    return this._call('search_connected_accounts', { query, pageSize, pageToken, connectionId }, accountMessage('ListConnectedAccountsResponse'));
  }
  /** A signed, expiring link that starts the user's authorization. */
  getAuthorizationLink(params) { return this._call('get_authorization_link', params, accountMessage('GetMagicLinkForConnectedAccountResponse')); }
  /** Confirms the user who authorized is the one the link was made for. */
  verifyConnectedAccountUser(params) { return this._call('verify_connected_account_user', params, accountMessage('VerifyConnectedAccountUserResponse')); }
  /** Runs a tool for a user; registered modifiers apply. Resolves to `{ data, executionId }`. */
  executeTool(params) { return this._call('execute_tool', params, executeToolResponse); }

  /** The app's connections (`{ pageSize?, pageToken?, provider? }`, at most 30 a page). */
  listConnections(params = {}) { return this._call('list_connections', params); }

  /** Catalog tools matching the filters (`connectionName`, `identifier`, `provider`, `toolName`, `query`…). */
  listTools(params = {}) {
    const { pageSize, pageToken, connectionName, toolName, ...filter } = params;
    const names = typeof toolName === 'string' ? [toolName] : toolName;
    return this.tools.listTools({ filter: { ...filter, connector: connectionName, toolName: names }, pageSize, pageToken });
  }

  /**
   * Catalog tools ranked for a natural-language query (see `tools.searchTools`); each
   * connection's `readinessState` is `READY`, `NEEDS_CONNECTION` or `NEEDS_REAUTH`.
   */
  async searchTools(query, options = {}) {
    const result = await this.tools.searchTools(query, options);
    for (const tool of result.tools ?? []) {
      for (const connection of tool.connections ?? []) {
        connection.readinessState = String(connection.readinessState ?? '').replace('TOOL_READINESS_STATE_', '');
      }
    }
    return result;
  }

  /**
   * Calls the provider's API as the user. Resolves to `{ data, status, statusText, headers }`;
   * a non-2xx answer rejects with the SDK error class for its status (`err.response` holds it).
   */
  async request(params) {
    const started = performance.now();
    const raw = await run(this._native.request({ ...params, body: params?.body }));
    const response = proxyResponse(raw, params, started);
    if (raw.status >= 400) {
      // The class comes from core, so a relayed status means what it means everywhere else.
      const Cls = errors[classForStatus(raw.status)] ?? errors.ScalekitException;
      const err = new Cls(`provider answered HTTP ${raw.status}`, { httpStatus: raw.status, errorCode: String(raw.status), errDetails: response.data });
      err.response = response;
      throw err;
    }
    return response;
  }

  /**
   * Uploads a file with Google's resumable protocol (Drive `/upload/drive/v3/files`, Cloud Storage,
   * YouTube, Gmail) through the gateway, as the user: `data` (Buffer, Uint8Array or string) or
   * `filePath`; `metadata` describes the new resource; chunks of `chunkSize` bytes (a multiple of
   * 256 KiB, 4 MiB by default); a dropped connection or a 5xx resumes where the provider stands;
   * `onProgress(sent, total)` follows each chunk (what it throws stops the upload). Resolves to the
   * provider's last answer (the created file) like `request`.
   */
  async uploadResumable({ data, filePath, onProgress, ...params } = {}) {
    if (onProgress !== undefined && typeof onProgress !== 'function') {
      throw new TypeError('onProgress must be a function');
    }
    const bytes = data === undefined || data === null ? undefined : Buffer.from(data);
    const report = onProgress ? async ({ sent, total }) => { await onProgress(sent, total); return null; } : undefined;
    const started = performance.now();
    const raw = await run(this._native.uploadResumable(params, bytes, filePath, report));
    return proxyResponse(raw, { method: 'POST', ...params }, started);
  }

  /**
   * A ready `tools` object for the Vercel AI SDK (`generateText({ tools })`): each tool is
   * `tool({ description, inputSchema: jsonSchema(...), execute })`, where `execute` runs
   * `executeTool` for `identifier` (modifiers apply) and resolves to the tool's data.
   */
  async vercelTools(identifier, options = {}) {
    const { tool, jsonSchema } = require('ai');
    const definitions = await this.tools.listDefinitions(identifier, options);
    return Object.fromEntries(definitions.map((d) => [d.name, tool({
      description: d.description,
      inputSchema: jsonSchema(d.input_schema),
      execute: async (toolInput) => (await this.executeTool({ toolName: d.name, identifier, toolInput })).data,
    })]));
  }

  /**
   * Registers a modifier `{ toolNames, type: 'pre' | 'post', func }`. `func(data)` may be sync or
   * async and returns the new data; modifiers of one type chain in registration order.
   */
  addModifier({ toolNames, type, func }) {
    const names = typeof toolNames === 'string' ? [toolNames] : toolNames;
    if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string' && n)) {
      throw new errors.ScalekitBadRequestException('toolNames must be a non-empty string or array of strings', { field: 'toolNames', httpStatus: 400 });
    }
    if (typeof func !== 'function') {
      throw new errors.ScalekitBadRequestException('func must be a function', { field: 'func', httpStatus: 400 });
    }
    const wrapped = async (data) => {
      try {
        return await func(data);
      } catch (e) {
        throw modifierFailure(e);
      }
    };
    this._native.addModifier(type, names, wrapped);
    return func;
  }

  /** `preModifier(toolNames, func)`: runs `func(toolInput)` before the named tools. */
  preModifier(toolNames, func) { return this.addModifier({ toolNames, type: 'pre', func }); }
  /** `postModifier(toolNames, func)`: runs `func(data)` on the named tools' output. */
  postModifier(toolNames, func) { return this.addModifier({ toolNames, type: 'post', func }); }
}

Object.defineProperty(exports, '__esModule', { value: true });
exports.ActionsClient = ActionsClient;
// The official package's module path `lib/actions` has it as its default export.
exports.default = ActionsClient;
