// Packaging checks: typings cover the façade, shared test files exist in both languages, and the
// documented import paths resolve.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import * as sdk from '@scalekit-sdk/node';
import { ConnectorStatus } from '@scalekit-sdk/node/lib/pkg/grpc/scalekit/v1/connected_accounts/connected_accounts_pb';
import { ROOT } from './gateway.mjs';

describe('packaging', () => {
  it('declares every façade method and export in lib/index.d.ts', () => {
    const dts = readFileSync(join(ROOT, 'bindings-node', 'lib', 'index.d.ts'), 'utf8');
    for (const Cls of [sdk.ActionsClient, sdk.ToolsClient]) {
      for (const name of Object.getOwnPropertyNames(Cls.prototype).filter((n) => n !== 'constructor' && !n.startsWith('_'))) {
        assert.match(dts, new RegExp(`\\b${name}[<(]`), `${Cls.name}.${name} is not typed`);
      }
    }
    for (const name of Object.keys(sdk).filter((n) => n !== 'default')) {
      assert.match(dts, new RegExp(`\\b${name}\\b`), `export ${name} is not typed`);
    }
  });

  it('has a twin of every test file in the other language', () => {
    // tests/python_mcp2026 holds the Python twins that need mcp 2.x (their own venv). Suites about
    // the gateway itself rather than an SDK run once, from Python (the list both languages read).
    const oneLanguage = new Set(
      JSON.parse(readFileSync(join(ROOT, 'tests', 'fixtures', 'one_language_suites.json'), 'utf8')).suites,
    );
    const python = ['python', 'python_mcp2026']
      .flatMap((dir) => readdirSync(join(ROOT, 'tests', dir)).filter((f) => /^test_.*\.py$/.test(f)))
      .map((f) => f.slice(5, -3)).filter((name) => !oneLanguage.has(name)).sort();
    const node = readdirSync(join(ROOT, 'tests', 'node')).filter((f) => f.endsWith('.test.mjs')).map((f) => f.slice(0, -9)).sort();
    assert.deepEqual(node, python);
  });

  it('calls every core operation from the façade, and runs each in a shared scenario', () => {
    const native = createRequire(import.meta.url)(join(ROOT, 'bindings-node', 'native.js'));
    const libDir = join(ROOT, 'bindings-node', 'lib');
    const source = readdirSync(libDir).filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(libDir, f), 'utf8')).join('\n');
    const unused = native.operations().filter((op) => !source.includes(`'${op}'`));
    assert.deepEqual(unused, [], 'core operations the Node façade never calls');
    // Scenario ops that run a core operation under another name (the runners map them).
    const aliases = { 'tools.execute_tool': 'execute_tool_unmodified' };
    const scenarioDir = join(ROOT, 'tests', 'fixtures', 'scenarios');
    const ops = readdirSync(scenarioDir).filter((f) => f.endsWith('.json'))
      .flatMap((f) => JSON.parse(readFileSync(join(scenarioDir, f), 'utf8')).steps.map((s) => s.op));
    const exercised = (op) => ops.some((s) => s === op || s.endsWith(`.${op}`) || aliases[s] === op);
    assert.deepEqual(native.operations().filter((op) => !exercised(op)), [], 'core operations no scenario runs');
  });

  it('defines every exception class core can name', () => {
    const native = createRequire(import.meta.url)(join(ROOT, 'bindings-node', 'native.js'));
    const missing = native.errorClasses().filter((name) => typeof sdk[name] !== 'function');
    assert.deepEqual(missing, [], 'exception classes core names but Node lacks');
    for (const name of native.errorClasses()) {
      assert.ok(new sdk[name]('x') instanceof sdk.ScalekitException, `${name} extends ScalekitException`);
    }
  });

  it('classes relayed proxy statuses by core\'s rule', () => {
    const native = createRequire(import.meta.url)(join(ROOT, 'bindings-node', 'native.js'));
    for (const [status, name] of [[400, 'ScalekitBadRequestException'], [408, 'ScalekitGatewayTimeoutException'],
      [422, 'ScalekitBadRequestException'], [429, 'ScalekitTooManyRequestsException'], [502, 'ScalekitServiceUnavailableException']]) {
      assert.equal(native.classForStatus(status), name, `HTTP ${status}`);
      assert.equal(typeof sdk[name], 'function');
    }
  });

  it('resolves the documented import paths', () => {
    // Numbers, as the official protobuf-es enums (and a reverse map to the names).
    assert.equal(ConnectorStatus.ACTIVE, 1);
    assert.equal(ConnectorStatus[3], 'PENDING_AUTH');
    assert.equal(typeof sdk.ScalekitClient, 'function');
    assert.equal(sdk.Scalekit, sdk.ScalekitClient);
    assert.ok(new sdk.ScalekitToolUnauthorizedException('x') instanceof sdk.ScalekitUnauthorizedException);
    assert.ok(sdk.isToolException(new sdk.ScalekitToolException('x')));
  });

  it('rejects bad constructor settings with a typed error naming the field', () => {
    assert.throws(() => new sdk.ScalekitClient('not a url', 'id', 'secret'),
      (e) => e instanceof sdk.ScalekitBadRequestException && e.field === 'env_url' && e.message.includes('env_url'));
    assert.throws(() => new sdk.ScalekitClient({ envUrl: 'http://127.0.0.1:1', clientId: 'id', clientSecret: 'secret', timeoutMs: -1 }),
      (e) => e instanceof sdk.ScalekitBadRequestException && e.field === 'timeoutMs');
  });
});
