// Runs every shared scenario of tests/fixtures/scenarios through the Node SDK.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { createRegistry, toJson } from '@bufbuild/protobuf';
import * as sdk from '@scalekit-sdk/node';
import { file_scalekit_v1_connected_accounts_connected_accounts as accountsFile } from '@scalekit-sdk/node/lib/pkg/grpc/scalekit/v1/connected_accounts/connected_accounts_pb';
import { file_scalekit_v1_tools_tools as toolsFile } from '@scalekit-sdk/node/lib/pkg/grpc/scalekit/v1/tools/tools_pb';
import { ROOT, startGateway } from './gateway.mjs';

const SCENARIOS = join(ROOT, 'tests', 'fixtures', 'scenarios');
const FILES = readdirSync(SCENARIOS).filter((f) => f.endsWith('.json')).sort();
/** Free-form values whose keys keep their casing in SDK results. */
const OPAQUE = new Set(['data', 'definition', 'metadata', 'apiConfig', 'details', 'input_schema', 'params', 'toolInput']);

const camel = (s) => s.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());

function substitute(value, vars) {
  if (typeof value === 'string') {
    for (const [name, v] of Object.entries(vars)) {
      const token = `{{${name}}}`;
      if (value === token) return v;
      value = value.split(token).join(String(v));
    }
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, vars));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, vars)]));
  return value;
}

/** snake_case parameter names → the documented lowerCamel ones (values of free-form keys kept). */
function camelParams(params) {
  return Object.fromEntries(
    Object.entries(params).map(([k, v]) => {
      const key = camel(k);
      if (key === 'filter' && v && typeof v === 'object') return [key, camelParams(v)];
      return [key, v];
    }),
  );
}

const MISSING = Symbol('missing');
const messages = createRegistry(accountsFile, toolsFile);

/**
 * A protobuf-es message (connected-account and tool-list answers) in its canonical JSON, defaults included,
 * so the shared expectations (`"status": "ACTIVE"`, RFC 3339 times) read it like the others.
 */
function comparable(result) {
  const schema = result && typeof result === 'object' && result.$typeName ? messages.getMessage(result.$typeName) : undefined;
  return schema ? toJson(schema, result, { alwaysEmitImplicit: true }) : result;
}

/** Walks a dotted snake_case path through a camelCase result (opaque subtrees keep their keys). */
function dig(obj, path) {
  let opaque = false;
  for (const part of path.split('.')) {
    if (obj === undefined || obj === null) return MISSING;
    let key = opaque || /^\d+$/.test(part) ? part : camel(part);
    if (!(key in Object(obj))) key = part; // plain JSON (e.g. the sandbox's answers) keeps snake_case
    if (!(key in Object(obj))) return MISSING;
    obj = obj[key];
    if (OPAQUE.has(key)) opaque = true;
  }
  return obj;
}

function check(result, expectation, where) {
  const value = dig(result, expectation.path);
  const label = `${where}: ${expectation.path}`;
  const present = value !== MISSING && value !== undefined && value !== null && value !== '';
  if ('absent' in expectation) {
    assert.ok(!present, `${label} should be absent, got ${JSON.stringify(value)}`);
    return;
  }
  assert.notEqual(value, MISSING, `${label} is missing in ${JSON.stringify(result)}`);
  if ('exists' in expectation) assert.ok(present, `${label} should be set`);
  if ('equals' in expectation) assert.deepEqual(value, expectation.equals, label);
  if ('length' in expectation) assert.equal(value.length, expectation.length, label);
  if ('contains' in expectation) assert.ok(value.includes(expectation.contains), `${label}: ${JSON.stringify(value)} lacks ${expectation.contains}`);
  const unknown = Object.keys(expectation).filter((k) => !['path', 'absent', 'exists', 'equals', 'length', 'contains'].includes(k));
  assert.deepEqual(unknown, [], `${label}: unknown expectation keys`);
}

/** GET following redirects like a browser; stops before a redirect to host `stop_at`. */
async function browserOpen({ url, stop_at: stopAt = '' }) {
  for (let hops = 0; hops < 10; hops += 1) {
    const resp = await fetch(url, { redirect: 'manual' });
    const location = resp.headers.get('location') ?? '';
    if (resp.status >= 300 && resp.status < 400 && location) {
      const next = new URL(location, url);
      if (stopAt && next.hostname === stopAt) {
        return { status: resp.status, text: await resp.text(), location: next.href, query: Object.fromEntries(next.searchParams) };
      }
      url = next.href;
      continue;
    }
    return { status: resp.status, text: await resp.text(), location: '', query: {} };
  }
  throw new Error('too many redirects');
}

