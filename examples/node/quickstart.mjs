// Quickstart (seed page "Connect my agent to apps"), Node.js.
//
// Runs the documented code unchanged against `agentkit dev`. Offline stand-in for the user's
// consent: when AGENTKIT_SANDBOX_URL is set and the account is not ACTIVE, the sandbox mints an
// access token and the account is updated with it via getOrCreateConnectedAccount.
import { ScalekitClient } from '@scalekit-sdk/node';
import { ConnectorStatus } from '@scalekit-sdk/node/lib/pkg/grpc/scalekit/v1/connected_accounts/connected_accounts_pb';

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
let connectedAccount = response.connectedAccount;
console.log('Connected account created:', connectedAccount?.id);

// Generate authorization link if user hasn't authorized or token is expired
if (connectedAccount?.status !== ConnectorStatus.ACTIVE) {
  console.log('gmail is not connected:', connectedAccount?.status);
  const linkResponse = await actions.getAuthorizationLink({
    connectionName,
    identifier: 'user_123',
  });
  console.log('🔗 click on the link to authorize gmail', linkResponse.link);

  const sandbox = process.env.AGENTKIT_SANDBOX_URL;
  if (sandbox) {
    // The sandbox stands in for the user's consent at Google.
    const minted = await fetch(`${sandbox}/sandbox/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'user_123' }),
    });
    const { access_token: accessToken } = await minted.json();
    ({ connectedAccount } = await actions.getOrCreateConnectedAccount({
      connectionName,
      identifier: 'user_123',
      authorizationDetails: { oauthToken: { accessToken } },
    }));
    console.log('Connected account is now', connectedAccount.status);
  }
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
