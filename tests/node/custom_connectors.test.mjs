// A custom connector end to end through the Node SDK: created at runtime
// (`actions.providers.createCustomProvider`), used through a connected account with a static
// token, a declarative tool (`executeTool`) and the proxy (`request`), then removed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

import { ScalekitBadRequestException, ScalekitClient, ScalekitConflictException, ScalekitNotFoundException } from '@scalekit-sdk/node';
import { startGateway } from './gateway.mjs';

describe('custom connectors', () => {
  let gateway;
  let scalekit;
  before(async () => {
    gateway = await startGateway();
    const { env } = gateway;
    scalekit = new ScalekitClient(env.SCALEKIT_ENV_URL, env.SCALEKIT_CLIENT_ID, env.SCALEKIT_CLIENT_SECRET);
  });
  after(async () => { await gateway.stop(); });

  it('creates, uses and deletes a custom provider', async () => {
    const { actions } = scalekit;
    const suffix = randomUUID().slice(0, 6);
    const slug = `tickets_${suffix}`;
    const toolName = `${slug}_echo`;
    const { provider } = await actions.providers.createCustomProvider({
      displayName: `Tickets ${suffix}`,
      proxyUrl: gateway.env.AGENTKIT_SANDBOX_URL,
      authPatterns: [{ type: 'BEARER', displayName: 'Token', fields: [{ fieldName: 'token', inputType: 'password', required: true }] }],
      tools: [{
        name: toolName, description: 'Echo', annotations: { read_only_hint: true },
        input_schema: { type: 'object', properties: { ticket_id: { type: 'string' } }, required: ['ticket_id'] },
        request: { method: 'GET', path: '/sandbox/echo', query: { ticket_id: '{{ticket_id}}' } },
      }],
    });
    assert.equal(provider.identifier, slug);
    assert.equal(provider.isCustom, true);
    assert.equal(provider.tools[0].inputSchema.properties.ticket_id.type, 'string', 'schemas keep their casing');

    const { providers } = await actions.providers.listProviders({ providerType: 'CUSTOM', identifier: slug });
    assert.deepEqual(providers.map((p) => p.identifier), [slug]);

    const identifier = `u-${suffix}`;
    await actions.createConnectedAccount({
      connectionName: slug, identifier, authorizationDetails: { staticAuth: { details: { token: 'tk-node' } } },
    });
    const { data } = await actions.executeTool({ toolName, identifier, toolInput: { ticket_id: 'T-9' } });
    assert.equal(data.headers.authorization, 'Bearer tk-node');
    assert.equal(data.query, 'ticket_id=T-9');
    const proxied = await actions.request({ connectionName: slug, identifier, path: '/sandbox/echo' });
    assert.equal(proxied.data.headers.authorization, 'Bearer tk-node');

    const updated = await actions.providers.updateCustomProvider({ identifier: slug, description: 'Support desk' });
    assert.equal(updated.provider.description, 'Support desk');
    await assert.rejects(actions.providers.deleteCustomProvider({ identifier: slug }), ScalekitConflictException);
    await actions.deleteConnectedAccount({ connectionName: slug, identifier });
    await actions.providers.deleteCustomProvider({ identifier: slug });
    await assert.rejects(actions.executeTool({ toolName, identifier, toolInput: { ticket_id: 'T-9' } }), ScalekitNotFoundException);
  });

  it('names the bad field', async () => {
    await assert.rejects(
      scalekit.actions.providers.createCustomProvider({ displayName: 'Bad', proxyUrl: 'ftp://bad', authPatterns: [{ type: 'BEARER' }] }),
      (e) => e instanceof ScalekitBadRequestException && e.message.includes('proxy_url'),
    );
  });
});
