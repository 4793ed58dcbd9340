// Real MCP clients (the official @modelcontextprotocol/sdk: Streamable HTTP and SSE transports)
// against per-user instance URLs and a config URL with a session token.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ScalekitClient } from '@scalekit-sdk/node';
import { connectorToolNames, startGateway } from './gateway.mjs';

async function session(transport, tool, args) {
  const client = new Client({ name: 'agentkit-test', version: '1.0.0' });
  await client.connect(transport);
  try {
    const { tools } = await client.listTools();
    const result = await client.callTool({ name: tool, arguments: args });
    return { names: tools.map((t) => t.name), tools, result };
  } finally {
    await client.close();
  }
}

describe('mcp', () => {
  let gateway;
  let scalekit;
  let config;
  before(async () => {
    gateway = await startGateway();
    const { env } = gateway;
    scalekit = new ScalekitClient(env.SCALEKIT_ENV_URL, env.SCALEKIT_CLIENT_ID, env.SCALEKIT_CLIENT_SECRET);
    config = `node-mcp-${randomUUID().slice(0, 8)}`;
    await scalekit.actions.mcp.createConfig({ name: config, connectionToolMappings: [{ connectionName: 'gmail', tools: [] }] });
  });
  after(async () => { await gateway.stop(); });

  const authorize = async (user) => {
    const { link } = await scalekit.actions.getAuthorizationLink({ connectionName: 'gmail', identifier: user });
    assert.equal((await fetch(link)).status, 200);
  };

  it('serves Streamable HTTP and SSE clients for the URL\'s user', async () => {
    const user = `node-mcp-${randomUUID().slice(0, 6)}`;
    const { instance } = await scalekit.actions.mcp.ensureInstance({ configName: config, userIdentifier: user });
    const url = new URL(instance.url);
    const pending = await session(new StreamableHTTPClientTransport(url), 'gmail_fetch_mails', { query: 'is:unread' });
    assert.deepEqual(pending.names, connectorToolNames('gmail'));
    assert.equal(pending.tools.find((t) => t.name === 'gmail_fetch_mails').annotations.readOnlyHint, true);
    assert.equal(pending.result.isError, true);
    assert.match(pending.result.content[0].text, /\/connect\//);

    await authorize(user);
    for (const transport of [new StreamableHTTPClientTransport(url), new SSEClientTransport(url)]) {
      const { result } = await session(transport, 'gmail_fetch_mails', { query: 'is:unread', max_results: 2 });
      assert.equal(result.isError, false);
      assert.equal(result.structuredContent.messages.length, 2);
      assert.ok(result.structuredContent.messages.every((m) => m.to.includes(user)));
    }
  });

  it('serves the config URL to a session-token bearer, read-only tokens seeing read-only tools', async () => {
    const user = `node-tok-${randomUUID().slice(0, 6)}`;
    await authorize(user);
    const { config: cfg } = await scalekit.actions.mcp.getConfig({ configId: config });
    const full = await scalekit.actions.mcp.createSessionToken({ configId: cfg.id, identifier: user, expiry: '600s' });
    const readOnly = await scalekit.actions.mcp.createSessionToken({ configId: cfg.id, identifier: user, accessLevel: 'READ_ONLY' });
    const withToken = (token) => new StreamableHTTPClientTransport(new URL(cfg.mcpServerUrl), { requestInit: { headers: { authorization: `Bearer ${token}` } } });
    const all = await session(withToken(full.token), 'gmail_list_labels', {});
    assert.ok(all.names.includes('gmail_send_message'));
    assert.equal(all.result.structuredContent.labels.length, 10);
    const limited = await session(withToken(readOnly.token), 'gmail_list_labels', {});
    assert.ok(!limited.names.includes('gmail_send_message'));
    await assert.rejects(session(new StreamableHTTPClientTransport(new URL(cfg.mcpServerUrl)), 'gmail_list_labels', {}));
  });

  it('refuses a revoked URL', async () => {
    const user = `node-rev-${randomUUID().slice(0, 6)}`;
    const { instance } = await scalekit.actions.mcp.ensureInstance({ configName: config, userIdentifier: user });
    await scalekit.actions.mcp.deleteInstance({ instanceId: instance.id });
    await assert.rejects(session(new StreamableHTTPClientTransport(new URL(instance.url)), 'gmail_list_labels', {}));
  });
});
