// Drop-in parity with the official @scalekit-sdk/node: the typings compared with the official .d.ts
// (names and types), official-style TypeScript type-checked against both packages, and
// official-style calls that used to fail on this SDK, run against `agentkit dev` (twin of
// tests/python/test_sdk_parity.py).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ScalekitClient, ScalekitGatewayTimeoutException, ScalekitNotFoundException, ScalekitServerException, WebhookVerificationError } from '@scalekit-sdk/node';
import { ROOT, startGateway } from './gateway.mjs';
import { incompatibility, officialPackage } from '../../scripts/sdk_parity.mjs';
import { compareTypes } from '../../scripts/sdk_type_parity.mjs';
import { createRequire } from 'node:module';

describe('sdk parity: typings against the official package', () => {
  it('has every official method with a compatible signature', () => {
    const out = execFileSync('node', [join(ROOT, 'scripts', 'sdk_parity.mjs'), '--strict'], { encoding: 'utf8', timeout: 300_000 });
    console.log(out);
    const [, official, compatible] = out.match(/(\d+) official, (\d+) compatible/) ?? [];
    const baseline = JSON.parse(readFileSync(join(ROOT, 'tests', 'parity', 'node-baseline.json'), 'utf8'));
    assert.ok(Number(official) >= 26 && Number(compatible) >= baseline.compatible.length, out);
  });

  it('keeps the deep lib/ imports of the official AgentKit modules working', () => {
    const require = createRequire(import.meta.url);
    const official = officialPackage();
    for (const [path, name] of [['actions', 'ActionsClient'], ['tools', 'ToolsClient'], ['connected-accounts', 'ConnectedAccountsClient'], ['scalekit', 'ScalekitClient']]) {
      assert.ok(readFileSync(join(official, `${path}.js`), 'utf8').includes('exports.default'), `official lib/${path} has a default export`);
      const ours = require(`@scalekit-sdk/node/lib/${path}`);
      assert.equal(ours.default.name, name, `lib/${path}`);
      assert.equal(require(`@scalekit-sdk/node/lib/${path}.js`).default, ours.default);
    }
    assert.equal(require('@scalekit-sdk/node/lib/errors').ScalekitNotFoundException, ScalekitNotFoundException);
    const pb = require('@scalekit-sdk/node/lib/pkg/grpc/scalekit/v1/connected_accounts/connected_accounts_pb.js');
    assert.equal(pb.AuthorizationDetailsSchema.typeName, 'scalekit.v1.connected_accounts.AuthorizationDetails');
  });

  it('names every schema and enum for ESM imports of the protobuf subpaths', async () => {
    for (const [path, file] of [['connected_accounts/connected_accounts_pb', 'file_scalekit_v1_connected_accounts_connected_accounts'], ['tools/tools_pb', 'file_scalekit_v1_tools_tools']]) {
      // An ESM namespace of a CommonJS module holds only statically visible exports.
      const ns = await import(`@scalekit-sdk/node/lib/pkg/grpc/scalekit/v1/${path}`);
      for (const message of ns[file].messages) assert.equal(ns[`${message.name}Schema`], message, `${path}: ${message.name}Schema`);
      for (const e of ns[file].enums) assert.equal(ns[`${e.name}Schema`], e, `${path}: ${e.name}Schema`);
    }
  });

  it('loads the protobuf schemas on first use, not with the package', () => {
    // A fresh process: what `require` loaded, then what reading a schema adds, and the exports after.
    const probe = `
      const loaded = () => Object.keys(require.cache).filter((f) => f.includes('@bufbuild')).length;
      const root = require('@scalekit-sdk/node');
      const pb = require('@scalekit-sdk/node/lib/pkg/grpc/scalekit/v1/connected_accounts/connected_accounts_pb');
      const before = loaded();
      const status = root.ConnectorStatus.ACTIVE;
      const afterEnum = loaded();
      const typeName = pb.ConnectedAccountSchema.typeName;
      const plain = Object.entries(Object.getOwnPropertyDescriptors(pb)).every(([, d]) => 'value' in d && d.writable && d.enumerable);
      console.log(JSON.stringify({ before, status, afterEnum, typeName, after: loaded() > 0, plain, file: pb.file_scalekit_v1_connected_accounts_connected_accounts === pb.ConnectedAccountSchema.file }));`;
    const seen = JSON.parse(execFileSync('node', ['-e', probe], { cwd: ROOT, encoding: 'utf8' }));
    assert.deepEqual(seen, { before: 0, status: 1, afterEnum: 0, typeName: 'scalekit.v1.connected_accounts.ConnectedAccount', after: true, plain: true, file: true });
  });

  it('notices a renamed parameter, a missing property and a newly required one', () => {
    const official = [{ params: [{ name: 'params', optional: false, props: { a: { optional: false }, b: { optional: true } } }] }];
    const same = JSON.parse(JSON.stringify(official));
    assert.equal(incompatibility(official, same), null);
    assert.match(incompatibility(official, [{ params: [{ ...same[0].params[0], name: 'options' }] }]), /parameter 0 is options/);
    assert.match(incompatibility(official, [{ params: [{ ...same[0].params[0], props: { a: { optional: false } } }] }]), /params.b not accepted/);
    assert.match(incompatibility(official, [{ params: [{ ...same[0].params[0], props: { a: { optional: false }, b: { optional: false } } }] }]), /params.b is required/);
    assert.equal(incompatibility(official, null), 'missing');
  });
});

