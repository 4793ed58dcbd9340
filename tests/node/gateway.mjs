// Starts a real `agentkit dev` process (gateway + sandbox upstream) on free loopback ports.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The tool names of a built-in connector, sorted, read from its connector file. */
export function connectorToolNames(slug) {
  const file = JSON.parse(readFileSync(join(ROOT, 'server', 'connectors', `${slug}.json`), 'utf8'));
  return file.tools.map((t) => t.name).sort();
}

export function agentkitBinary() {
  if (process.env.AGENTKIT_BIN) return process.env.AGENTKIT_BIN;
  for (const profile of ['debug', 'release']) {
    const candidate = join(ROOT, 'target', profile, 'agentkit');
    if (existsSync(candidate)) return candidate;
  }
  throw new Error('agentkit binary not found: run `cargo build -p agentkit-server` or set AGENTKIT_BIN');
}

/** Resolves to `{ env, stop, logText }` once `agentkit dev` printed its variables; `env` adds
 * variables to the process's environment (e.g. AGENTKIT_LOG_FORMAT). */
export async function startGateway({ env: extraEnv = {} } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'agentkit-node-test-'));
  const logPath = join(dataDir, 'gateway.log');
  const child = spawn(agentkitBinary(), ['dev', '--port', '0', '--data-dir', join(dataDir, 'state')], {
    stdio: ['ignore', 'pipe', openSync(logPath, 'w')],
    env: { ...process.env, AGENTKIT_LOG: 'debug', ...extraEnv },
  });
  const env = {};
  const lines = createInterface({ input: child.stdout });
  await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`agentkit dev exited early with ${code}`)));
    lines.on('line', (line) => {
      const [name, ...rest] = line.replace(/^export /, '').split('=');
      env[name] = rest.join('=');
      if (name === 'AGENTKIT_SANDBOX_URL') resolve();
    });
  });
  child.removeAllListeners('exit');
  const stop = async () => {
    lines.close();
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  };
  /** Everything the gateway logged so far (stderr, debug level). */
  const logText = () => readFileSync(logPath, 'utf8');
  return { env, stop, logText };
}

/** A free loopback port (bound, read, released). */
export async function freePort() {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `agentkit sandbox` and `agentkit serve --config` with the config that `configFor(sandboxUrl,
 * dataDir)` writes; resolves to `{ base, sandboxUrl, stop }` once the gateway answers /readyz. */
export async function startServe(configFor, { env = {} } = {}) {
  const { writeFileSync } = await import('node:fs');
  const dataDir = mkdtempSync(join(tmpdir(), 'agentkit-node-serve-'));
  const sandboxPort = await freePort();
  const sandbox = spawn(agentkitBinary(), ['sandbox', '--port', String(sandboxPort)], { stdio: 'ignore' });
  const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
  const { port, text } = await configFor(sandboxUrl, join(dataDir, 'state'));
  writeFileSync(join(dataDir, 'agentkit.toml'), text);
  const gateway = spawn(agentkitBinary(), ['serve', '--config', join(dataDir, 'agentkit.toml')], {
    stdio: ['ignore', 'ignore', openSync(join(dataDir, 'gateway.log'), 'w')],
    env: { ...process.env, ...env },
  });
  const base = `http://127.0.0.1:${port}`;
  for (let tries = 0; ; tries += 1) {
    try {
      if ((await fetch(`${base}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (tries > 200 || gateway.exitCode !== null) {
      throw new Error(`agentkit serve did not start: ${readFileSync(join(dataDir, 'gateway.log'), 'utf8')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const stop = async () => {
    for (const child of [gateway, sandbox]) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { base, sandboxUrl, stop };
}

/** An API access token for the dev gateway's client (client credentials at /oauth/token). */
export async function apiToken(env) {
  const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: env.SCALEKIT_CLIENT_ID, client_secret: env.SCALEKIT_CLIENT_SECRET });
  return (await (await fetch(`${env.SCALEKIT_ENV_URL}/oauth/token`, { method: 'POST', body })).json()).access_token;
}

/** Gives `user` an ACTIVE gmail account holding a fresh sandbox token. */
export async function activate(env, client, user) {
  const minted = await fetch(`${env.AGENTKIT_SANDBOX_URL}/sandbox/tokens`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user }),
  });
  const { access_token: accessToken } = await minted.json();
  await client.actions.getOrCreateConnectedAccount({ connectionName: 'gmail', identifier: user, authorizationDetails: { oauthToken: { accessToken } } });
}
