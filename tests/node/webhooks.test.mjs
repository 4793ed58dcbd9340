// The published connected_account.* webhooks through the Node SDK: an endpoint registered at
// runtime receives signed deliveries that `scalekit.verifyWebhookPayload` accepts, and refuses
// with WebhookVerificationError once tampered with or replayed outside five minutes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

import { ScalekitClient, WebhookVerificationError } from '@scalekit-sdk/node';
import { apiToken, startGateway } from './gateway.mjs';

describe('webhooks', () => {
  let gateway;
  let scalekit;
  let receiver;
  const deliveries = [];
  before(async () => {
    gateway = await startGateway();
    const { env } = gateway;
    scalekit = new ScalekitClient(env.SCALEKIT_ENV_URL, env.SCALEKIT_CLIENT_ID, env.SCALEKIT_CLIENT_SECRET);
    receiver = createServer((request, response) => {
      const chunks = [];
      request.on('data', (c) => chunks.push(c));
      request.on('end', () => {
        deliveries.push({ headers: request.headers, body: Buffer.concat(chunks) });
        response.writeHead(200).end();
      });
    });
    await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    receiver.close();
    await gateway.stop();
  });

  it('delivers signed events that verifyWebhookPayload checks', async () => {
    const { env } = gateway;
    const token = await apiToken(env);
    const answer = await fetch(`${env.SCALEKIT_ENV_URL}/api/v1/webhook_endpoints`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: `http://127.0.0.1:${receiver.address().port}/hooks`, events: ['connected_account.created'] }),
    });
    assert.equal(answer.status, 201);
    const { secret } = await answer.json();
    const user = `node-wh-${randomUUID().slice(0, 6)}`;
    await scalekit.actions.createConnectedAccount({
      connectionName: 'gmail', identifier: user, authorizationDetails: { oauthToken: { accessToken: 'a', refreshToken: 'r' } },
    });
    for (let i = 0; i < 200 && deliveries.length === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(deliveries.length, 1);
    const [{ headers, body: payload }] = deliveries;
    assert.equal(scalekit.verifyWebhookPayload(secret, headers, payload), true);
    const event = JSON.parse(payload.toString());
    assert.deepEqual([event.type, event.data.identifier, event.id], ['connected_account.created', user, headers['webhook-id']]);
    assert.throws(() => scalekit.verifyWebhookPayload(secret, headers, `${payload} `), WebhookVerificationError);
    const old = { ...headers, 'webhook-timestamp': String(Math.floor(Date.now() / 1000) - 301) };
    assert.throws(() => scalekit.verifyWebhookPayload(secret, old, payload), WebhookVerificationError);
  });
});
