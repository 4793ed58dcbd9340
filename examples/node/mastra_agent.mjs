// Mastra page (seed "Mastra"), Node.js: a Mastra agent whose tools come from the user's Scalekit
// MCP URL through `@mastra/mcp` (OpenAI model at OPENAI_BASE_URL). The page gets the URL from the
// Python SDK; the Node SDK has the same call, used here.
import { Agent } from '@mastra/core/agent';
import { MCPClient } from '@mastra/mcp';
// Mastra 0.24 runs AI SDK 5 (spec v2) models; @ai-sdk/openai 3 makes v3 ones, so this page's
// `openai(...)` comes from @ai-sdk/openai 2 (installed under the alias ai-sdk-openai-v2).
import { openai } from 'ai-sdk-openai-v2';
import { ScalekitClient } from '@scalekit-sdk/node';
import { createInterface } from 'node:readline/promises';

const scalekit = new ScalekitClient(process.env.SCALEKIT_ENV_URL, process.env.SCALEKIT_CLIENT_ID, process.env.SCALEKIT_CLIENT_SECRET);
const { configs } = await scalekit.actions.mcp.listConfigs({ filterName: 'mastra-email-agent' });
if (configs.length === 0) {
  await scalekit.actions.mcp.createConfig({ name: 'mastra-email-agent', connectionToolMappings: [{ connectionName: 'gmail', tools: [] }] });
}
const { instance } = await scalekit.actions.mcp.ensureInstance({ configName: 'mastra-email-agent', userIdentifier: 'user_123' });
const { connections } = await scalekit.actions.mcp.getInstanceAuthState({ instanceId: instance.id, includeAuthLinks: true });
for (const conn of connections) {
  if (conn.connectedAccountStatus !== 'ACTIVE') {
    console.log(`Authorize ${conn.connectionName}:`, conn.authenticationLink);
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    await rl.question('Press Enter after authorizing...');
    rl.close();
  }
}

const mcpUrl = instance.url; // the page: process.env.SCALEKIT_MCP_URL, set from your backend

const mcp = new MCPClient({
  servers: {
    scalekit: { url: new URL(mcpUrl) },
  },
});

const tools = await mcp.getTools();

const agent = new Agent({
  name: 'gmail_assistant',
  instructions: 'You are a helpful Gmail assistant.',
  model: openai('gpt-4o'),
  tools,
});

const result = await agent.generate('Fetch my last 5 unread emails and summarize them');
console.log(result.text);
await mcp.disconnect();
