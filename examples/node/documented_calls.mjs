// Documented calls only: a connected account with explicit credentials, listScopedTools,
// executeTool and the proxied request. Used to check the released npm tarball in a clean folder
// (scripts/check-dist.sh); run it against `agentkit dev` with its printed variables set.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

import { ScalekitClient } from '@scalekit-sdk/node';
import { ConnectorStatus } from '@scalekit-sdk/node/lib/pkg/grpc/scalekit/v1/connected_accounts/connected_accounts_pb';

const scalekit = new ScalekitClient({
  envUrl: process.env.SCALEKIT_ENV_URL,
  clientId: process.env.SCALEKIT_CLIENT_ID,
  clientSecret: process.env.SCALEKIT_CLIENT_SECRET,
});
const user = `dist-${randomUUID().slice(0, 8)}`;

// The sandbox upstream mints the user's access token (a stand-in for Google's consent).
const minted = await fetch(`${process.env.AGENTKIT_SANDBOX_URL}/sandbox/tokens`, {
  method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user }),
});
const { access_token: accessToken } = await minted.json();

const { connectedAccount } = await scalekit.actions.createConnectedAccount({
  connectionName: 'gmail',
  identifier: user,
  authorizationDetails: { details: { case: 'oauthToken', value: { accessToken } } },
});
assert.equal(connectedAccount.status, ConnectorStatus.ACTIVE);

const { tools } = await scalekit.tools.listScopedTools(user, { filter: { connectionNames: ['gmail'] }, pageSize: 100 });
const names = tools.map((t) => t.tool.definition.name);
assert.ok(names.includes('gmail_fetch_mails'), names.join());

const result = await scalekit.actions.executeTool({ toolName: 'gmail_fetch_mails', connectedAccountId: connectedAccount.id, toolInput: { query: 'is:unread', max_results: 5 } });
assert.equal(result.data.messages.length, 5);

const response = await scalekit.actions.request({ connectionName: 'gmail', identifier: user, path: '/gmail/v1/users/me/messages', queryParams: { maxResults: 5, q: 'is:unread' } });
assert.equal(response.status, 200);
assert.equal(response.data.messages.length, 5);

console.log(`node ok: ${names.length} tools, ${result.data.messages.length} unread emails, proxy ${response.status}`);