class Runner {
  constructor(env) {
    this.env = env;
    this.client = new sdk.ScalekitClient({ envUrl: env.SCALEKIT_ENV_URL, clientId: env.SCALEKIT_CLIENT_ID, clientSecret: env.SCALEKIT_CLIENT_SECRET });
  }

  async run(op, rawParams) {
    if (op === 'sandbox.token') {
      const resp = await fetch(`${this.env.AGENTKIT_SANDBOX_URL}/sandbox/tokens`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rawParams),
      });
      return resp.json();
    }
    if (op === 'browser.open') return browserOpen(rawParams);
    if (op === 'sandbox.service_account') {
      const resp = await fetch(`${this.env.AGENTKIT_SANDBOX_URL}/sandbox/service_accounts`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rawParams),
      });
      return { key: await resp.json() };
    }
    if (op === 'client.bad_credentials') {
      // The Node client authenticates lazily: the first call reports the bad secret.
      const bad = new sdk.ScalekitClient(this.env.SCALEKIT_ENV_URL, this.env.SCALEKIT_CLIENT_ID, 'wrong-secret');
      return bad.actions.listConnectedAccounts({});
    }
    if (op === 'modifier.add') return this.addModifier(rawParams);
    const params = camelParams(rawParams);
    const [target, method] = op.split('.');
    const name = camel(method);
    if (op === 'actions.request') {
      try {
        const resp = await this.client.actions.request(params);
        return { status: resp.status, data: resp.data };
      } catch (err) {
        if (err.response) return { status: err.response.status, data: err.response.data };
        throw err;
      }
    }
    if (target === 'tools' && (name === 'listScopedTools' || name === 'listAvailableTools')) {
      const { identifier, ...options } = params;
      return this.client.tools[name](identifier, options);
    }
    const owner = { actions: this.client.actions, tools: this.client.tools, mcp: this.client.actions.mcp, providers: this.client.actions.providers, triggers: this.client.actions.triggers }[target];
    assert.equal(typeof owner?.[name], 'function', `unknown op ${op}`);
    return owner[name](params);
  }

  addModifier({ type, tool_names: toolNames, set, append }) {
    const func = async (data) => {
      if (set) Object.assign(data, set);
      if (append) (data[append.key] ??= []).push(append.value);
      return data;
    };
    this.client.actions.addModifier({ toolNames, type, func });
  }
}

describe('shared scenarios', () => {
  let gateway;
  before(async () => { gateway = await startGateway(); });
  after(async () => { await gateway.stop(); });

  for (const file of FILES) {
    const scenario = JSON.parse(readFileSync(join(SCENARIOS, file), 'utf8'));
    it(scenario.name, async () => {
      const runner = new Runner(gateway.env);
      const vars = { user: `node-${scenario.name}-${randomUUID().slice(0, 8)}` };
      for (const [index, rawStep] of scenario.steps.entries()) {
        const step = substitute(rawStep, vars);
        const where = `${scenario.name} step ${index + 1} (${step.op})`;
        if (step.error) {
          const Cls = sdk[step.error.class];
          assert.equal(typeof Cls, 'function', `${where}: unknown class ${step.error.class}`);
          await assert.rejects(runner.run(step.op, step.params ?? {}), (err) => {
            assert.ok(err instanceof Cls, `${where}: ${err?.name} is not ${step.error.class}: ${err?.message}`);
            if ('status' in step.error) assert.equal(err.httpStatus, step.error.status, `${where}: status`);
            if ('field' in step.error) {
              // Client-side checks name the parameter as the caller wrote it (pageSize); the
              // gateway names wire fields (tool_input.max_results). Both refer to the same field.
              const [head, ...rest] = step.error.field.split('.');
              const asWritten = [camel(head), ...rest].join('.');
              assert.ok([step.error.field, asWritten].includes(err.field), `${where}: field ${err.field} (${err.message})`);
            }
            if ('message_contains' in step.error) assert.ok(err.message.includes(step.error.message_contains), `${where}: message ${err.message}`);
            return true;
          });
          continue;
        }
        const result = comparable(await runner.run(step.op, step.params ?? {}));
        for (const expectation of step.expect ?? []) check(result, expectation, where);
        for (const [name, source] of Object.entries(step.save ?? {})) {
          const value = dig(result, source);
          assert.notEqual(value, MISSING, `${where}: cannot save ${source}`);
          vars[name] = value;
        }
      }
    });
  }
});
