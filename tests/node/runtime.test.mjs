// The Node SDK's runtime contract: calls never block the event loop, and a script that used the
// client (modifiers included) exits by itself.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

import { ScalekitClient } from '@scalekit-sdk/node';
import { ROOT, activate, startGateway } from './gateway.mjs';

const SLOW_MS = 300;


describe('runtime', () => {
  let gateway;
  let client;
  before(async () => {
    gateway = await startGateway();
    const { env } = gateway;
    client = new ScalekitClient(env.SCALEKIT_ENV_URL, env.SCALEKIT_CLIENT_ID, env.SCALEKIT_CLIENT_SECRET);
    await activate(env, client, 'loop-user');
  });
  after(async () => { await gateway.stop(); });

  it('does not block the event loop while calls wait', async () => {
    let ticks = 0;
    const timer = setInterval(() => { ticks += 1; }, 5);
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 5 }, () => client.actions.request({
      connectionName: 'gmail', identifier: 'loop-user', path: '/gmail/v1/users/me/labels', headers: { 'x-sandbox-delay-ms': String(SLOW_MS) },
    })));
    clearInterval(timer);
    const elapsed = Date.now() - started;
    assert.ok(results.every((r) => r.status === 200));
    assert.ok(elapsed < 1200, `calls did not overlap: ${elapsed} ms`);
    assert.ok(ticks > 20, `event loop starved: ${ticks} ticks`);
  });

  it('lets a script that used the client exit by itself', () => {
    const script = `
      const { ScalekitClient } = require('@scalekit-sdk/node');
      const c = new ScalekitClient(process.env.SCALEKIT_ENV_URL, process.env.SCALEKIT_CLIENT_ID, process.env.SCALEKIT_CLIENT_SECRET);
      c.actions.postModifier('gmail_list_labels', async (d) => d);
      c.actions.executeTool({ toolName: 'gmail_list_labels', identifier: 'loop-user', toolInput: {} })
        .then((r) => { if (r.data.labels.length !== 10) process.exit(3); });
    `;
    const runs = Number(process.env.AGENTKIT_EXIT_RUNS ?? 10);
    for (let i = 0; i < runs; i += 1) {
      const proc = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, env: { ...process.env, ...gateway.env }, timeout: 15000 });
      assert.equal(proc.error, undefined, `run ${i} did not exit by itself: ${proc.error}`);
      assert.equal(proc.status, 0, `run ${i} exited with ${proc.status}: ${proc.stderr}`);
    }
  });
});
