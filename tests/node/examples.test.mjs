// Every Node example in examples/node runs against a fresh `agentkit dev` and the scripted model
// endpoints (tests/models/scripted_llm.py), as a user would run it: the authorization link is
// opened and Enter pressed by scripts/demo_driver.py. Each must exit 0, print an answer quoting
// the sandbox mailbox, and leave a successful gmail_fetch_mails execution record for user_123.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { ROOT, apiToken, startGateway } from './gateway.mjs';

const EXAMPLES = ['quickstart.mjs', 'anthropic_agent.mjs', 'openai_agent.mjs', 'vercel_ai_agent.mjs', 'mastra_agent.mjs'];
const NEWEST_UNREAD = 'Q3 roadmap review moved to Thursday';

async function executions(env, identifier) {
  const token = await apiToken(env);
  const resp = await fetch(`${env.SCALEKIT_ENV_URL}/api/v1/executions?identifier=${identifier}`, { headers: { authorization: `Bearer ${token}` } });
  return (await resp.json()).executions;
}

describe('examples', () => {
  let llm;
  let llmUrl;
  before(async () => {
    llm = spawn('python3', [join(ROOT, 'tests', 'models', 'scripted_llm.py')], { stdio: ['ignore', 'pipe', 'ignore'] });
    llmUrl = await new Promise((resolve) => {
      createInterface({ input: llm.stdout }).once('line', (line) => resolve(line.replace('SCRIPTED_LLM_URL=', '')));
    });
  });
  after(() => { llm.kill(); });

  for (const example of EXAMPLES) {
    it(example, async () => {
      const gateway = await startGateway();
      try {
        const env = {
          ...process.env, ...gateway.env,
          ANTHROPIC_BASE_URL: llmUrl, ANTHROPIC_API_KEY: 'test-key', OPENAI_BASE_URL: `${llmUrl}/v1`, OPENAI_API_KEY: 'test-key',
        };
        const proc = spawnSync('python3', [join(ROOT, 'scripts', 'demo_driver.py'), process.execPath, join(ROOT, 'examples', 'node', example)], {
          cwd: ROOT, env, encoding: 'utf8', timeout: 120000,
        });
        assert.equal(proc.status, 0, proc.stdout + proc.stderr);
        assert.ok(proc.stdout.includes(NEWEST_UNREAD), proc.stdout);
        const records = await executions(gateway.env, 'user_123');
        assert.ok(records.some((r) => r.tool_name === 'gmail_fetch_mails' && r.status === 'SUCCESS'));
      } finally {
        await gateway.stop();
      }
    });
  }

  it('covers every Node example', () => {
    const onDisk = readdirSync(join(ROOT, 'examples', 'node')).filter((f) => f.endsWith('.mjs') && f !== 'documented_calls.mjs').sort();
    assert.deepEqual(onDisk, [...EXAMPLES].sort());
  });
});
