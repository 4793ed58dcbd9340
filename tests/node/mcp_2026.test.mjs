// MCP protocol 2026-07-28 through the official TypeScript client of that revision
// (@modelcontextprotocol/client 2.x, version negotiation 'auto'): server/discover instead of
// initialize, sorted tools, calls as the URL's user, "connect your account" as an input_required
// round trip through a URL elicitation, the config URL with a session token or an OAuth sign-in
// (the SDK's OAuth client: registration, PKCE, resource), and a server refusing a version it does
// not speak. The 2025 SDK (mcp.test.mjs) keeps working on the same URLs.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

import { Client, StreamableHTTPClientTransport, UnauthorizedError } from '@modelcontextprotocol/client';
import { ScalekitClient } from '@scalekit-sdk/node';
import { startGateway } from './gateway.mjs';

const MODERN = '2026-07-28';
const TOOLS = ['gmail_list_labels', 'gmail_fetch_mails', 'gmail_send_message'];

/** A 2026-07-28 client; `onUrl` answers URL elicitations (the user opening the link). */
async function connect(url, { onUrl, headers } = {}) {
  const client = new Client(
    { name: 'agentkit-test', version: '1.0.0' },
    { capabilities: onUrl ? { elicitation: { url: {} } } : {}, versionNegotiation: { mode: 'auto' } },
  );
  if (onUrl) {
    client.setRequestHandler('elicitation/create', async (request) => onUrl(request.params));
  }
  await client.connect(new StreamableHTTPClientTransport(new URL(url), headers ? { requestInit: { headers } } : {}));
  return client;
}

/** The user's browser, headless: authorization URL → the app's sign-in (the sandbox stands in,
 * signing `user` in) → the consent page, approved → the redirect to the client's callback. */
