// Every fragment of the SDK reference pages runs as a program against a fresh `agentkit dev`: the
// Node twin of tests/python/test_sdk_reference.py, over the same scenarios
// (tests/fixtures/sdk_reference/fragments.json). A program is a prelude giving the names a
// fragment takes from its surroundings (`req.query` of a web handler), the page's initialisation
// fragment, the scenario's `context` fragments, the fragment, and this suite's check. The page's
// fragments are TypeScript: the program is transpiled (types stripped, not checked) and run.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

import { ScalekitClient, ScalekitNotFoundException } from '@scalekit-sdk/node';
import { ROOT, startGateway } from './gateway.mjs';

const FIXTURES = join(ROOT, 'tests', 'fixtures', 'sdk_reference');
const { scenarios: SCENARIOS } = JSON.parse(readFileSync(join(FIXTURES, 'fragments.json'), 'utf8'));
const USER = 'user@example.com';
const VERIFY_HOST = 'your-app.com';
// Programs live under the repository so that '@scalekit-sdk/node' resolves to the workspace's.
const WORK = join(ROOT, 'target', 'sdk-reference-node');

const PRELUDE = "const req = { query: { auth_request_id: process.env.AUTH_REQUEST_ID } };\n";

// What each fragment must have done, run after it in the same program.
const CHECKS = {
  install_and_initialize: `
    const check = await scalekit.actions.listConnectedAccounts();
    if (!Array.isArray(check.connectedAccounts)) throw new Error('no accounts list');
  `,
  get_authorization_link: `
    if (!link.startsWith('http')) throw new Error(link);
  `,
  verify_connected_account_user: `
    const { connectedAccount: after } = await scalekit.actions.getConnectedAccount({ connectionName: 'gmail', identifier: 'user@example.com' });
    const { ConnectorStatus } = await import('@scalekit-sdk/node/lib/pkg/grpc/scalekit/v1/connected_accounts/connected_accounts_pb');
    if (after.status !== ConnectorStatus.ACTIVE) throw new Error('status ' + after.status);
  `,
  get_or_create_connected_account: `
    if (!connectedAccount.id.startsWith('ca_')) throw new Error(connectedAccount.id);
  `,
  execute_tool: `
    // The limit (sent camelCase, as the page does) and the label filter applied at the provider:
    // the sandbox mailbox holds six unread messages and two read ones.
    if (emails.emails.length !== 5) throw new Error(JSON.stringify(emails));
    if (!emails.emails.every((e) => e.labelIds.includes('UNREAD') && e.subject)) throw new Error(JSON.stringify(emails));
    const everything = (await scalekit.actions.executeTool({ toolName: 'gmail_fetch_emails', toolInput: { maxResults: 50 }, identifier: 'user@example.com' })).data.emails;
    if (everything.length !== 8 || everything.filter((e) => e.labelIds.includes('UNREAD')).length !== 6) throw new Error(JSON.stringify(everything));
  `,
  request: `
    if (!(messages.length > 0 && messages.length <= 5)) throw new Error(JSON.stringify(messages));
  `,
  mcp_create_config: `
    if (config.config.name !== 'email-agent') throw new Error(JSON.stringify(config));
    if (JSON.stringify(config.config.connectionToolMappings.map((m) => m.tools)) !== '[["gmail_fetch_emails","gmail_send_email"]]') throw new Error(JSON.stringify(config));
  `,
  mcp_ensure_instance: `
    if (!mcpUrl.startsWith('http')) throw new Error(JSON.stringify(instance));
  `,
  mcp_get_instance_auth_state: `
    const seen = JSON.stringify(authState.connections.map((c) => [c.connectionName, c.connectedAccountStatus]));
    if (seen !== '[["gmail","ACTIVE"]]') throw new Error(seen);
  `,
  list_scoped_tools: `
    const fetch = tools.find((t) => t.name === 'gmail_fetch_emails');
    if (!fetch || !fetch.description || fetch.inputSchema.properties.label.type !== 'string') throw new Error(JSON.stringify(tools[0]));
    if (fetch.tool.definition.name !== 'gmail_fetch_emails') throw new Error('the official shape is gone');
    if (!tools.some((t) => t.name === 'gmail_send_email')) throw new Error('no gmail_send_email');
  `,
  modifiers: `
    const out = (await scalekit.actions.executeTool({ toolName: 'gmail_fetch_emails', toolInput: { max_results: 3 }, identifier: 'user@example.com' })).data;
    if (out.emails.length !== 3 || !out.emails.every((e) => e.labelIds.includes('UNREAD'))) throw new Error(JSON.stringify(out));
  `,
  error_handling: `
    // Reaching here without output means the not-found branch ran (nothing printed).
  `,
};

