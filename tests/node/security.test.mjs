// Trust boundaries through the Node SDK: `actions.request` cannot leave `/proxy` (a path that
// climbs out to the gateway's own API would hand back a stored token), and the gateway refuses
// internal destinations for providers an API client defines.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { ScalekitBadRequestException, ScalekitClient, ScalekitForbiddenException } from '@scalekit-sdk/node';
import { startGateway } from './gateway.mjs';

const CANARY = 'ya29.canary-path-traversal';
const PATHS = [
  '/../api/v1/connected_accounts/auth?connection_name=gmail&identifier=victim',
  '/%2e%2e/api/v1/connected_accounts/auth',
  '/gmail/v1/..%2F..%2F..%2Fapi/v1/connected_accounts/auth',
  '/gmail/v1/users/me?x=1',
];

describe('security', () => {
  let gateway;
  let actions;
  before(async () => {
    gateway = await startGateway();
    const { env } = gateway;
    ({ actions } = new ScalekitClient(env.SCALEKIT_ENV_URL, env.SCALEKIT_CLIENT_ID, env.SCALEKIT_CLIENT_SECRET));
  });
  after(async () => { await gateway.stop(); });

  it('keeps request paths under /proxy', async () => {
    await actions.getOrCreateConnectedAccount({ connectionName: 'gmail', identifier: 'victim' });
    await actions.updateConnectedAccount({
      connectionName: 'gmail', identifier: 'victim', authorizationDetails: { oauthToken: { accessToken: CANARY } },
    });
    for (const path of PATHS) {
      await assert.rejects(
        actions.request({ connectionName: 'gmail', identifier: 'victim', path }),
        (e) => e instanceof ScalekitBadRequestException && e.message.includes('path') && !String(e).includes(CANARY),
        path,
      );
    }
  });

  it('refuses custom providers at internal hosts', async () => {
    await assert.rejects(
      actions.providers.createCustomProvider({
        displayName: 'Metadata', proxyUrl: 'http://169.254.169.254/latest', authPatterns: [{ type: 'BEARER' }],
      }),
      (e) => e instanceof ScalekitForbiddenException && e.message.includes('169.254.169.254'),
    );
  });
});
