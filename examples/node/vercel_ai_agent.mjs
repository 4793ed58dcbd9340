// Vercel AI SDK page (seed "Vercel AI SDK"), Node.js: Scalekit tools wrapped with `tool()` and
// `jsonSchema()`, run by `generateText` (OpenAI model at OPENAI_BASE_URL), then the same through
// the user's MCP server URL. Fixes to the page, each marked below: `tool()` takes `inputSchema`
// (the page's `parameters` is the AI SDK 4 name), and the MCP client comes from `@ai-sdk/mcp`
// (AI SDK 6 no longer exports `experimental_createMCPClient` from `ai`).
import { ScalekitClient } from '@scalekit-sdk/node';
import { ConnectorStatus } from '@scalekit-sdk/node/lib/pkg/grpc/scalekit/v1/connected_accounts/connected_accounts_pb';
import { generateText, jsonSchema, stepCountIs, tool } from 'ai';
import { experimental_createMCPClient } from '@ai-sdk/mcp';
import { openai } from '@ai-sdk/openai';
import { createInterface } from 'node:readline/promises';

const scalekit = new ScalekitClient(
  process.env.SCALEKIT_ENV_URL,
  process.env.SCALEKIT_CLIENT_ID,
  process.env.SCALEKIT_CLIENT_SECRET,
);

const { connectedAccount } = await scalekit.actions.getOrCreateConnectedAccount({
  connectionName: 'gmail',
  identifier: 'user_123',
});
if (connectedAccount?.status !== ConnectorStatus.ACTIVE) {
  const { link } = await scalekit.actions.getAuthorizationLink({ connectionName: 'gmail', identifier: 'user_123' });
  console.log('Authorize Gmail:', link);
  // The page goes straight on; wait for the user.
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  await rl.question('Press Enter after authorizing...');
  rl.close();
}

const { tools: scopedTools } = await scalekit.tools.listScopedTools('user_123', {
  filter: { connectionNames: ['gmail'] },
  pageSize: 100, // fetch beyond the default page so no connector tools are missed
});
const tools = Object.fromEntries(
  scopedTools.map((t) => [
    t.tool.definition.name,
    tool({
      description: t.tool.definition.description,
      inputSchema: jsonSchema(t.tool.definition.input_schema ?? { type: 'object', properties: {} }), // fix: was `parameters`
      execute: async (args) => {
        const result = await scalekit.actions.executeTool({
          toolName: t.tool.definition.name,
          identifier: 'user_123',
          toolInput: args,
        });
        return result.data;
      },
    }),
  ]),
);

const { text } = await generateText({
  model: openai('gpt-4o'),
  tools,
  stopWhen: stepCountIs(5),
  prompt: 'Fetch my last 5 unread emails and summarize them',
});
console.log(text);

// Use MCP instead: the user's MCP server URL (the page gets it from the Python SDK's
// actions.mcp.ensure_instance(); the Node SDK has the same call).
await scalekit.actions.mcp.createConfig({ name: 'vercel-email-agent', connectionToolMappings: [{ connectionName: 'gmail', tools: [] }] }).catch(() => {});
const { instance } = await scalekit.actions.mcp.ensureInstance({ configName: 'vercel-email-agent', userIdentifier: 'user_123' });
const mcpUrl = instance.url;
const mcpClient = await experimental_createMCPClient({
  transport: {
    type: 'sse',
    url: mcpUrl, // from actions.mcp.ensure_instance()
  },
});
const mcpTools = await mcpClient.tools();
const viaMcp = await generateText({
  model: openai('gpt-4o'),
  tools: mcpTools,
  stopWhen: stepCountIs(5),
  prompt: 'Fetch my last 5 unread emails and summarize them',
});
await mcpClient.close();
console.log(viaMcp.text);