const fragment = (file) => readFileSync(join(FIXTURES, file), 'utf8');

function program(scenario) {
  const byId = Object.fromEntries(SCENARIOS.map((s) => [s.id, s]));
  const parts = [PRELUDE, fragment(SCENARIOS[0].node.file)];
  for (const id of scenario.context) parts.push(fragment(byId[id].node.file));
  if (scenario.id !== 'install_and_initialize') parts.push(fragment(scenario.node.file));
  parts.push(CHECKS[scenario.id]);
  const source = parts.join('\n');
  return ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
}

/** Opens a real authorization link like a browser, up to the app's verify URL. */
async function authRequestId(scalekit) {
  let url = (await scalekit.actions.getAuthorizationLink({ connectionName: 'gmail', identifier: USER, userVerifyUrl: `https://${VERIFY_HOST}/verify` })).link;
  for (let hops = 0; hops < 20; hops += 1) {
    const resp = await fetch(url, { redirect: 'manual' });
    const location = resp.headers.get('location');
    if (!location) break;
    url = new URL(location, url).toString();
    if (new URL(url).hostname === VERIFY_HOST) return new URL(url).searchParams.get('auth_request_id');
  }
  throw new Error("the authorization link never reached the app's verify URL");
}

/** Brings the gateway into the state a scenario's `setup` step names; returns extra env. */
async function prepare(step, scalekit, env) {
  const { actions } = scalekit;
  if (step === 'auth_request') return { AUTH_REQUEST_ID: await authRequestId(scalekit) };
  if (step === 'active_account') {
    const resp = await fetch(`${env.AGENTKIT_SANDBOX_URL}/sandbox/tokens`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: USER }),
    });
    const token = (await resp.json()).access_token;
    await actions.getOrCreateConnectedAccount({ connectionName: 'gmail', identifier: USER });
    await actions.updateConnectedAccount({ connectionName: 'gmail', identifier: USER, authorizationDetails: { oauthToken: { accessToken: token } } });
  } else if (step === 'no_account') {
    try {
      await actions.deleteConnectedAccount({ connectionName: 'gmail', identifier: USER });
    } catch (err) {
      if (!(err instanceof ScalekitNotFoundException)) throw err;
    }
  } else if (step === 'email_agent_config' || step === 'no_email_agent_config') {
    const existing = (await actions.mcp.listConfigs({ filterName: 'email-agent' })).configs.filter((c) => c.name === 'email-agent');
    if (step === 'no_email_agent_config') {
      for (const c of existing) await actions.mcp.deleteConfig({ configId: c.id });
    } else if (existing.length === 0) {
      await actions.mcp.createConfig({ name: 'email-agent', connectionToolMappings: [{ connectionName: 'gmail', tools: ['gmail_fetch_emails', 'gmail_send_email'] }] });
    }
  } else {
    throw new Error(`unknown setup step ${step}`);
  }
  return {};
}

describe('SDK reference fragments', () => {
  let gateway;
  let scalekit;
  before(async () => {
    gateway = await startGateway();
    const { env } = gateway;
    scalekit = new ScalekitClient(env.SCALEKIT_ENV_URL, env.SCALEKIT_CLIENT_ID, env.SCALEKIT_CLIENT_SECRET);
    mkdirSync(WORK, { recursive: true });
  });
  after(async () => { await gateway.stop(); });

  for (const scenario of SCENARIOS) {
    if (!scenario.node.file) {
      it(`${scenario.id} (no Node fragment: ${scenario.node.why})`, () => assert.ok(scenario.node.why));
      continue;
    }
    it(scenario.id, async () => {
      let extraEnv = {};
      for (const step of scenario.setup) extraEnv = { ...extraEnv, ...(await prepare(step, scalekit, gateway.env)) };
      const file = join(WORK, `${scenario.id}.mjs`);
      writeFileSync(file, program(scenario));
      const proc = spawnSync(process.execPath, [file], { env: { ...process.env, ...gateway.env, ...extraEnv }, encoding: 'utf8', timeout: 120000 });
      assert.equal(proc.status, 0, proc.stdout + proc.stderr);
      if (scenario.id === 'error_handling') assert.equal(proc.stdout + proc.stderr, '');
    });
  }

  it('checks every scenario with a Node fragment, in both suites', () => {
    const withNode = SCENARIOS.filter((s) => s.node.file).map((s) => s.id).sort();
    assert.deepEqual(Object.keys(CHECKS).sort(), withNode);
    const pythonSuite = readFileSync(join(ROOT, 'tests', 'python', 'test_sdk_reference.py'), 'utf8');
    for (const s of SCENARIOS) assert.ok(pythonSuite.includes(`"${s.id}":`), `no Python check for ${s.id}`);
  });
});