async function browse(authorizationUrl, user) {
  const hop = async (url, init = {}) => {
    const answer = await fetch(url, { redirect: 'manual', ...init });
    return { status: answer.status, location: answer.headers.get('location'), text: await answer.text() };
  };
  const toApp = await hop(authorizationUrl);
  assert.equal(toApp.status, 302);
  const back = await hop(`${toApp.location}&identifier=${encodeURIComponent(user)}`);
  assert.equal(back.status, 302);
  const consent = await hop(back.location);
  assert.equal(consent.status, 200);
  const fields = Object.fromEntries([...consent.text.matchAll(/<input type=hidden name=(\w+) value="([^"]*)">/g)]
    .map(([, name, value]) => [name, value.replaceAll('&quot;', '"').replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&')]));
  const approved = await hop(new URL('/mcp/oauth/consent', authorizationUrl), {
    method: 'POST', body: new URLSearchParams({ ...fields, decision: 'approve' }),
  });
  assert.equal(approved.status, 302);
  return { consentPage: consent.text, callback: new URL(approved.location) };
}

/** An OAuth client provider of the TypeScript SDK that registers dynamically and signs in headless. */
class HeadlessOAuthProvider {
  constructor(user) { this.user = user; }
  get redirectUrl() { return 'http://localhost:33419/callback'; }
  get clientMetadata() {
    return { client_name: 'AgentKit node test', redirect_uris: [this.redirectUrl], grant_types: ['authorization_code', 'refresh_token'],
             response_types: ['code'], token_endpoint_auth_method: 'none' };
  }
  clientInformation() { return this.info; }
  saveClientInformation(info) { this.info = info; }
  tokens() { return this.saved; }
  saveTokens(tokens) { this.saved = tokens; }
  saveCodeVerifier(verifier) { this.verifier = verifier; }
  codeVerifier() { return this.verifier; }
  async redirectToAuthorization(url) { this.browsed = await browse(url.toString(), this.user); }
}

describe('mcp 2026-07-28', () => {
  let gateway;
  let scalekit;
  let config;
  before(async () => {
    gateway = await startGateway();
    const { env } = gateway;
    scalekit = new ScalekitClient(env.SCALEKIT_ENV_URL, env.SCALEKIT_CLIENT_ID, env.SCALEKIT_CLIENT_SECRET);
    config = `node-2026-${randomUUID().slice(0, 8)}`;
    await scalekit.actions.mcp.createConfig({ name: config, connectionToolMappings: [{ connectionName: 'gmail', tools: TOOLS }] });
  });
  after(async () => { await gateway.stop(); });

  const instanceUrl = async (user) =>
    (await scalekit.actions.mcp.ensureInstance({ configName: config, userIdentifier: user })).instance.url;
  const authorize = async (user) => {
    const { link } = await scalekit.actions.getAuthorizationLink({ connectionName: 'gmail', identifier: user });
    assert.equal((await fetch(link)).status, 200);
  };

  it('discovers, lists and calls without a session', async () => {
    const user = `node-modern-${randomUUID().slice(0, 6)}`;
    await authorize(user);
    const client = await connect(await instanceUrl(user));
    try {
      assert.equal(client.getNegotiatedProtocolVersion(), MODERN);
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((t) => t.name), [...TOOLS].sort());
      const result = await client.callTool({ name: 'gmail_fetch_mails', arguments: { query: 'is:unread', max_results: 2 } });
      assert.equal(result.isError, false);
      assert.ok(result.structuredContent.messages.every((m) => m.to.includes(user)));
    } finally {
      await client.close();
    }
  });

  it('asks an unauthorized user to connect their account, then completes the call', async () => {
    const user = `node-connect-${randomUUID().slice(0, 6)}`;
    const opened = [];
    const client = await connect(await instanceUrl(user), {
      onUrl: async (params) => {
        assert.equal(params.mode, 'url');
        opened.push(params.url);
        assert.equal((await fetch(params.url)).status, 200); // the user authorizes in a browser
        return { action: 'accept' };
      },
    });
    try {
      const result = await client.callTool({ name: 'gmail_list_labels', arguments: {} });
      assert.equal(opened.length, 1);
      assert.match(opened[0], /\/connect\//);
      assert.equal(result.isError, false);
      assert.ok(result.structuredContent.labels.length > 0);
    } finally {
      await client.close();
    }
    const details = await scalekit.actions.getConnectedAccount({ connectionName: 'gmail', identifier: user });
    assert.equal(details.connectedAccount.status, 'ACTIVE');
  });

  it('serves the config URL to a session-token bearer', async () => {
    const user = `node-cfg26-${randomUUID().slice(0, 6)}`;
    await authorize(user);
    const { configs } = await scalekit.actions.mcp.listConfigs({});
    const cfg = configs.find((c) => c.name === config);
    const { token } = await scalekit.actions.mcp.createSessionToken({ configId: cfg.id, identifier: user, expiry: '600s' });
    const client = await connect(cfg.mcpServerUrl, { headers: { authorization: `Bearer ${token}` } });
    try {
      assert.equal(client.getNegotiatedProtocolVersion(), MODERN);
      const result = await client.callTool({ name: 'gmail_list_labels', arguments: {} });
      assert.equal(result.isError, false);
    } finally {
      await client.close();
    }
  });

  it('signs an MCP client in with OAuth (registration, sign-in at the app, consent, PKCE)', async () => {
    const user = `node-oauth-${randomUUID().slice(0, 6)}`;
    await authorize(user);
    const { configs } = await scalekit.actions.mcp.listConfigs({});
    const url = new URL(configs.find((c) => c.name === config).mcpServerUrl);
    const listed = configs.find((c) => c.name === config);
    assert.equal(listed.oauthMetadataUrl, `${url.origin}/.well-known/oauth-protected-resource${url.pathname}`);
    const provider = new HeadlessOAuthProvider(user);
    const options = { versionNegotiation: { mode: 'auto' } };
    const first = new Client({ name: 'agentkit-test', version: '1.0.0' }, options);
    const transport = new StreamableHTTPClientTransport(url, { authProvider: provider });
    await assert.rejects(first.connect(transport), UnauthorizedError, 'the first connect sends the user to sign in');
    assert.ok(provider.browsed.consentPage.includes('gmail_send_message'), 'the consent page lists the tools');
    await transport.finishAuth(provider.browsed.callback.searchParams);
    const client = new Client({ name: 'agentkit-test', version: '1.0.0' }, options);
    await client.connect(new StreamableHTTPClientTransport(url, { authProvider: provider }));
    try {
      assert.equal(client.getNegotiatedProtocolVersion(), MODERN);
      const result = await client.callTool({ name: 'gmail_fetch_mails', arguments: { query: 'is:unread', max_results: 2 } });
      assert.equal(result.isError, false);
      assert.ok(result.structuredContent.messages.every((m) => m.to.includes(user)), 'tools run as the signed-in user');
    } finally {
      await client.close();
    }
  });

  it('answers a version it does not speak with -32022 naming the ones it does', async () => {
    const url = await instanceUrl(`node-ver-${randomUUID().slice(0, 6)}`);
    const meta = { 'io.modelcontextprotocol/protocolVersion': '2031-01-01', 'io.modelcontextprotocol/clientCapabilities': {} };
    const answer = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream',
                 'mcp-protocol-version': '2031-01-01', 'mcp-method': 'tools/list' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: meta } }),
    });
    assert.equal(answer.status, 400);
    const body = await answer.json();
    assert.equal(body.error.code, -32022);
    assert.ok(body.error.data.supported.includes(MODERN));
  });
});
