// The framework MCP clients of the seed pages against an instance URL: the Vercel AI SDK MCP
// client with `type: 'sse'` and `type: 'http'`, and Mastra's `MCPClient`. Each lists the tools and
// runs `gmail_fetch_mails` for the URL's user.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

import { createMCPClient } from '@ai-sdk/mcp';
import { MCPClient } from '@mastra/mcp';
import { ScalekitClient } from '@scalekit-sdk/node';
import { startGateway } from './gateway.mjs';

/** The tool output as the framework hands it on: structured content (Mastra) or JSON text blocks. */
function messages(result) {
  if (Array.isArray(result?.messages)) return result.messages;
  const blocks = result?.content ?? [];
  const text = blocks.map((b) => b.text ?? '').join('');
  return JSON.parse(text).messages;
}

describe('mcp frameworks', () => {
  let gateway;
  let scalekit;
  before(async () => {
    gateway = await startGateway();
    const { env } = gateway;
    scalekit = new ScalekitClient(env.SCALEKIT_ENV_URL, env.SCALEKIT_CLIENT_ID, env.SCALEKIT_CLIENT_SECRET);
  });
  after(async () => { await gateway.stop(); });

  async function instanceUrl() {
    const user = `fw-${randomUUID().slice(0, 8)}`;
    const configName = `fw-${randomUUID().slice(0, 8)}`;
    await scalekit.actions.mcp.createConfig({ name: configName, connectionToolMappings: [{ connectionName: 'gmail', tools: ['gmail_fetch_mails'] }] });
    const { link } = await scalekit.actions.getAuthorizationLink({ connectionName: 'gmail', identifier: user });
    assert.equal((await fetch(link)).status, 200);
    const { instance } = await scalekit.actions.mcp.ensureInstance({ configName, userIdentifier: user });
    return { url: instance.url, user };
  }

  for (const type of ['sse', 'http']) {
    it(`Vercel AI SDK MCP client (type: '${type}')`, async () => {
      const { url, user } = await instanceUrl();
      const client = await createMCPClient({ transport: { type, url } });
      try {
        const tools = await client.tools();
        assert.deepEqual(Object.keys(tools), ['gmail_fetch_mails']);
        const result = await tools.gmail_fetch_mails.execute({ query: 'is:unread', max_results: 2 }, { toolCallId: 't1', messages: [] });
        const got = messages(result);
        assert.equal(got.length, 2);
        assert.ok(got.every((m) => m.to.includes(user)));
      } finally {
        await client.close();
      }
    });
  }

  it('Mastra MCPClient', async () => {
    const { url, user } = await instanceUrl();
    const mcp = new MCPClient({ id: `agentkit-${randomUUID()}`, servers: { scalekit: { url: new URL(url) } } });
    try {
      const tools = await mcp.getTools();
      assert.deepEqual(Object.keys(tools), ['scalekit_gmail_fetch_mails']);
      const result = await tools.scalekit_gmail_fetch_mails.execute({ context: { query: 'is:unread', max_results: 3 } });
      const got = messages(result);
      assert.equal(got.length, 3);
      assert.ok(got.every((m) => m.to.includes(user)));
    } finally {
      await mcp.disconnect();
    }
  });
});
