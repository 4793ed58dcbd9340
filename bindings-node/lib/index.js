'use strict';
/**
 * @scalekit-sdk/node — AgentKit Node SDK. Every method is a thin call into the Rust core
 * (native addon); this file only shapes parameters, results and errors as documented.
 */

const { NativeClient, formatTools, classForStatus, verifyWebhookPayload, verifyTriggerEvent } = require('../native.js');
const errors = require('./errors');
// Loaded under its own name beside the official package: say so (README, "Installing the SDKs").
require('./install-check').warnOnMixedInstall();
// Both schema modules are cheap to load: their schemas, and @bufbuild/protobuf, are built on first
// read (a protobuf answer or input), so a plain require of the package does not pay for them.
const accountsPb = require('./pkg/grpc/scalekit/v1/connected_accounts/connected_accounts_pb');
const toolsPb = require('./pkg/grpc/scalekit/v1/tools/tools_pb');

let protobuf;
/** @bufbuild/protobuf, loaded on first use. */
const pb = () => (protobuf ??= require('@bufbuild/protobuf'));

let registry;
/** Every message schema the SDK answers with, by type name (built on first use). */
const schemas = () => (registry ??= pb().createRegistry(accountsPb.file_scalekit_v1_connected_accounts_connected_accounts, toolsPb.file_scalekit_v1_tools_tools));

const { ConnectorStatus, ConnectorType } = accountsPb;

const { version: SDK_VERSION } = require('../package.json');

const MODIFIER_ERROR_TAG = 'AGENTKIT_MODIFIER_ERROR:';
const modifierErrors = new Map();
let modifierErrorSeq = 0;

/** Rethrows a modifier's own error unchanged; other native errors become SDK classes. */
async function run(promise) {
  try {
    return await promise;
  } catch (err) {
    const text = err && typeof err.message === 'string' ? err.message : '';
    const at = text.indexOf(MODIFIER_ERROR_TAG);
    if (at >= 0) {
      const id = Number.parseInt(text.slice(at + MODIFIER_ERROR_TAG.length), 10);
      if (modifierErrors.has(id)) {
        const original = modifierErrors.get(id);
        modifierErrors.delete(id);
        throw original;
      }
    }
    throw errors.wrapError(err);
  }
}

