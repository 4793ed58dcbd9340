// Official-style calls, written from the official @scalekit-sdk/node 2.11.0 typings: this file
// must compile with `tsc --strict` against our package and run against `agentkit dev`
// (tests/node/sdk_parity.test.mjs does both). It prints one JSON line of what it observed.
import { create, toJson } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import {
  ScalekitClient,
  ScalekitNotFoundException,
  ScalekitServerException,
} from '@scalekit-sdk/node';
import type ActionsClient from '@scalekit-sdk/node/lib/actions';
import { ScalekitException } from '@scalekit-sdk/node/lib/errors';
import {
  AuthorizationDetailsSchema,
  ConnectedAccountSchema,
  ConnectorStatus,
  ConnectorType,
  CreateConnectedAccountSchema,
  UpdateConnectedAccountSchema,
} from '@scalekit-sdk/node/lib/pkg/grpc/scalekit/v1/connected_accounts/connected_accounts_pb';
import { ListToolsResponseSchema } from '@scalekit-sdk/node/lib/pkg/grpc/scalekit/v1/tools/tools_pb';

async function main(): Promise<void> {
  const scalekit = new ScalekitClient(process.env.SCALEKIT_ENV_URL!, process.env.SCALEKIT_CLIENT_ID!, process.env.SCALEKIT_CLIENT_SECRET!, {
    timeoutMs: 20_000,
    toolTimeoutMs: 60_000,
  });
  const user = `ts-${Date.now()}`;
  const actions: ActionsClient = scalekit.actions;
  const seen: Record<string, unknown> = {};

  // actions.* with the official parameter objects.
  const pending = await actions.getOrCreateConnectedAccount({ connectionName: 'gmail', identifier: user, organizationId: 'org_1', userId: 'usr_1' });
  seen.pendingStatus = pending.connectedAccount?.status === ConnectorStatus.PENDING_AUTH;
  const link = await scalekit.actions.getAuthorizationLink({ connectionName: 'gmail', identifier: user, state: 'st' });
  seen.linkExpires = link.expiry ? timestampDate(link.expiry).getTime() > Date.now() : false;
  const listed = await scalekit.actions.listConnectedAccounts({ identifier: user, organizationId: 'org_1', userId: 'usr_1', pageSize: 10 });
  seen.listed = listed.connectedAccounts.map((a) => a.identifier);
  const connections = await scalekit.actions.listConnections({ pageSize: 10 });
  seen.connections = connections.connections.map((c) => `${c.connectionName}:${c.provider}:${c.type}`);

  // The low-level client with protobuf-es messages in and out.
  const other = `${user}-low`;
  const created = await scalekit.connectedAccounts.createConnectedAccount({
    connector: 'gmail',
    identifier: other,
    connectedAccount: create(CreateConnectedAccountSchema, {
      authorizationDetails: { details: { case: 'oauthToken', value: { accessToken: 'token-1', scopes: ['mail'] } } },
      apiConfig: { region: 'eu' },
    }),
  });
  const account = created.connectedAccount!;
  seen.created = [account.status === ConnectorStatus.ACTIVE, account.authorizationType === ConnectorType.OAUTH];
  const full = await scalekit.connectedAccounts.getConnectedAccountByIdentifier({ connector: 'gmail', identifier: other });
  const details = full.connectedAccount?.authorizationDetails?.details;
  seen.oneof = details?.case === 'oauthToken' ? details.value.accessToken : null;
  seen.json = (toJson(ConnectedAccountSchema, full.connectedAccount!) as { status?: string }).status;
  seen.updatedAt = full.connectedAccount?.updatedAt ? timestampDate(full.connectedAccount.updatedAt) instanceof Date : false;
  await scalekit.connectedAccounts.updateConnectedAccount({
    connector: 'gmail',
    identifier: other,
    connectedAccount: create(UpdateConnectedAccountSchema, {
      authorizationDetails: create(AuthorizationDetailsSchema, { details: { case: 'oauthToken', value: { accessToken: 'token-2' } } }),
    }),
  });
  const again = await scalekit.actions.getConnectedAccount({ connectionName: 'gmail', identifier: other });
  const renewed = again.connectedAccount?.authorizationDetails?.details;
  seen.updated = renewed?.case === 'oauthToken' ? renewed.value.accessToken : null;
  const magic = await scalekit.connectedAccounts.getMagicLinkForConnectedAccount({ connector: 'gmail', identifier: other });
  seen.magic = magic.link.includes('/connect/');
  const low = await scalekit.connectedAccounts.listConnectedAccounts({ connector: 'gmail', identifier: other });
  seen.lowListed = low.totalSize;
  await scalekit.connectedAccounts.deleteConnectedAccount({ connector: 'gmail', identifier: other });

  // Tools, as the official ToolsClient takes them.
  const scoped = await scalekit.tools.listScopedTools(user, { filter: { connectionNames: ['gmail'] }, pageSize: 5 });
  seen.scoped = scoped.tools.length;
  const tools = await scalekit.tools.listTools({ filter: { provider: 'gmail' }, pageSize: 2 });
  seen.tools = tools.tools.length;
  seen.toolJson = (toJson(ListToolsResponseSchema, tools) as { tools?: Array<{ definition?: { name?: string } }> }).tools?.[0]?.definition?.name;

  // Errors carry the official fields.
  try {
    await scalekit.actions.getConnectedAccount({ connectedAccountId: 'ca_missing' });
  } catch (err) {
    if (err instanceof ScalekitServerException && err instanceof ScalekitException) {
      seen.error = [err instanceof ScalekitNotFoundException, err.grpcStatus, err.httpStatus];
    }
  }
  console.log(JSON.stringify(seen));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
