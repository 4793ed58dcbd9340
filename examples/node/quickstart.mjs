// Quickstart (seed page "Connect my agent to apps"), Node.js.
//
// The documented code: account, authorization link (open it, authorize, press Enter), then the
// five unread emails. `make demo` opens the link with an HTTP client and presses Enter for you.
import { ScalekitClient } from '@scalekit-sdk/node';
import { ConnectorStatus } from '@scalekit-sdk/node/lib/pkg/grpc/scalekit/v1/connected_accounts/connected_accounts_pb';
import { createInterface } from 'node:readline/promises';

const scalekit = new ScalekitClient(
  process.env.SCALEKIT_ENV_URL,
  process.env.SCALEKIT_CLIENT_ID,
  process.env.SCALEKIT_CLIENT_SECRET,
);
const actions = scalekit.actions;
const connectionName = process.env.GMAIL_CONNECTION_NAME; // must match the Connection name exactly

// Create or retrieve the user's connected Gmail account
const response = await actions.getOrCreateConnectedAccount({
  connectionName,
  identifier: 'user_123', // Replace with your system's unique user ID
});
const connectedAccount = response.connectedAccount;
console.log('Connected account created:', connectedAccount?.id);

// Generate authorization link if user hasn't authorized or token is expired
if (connectedAccount?.status !== ConnectorStatus.ACTIVE) {
  console.log('gmail is not connected:', connectedAccount?.status);
  const linkResponse = await actions.getAuthorizationLink({
    connectionName,
    identifier: 'user_123',
  });
  console.log('🔗 click on the link to authorize gmail', linkResponse.link);

  // The documented snippet goes straight on to the tool call; wait for the user as the Python
  // page does, or the call would run before the account is authorized.
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  await rl.question('⎆ Press Enter after authorizing gmail...');
  rl.close();
}

const toolResponse = await actions.executeTool({
  toolName: 'gmail_fetch_mails',
  connectedAccountId: connectedAccount?.id,
  toolInput: {
    query: 'is:unread',
    max_results: 5,
  },
});

console.log(`Recent emails (execution ${toolResponse.executionId}):`);
for (const message of toolResponse.data.messages) {
  console.log(`- ${message.subject}`);
  console.log(`  from: ${message.from}  date: ${message.date}`);
  console.log(`  ${message.snippet}`);
}