/** Parses a relayed body: JSON when it looks like JSON, else text. */
function decodeBody(buffer, contentType) {
  const text = buffer.toString('utf8');
  if (/json/i.test(contentType || '') || /^\s*[[{]/.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

class ToolsClient {
  constructor(native) {
    this._native = native;
  }

  /** Every catalog tool matching `filter` (a `Filter` message or its fields). */
  async listTools(options = {}) {
    const answer = await run(this._native.call('list_tools', { filter: plainInput(options.filter), pageSize: options.pageSize, pageToken: options.pageToken }));
    return toolsMessage('ListToolsResponse')(answer);
  }

  /**
   * Catalog tools ranked for a natural-language query: `searchTools(query, { identifier?, topK? })`
   * or `searchTools({ query, identifier?, topK? })` (default 10 results, at most 50). With an
   * identifier, each tool's `connections` give the user's readiness per connection
   * (`TOOL_READINESS_STATE_READY`, `…_NEEDS_CONNECTION`, `…_NEEDS_REAUTH`).
   */
  searchTools(query, options = {}) {
    const params = query && typeof query === 'object' ? query : { ...options, query };
    return run(this._native.call('search_tools', { query: params.query, identifier: params.identifier, topK: params.topK }));
  }

  /** Tools this user can run through their connected accounts, with paging metadata. */
  async listScopedTools(identifier, options = {}) {
    const answer = await run(this._native.call('list_scoped_tools', { identifier, filter: plainInput(options.filter), pageSize: options.pageSize, pageToken: options.pageToken }));
    return toolsMessage('ListScopedToolsResponse')(answer);
  }

  /** Tools of every configured connection. */
  async listAvailableTools(identifier, options = {}) {
    const answer = await run(this._native.call('list_available_tools', { identifier, pageSize: options.pageSize, pageToken: options.pageToken }));
    return toolsMessage('ListAvailableToolsResponse')(answer);
  }

  /**
   * Tool definitions in a vendor's format: `anthropic`, `openai`, `openai_responses`,
   * `openai_strict`, `gemini` or `json_schema`.
   */
  formatTools(definitions, format = 'anthropic') {
    try {
      return formatTools(definitions, format);
    } catch (err) {
      throw errors.wrapError(err);
    }
  }

  /** The user's tool definitions, every page (`options`: `filter`, `pageSize`). */
  async listDefinitions(identifier, options = {}) {
    const definitions = [];
    let pageToken = options.pageToken;
    do {
      const page = await this.listScopedTools(identifier, { filter: options.filter, pageSize: options.pageSize ?? 100, pageToken });
      definitions.push(...page.tools.map((t) => t.tool.definition));
      pageToken = page.nextPageToken;
    } while (pageToken);
    return definitions;
  }

  /** Every tool of the user, ready for a model API in `format` (see `formatTools`). */
  async listFormattedTools(identifier, format = 'anthropic', options = {}) {
    return this.formatTools(await this.listDefinitions(identifier, options), format);
  }

  /** Runs a tool without modifiers. Prefer `actions.executeTool`. */
  async executeTool(params = {}) {
    const { params: toolInput, ...rest } = params;
    return executeToolResponse(await run(this._native.call('execute_tool_unmodified', { ...rest, toolInput })));
  }
}

/**
 * `authorizationDetails.oauthToken` / `.staticAuth` as read-only shortcuts next to the
 * protobuf-es oneof (`details: { case, value }`), so both ways of reading credentials work.
 */
function credentialShortcuts(details) {
  if (!details || typeof details !== 'object') return;
  for (const kind of ['oauthToken', 'staticAuth']) {
    Object.defineProperty(details, kind, {
      enumerable: false,
      configurable: true,
      get() { return this.details?.case === kind ? this.details.value : undefined; },
    });
  }
}

/**
 * An answer as the official SDK's protobuf-es message of `schema`: numeric enums
 * (`ConnectorStatus.ACTIVE`), `Timestamp` messages, oneofs. `toJson(Schema, message)` and
 * `timestampDate(...)` work on it; `JSON.stringify(message)` gives its canonical JSON instead of
 * failing on int64 bigints.
 */
function asMessage(schema) {
  return (json) => {
    const message = pb().fromJson(schema, json ?? {}, { ignoreUnknownFields: true });
    credentialShortcuts(message.connectedAccount?.authorizationDetails);
    Object.defineProperty(message, 'toJSON', { enumerable: false, configurable: true, value: () => pb().toJson(schema, message) });
    return message;
  };
}

const accountMessage = (name) => asMessage(accountsPb[`${name}Schema`]);

/**
 * The names the SDK reference page's tables give each tool (`name`, `description`,
 * `inputSchema`), as read-only, non-enumerable getters over `definition`: the official shape
 * (`t.tool.definition.name`) stays, and `toJson` / `JSON.stringify` give the official JSON.
 */
function withPageNames(tool, definitionOf) {
  const field = (name, fallback) => ({ enumerable: false, configurable: true, get: () => definitionOf()?.[name] ?? fallback });
  return Object.defineProperties(tool, { name: field('name', ''), description: field('description', ''), inputSchema: field('input_schema', {}) });
}

const toolsMessage = (name) => (json) => {
  const message = asMessage(toolsPb[`${name}Schema`])(json);
  for (const tool of message.tools ?? []) {
    withPageNames(tool, tool.$typeName.endsWith('ScopedTool') ? () => tool.tool?.definition : () => tool.definition);
  }
  return message;
};

/**
 * An executeTool answer as the official `ExecuteToolResponse` message: `$typeName` set (not
 * enumerable, so its JSON stays `{ data, executionId }`), `toJson(ExecuteToolResponseSchema, …)` works.
 */
function executeToolResponse(answer) {
  if (answer && typeof answer === 'object') {
    Object.defineProperty(answer, '$typeName', { value: 'scalekit.v1.tools.ExecuteToolResponse', enumerable: false, configurable: true, writable: true });
  }
  return answer;
}

/**
 * The proxy's answer shaped as the official SDK's AxiosResponse: `data` (JSON when it is), `status`,
 * `headers` (lower-case names), `duration` (ms) and `config` (the request as sent; not an axios config).
 */
function proxyResponse(raw, params, started) {
  const headers = Object.fromEntries(raw.headers.map(([k, v]) => [k.toLowerCase(), v]));
  const config = {
    url: params?.path, method: String(params?.method ?? 'GET').toUpperCase(), headers: { ...(params?.headers ?? {}) },
    params: params?.queryParams, data: params?.body, timeout: params?.timeoutMs,
  };
  return { data: decodeBody(raw.body, headers['content-type']), status: raw.status, statusText: '', headers, duration: Math.max(0, Math.round(performance.now() - started)), config };
}

/** A group of SDK operations over the native client: `_call` runs one by name. */
class OperationGroup {
  constructor(native) {
    this._native = native;
  }

  /** Runs `op`; `shape` turns the JSON answer into what the method returns. */
  async _call(op, params, shape) {
    const result = await run(this._native.call(op, params ?? {}));
    return shape ? shape(result) : result;
  }
}

/** `actions.mcp`: MCP configs and per-user MCP server instances (camelCase twins of Python's). */
class McpClient extends OperationGroup {

  /** Creates a config `{ name, description?, connectionToolMappings? }`. */
  createConfig(params) { return this._call('mcp.create_config', params); }
  /** Configs matching `{ pageSize?, pageToken?, filterId?, filterName?, filterProvider?, search? }`. */
  listConfigs(params = {}) { return this._call('mcp.list_configs', params); }
  getConfig(params) { return this._call('mcp.get_config', params); }
  /** `{ configId, description?, connectionToolMappings? }`; mappings are replaced. */
  updateConfig(params) { return this._call('mcp.update_config', params); }
  /** Deletes a config; its instances' URLs stop working at once. */
  deleteConfig(params) { return this._call('mcp.delete_config', params); }
  /** The user's MCP server of a config, created on first call: `{ configName, userIdentifier, name? }`. */
  ensureInstance(params) { return this._call('mcp.ensure_instance', params); }
  listInstances(params = {}) { return this._call('mcp.list_instances', params); }
  getInstance(params) { return this._call('mcp.get_instance', params); }
  /** `{ instanceId, name?, configName? }` (at least one). */
  updateInstance(params) { return this._call('mcp.update_instance', params); }
  /** Deletes an instance; its URL stops working at once. */
  deleteInstance(params) { return this._call('mcp.delete_instance', params); }
  /** `{ instanceId, includeAuthLinks? }` → `{ connections }`. */
  getInstanceAuthState(params) { return this._call('mcp.get_instance_auth_state', params); }
  /** `{ configId, identifier, includeAuthLink? }` → `{ connectedAccounts }`. */
  listMcpConnectedAccounts(params) { return this._call('mcp.list_mcp_connected_accounts', params); }
  /** `{ configId, identifier, expiry?: '3600s', accessLevel? }` → `{ token, expiresAt }`. */
  createSessionToken(params) { return this._call('mcp.create_session_token', params); }
}

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

/** A protobuf-es message given as input, as the plain JSON the operations take. */
function plainInput(value) {
  const schema = value && typeof value === 'object' && value.$typeName ? schemas().getMessage(value.$typeName) : undefined;
  return schema ? pb().toJson(schema, value) : value;
}

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
        const id = ++modifierErrorSeq;
        modifierErrors.set(id, e);
        throw new Error(`${MODIFIER_ERROR_TAG}${id}`);
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

/**
 * Client for an AgentKit environment. Both documented forms work:
 * `new ScalekitClient(envUrl, clientId, clientSecret, options?)` and
 * `new ScalekitClient({ envUrl, clientId, clientSecret, ...options })`.
 * No network I/O happens here; the token is fetched on first use.
 */
/** Runs a native Standard Webhooks check on (`secret`, headers as pairs, raw payload bytes). */
function checkSignature(check, secret, headers, payload) {
  const pairs = Object.entries(headers ?? {}).map(([name, value]) => [String(name), Array.isArray(value) ? value.join(', ') : String(value)]);
  try {
    return check(String(secret), pairs, Buffer.isBuffer(payload) ? payload : Buffer.from(String(payload)));
  } catch (err) {
    throw errors.wrapError(err);
  }
}

/** `actions.triggers`: checks the trigger events the gateway forwards to your app. */
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

// Static `exports.X =` lines so ESM `import { X }` of this CommonJS module finds every name.
exports.ScalekitClient = ScalekitClient;
exports.Scalekit = ScalekitClient;
exports.default = ScalekitClient;
exports.ActionsClient = ActionsClient;
exports.ToolsClient = ToolsClient;
exports.McpClient = McpClient;
exports.ConnectedAccountsClient = ConnectedAccountsClient;
exports.formatTools = (definitions, format) => ToolsClient.prototype.formatTools.call(null, definitions, format);
exports.ConnectorStatus = ConnectorStatus;
exports.ConnectorType = ConnectorType;
exports.ScalekitException = errors.ScalekitException;
exports.ScalekitConnectionException = errors.ScalekitConnectionException;
exports.ScalekitModifierException = errors.ScalekitModifierException;
exports.ScalekitValidateTokenFailureException = errors.ScalekitValidateTokenFailureException;
exports.ScalekitServerException = errors.ScalekitServerException;
exports.ScalekitBadRequestException = errors.ScalekitBadRequestException;
exports.ScalekitUnauthorizedException = errors.ScalekitUnauthorizedException;
exports.ScalekitForbiddenException = errors.ScalekitForbiddenException;
exports.ScalekitNotFoundException = errors.ScalekitNotFoundException;
exports.ScalekitConflictException = errors.ScalekitConflictException;
exports.ScalekitTooManyRequestsException = errors.ScalekitTooManyRequestsException;
exports.ScalekitInternalServerException = errors.ScalekitInternalServerException;
exports.ScalekitNotImplementedException = errors.ScalekitNotImplementedException;
exports.ScalekitServiceUnavailableException = errors.ScalekitServiceUnavailableException;
exports.ScalekitGatewayTimeoutException = errors.ScalekitGatewayTimeoutException;
exports.ScalekitCancelledException = errors.ScalekitCancelledException;
exports.ScalekitUnknownException = errors.ScalekitUnknownException;
exports.ScalekitToolException = errors.ScalekitToolException;
exports.ScalekitToolRateLimitException = errors.ScalekitToolRateLimitException;
exports.ScalekitToolUnauthorizedException = errors.ScalekitToolUnauthorizedException;
exports.ScalekitToolForbiddenException = errors.ScalekitToolForbiddenException;
exports.WebhookVerificationError = errors.WebhookVerificationError;
exports.isToolException = errors.isToolException;
