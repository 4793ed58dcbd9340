// The OIDC test stack for the SDK suites: an oidc-provider server plus an `agentkit serve`
// gateway whose connection `oidc` (connector `oidc_userinfo`) authorizes against it.
// Prints `export NAME=value` lines like `agentkit dev` and runs until terminated.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { CLIENT_ID, CLIENT_SECRET, startProvider } from './provider.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = process.env.AGENTKIT_BIN ?? join(ROOT, 'target', 'debug', 'agentkit');

const port = await new Promise((resolve) => {
  const probe = net.createServer().listen(0, '127.0.0.1', () => {
    const { port: free } = probe.address();
    probe.close(() => resolve(free));
  });
});
const gateway = `http://127.0.0.1:${port}`;
const issuer = await startProvider({ redirectUri: `${gateway}/oauth/callback` });
const dir = mkdtempSync(join(tmpdir(), 'agentkit-oidc-stack-'));
writeFileSync(join(dir, 'agentkit.toml'), `
[server]
listen = "127.0.0.1:${port}"
data_dir = "${join(dir, 'data')}"
connectors_dir = "${join(ROOT, 'tests', 'fixtures', 'connectors')}"

[egress]
# test fixtures listen on loopback
allow = ["127.0.0.1"]
[[api_clients]]
client_id = "skc_oidc"
client_secret = "oidc-secret"

[[connections]]
name = "oidc"
connector = "oidc_userinfo"
base_url = "${issuer}"
client_id = "${CLIENT_ID}"
client_secret = "${CLIENT_SECRET}"
authorize_url = "${issuer}/auth"
token_url = "${issuer}/token"
revoke_url = "${issuer}/token/revocation"
token_auth_method = "client_secret_basic"
send_login_hint = true
`);
const child = spawn(bin, ['serve', '--config', join(dir, 'agentkit.toml')], { stdio: 'ignore' });
const stop = () => { child.kill('SIGTERM'); rmSync(dir, { recursive: true, force: true }); process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
child.on('exit', (code) => { console.error(`agentkit serve exited with ${code}`); process.exit(1); });

for (let i = 0; i < 200; i += 1) {
  try {
    if ((await fetch(`${gateway}/healthz`)).ok) break;
  } catch { /* not up yet */ }
  await new Promise((r) => setTimeout(r, 50));
}
console.log([
  `export SCALEKIT_ENV_URL=${gateway}`,
  'export SCALEKIT_CLIENT_ID=skc_oidc',
  'export SCALEKIT_CLIENT_SECRET=oidc-secret',
  'export OIDC_CONNECTION_NAME=oidc',
  `export OIDC_ISSUER=${issuer}`,
].join('\n'));
