// Framework helpers and schema formats of the Node SDK: a ready Vercel AI SDK `tools` object
// (`tool()` + `jsonSchema()`, executing via executeTool), Anthropic / OpenAI lists of every page,
// and every catalog tool in every vendor format.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

import { ScalekitBadRequestException, ScalekitClient, formatTools } from '@scalekit-sdk/node';
import { connectorToolNames, startGateway } from './gateway.mjs';

describe('frameworks', () => {
  let gateway;
  let scalekit;
  let user;
  before(async () => {
    gateway = await startGateway();
    const { env } = gateway;
    scalekit = new ScalekitClient(env.SCALEKIT_ENV_URL, env.SCALEKIT_CLIENT_ID, env.SCALEKIT_CLIENT_SECRET);
    user = `fw-${randomUUID().slice(0, 8)}`;
    const { link } = await scalekit.actions.getAuthorizationLink({ connectionName: 'gmail', identifier: user });
    assert.equal((await fetch(link)).status, 200);
  });
  after(async () => { await gateway.stop(); });

  it('builds a Vercel AI SDK tools object that runs the tools', async () => {
    const tools = await scalekit.actions.vercelTools(user, { pageSize: 1 });
    assert.deepEqual(Object.keys(tools).sort(), connectorToolNames('gmail'));
    assert.equal(tools.gmail_fetch_mails.inputSchema.jsonSchema.type, 'object');
    const data = await tools.gmail_fetch_mails.execute({ query: 'is:unread', max_results: 2 }, { toolCallId: 'c1', messages: [] });
    assert.equal(data.messages.length, 2);
  });

  it('lists every page in Anthropic and OpenAI formats', async () => {
    const anthropic = await scalekit.tools.listFormattedTools(user, 'anthropic', { pageSize: 1 });
    assert.equal(anthropic.length, connectorToolNames('gmail').length);
    assert.deepEqual(Object.keys(anthropic[0]).sort(), ['description', 'input_schema', 'name']);
    const openai = await scalekit.tools.listFormattedTools(user, 'openai', { filter: { toolNames: ['gmail_list_labels'] } });
    assert.equal(openai[0].type, 'function');
    assert.equal(openai[0].function.name, 'gmail_list_labels');
  });

  it('converts every catalog tool into every format', async () => {
    const { tools } = await scalekit.tools.listTools({ pageSize: 1000 });
    const definitions = tools.map((t) => t.definition);
    for (const format of ['anthropic', 'openai', 'openai_responses', 'openai_strict', 'gemini', 'json_schema']) {
      const converted = formatTools(definitions, format);
      assert.equal(converted.length, definitions.length, format);
    }
    const strict = formatTools(definitions, 'openai_strict');
    assert.ok(strict.every((t) => t.function.strict === true && t.function.parameters.additionalProperties === false));
    const gemini = formatTools(definitions, 'gemini');
    assert.ok(gemini.every((t) => t.parameters.type === 'OBJECT'));
    assert.throws(() => formatTools(definitions, 'cobol'), (e) => e instanceof ScalekitBadRequestException && e.field === 'format');
  });
});
