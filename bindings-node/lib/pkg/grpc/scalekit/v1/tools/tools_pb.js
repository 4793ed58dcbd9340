'use strict';
/**
 * `scalekit.v1.tools` at the official SDK's import path: a schema per message (`ToolSchema`,
 * `FilterSchema`, `ListToolsResponseSchema`…), built from field tables by lib/proto.js. The
 * low-level tools client answers with messages of these schemas, built (with @bufbuild/protobuf)
 * on first read of any.
 */

const { T, ONE, MANY, OPTIONAL, buildFile, lazyExports } = require('../../../../../proto');

const P = '.scalekit.v1.tools.';
const S = T.STRING;
const M = T.MESSAGE;
const STRUCT = '.google.protobuf.Struct';
const PAGE = [[1, 'next_page_token', S, ONE], [2, 'total_size', T.UINT32, ONE], [3, 'prev_page_token', S, ONE]];

const MESSAGES = {
  Tool: [[1, 'id', S, ONE], [2, 'provider', S, ONE], [3, 'definition', M, ONE, STRUCT], [4, 'metadata', M, ONE, STRUCT],
    [5, 'tags', S, MANY], [6, 'is_default', M, ONE, '.google.protobuf.BoolValue'], [7, 'updated_at', M, ONE, '.google.protobuf.Timestamp']],
  ScopedTool: [[1, 'tool', M, ONE, `${P}Tool`], [2, 'identifier', S, ONE], [3, 'connected_account_id', S, ONE]],
  // query… connected_account_id: proto3 `optional`, as in the official message.
  Filter: [[1, 'summary', M, ONE, '.google.protobuf.BoolValue'], [2, 'provider', S, ONE], [3, 'identifier', S, ONE], [4, 'tool_name', S, MANY],
    [5, 'query', S, ONE, undefined, OPTIONAL], [6, 'connector', S, ONE, undefined, OPTIONAL], [7, 'organization_id', S, ONE, undefined, OPTIONAL],
    [8, 'user_id', S, ONE, undefined, OPTIONAL], [9, 'connected_account_id', S, ONE, undefined, OPTIONAL]],
  ScopedToolFilter: [[1, 'providers', S, MANY], [2, 'tool_names', S, MANY], [3, 'connection_names', S, MANY]],
  ListToolsResponse: [...PAGE, [4, 'tool_names', S, MANY], [5, 'tools', M, MANY, `${P}Tool`]],
  ListScopedToolsResponse: [...PAGE, [5, 'tools', M, MANY, `${P}ScopedTool`]],
  ListAvailableToolsResponse: [...PAGE, [4, 'tools', M, MANY, `${P}Tool`]],
  ExecuteToolResponse: [[1, 'data', M, ONE, STRUCT], [2, 'execution_id', S, ONE]],
};

const PACKAGE = 'scalekit.v1.tools';
const FILE = 'scalekit/v1/tools/tools.proto';

// One static line per schema, so ESM `import { XSchema }` of this CommonJS module finds each;
// lazyExports below turns each into a getter until the file is built.
exports.file_scalekit_v1_tools_tools = void 0;
exports.ToolSchema = void 0;
exports.ScopedToolSchema = void 0;
exports.FilterSchema = void 0;
exports.ScopedToolFilterSchema = void 0;
exports.ListToolsResponseSchema = void 0;
exports.ListScopedToolsResponseSchema = void 0;
exports.ListAvailableToolsResponseSchema = void 0;
exports.ExecuteToolResponseSchema = void 0;

lazyExports(exports, ['file_scalekit_v1_tools_tools', ...Object.keys(MESSAGES).map((name) => `${name}Schema`)], () => {
  const registry = buildFile(FILE, PACKAGE, MESSAGES);
  return {
    file_scalekit_v1_tools_tools: registry.getFile(FILE),
    ...Object.fromEntries(Object.keys(MESSAGES).map((name) => [`${name}Schema`, registry.getMessage(`${PACKAGE}.${name}`)])),
  };
});
