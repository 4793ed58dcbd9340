// What users write from the documentation (examples/node/documented_calls.mjs, the Node SDK
// reference and the framework guides), typed with nothing but the official @scalekit-sdk/node
// 2.11.0 typings. tests/node/sdk_parity.test.mjs compiles it with `tsc --strict` twice: against
// the official package (so it is official-style code) and against ours (so it compiles unchanged).
// Never run: it only has to type-check.
import { create } from '@bufbuild/protobuf';
import {
  isToolException,
  ScalekitClient,
  ScalekitNotFoundException,
  ScalekitServerException,
  WebhookVerificationError,
} from '@scalekit-sdk/node';
import type { IScalekitToolException, ScalekitOptions } from '@scalekit-sdk/node';
import ActionsClient from '@scalekit-sdk/node/lib/actions';
import type { AppConnection, ListAppConnectionsResult } from '@scalekit-sdk/node/lib/actions';
import type ConnectedAccountsClient from '@scalekit-sdk/node/lib/connected-accounts';
import { ScalekitException } from '@scalekit-sdk/node/lib/errors';
import type Scalekit from '@scalekit-sdk/node/lib/scalekit';
import type ToolsClient from '@scalekit-sdk/node/lib/tools';
import {
  AuthorizationDetailsSchema,
  ConnectorStatus,
  ConnectorType,
} from '@scalekit-sdk/node/lib/pkg/grpc/scalekit/v1/connected_accounts/connected_accounts_pb';
import type { ConnectedAccount, ConnectedAccountForList } from '@scalekit-sdk/node/lib/pkg/grpc/scalekit/v1/connected_accounts/connected_accounts_pb';
import type { ExecuteToolResponse, ScopedTool } from '@scalekit-sdk/node/lib/pkg/grpc/scalekit/v1/tools/tools_pb';

/** An exhaustive label per connector type (a new official value fails to compile here). */
const TYPE_LABELS: Record<ConnectorType, string> = {
  [ConnectorType.CONNECTION_TYPE_UNSPECIFIED]: '', [ConnectorType.OAUTH]: 'OAuth', [ConnectorType.API_KEY]: 'API key',
  [ConnectorType.BASIC_AUTH]: 'basic', [ConnectorType.BEARER_TOKEN]: 'bearer', [ConnectorType.CUSTOM]: 'custom',
  [ConnectorType.BASIC]: 'basic', [ConnectorType.OAUTH_M2M]: 'M2M', [ConnectorType.TRELLO_OAUTH1]: 'Trello',
  [ConnectorType.GOOGLE_DWD]: 'Google DWD', [ConnectorType.TRUSTED_IDP]: 'trusted IdP', [ConnectorType.SMART_FHIR]: 'SMART on FHIR',
  [ConnectorType.NO_AUTH]: 'none',
};

export async function documented(user: string): Promise<string[]> {
  const options: ScalekitOptions = { timeoutMs: 20_000, toolTimeoutMs: 60_000 };
  const scalekit: Scalekit = new ScalekitClient(process.env.SCALEKIT_ENV_URL!, process.env.SCALEKIT_CLIENT_ID!, process.env.SCALEKIT_CLIENT_SECRET!, options);
  const actions: ActionsClient = scalekit.actions;
  const toolsClient: ToolsClient = scalekit.tools;
  const accounts: ConnectedAccountsClient = scalekit.connectedAccounts;
  const seen: string[] = [];

  // Connected accounts (reference: getOrCreateConnectedAccount, getAuthorizationLink, verify…).
  const { connectedAccount } = await actions.getOrCreateConnectedAccount({ connectionName: 'gmail', identifier: user });
  const account: ConnectedAccount | undefined = connectedAccount;
  if (account?.status !== ConnectorStatus.ACTIVE) {
    const { link } = await actions.getAuthorizationLink({ connectionName: 'gmail', identifier: user, userVerifyUrl: 'https://your-app.com/verify' });
    seen.push(link);
  }
  if (account) seen.push(account.id, TYPE_LABELS[account.authorizationType]);
  const verified = await actions.verifyConnectedAccountUser({ authRequestId: 'req_1', identifier: user });
  seen.push(verified.postUserVerifyRedirectUrl);
  const created = await actions.createConnectedAccount({
    connectionName: 'gmail',
    identifier: `${user}-2`,
    authorizationDetails: create(AuthorizationDetailsSchema, { details: { case: 'oauthToken', value: { accessToken: 'token' } } }),
  });
  const details = created.connectedAccount?.authorizationDetails?.details;
  if (details?.case === 'oauthToken') seen.push(details.value.accessToken);
  const page = await actions.listConnectedAccounts({ connectionName: 'gmail', pageSize: 10 });
  const listed: ConnectedAccountForList[] = page.connectedAccounts;
  const total: number = page.totalSize;
  seen.push(...listed.map((a) => a.identifier), String(total), page.nextPageToken);
  const connections: ListAppConnectionsResult = await actions.listConnections({ pageSize: 10 });
  const first: AppConnection | undefined = connections.connections[0];
  seen.push(`${first?.connectionName}:${first?.createdAt?.seconds ?? 0n}`);
  await actions.deleteConnectedAccount({ connectionName: 'gmail', identifier: `${user}-2` });
  const magic = await accounts.getMagicLinkForConnectedAccount({ connector: 'gmail', identifier: user });
  seen.push(magic.link);

  // Tools (reference: listScopedTools, executeTool) and the proxy (request).
  const { tools } = await toolsClient.listScopedTools(user, { filter: { connectionNames: ['gmail'] }, pageSize: 100 });
  const scoped: ScopedTool[] = tools;
  seen.push(...scoped.map((t) => String(t.tool?.definition?.name)));
  const result: ExecuteToolResponse = await actions.executeTool({ toolName: 'gmail_fetch_mails', connectedAccountId: account?.id, toolInput: { query: 'is:unread', max_results: 5 } });
  seen.push(result.executionId, JSON.stringify(result.data ?? {}));
  const response = await actions.request({ connectionName: 'gmail', identifier: user, path: '/gmail/v1/users/me/messages', queryParams: { maxResults: 5, q: 'is:unread' } });
  const status: number = response.status;
  seen.push(String(status), response.statusText, String(response.data.messages.length), String(response.config.url));

  // Error handling (reference: Error handling).
  try {
    await actions.getConnectedAccount({ connectionName: 'gmail', identifier: user });
  } catch (err) {
    if (err instanceof ScalekitNotFoundException) {
      const httpStatus: number = err.httpStatus;
      const grpcStatus: number = err.grpcStatus;
      const errorCode: string | null = err.errorCode;
      seen.push(String(httpStatus), String(grpcStatus), String(errorCode), ...err.unpackedDetails.map((d) => d.errorCode));
      seen.push(String(err.errDetails?.length));
    } else if (err instanceof ScalekitServerException) {
      seen.push(err.toString(), err.message);
    } else if (err instanceof ScalekitException) {
      seen.push(err.message);
    }
    if (isToolException(err)) {
      const tool: IScalekitToolException = err;
      seen.push(tool.toolErrorCode, tool.toolErrorMessage, tool.executionId);
    }
  }
  try {
    scalekit.verifyWebhookPayload('whsec_x', { 'webhook-id': 'id' }, '{}');
  } catch (err) {
    if (err instanceof WebhookVerificationError) seen.push(err.message);
  }
  return seen;
}
