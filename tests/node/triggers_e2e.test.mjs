// A polled trigger end to end through the Node SDK against a fresh `agentkit dev`: a webhook
// endpoint registered over REST, then only the SDK — an ACTIVE Gmail account subscribed to
// `gmail_new_message` every second, the user mails themselves, and the app's receiver gets exactly
// one event for that mail within seconds, checked with `verifyTriggerEvent` (a tampered body is
// refused).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

import { ConnectorStatus, ScalekitClient, ScalekitNotFoundException, WebhookVerificationError } from '@scalekit-sdk/node';
import { apiToken, startGateway } from './gateway.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves to `check()`'s first truthy value, polling every `everyMs`; fails after `seconds`. */
async function eventually(seconds, what, check, everyMs = 100) {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const value = await check();
    if (value) return value;
    await sleep(everyMs);
  }
  assert.fail(`${what}: not within ${seconds} s`);
}

/** An app's webhook receiver on 127.0.0.1: keeps each POST's headers and raw body, answers 200. */
async function startReceiver() {
  const received = []; // { at, headers, body }
  const server = createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ at: Date.now(), headers: request.headers, body: Buffer.concat(chunks) });
      response.writeHead(200).end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const stop = () => new Promise((resolve) => server.close(resolve));
  return { url: `http://127.0.0.1:${server.address().port}/events`, received, stop };
}

describe('a polled trigger end to end', () => {
  let gateway;
  let receiver;
  before(async () => {
    gateway = await startGateway();
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver?.stop();
    await gateway?.stop();
  });

  it('a new mail reaches the app\'s receiver as one signed trigger event', async () => {
    const { env } = gateway;
    // The one REST call: the app's webhook endpoint, for trigger events.
    const answer = await fetch(`${env.SCALEKIT_ENV_URL}/api/v1/webhook_endpoints`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await apiToken(env)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: receiver.url, events: ['trigger.*'] }),
    });
    const endpoint = await answer.json();
    assert.equal(answer.status, 201, JSON.stringify(endpoint));
    const { secret } = endpoint;
    assert.match(secret, /^whsec_/);

    // From here on, the SDK only.
    const scalekit = new ScalekitClient(env.SCALEKIT_ENV_URL, env.SCALEKIT_CLIENT_ID, env.SCALEKIT_CLIENT_SECRET);
    const user = `node-e2e-${randomUUID().slice(0, 8)}`;
    const { link } = await scalekit.actions.getAuthorizationLink({ connectionName: 'gmail', identifier: user });
    assert.equal((await fetch(link)).status, 200);
    const { connectedAccount } = await scalekit.actions.getConnectedAccount({ connectionName: 'gmail', identifier: user });
    assert.equal(connectedAccount.status, ConnectorStatus.ACTIVE);
    const inbox = await scalekit.actions.executeTool({
      toolName: 'gmail_fetch_mails', identifier: user, toolInput: { query: 'in:inbox', max_results: 20 },
    });
    assert.ok(inbox.data.messages.length > 0, 'the sandbox seeds the mailbox: mail that is there before subscribing');

    const triggers = scalekit.actions.triggers;
    let subscription = await triggers.createTriggerSubscription({
      connectionId: 'gmail', connectedAccountId: connectedAccount.id, triggerName: 'gmail_new_message', intervalSeconds: 1,
    });
    try {
      assert.deepEqual([subscription.status, subscription.requestedIntervalSeconds], ['ACTIVE', 1]);
      assert.equal(subscription.connectedAccountIdentifier, user);

      // The first poll notes what is in the mailbox (the sandbox's seeded mail): not news.
      await eventually(10, 'the first poll', async () => {
        const { subscriptions } = await triggers.listTriggerSubscriptions({ connectionId: 'gmail', triggerName: 'gmail_new_message' });
        return subscriptions.find((s) => s.id === subscription.id)?.pollState?.watermarkUpdatedAt;
      });

      const subject = `e2e ${randomUUID()}`;
      const sent = await scalekit.actions.executeTool({
        toolName: 'gmail_send_email', identifier: user, toolInput: { to: user, subject, body: 'hi' },
      });
      const sentAt = Date.now();
      const sentId = sent.data.id;
      assert.ok(sentId, JSON.stringify(sent));

      await eventually(10, 'the trigger event', () => receiver.received.length > 0, 50);
      const { at, headers, body } = receiver.received[0];
      assert.ok(at - sentAt <= 8000, `the event came ${at - sentAt} ms after the mail`);
      await sleep(2500); // more polls: nothing else (the seeded mail, the same mail again) may come
      assert.equal(receiver.received.length, 1, receiver.received.map((r) => r.body.toString()).join('\n'));

      const event = scalekit.verifyTriggerEvent(secret, headers, body);
      assert.equal(event.type, 'trigger.gmail_new_message');
      assert.equal(event.data.identifier, user);
      assert.equal(event.data.item.id, sentId);
      assert.equal(event.data.subscription_id, subscription.id);
      assert.equal(headers['webhook-id'], event.id);

      // One byte of the body changed (the identifier's last character): refused, by both verifiers.
      const tampered = Buffer.from(body);
      const flipped = tampered.indexOf(user) + user.length - 1;
      assert.ok(flipped > 0);
      tampered[flipped] ^= 1;
      assert.notDeepEqual(tampered, body);
      assert.throws(() => scalekit.verifyTriggerEvent(secret, headers, tampered), WebhookVerificationError);
      assert.throws(() => triggers.verifyEvent(secret, headers, tampered), WebhookVerificationError);

      await triggers.deleteTriggerSubscription({ connectionId: 'gmail', subscriptionId: subscription.id });
      const deleted = subscription;
      subscription = undefined;
      const { subscriptions } = await triggers.listTriggerSubscriptions({ connectionId: 'gmail' });
      assert.ok(!subscriptions.some((s) => s.id === deleted.id));
      await assert.rejects(triggers.deleteTriggerSubscription({ connectionId: 'gmail', subscriptionId: deleted.id }), ScalekitNotFoundException);
    } finally {
      if (subscription) await triggers.deleteTriggerSubscription({ connectionId: 'gmail', subscriptionId: subscription.id }).catch(() => {});
    }
  });
});