const DOCUMENTED = join(ROOT, 'tests', 'node', 'official_typings', 'documented.ts');

/**
 * tsc --strict --noEmit of `file` (CommonJS mode, packages resolved from its folder up): the
 * diagnostics of `file` and of the declaration files under `alsoCheck` (skipLibCheck off for
 * those only, so @types/node is not checked at every run), as text.
 */
function typeCheck(file, alsoCheck) {
  const program = ts.createProgram([file], {
    strict: true, noEmit: true, target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')],
  });
  const checked = program.getSourceFiles().filter((sf) => sf.fileName === file || (alsoCheck && realpathSync(sf.fileName).startsWith(alsoCheck)));
  const diagnostics = [
    ...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics(),
    ...checked.flatMap((sf) => [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]),
  ];
  return ts.formatDiagnostics(diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => ROOT, getNewLine: () => '\n' });
}

describe('sdk parity: official-style TypeScript, type-checked only (no gateway)', () => {
  it('is official-style: compiles against the official package', () => {
    // A copy next to the official install, so `@scalekit-sdk/node` resolves to the official package.
    const dir = join(officialPackage(), '..', '..', '..', '..', 'typings-check');
    mkdirSync(dir, { recursive: true });
    const copy = join(dir, 'documented.ts');
    copyFileSync(DOCUMENTED, copy);
    assert.equal(typeCheck(copy), '', 'documented.ts must compile against the official typings');
  });

  it('compiles unchanged against ours (tsc --strict, our .d.ts checked too)', () => {
    // In place: `@scalekit-sdk/node` is the workspace link to bindings-node (its exports map's types).
    assert.equal(typeCheck(DOCUMENTED, join(ROOT, 'bindings-node', 'lib')), '');
  });
});

