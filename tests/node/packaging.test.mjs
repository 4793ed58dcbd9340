// Packaging checks: typings cover the façade, shared test files exist in both languages, and the
// documented import paths resolve.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
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
    const python = readdirSync(join(ROOT, 'tests', 'python')).filter((f) => /^test_.*\.py$/.test(f)).map((f) => f.slice(5, -3)).sort();
    const node = readdirSync(join(ROOT, 'tests', 'node')).filter((f) => f.endsWith('.test.mjs')).map((f) => f.slice(0, -9)).sort();
    assert.deepEqual(node, python);
  });

  it('resolves the documented import paths', () => {
    assert.equal(ConnectorStatus.ACTIVE, 'ACTIVE');
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
