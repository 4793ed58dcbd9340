// No credential ever leaves the vault by a side door: not in list responses, execution records,
// error messages or the gateway's own logs (debug level).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { ScalekitBadRequestException, ScalekitClient } from '@scalekit-sdk/node';
import { apiToken, startGateway } from './gateway.mjs';

const CANARY = 'ya29.canary-SECRET-never-log-me';

describe('secrets', () => {
  let gateway;
  before(async () => { gateway = await startGateway(); });
  after(async () => { await gateway.stop(); });

  it('keeps credentials secret', async () => {
    const { env } = gateway;
    const client = new ScalekitClient(env.SCALEKIT_ENV_URL, env.SCALEKIT_CLIENT_ID, env.SCALEKIT_CLIENT_SECRET);
    const { actions } = client;
    await actions.createConnectedAccount({
      connectionName: 'gmail', identifier: 'secret-user',
      authorizationDetails: { oauthToken: { accessToken: CANARY, refreshToken: `${CANARY}-refresh` } },
    });
    // The provider rejects the access token, then the refresh token: the account is EXPIRED.
    await assert.rejects(
      actions.executeTool({ toolName: 'gmail_fetch_mails', identifier: 'secret-user', toolInput: { query: 'is:unread' } }),
      (e) => e instanceof ScalekitBadRequestException && e.message.includes('EXPIRED') && !e.message.includes(CANARY),
    );
    await assert.rejects(
      actions.request({ connectionName: 'gmail', identifier: 'secret-user', path: '/gmail/v1/users/me/labels' }),
      (e) => e.response.status === 400 && !JSON.stringify(e.response.data).includes(CANARY),
    );
    const listed = await actions.listConnectedAccounts({ identifier: 'secret-user' });
    assert.ok(!JSON.stringify(listed).includes(CANARY));
    const details = await actions.getConnectedAccountDetails({ connectionName: 'gmail', identifier: 'secret-user' });
    assert.equal(details.connectedAccount.authorizationDetails, undefined);

    const token = await apiToken(env);
    const records = await (await fetch(`${env.SCALEKIT_ENV_URL}/api/v1/executions?identifier=secret-user`, { headers: { authorization: `Bearer ${token}` } })).text();
    assert.ok(records.includes('gmail_fetch_mails') && records.includes('FAILED'));
    assert.ok(!records.includes(CANARY));

    const log = gateway.logText();
    assert.ok(log.includes('connected account created'));
    assert.ok(!log.includes(CANARY));
    assert.ok(!log.includes(env.SCALEKIT_CLIENT_SECRET));
    const full = await actions.getConnectedAccount({ connectionName: 'gmail', identifier: 'secret-user' });
    assert.equal(full.connectedAccount.authorizationDetails.oauthToken.accessToken, CANARY);
  });
});
