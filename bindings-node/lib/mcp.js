'use strict';
// `actions.mcp`.
const { OperationGroup } = require('./call');

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

exports.McpClient = McpClient;
