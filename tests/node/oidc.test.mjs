// The Node SDK through a consent flow at a real OpenID Connect server (oidc-provider, started with
// an `agentkit serve` gateway by tests/oidc/stack.mjs): authorization, a tool call with the issued
// token, and user verification refusing a second identifier.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { ConnectorStatus, ScalekitClient, ScalekitForbiddenException } from '@scalekit-sdk/node';
import { ROOT } from './gateway.mjs';

/** A user's browser: its own cookie jar, follows redirects, stops before host `stopAt`. */
function browser(stopAt = '') {
  const jar = new Map(); // host → Map(name → value)
  return async function open(url) {
    for (let hops = 0; hops < 20; hops += 1) {
      const target = new URL(url);
      const cookies = [...(jar.get(target.host) ?? new Map())].map(([k, v]) => `${k}=${v}`).join('; ');
      const resp = await fetch(target, { redirect: 'manual', headers: cookies ? { cookie: cookies } : {} });
      for (const line of resp.headers.getSetCookie()) {
        const [pair] = line.split(';');
        const at = pair.indexOf('=');
        if (!jar.has(target.host)) jar.set(target.host, new Map());
        jar.get(target.host).set(pair.slice(0, at).trim(), pair.slice(at + 1));
      }
      const location = resp.headers.get('location');
      if (resp.status >= 300 && resp.status < 400 && location) {
        const next = new URL(location, target);
        if (stopAt && next.hostname === stopAt) return { status: resp.status, location: next };
        url = next.href;
        continue;
      }
      return { status: resp.status, text: await resp.text() };
    }
    throw new Error('too many redirects');
  };
}

describe('oidc', () => {
  let stack;
  const env = {};
  before(async () => {
    stack = spawn(process.execPath, [join(ROOT, 'tests', 'oidc', 'stack.mjs')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] });
    const lines = createInterface({ input: stack.stdout });
    await new Promise((resolve, reject) => {
      stack.once('exit', (code) => reject(new Error(`oidc stack exited with ${code}`)));
      lines.on('line', (line) => {
        const [name, ...rest] = line.replace(/^export /, '').split('=');
        env[name] = rest.join('=');
        if (name === 'OIDC_ISSUER') resolve();
      });
    });
    stack.removeAllListeners('exit');
  });
  after(async () => {
    const exited = new Promise((resolve) => stack.once('exit', resolve));
    stack.kill('SIGTERM');
    await exited;
  });

  it('consents and verifies at a real OIDC server', async () => {
    const { actions } = new ScalekitClient(env.SCALEKIT_ENV_URL, env.SCALEKIT_CLIENT_ID, env.SCALEKIT_CLIENT_SECRET);
    const { link } = await actions.getAuthorizationLink({ connectionName: 'oidc', identifier: 'node-alice' });
    const page = await browser()(link);
    assert.equal(page.status, 200);
    assert.match(page.text, /connected/);
    const { connectedAccount } = await actions.getConnectedAccount({ connectionName: 'oidc', identifier: 'node-alice' });
    assert.equal(connectedAccount.status, ConnectorStatus.ACTIVE);
    assert.ok(connectedAccount.authorizationDetails.oauthToken.refreshToken);
    const me = await actions.executeTool({ toolName: 'oidc_userinfo', identifier: 'node-alice', toolInput: {} });
    assert.equal(me.data.sub, 'node-alice');

    const verify = await actions.getAuthorizationLink({
      connectionName: 'oidc', identifier: 'node-bob', userVerifyUrl: 'https://app.example.test/verify', state: 'st',
    });
    const stopped = await browser('app.example.test')(verify.link);
    const authRequestId = stopped.location.searchParams.get('auth_request_id');
    await assert.rejects(actions.verifyConnectedAccountUser({ authRequestId, identifier: 'node-mallory' }), ScalekitForbiddenException);
    const pending = await actions.getConnectedAccountDetails({ connectionName: 'oidc', identifier: 'node-bob' });
    assert.equal(pending.connectedAccount.status, ConnectorStatus.PENDING_VERIFICATION);
    const done = await actions.verifyConnectedAccountUser({ authRequestId, identifier: 'node-bob' });
    assert.match(done.postUserVerifyRedirectUrl, /\/connect\/complete$/);
    const bob = await actions.executeTool({ toolName: 'oidc_userinfo', identifier: 'node-bob', toolInput: {} });
    assert.equal(bob.data.sub, 'node-bob');
  });
});
