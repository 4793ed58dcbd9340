'use strict';
/**
 * Answers shaped as the official SDK's: protobuf-es messages of the `scalekit.v1.*` schemas
 * (built on first use, with @bufbuild/protobuf), the tools' page names, the proxy's
 * AxiosResponse-like object; and protobuf-es messages given as input turned into plain JSON.
 */

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

/** A protobuf-es message given as input, as the plain JSON the operations take. */
function plainInput(value) {
  const schema = value && typeof value === 'object' && value.$typeName ? schemas().getMessage(value.$typeName) : undefined;
  return schema ? pb().toJson(schema, value) : value;
}

module.exports = { accountMessage, toolsMessage, executeToolResponse, proxyResponse, plainInput };
