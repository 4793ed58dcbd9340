'use strict';
// `scalekit.tools`: the official low-level tools client.
const { formatTools } = require('../native.js');
const errors = require('./errors');
const { run } = require('./call');
const { executeToolResponse, plainInput, toolsMessage } = require('./answers');

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

Object.defineProperty(exports, '__esModule', { value: true });
exports.ToolsClient = ToolsClient;
// The official package's module path `lib/tools` has it as its default export.
exports.default = ToolsClient;
