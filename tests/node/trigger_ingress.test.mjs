// Pushed triggers through `actions.triggers`, beyond what the shared scenario can reach on
// `agentkit dev`'s Gmail: a GitHub connection (added over REST) gets its ingress endpoint, a signing
// secret and a confirmed rotation; the activity counts show the missing secret; a webhook endpoint's
// delivery attempts list the receiver's answers, newest first.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

import { ScalekitClient, ScalekitConflictException, ScalekitNotFoundException } from '@scalekit-sdk/node';
import { apiToken, startGateway } from './gateway.mjs';

async function api(env, method, path, body) {
  const answer = await fetch(`${env.SCALEKIT_ENV_URL}${path}`, {
    method,
    headers: { authorization: `Bearer ${await apiToken(env)}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: answer.status, ...(await answer.json()) };
}

describe('trigger ingress', () => {
  let gateway;
  let scalekit;
  before(async () => {
    gateway = await startGateway();
    const { env } = gateway;
    scalekit = new ScalekitClient(env.SCALEKIT_ENV_URL, env.SCALEKIT_CLIENT_ID, env.SCALEKIT_CLIENT_SECRET);
  });
  after(async () => { await gateway.stop(); });

  it('ingress endpoint and signing secret rotation', async () => {
    const triggers = scalekit.actions.triggers;
    const created = await api(gateway.env, 'POST', '/api/v1/connections', { name: 'github', connector: 'github' });
    assert.equal(created.name, 'github', JSON.stringify(created));
    await assert.rejects(triggers.getTriggerIngressEndpoint({ connectionId: 'github' }), ScalekitNotFoundException);

    const ingress = await triggers.createTriggerIngressEndpoint({ connectionId: 'github' });
    assert.equal(ingress.connectionId, 'conn_github');
    assert.ok(ingress.url.endsWith(`/api/v1/trigger-delivery/wb/${ingress.id}`), ingress.url);
    assert.deepEqual([ingress.signingSecretConfigured, ingress.signingSecretRotationId], [false, 0]);
    assert.equal((await triggers.createTriggerIngressEndpoint({ connectionId: 'conn_github' })).id, ingress.id, 'again: the same one');
    assert.equal((await triggers.getTriggerActivity()).signatureBanner, true, 'a pushed trigger without its secret');

    const first = await triggers.setTriggerSigningSecret({ connectionId: 'github', signingSecret: 'first-secret-0001' });
    assert.deepEqual([first.signingSecretConfigured, first.signingSecretRotationId, first.rotationInProgress], [true, 1, false]);
    assert.equal(first.maskedSigningSecret, '••••0001');
    assert.ok(!JSON.stringify(first).includes('first-secret'));
    const second = await triggers.setTriggerSigningSecret({ connectionId: 'github', signingSecret: 'second-secret-0002' });
    assert.deepEqual([second.signingSecretRotationId, second.rotationInProgress], [2, true]);
    assert.ok(second.previousSigningSecretExpiresAt);

    await assert.rejects(
      triggers.confirmTriggerSigningSecretRotation({ connectionId: 'github', signingSecretRotationId: 1 }),
      (err) => err instanceof ScalekitConflictException && err.httpStatus === 409 && err.field === 'signing_secret_rotation_id',
    );
    const confirmed = await triggers.confirmTriggerSigningSecretRotation({ connectionId: 'github', signingSecretRotationId: second.signingSecretRotationId });
    assert.deepEqual([confirmed.rotationInProgress, confirmed.signingSecretRotationId], [false, 2]);
    assert.equal(confirmed.previousSigningSecretExpiresAt, undefined);
    assert.deepEqual(await triggers.getTriggerIngressEndpoint({ connectionId: 'conn_github' }), confirmed);
    const activity = await triggers.getTriggerActivity();
    assert.deepEqual([activity.signatureBanner, activity.windowHours], [false, 24]);
    for (const name of ['events', 'pushes_accepted', 'pushes_refused']) assert.ok(name in activity.counts, `counts.${name} keeps its name`);
  });

  it('delivery attempts by endpoint', async () => {
    let hits = 0;
    const receiver = createServer((request, response) => {
      request.resume();
      request.on('end', () => { hits += 1; response.writeHead(hits === 1 ? 500 : 200).end(); });
    });
    await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const endpoint = await api(gateway.env, 'POST', '/api/v1/webhook_endpoints', {
        url: `http://127.0.0.1:${receiver.address().port}/hooks`, events: ['connected_account.created'],
      });
      await scalekit.actions.createConnectedAccount({
        connectionName: 'gmail', identifier: `node-attempts-${randomUUID().slice(0, 6)}`,
        authorizationDetails: { oauthToken: { accessToken: 'a', refreshToken: 'r' } },
      });
      const triggers = scalekit.actions.triggers;
      let attempts = [];
      for (let i = 0; i < 200 && attempts.length < 2; i += 1) {
        ({ attempts } = await triggers.listTriggerDeliveryAttemptsByEndpoint({ endpointId: endpoint.id, pageSize: 10 }));
        if (attempts.length < 2) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.deepEqual(attempts.map((a) => [a.status, a.responseStatusCode]), [['SUCCESS', 200], ['FAIL', 500]], 'newest first');
      assert.deepEqual(new Set(attempts.map((a) => a.endpointId)), new Set([endpoint.id]));
      assert.equal(new Set(attempts.map((a) => a.msgId)).size, 1);
      const newest = await triggers.listTriggerDeliveryAttemptsByEndpoint({ endpointId: endpoint.id, pageSize: 1 });
      assert.deepEqual(newest.attempts.map((a) => a.id), [attempts[0].id]);
      await assert.rejects(triggers.listTriggerDeliveryAttemptsByEndpoint({ endpointId: 'whe_missing' }), ScalekitNotFoundException);
    } finally {
      receiver.close();
    }
  });
});
