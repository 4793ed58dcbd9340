// What the gateway tells its operators, checked from outside: request ids end to end (the SDK
// sends one per call, the gateway keeps it, answers with it, logs it and stamps it on the
// execution record; SDK errors expose it as `requestId`) and JSON log lines, one per request,
// with the route template and no secret.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

import { ScalekitClient, ScalekitNotFoundException } from '@scalekit-sdk/node';
import { apiToken, startGateway } from './gateway.mjs';

const SECRET_CANARY = 'ya29.node-observability-canary-SECRET';

describe('observability', () => {
  let gateway;
  let scalekit;
  let env;
  before(async () => {
    gateway = await startGateway({ env: { AGENTKIT_LOG_FORMAT: 'json' } });
    env = gateway.env;
    scalekit = new ScalekitClient(env.SCALEKIT_ENV_URL, env.SCALEKIT_CLIENT_ID, env.SCALEKIT_CLIENT_SECRET);
  });
  after(async () => { await gateway.stop(); });

  const token = () => apiToken(env);
  const logLines = () => gateway.logText().split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
  /** The per-request lines, waiting briefly for the one of `requestId` (a writer thread writes them). */
  const requestLines = async (requestId) => {
    for (let i = 0; i < 100; i += 1) {
      const lines = logLines().filter((l) => l.target === 'agentkit::request');
      if (!requestId || lines.some((l) => l.request_id === requestId)) return lines;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return logLines().filter((l) => l.target === 'agentkit::request');
  };

  it('carries request ids to the caller, the log and the execution record', async () => {
    const error = await scalekit.actions
      .getConnectedAccount({ connectionName: 'gmail', identifier: `nobody-${randomUUID().slice(0, 6)}` })
      .then(() => null, (e) => e);
    assert.ok(error instanceof ScalekitNotFoundException);
    assert.match(error.requestId, /^req_[0-9a-f]{24}$/, 'the SDK named its call and the error carries the id');
    const [line] = (await requestLines(error.requestId)).filter((l) => l.request_id === error.requestId);
    assert.deepEqual([line.status, line.method, line.client_id], [404, 'GET', env.SCALEKIT_CLIENT_ID]);

    const user = `node-rid-${randomUUID().slice(0, 6)}`;
    const { link } = await scalekit.actions.getAuthorizationLink({ connectionName: 'gmail', identifier: user });
    assert.equal((await fetch(link)).status, 200);
    const bearer = await token();
    const answer = await fetch(`${env.SCALEKIT_ENV_URL}/api/v1/execute_tool`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json', 'x-request-id': 'node-caller-7' },
      body: JSON.stringify({ tool_name: 'gmail_list_labels', identifier: user, params: {} }),
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('x-request-id'), 'node-caller-7');
    const records = await (await fetch(`${env.SCALEKIT_ENV_URL}/api/v1/executions?identifier=${user}`, {
      headers: { authorization: `Bearer ${bearer}` },
    })).json();
    assert.deepEqual(records.executions.map((r) => r.request_id), ['node-caller-7']);
  });

  it('writes one JSON line per request with the route template and no secret', async () => {
    const user = `node-logs-${randomUUID().slice(0, 6)}`;
    await scalekit.actions.createConnectedAccount({
      connectionName: 'gmail', identifier: user,
      authorizationDetails: { oauthToken: { accessToken: SECRET_CANARY, refreshToken: `${SECRET_CANARY}-refresh` } },
    });
    await assert.rejects(scalekit.actions.executeTool({ toolName: 'gmail_list_labels', identifier: user, toolInput: {} }));
    const config = `node-logs-${randomUUID().slice(0, 6)}`;
    await scalekit.actions.mcp.createConfig({ name: config, connectionToolMappings: [{ connectionName: 'gmail', tools: ['gmail_list_labels'] }] });
    const { instance } = await scalekit.actions.mcp.ensureInstance({ configName: config, userIdentifier: user });
    const last = `node-last-${randomUUID().slice(0, 6)}`;
    await fetch(instance.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': last }, body: '{}' });

    const lines = await requestLines(last);
    const routes = new Set(lines.map((l) => l.route));
    for (const route of ['/oauth/token', '/api/v1/connected_accounts', '/api/v1/execute_tool', '/mcp/v1/{key}']) {
      assert.ok(routes.has(route), `${route} logged`);
    }
    const text = gateway.logText();
    assert.ok(!text.includes(instance.url.split('/').pop()), "an MCP URL's key is never logged");
    for (const secret of [SECRET_CANARY, env.SCALEKIT_CLIENT_SECRET, await token()]) assert.ok(!text.includes(secret));
    for (const line of lines) {
      for (const field of ['method', 'route', 'status', 'latency_ms', 'client_id', 'request_id']) assert.ok(field in line, field);
    }
  });

  it('audits credential reads with the caller and the request id', async () => {
    const user = `node-audit-${randomUUID().slice(0, 6)}`;
    const { link } = await scalekit.actions.getAuthorizationLink({ connectionName: 'gmail', identifier: user });
    assert.equal((await fetch(link)).status, 200);
    const { connectedAccount } = await scalekit.actions.getConnectedAccount({ connectionName: 'gmail', identifier: user });
    const bearer = await token();
    const read = await (await fetch(
      `${env.SCALEKIT_ENV_URL}/api/v1/audit?action=connected_account.credentials_read&target=${connectedAccount.id}`,
      { headers: { authorization: `Bearer ${bearer}` } },
    )).json();
    assert.equal(read.events.length, 1);
    const [event] = read.events;
    assert.deepEqual([event.actor, event.outcome, event.details.identifier], [env.SCALEKIT_CLIENT_ID, 'success', user]);
    assert.match(event.request_id, /^req_[0-9a-f]{24}$/);
    assert.ok(!JSON.stringify(read).includes('access_token'));
  });

  it('serves Prometheus metrics on their own port, printed as AGENTKIT_METRICS_URL', async () => {
    assert.equal((await fetch(`${env.SCALEKIT_ENV_URL}/metrics`)).status, 404, 'not on the public port');
    const text = await (await fetch(env.AGENTKIT_METRICS_URL)).text();
    const sample = (name, labels) => text.split('\n').filter((l) => l.startsWith(`${name}{`) && labels.every((x) => l.includes(x)))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
    assert.equal(sample('agentkit_build_info', []), 1);
    // The test above made one failed gmail_list_labels call on an account whose refresh is refused.
    assert.equal(sample('agentkit_tool_execution_duration_seconds_count', ['gen_ai_tool_name="gmail_list_labels"', 'outcome="FAILED"']), 1);
    assert.equal(sample('agentkit_token_refreshes_total', ['outcome="rejected"']), 1);
    assert.ok(!text.includes(SECRET_CANARY) && !text.includes(env.SCALEKIT_CLIENT_SECRET));
  });
});
