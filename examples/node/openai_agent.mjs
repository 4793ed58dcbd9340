// OpenAI page (seed "OpenAI"), Node.js: the Chat Completions loop, then the Responses API loop.
// The documented code; the model is reached at OPENAI_BASE_URL (scripted in tests).
import { ScalekitClient } from '@scalekit-sdk/node';
import { ConnectorStatus } from '@scalekit-sdk/node/lib/pkg/grpc/scalekit/v1/connected_accounts/connected_accounts_pb';
import OpenAI from 'openai';
import { createInterface } from 'node:readline/promises';

const scalekit = new ScalekitClient(
  process.env.SCALEKIT_ENV_URL,
  process.env.SCALEKIT_CLIENT_ID,
  process.env.SCALEKIT_CLIENT_SECRET,
);
const openai = new OpenAI();

const { connectedAccount } = await scalekit.actions.getOrCreateConnectedAccount({ connectionName: 'gmail', identifier: 'user_123' });
if (connectedAccount?.status !== ConnectorStatus.ACTIVE) {
  const { link } = await scalekit.actions.getAuthorizationLink({ connectionName: 'gmail', identifier: 'user_123' });
  console.log('Authorize Gmail:', link);
  // The page goes straight on; wait for the user, as the Python page does.
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  await rl.question('Press Enter after authorizing...');
  rl.close();
}

// Fetch and convert tools to OpenAI format
const { tools } = await scalekit.tools.listScopedTools('user_123', {
  filter: { connectionNames: ['gmail'] },
  pageSize: 100, // fetch beyond the default page so no connector tools are missed
});
const llmTools = tools.map((t) => ({
  type: 'function',
  function: {
    name: t.tool.definition.name,
    description: t.tool.definition.description,
    parameters: t.tool.definition.input_schema,
  },
}));

// Run the agent loop
const messages = [{ role: 'user', content: 'Fetch my last 5 unread emails and summarize them' }];
while (true) {
  const response = await openai.chat.completions.create({ model: 'gpt-4o', tools: llmTools, messages });
  const message = response.choices[0].message;
  if (!message.tool_calls?.length) {
    console.log(message.content);
    break;
  }
  messages.push(message);
  for (const tc of message.tool_calls) {
    const result = await scalekit.actions.executeTool({
      toolName: tc.function.name,
      identifier: 'user_123',
      toolInput: JSON.parse(tc.function.arguments),
    });
    messages.push({ role: 'tool', tool_call_id: tc.id, content: JSON.stringify(result.data) });
  }
}

// Responses API: tools go flat ({type, name, parameters}); formatTools makes that list.
const responsesTools = scalekit.tools.formatTools(tools.map((t) => t.tool.definition), 'openai_responses');
let response = await openai.responses.create({
  model: 'gpt-4o',
  input: 'Fetch my last 5 unread emails and summarize them',
  tools: responsesTools,
});
while (response.output.some((item) => item.type === 'function_call')) {
  const toolResults = [];
  for (const item of response.output.filter((i) => i.type === 'function_call')) {
    const result = await scalekit.actions.executeTool({ toolName: item.name, identifier: 'user_123', toolInput: JSON.parse(item.arguments) });
    toolResults.push({ type: 'function_call_output', call_id: item.call_id, output: JSON.stringify(result.data) });
  }
  response = await openai.responses.create({ model: 'gpt-4o', previous_response_id: response.id, input: toolResults, tools: responsesTools });
}
for (const item of response.output) {
  if (item.type === 'message') console.log(item.content[0].text);
}