describe('sdk parity: the type comparison notices', () => {
  /** compareTypes over one module `index` of two small packages written here. */
  function differences(official, ours) {
    const dir = mkdtempSync(join(tmpdir(), 'sdk-types-'));
    try {
      for (const [side, text] of [['official', official], ['ours', ours]]) {
        mkdirSync(join(dir, side), { recursive: true });
        writeFileSync(join(dir, side, 'index.d.ts'), text);
      }
      const modules = [{ official: 'index', ours: 'index', names: '*' }];
      return compareTypes(join(dir, 'official'), join(dir, 'ours'), modules).differences.map((d) => `${d.key}${d.where}: ${d.text}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('notices an optional number where the official typings read a number (httpStatus)', () => {
    const official = 'export declare class E extends Error { get httpStatus(): number; private _x; }';
    assert.deepEqual(differences(official, 'export declare class E extends Error { readonly httpStatus: number; }'), []);
    assert.deepEqual(differences(official, 'export declare class E extends Error { readonly httpStatus?: number; }'),
      ['E#httpStatus: optional in ours, required in the official typings']);
    assert.match(differences(official, 'export declare class E extends Error { readonly httpStatus: string; }')[0], /E#httpStatus: ours string where the official typings give number/);
  });

  it('notices parameters: optionality, types, options ours does not accept, and answers', () => {
    const official = `export declare class C {
      list(options?: { pageSize?: number; filter?: { name?: string } }): Promise<{ items: string[]; next: string }>;
      run(params: { toolName: string; toolInput: Record<string, unknown> }): Promise<{ data?: { [k: string]: unknown } }>;
    }`;
    const same = official;
    assert.deepEqual(differences(official, same), []);
    const ours = `export declare class C {
      list(options: { pageSize?: string }): Promise<{ items: number[]; next?: string }>;
      run(params: { toolName: string; toolInput: Record<string, unknown>; identifier: string }): Promise<{ data: unknown }>;
    }`;
    const found = differences(official, ours);
    for (const expected of [
      'C#list(options): required in ours, optional in the official typings',
      'C#list(options).pageSize: the official typings pass number, ours accepts string | undefined',
      'C#list(options).filter: not accepted by ours (the official typings take it)',
      'C#list→→Promise.items[]: ours number where the official typings give string',
      'C#list→→Promise.next: optional in ours, required in the official typings',
      'C#run(params).identifier: required in ours, not in the official typings',
    ]) assert.ok(found.includes(expected), `${expected}\nnot in:\n${found.join('\n')}`);
    assert.ok(found.some((f) => f.startsWith('C#run→→Promise.data: ours unknown where')), found.join('\n'));
  });

  it('notices an enum value the official enum lacks and a missing export', () => {
    const official = 'export declare enum K { A = 0, B = 1 }\nexport type T = { k: K };';
    assert.deepEqual(differences(official, official), []);
    assert.deepEqual(differences(official, 'export declare enum K { A = 0, B = 1, C = 2 }').sort(), [
      'K.C: ours only (= 2): a value the official type does not have, so a read enum is not assignable to it',
      'T: not exported by ours from lib/index',
    ]);
  });
});

describe('sdk parity', () => {
  let gateway;
  let scalekit;
  before(async () => {
    gateway = await startGateway();
    const { env } = gateway;
    scalekit = new ScalekitClient(env.SCALEKIT_ENV_URL, env.SCALEKIT_CLIENT_ID, env.SCALEKIT_CLIENT_SECRET);
  });
  after(async () => { await gateway.stop(); });

  it('compiles official-style TypeScript with tsc --strict and runs it', () => {
    const tsc = join(ROOT, 'node_modules', '.bin', 'tsc');
    // A type error fails here with tsc's own report.
    execFileSync(tsc, ['-p', join(ROOT, 'tests', 'node', 'official_style', 'tsconfig.json')], { encoding: 'utf8', stdio: 'pipe' });
    const out = execFileSync('node', [join(ROOT, 'target', 'official-style', 'calls.js')], { encoding: 'utf8', env: { ...process.env, ...gateway.env } });
    const seen = JSON.parse(out.trim().split('\n').pop());
    assert.equal(seen.pendingStatus, true);
    assert.equal(seen.linkExpires, true);
    assert.equal(seen.listed.length, 1);
    assert.ok(seen.connections.includes('gmail:GMAIL:OAUTH'), seen.connections.join());
    assert.deepEqual(seen.created, [true, true]);
    assert.equal(seen.oneof, 'token-1');
    assert.equal(seen.json, 'ACTIVE');
    assert.equal(seen.updatedAt, true);
    assert.equal(seen.updated, 'token-2');
    assert.equal(seen.magic, true);
    assert.equal(seen.lowListed, 1);
    assert.ok(seen.scoped > 0 && seen.tools === 2);
    assert.ok(seen.toolJson.startsWith('gmail_'), seen.toolJson);
    assert.deepEqual(seen.error, [true, 5, 404]);
  });

  it('filters configs by MCP server URL', async () => {
    const name = `node-parity-${randomUUID().slice(0, 8)}`;
    const { config } = await scalekit.actions.mcp.createConfig({ name, connectionToolMappings: [{ connectionName: 'gmail', tools: [] }] });
    const listed = await scalekit.actions.mcp.listConfigs({ filterMcpServerUrl: config.mcpServerUrl });
    assert.deepEqual(listed.configs.map((c) => c.id), [config.id]);
    const none = await scalekit.actions.mcp.listConfigs({ filterMcpServerUrl: `${config.mcpServerUrl}x` });
    assert.equal(none.configs.length, 0);
  });

  it("serves a connection's own MCP server to a connection session token", async () => {
    const user = `node-conn-${randomUUID().slice(0, 8)}`;
    const { link } = await scalekit.actions.getAuthorizationLink({ connectionName: 'gmail', identifier: user });
    assert.equal((await fetch(link)).status, 200);
    const { token, expiresAt } = await scalekit.actions.mcp.createSessionToken({ connectionName: 'GMAIL', identifier: user, accessLevel: 'READ_ONLY', expiry: 300 });
    assert.ok(token && expiresAt);
    const url = new URL(`${gateway.env.SCALEKIT_ENV_URL}/mcp/v3/connections/gmail`);
    const client = new Client({ name: 'agentkit-parity', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    try {
      const names = (await client.listTools()).tools.map((t) => t.name);
      assert.ok(names.includes('gmail_fetch_mails') && !names.includes('gmail_send_message'), names.join());
      const result = await client.callTool({ name: 'gmail_fetch_mails', arguments: { max_results: 1 } });
      assert.ok(!result.isError, JSON.stringify(result));
    } finally {
      await client.close();
    }
    const refused = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}x`, 'content-type': 'application/json' }, body: '{}' });
    assert.equal(refused.status, 401);
    await assert.rejects(
      scalekit.actions.mcp.createSessionToken({ connectionName: 'gmail', configId: 'cfg_x', identifier: user }),
      (err) => err.field === 'connection_name' && err.httpStatus === 400,
    );
  });

  it('gives errors the official grpcStatus, unpackedDetails and promote()', async () => {
    const err = await scalekit.actions.mcp.getInstance({ instanceId: 'inst_missing' }).catch((e) => e);
    assert.ok(err instanceof ScalekitNotFoundException);
    assert.equal(err.grpcStatus, 5);
    assert.equal(err.unpackedDetails[0].error_code ?? err.unpackedDetails[0].errorCode, 'NOT_FOUND');
    const promoted = ScalekitServerException.promote({ status: 409, data: { code: 6, message: 'exists', details: [] } });
    assert.equal(promoted.constructor.name, 'ScalekitConflictException');
    assert.equal(promoted.message, 'exists');
    assert.equal(ScalekitServerException.promote(err), err);
  });

  it('ranks tools for a query with the user readiness, in both call forms', async () => {
    const user = `node-search-${randomUUID().slice(0, 8)}`;
    await scalekit.actions.getOrCreateConnectedAccount({ connectionName: 'gmail', identifier: user });
    const low = await scalekit.tools.searchTools('read my unread emails', { identifier: user, topK: 2 });
    assert.equal(low.tools.length, 2);
    assert.ok(low.tools[0].name.startsWith('gmail_') && low.tools[0].score > 0);
    assert.equal(low.tools[0].connections[0].readinessState, 'TOOL_READINESS_STATE_NEEDS_CONNECTION');
    const high = await scalekit.actions.searchTools({ query: 'read my unread emails', identifier: user, topK: 2 });
    assert.deepEqual(high.tools.map((t) => t.name), low.tools.map((t) => t.name));
    assert.equal(high.tools[0].connections[0].readinessState, 'NEEDS_CONNECTION');
    assert.ok((await scalekit.actions.searchTools('gmail', { topK: 500 })).tools.length <= 50);
    await assert.rejects(scalekit.tools.searchTools(''), (err) => err.field === 'query');
  });

  it('verifies trigger events signed the Standard Webhooks way', () => {
    const secret = `whsec_${Buffer.from('trigger-secret-0123456789abcdef').toString('base64')}`;
    // Signed independently of the SDK, as the specification describes.
    const sign = (id, ts, body) => ({
      'webhook-id': id,
      'webhook-timestamp': String(ts),
      'webhook-signature': `v1,${createHmac('sha256', Buffer.from(secret.slice(6), 'base64')).update(`${id}.${ts}.${body}`).digest('base64')}`,
    });
    const now = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ type: 'gmail.message.received', data: { messageId: 'm1' } });
    assert.equal(scalekit.verifyTriggerEvent(secret, sign('evt_1', now, body), body).data.messageId, 'm1');
    assert.equal(scalekit.actions.triggers.verifyEvent(secret, sign('evt_1', now, body), Buffer.from(body)).type, 'gmail.message.received');
    for (const [headers, payload] of [[sign('evt_1', now - 301, body), body], [sign('evt_1', now, body), `${body} `], [sign('evt_1', now, '[1]'), '[1]']]) {
      assert.throws(() => scalekit.verifyTriggerEvent(secret, headers, payload), WebhookVerificationError);
    }
  });

  it('honours the official timeoutMs / toolTimeoutMs options with ScalekitGatewayTimeoutException', async () => {
    const { env } = gateway;
    const quick = new ScalekitClient(env.SCALEKIT_ENV_URL, env.SCALEKIT_CLIENT_ID, env.SCALEKIT_CLIENT_SECRET, { timeoutMs: 5_000, toolTimeoutMs: 300 });
    const user = `node-timeout-${randomUUID().slice(0, 8)}`;
    const { link } = await quick.actions.getAuthorizationLink({ connectionName: 'gmail', identifier: user });
    assert.equal((await fetch(link)).status, 200);
    const slow = { connectionName: 'gmail', identifier: user, path: '/gmail/v1/users/me/labels', headers: { 'x-sandbox-delay-ms': '2000' } };
    const started = Date.now();
    await assert.rejects(quick.actions.request(slow), ScalekitGatewayTimeoutException);
    assert.ok(Date.now() - started < 1_800, `gave up after ${Date.now() - started} ms`);
    const fast = await quick.actions.request({ ...slow, headers: {} });
    assert.equal(fast.status, 200);
  });
});
