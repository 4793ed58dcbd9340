// A standards-compliant OAuth 2.0 / OpenID Connect server for the test suites (oidc-provider),
// started by the test harness. PKCE is required, refresh tokens rotate on every use, access
// tokens live ACCESS_TTL seconds. Consent is given by an auto-approving interaction for the
// `login_hint` user (else DEFAULT_USER, else `oidc-user`; users named `deny…` refuse), so a plain
// redirect-following client completes it. Users named `unverified…` have an email the provider
// marks unverified (`email_verified: false`).
//
// Run directly with env REDIRECT_URI and ACCESS_TTL (default 3600): prints
// `ISSUER=http://127.0.0.1:<port>` once listening. GET /test/stats → counters.
// Imported: `startProvider({ redirectUri, accessTtl })` (see stack.mjs).
import http from 'node:http';
import Provider from 'oidc-provider';

import { fileURLToPath } from 'node:url';

export const CLIENT_ID = 'agentkit-gateway';
export const CLIENT_SECRET = 'gateway-secret';

/** Starts the provider on a free loopback port; resolves to its issuer URL. */
export async function startProvider({ redirectUri, accessTtl = 3600 }) {
const REDIRECT_URI = redirectUri;
const ACCESS_TTL = accessTtl;
const stats = { authorizations: 0, code_exchanges: 0, refreshes: 0, refresh_failures: 0, revocations: 0, discoveries: 0 };

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    redirect_uris: [REDIRECT_URI],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { required: () => true },
  rotateRefreshToken: () => true,
  issueRefreshToken: async (_ctx, client, code) => client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
  ttl: { AccessToken: ACCESS_TTL, AuthorizationCode: 60, Interaction: 300, Session: 3600, Grant: 86400, RefreshToken: 86400 },
  features: { devInteractions: { enabled: false }, revocation: { enabled: true } },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  claims: { openid: ['sub'], email: ['email', 'email_verified'] },
  findAccount: async (_ctx, id) => ({
    accountId: id,
    claims: async () => ({ sub: id, email: `${id}@example.test`, email_verified: !id.startsWith('unverified') }),
  }),
  cookies: { keys: ['agentkit-test-cookie-key'] },
});

provider.on('grant.success', (ctx) => {
  const grantType = ctx.oidc.params.grant_type;
  if (grantType === 'refresh_token') stats.refreshes += 1;
  if (grantType === 'authorization_code') stats.code_exchanges += 1;
});
provider.on('grant.error', (ctx) => {
  if (ctx.oidc.params?.grant_type === 'refresh_token') stats.refresh_failures += 1;
});
provider.on('revocation.success', () => { stats.revocations += 1; });

/** The consent step, approved at once (or refused for `deny…` users). */
async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { prompt, params } = details;
  const user = params.login_hint || process.env.DEFAULT_USER || 'oidc-user';
  if (user.startsWith('deny')) {
    return provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'the user declined' }, { mergeWithLastSubmission: false });
  }
  if (prompt.name === 'login') {
    stats.authorizations += 1;
    return provider.interactionFinished(req, res, { login: { accountId: user } }, { mergeWithLastSubmission: false });
  }
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
  if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
  if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(prompt.details.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  const grantId = await grant.save();
  return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

const callback = provider.callback();
server.on('request', (req, res) => {
  if (req.url === '/test/stats') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(stats));
    return;
  }
  if (req.url.startsWith('/.well-known/openid-configuration')) stats.discoveries += 1;
  if (req.url.startsWith('/interaction/')) {
    interaction(req, res).catch((err) => { res.statusCode = 500; res.end(String(err)); });
    return;
  }
  callback(req, res);
});

return issuer;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const issuer = await startProvider({ redirectUri: process.env.REDIRECT_URI, accessTtl: Number(process.env.ACCESS_TTL ?? 3600) });
  console.log(`ISSUER=${issuer}`);
}
