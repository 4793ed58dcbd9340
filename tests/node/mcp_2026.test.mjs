// MCP protocol 2026-07-28 through the official TypeScript client of that revision
// (@modelcontextprotocol/client 2.x, version negotiation 'auto'): server/discover instead of
// initialize, sorted tools, calls as the URL's user, "connect your account" as an input_required
// round trip through a URL elicitation, the config URL with a session token or an OAuth sign-in
// (the SDK's OAuth client: registration or a Client ID Metadata Document, PKCE, resource), and a
// server refusing a version it does not speak or headers that disagree with the body. The 2025 SDK (mcp.test.mjs) keeps working on the same URLs.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Client, StreamableHTTPClientTransport, UnauthorizedError } from '@modelcontextprotocol/client';
import { ConnectorStatus, ScalekitClient } from '@scalekit-sdk/node';
import { freePort, startGateway, startServe } from './gateway.mjs';

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
  constructor(user, clientMetadataUrl) { this.user = user; this.clientMetadataUrl = clientMetadataUrl; }
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
  saveDiscoveryState(state) { this.discovered = state; }
  discoveryState() { return this.discovered; }
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
    assert.equal(details.connectedAccount.status, ConnectorStatus.ACTIVE);
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

  it('refuses a request whose Mcp-Method header disagrees with its body with -32020', async () => {
    const url = await instanceUrl(`node-hdr-${randomUUID().slice(0, 6)}`);
    const meta = { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {} };
    const answer = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream',
                 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': 'gmail_send_message' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: meta } }),
    });
    assert.equal(answer.status, 400);
    const body = await answer.json();
    assert.equal(body.error.code, -32020);
    assert.match(body.error.message, /Mcp-Method/i);
  });
});

/** A CA and a certificate for 127.0.0.1 signed by it (the openssl command line), in `directory`. */
function testCertificates(directory) {
  const openssl = (...args) => execFileSync('openssl', args, { cwd: directory, stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=AgentKit node test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(directory, 'leaf.ext'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1',
    '-extfile', 'leaf.ext', '-out', 'server.pem');
  return { ca: join(directory, 'ca.pem'), key: readFileSync(join(directory, 'server.key')), cert: readFileSync(join(directory, 'server.pem')) };
}

describe('mcp 2026-07-28 OAuth with a Client ID Metadata Document', () => {
  let directory;
  let https;
  let gateway;
  const documents = new Map();
  before(async () => {
    directory = mkdtempSync(join(tmpdir(), 'agentkit-cimd-'));
    const { ca, key, cert } = testCertificates(directory);
    https = createServer({ key, cert }, (request, response) => {
      const document = documents.get(request.url);
      response.writeHead(document ? 200 : 404, { 'content-type': 'application/json' });
      response.end(JSON.stringify(document ?? {}));
    });
    await new Promise((resolve) => https.listen(0, '127.0.0.1', resolve));
    const port = await freePort();
    const httpsPort = https.address().port;
    // The gateway fetches metadata documents from public addresses only, and from the loopback
    // https server because [mcp_oauth] client_metadata_allow names it (the providers' [egress]
    // allow does not); it trusts the test CA for outbound TLS (SSL_CERT_FILE).
    gateway = await startServe((sandboxUrl, dataDir) => ({
      port,
      text: `
[server]
listen = "127.0.0.1:${port}"
data_dir = "${dataDir}"
[[api_clients]]
client_id = "skc_node_cimd"
client_secret = "sks_node_cimd_secret"
[egress]
allow = ["${new URL(sandboxUrl).host}"]
[mcp_oauth]
login_url = "${sandboxUrl}/sandbox/app/login"
login_secret = "sandbox-app-login-secret-0123456789abcdef"
client_metadata_allow = ["127.0.0.1:${httpsPort}"]
[[connections]]
name = "gmail"
connector = "gmail"
base_url = "${sandboxUrl}"
client_id = "agentkit-sandbox-app"
client_secret = "sandbox-app-secret"
authorize_url = "${sandboxUrl}/oauth2/authorize"
token_url = "${sandboxUrl}/oauth2/token"
send_login_hint = true
`,
    }), { env: { SSL_CERT_FILE: ca } });
  });
  after(async () => {
    await gateway?.stop();
    https?.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('signs the TypeScript client in without registering: its document URL is its client id', async () => {
    const scalekit = new ScalekitClient(gateway.base, 'skc_node_cimd', 'sks_node_cimd_secret');
    await scalekit.actions.mcp.createConfig({ name: 'cimd', connectionToolMappings: [{ connectionName: 'gmail', tools: TOOLS }] });
    const { configs } = await scalekit.actions.mcp.listConfigs({});
    const url = new URL(configs.find((c) => c.name === 'cimd').mcpServerUrl);
    const metadataUrl = `https://127.0.0.1:${https.address().port}/clients/node-test.json`;
    const provider = new HeadlessOAuthProvider('node-cimd-user', metadataUrl);
    documents.set('/clients/node-test.json', { ...provider.clientMetadata, client_id: metadataUrl, client_name: 'Node CIMD client' });

    const metadata = await (await fetch(`${gateway.base}/.well-known/oauth-authorization-server`)).json();
    assert.equal(metadata.client_id_metadata_document_supported, true);
    const options = { versionNegotiation: { mode: 'auto' } };
    const transport = new StreamableHTTPClientTransport(url, { authProvider: provider });
    await assert.rejects(new Client({ name: 'agentkit-test', version: '1.0.0' }, options).connect(transport), UnauthorizedError);
    assert.equal(provider.info.client_id, metadataUrl, 'no registration: the document URL is the client id');
    assert.ok(provider.browsed.consentPage.includes('Node CIMD client'), 'the consent page names the client from its document');
    await transport.finishAuth(provider.browsed.callback.searchParams);
    const client = new Client({ name: 'agentkit-test', version: '1.0.0' }, options);
    await client.connect(new StreamableHTTPClientTransport(url, { authProvider: provider }));
    try {
      assert.equal(client.getNegotiatedProtocolVersion(), MODERN);
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((t) => t.name), [...TOOLS].sort());
    } finally {
      await client.close();
    }
  });
});
