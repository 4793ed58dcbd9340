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

/** Resolves to `{ env, stop, logText }` once `agentkit dev` printed its variables. */
export async function startGateway() {
  const dataDir = mkdtempSync(join(tmpdir(), 'agentkit-node-test-'));
  const logPath = join(dataDir, 'gateway.log');
  const child = spawn(agentkitBinary(), ['dev', '--port', '0', '--data-dir', join(dataDir, 'state')], {
    stdio: ['ignore', 'pipe', openSync(logPath, 'w')],
    env: { ...process.env, AGENTKIT_LOG: 'debug' },
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
