/** @scalekit-sdk/node — AgentKit Node SDK (Rust core via napi-rs). */

import type { Message, MessageInitShape } from '@bufbuild/protobuf';
import type { Timestamp } from '@bufbuild/protobuf/wkt';
import type {
  AuthorizationDetails as AuthorizationDetailsMessage,
  AuthorizationDetailsSchema,
  CreateConnectedAccount,
  CreateConnectedAccountResponse,
  DeleteConnectedAccountResponse,
  GetConnectedAccountByIdentifierResponse,
  GetMagicLinkForConnectedAccountResponse,
  ListConnectedAccountsResponse,
  UpdateConnectedAccount,
  UpdateConnectedAccountResponse,
  VerifyConnectedAccountUserResponse,
} from './pkg/grpc/scalekit/v1/connected_accounts/connected_accounts_pb';
import type {
  ExecuteToolResponse,
  FilterSchema,
  ListAvailableToolsResponse,
  ListScopedToolsResponse,
  ListToolsResponse,
  ScopedToolFilterSchema,
} from './pkg/grpc/scalekit/v1/tools/tools_pb';
export type { ExecuteToolResponse, ListAvailableToolsResponse, ListScopedToolsResponse, ListToolsResponse, ScopedTool, Tool } from './pkg/grpc/scalekit/v1/tools/tools_pb';

/**
 * The names the SDK reference page gives each tool the tools client lists: read-only views of
 * `definition` on its answers (`WithPageNames`), not fields of the message.
 */
export interface PageNames { readonly name: string; readonly description: string; readonly inputSchema: JsonObject }
export { ConnectorStatus, ConnectorType } from './pkg/grpc/scalekit/v1/connected_accounts/connected_accounts_pb';
export type {
  ConnectedAccount,
  ConnectedAccountForList,
  CreateConnectedAccountResponse,
  DeleteConnectedAccountResponse,
  GetConnectedAccountByIdentifierResponse,
  GetMagicLinkForConnectedAccountResponse,
  ListConnectedAccountsResponse,
  UpdateConnectedAccountResponse,
  VerifyConnectedAccountUserResponse,
} from './pkg/grpc/scalekit/v1/connected_accounts/connected_accounts_pb';

export type JsonObject = { [key: string]: unknown };

export interface ScalekitOptions {
  /** Control-plane deadline in ms (default 20000). */
  timeoutMs?: number;
  /** Tool and proxy deadline in ms (default 60000). */
  toolTimeoutMs?: number;
}

export interface OauthToken { accessToken?: string; refreshToken?: string; scopes?: string[]; domain?: string }
/**
 * `{ oauthToken }`, `{ staticAuth: { details } }`, or the official protobuf-es forms: an
 * `AuthorizationDetails` message (`create(AuthorizationDetailsSchema, …)`) or its init shape.
 */
export type AuthorizationDetails =
  | { oauthToken: OauthToken }
  | { staticAuth: { details: JsonObject } }
  | AuthorizationDetailsMessage
  | MessageInitShape<typeof AuthorizationDetailsSchema>;

export interface AccountSelector {
  connectionName?: string;
  identifier?: string;
  connectedAccountId?: string;
  organizationId?: string;
  userId?: string;
}

export interface AccountInput extends AccountSelector {
  authorizationDetails?: AuthorizationDetails;
  apiConfig?: JsonObject;
}

/** The low-level selector: `connector` is the connection name. */
export interface ConnectorSelector {
  connector?: string;
  identifier?: string;
  organizationId?: string;
  userId?: string;
  connectedAccountId?: string;
}

/** A connection's creation time, the protobuf well-known `Timestamp` (as the official SDK names it). */
export type AppConnectionTimestamp = Timestamp;
/** A configured connection, as `actions.listConnections` returns it (this gateway gives no `createdAt`). */
export interface AppConnection { id: string; type: string; status: string; enabled: boolean; provider: string; connectionName: string; createdAt?: AppConnectionTimestamp; mcpServerUrl?: string }
export interface ListAppConnectionsResult { connections: AppConnection[]; nextPageToken: string; prevPageToken: string; totalSize: number }

export interface ToolDefinition { name: string; description: string; input_schema: JsonObject; annotations?: JsonObject; [key: string]: unknown }
/**
 * A tools-client answer (a protobuf-es message) whose tools are also readable by the names the SDK
 * reference page gives them (`name`, `description`, `inputSchema`: read-only views of the definition).
 */
export type WithPageNames<R extends { tools: object[] }> = Omit<R, 'tools'> & { tools: (R['tools'][number] & PageNames)[] };
export interface ConnectionReadiness<State = string> { connectionName: string; connectedAccountId: string; readinessState: State }
export interface SearchedTool<State = string> { name: string; provider: string; description: string; score: number; connections: ConnectionReadiness<State>[] }
export interface SearchToolsResponse<State = string> { tools: SearchedTool<State>[] }
export interface SearchToolsOptions { identifier?: string; topK?: number }

export interface ExecuteToolParams {
  toolName: string;
  toolInput?: JsonObject;
  identifier?: string;
  connectedAccountId?: string;
  /** Connection name (also accepted as `connectionName`). */
  connector?: string;
  connectionName?: string;
  organizationId?: string;
  userId?: string;
}

export interface RequestParams {
  connectionName: string;
  identifier: string;
  path: string;
  method?: string;
  queryParams?: Record<string, unknown>;
  body?: unknown;
  formData?: Record<string, unknown>;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export interface UploadResumableParams {
  connectionName: string;
  identifier: string;
  /** The upload endpoint under the connection's API base, e.g. `/upload/drive/v3/files`. */
  path: string;
  /** What to upload (one of `data` and `filePath`). */
  data?: Buffer | Uint8Array | string;
  filePath?: string;
  contentType?: string;
  /** The new resource's metadata (Drive: `{ name, parents }`). */
  metadata?: Record<string, unknown>;
  /** A multiple of 256 KiB, at most 16 MiB; 4 MiB by default. */
  chunkSize?: number;
  onProgress?: (sent: number, total: number) => void | Promise<void>;
  /** `POST` (a new file, the default), or `PUT` / `PATCH` (new content for an existing one). */
  method?: string;
  queryParams?: Record<string, unknown>;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/** What the proxy answered, shaped as the official SDK's AxiosResponse. */
export interface ProxyResponse<T = any> {
  data: T;
  status: number;
  statusText: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** Whole milliseconds the call took. */
  duration?: number;
  /** The request as sent: `url` (the provider path), `method`, `headers`, `params`, `data`, `timeout` (not an axios config: no axios here). */
  config: any;
  /** Never set (no underlying axios request object). */
  request?: any;
}

export type ModifierFn = (data: JsonObject) => JsonObject | Promise<JsonObject>;

export declare class ToolsClient {
  /** Answers are protobuf-es `ListToolsResponse` messages (`tool.definition` a JSON object, `updatedAt` a Timestamp). */
  listTools(options?: { filter?: MessageInitShape<typeof FilterSchema>; pageSize?: number; pageToken?: string }): Promise<WithPageNames<ListToolsResponse>>;
  listScopedTools(identifier: string, options?: { filter?: MessageInitShape<typeof ScopedToolFilterSchema>; pageSize?: number; pageToken?: string }): Promise<WithPageNames<ListScopedToolsResponse>>;
  /** Catalog tools ranked for a query (default 10, at most 50); readiness per connection with an identifier. */
  searchTools(query: string, options?: SearchToolsOptions): Promise<SearchToolsResponse<'TOOL_READINESS_STATE_READY' | 'TOOL_READINESS_STATE_NEEDS_CONNECTION' | 'TOOL_READINESS_STATE_NEEDS_REAUTH'>>;
  searchTools(params: SearchToolsOptions & { query: string }): Promise<SearchToolsResponse<'TOOL_READINESS_STATE_READY' | 'TOOL_READINESS_STATE_NEEDS_CONNECTION' | 'TOOL_READINESS_STATE_NEEDS_REAUTH'>>;
  listAvailableTools(identifier: string, options?: { pageSize?: number; pageToken?: string }): Promise<WithPageNames<ListAvailableToolsResponse>>;
  executeTool(params: Omit<ExecuteToolParams, 'toolInput'> & { params?: JsonObject }): Promise<ExecuteToolResponse>;
  /** Tool definitions in a vendor's format. */
  formatTools(definitions: ToolDefinition[], format?: ToolFormat): JsonObject[];
  /** The user's tool definitions, every page. */
  listDefinitions(identifier: string, options?: { filter?: { providers?: string[]; toolNames?: string[]; connectionNames?: string[] }; pageSize?: number; pageToken?: string }): Promise<ToolDefinition[]>;
  /** Every tool of the user, ready for a model API in `format`. */
  listFormattedTools(identifier: string, format?: ToolFormat, options?: { filter?: { providers?: string[]; toolNames?: string[]; connectionNames?: string[] }; pageSize?: number }): Promise<JsonObject[]>;
}

export type ToolFormat = 'anthropic' | 'openai' | 'openai_responses' | 'openai_strict' | 'gemini' | 'json_schema';
/** Tool definitions in a vendor's format. */
export declare function formatTools(definitions: ToolDefinition[], format?: ToolFormat): JsonObject[];

export interface McpConfigConnectionToolMapping {
  connectionName: string;
  /** Empty: every tool of the connection. */
  tools?: string[];
  readonly connectionId?: string;
  readonly provider?: string;
}
export interface McpConfig { id: string; name: string; description: string; connectionToolMappings: McpConfigConnectionToolMapping[]; mcpServerUrl: string; /** RFC 9728 metadata URL for MCP clients signing in with OAuth (when the gateway has it on). */ oauthMetadataUrl?: string }
export interface McpInstance { id: string; name: string; userIdentifier: string; config: McpConfig; lastUsedAt?: string; updatedAt?: string; url: string }
export interface McpConnectionAuthState {
  connectionId: string;
  connectionName: string;
  provider: string;
  connectedAccountId: string;
  connectedAccountStatus: string;
  authenticationLink: string;
}
export interface McpListParams { pageSize?: number; pageToken?: string; filterId?: string; filterName?: string; search?: string }
/** Lifetime: `'3600s'`, seconds, or a protobuf Duration `{ seconds }` (60 s – 24 h, default 1 h). */
export type SessionTokenExpiry = string | number | { seconds: number | bigint | string; nanos?: number };

export declare class McpClient {
  createConfig(params: { name: string; description?: string; connectionToolMappings?: McpConfigConnectionToolMapping[] }): Promise<{ config: McpConfig }>;
  listConfigs(params?: McpListParams & { filterProvider?: string; filterMcpServerUrl?: string }): Promise<{ configs: McpConfig[]; totalSize: number; nextPageToken: string; prevPageToken: string }>;
  getConfig(params: { configId: string }): Promise<{ config: McpConfig }>;
  updateConfig(params: { configId: string; description?: string; connectionToolMappings?: McpConfigConnectionToolMapping[] }): Promise<{ config: McpConfig }>;
  deleteConfig(params: { configId: string }): Promise<Record<string, never>>;
  ensureInstance(params: { configName: string; userIdentifier: string; name?: string }): Promise<{ instance: McpInstance }>;
  listInstances(params?: McpListParams & { filterConfigName?: string; filterUserIdentifier?: string }): Promise<{ instances: McpInstance[]; totalSize: number; nextPageToken: string; prevPageToken: string }>;
  getInstance(params: { instanceId: string }): Promise<{ instance: McpInstance }>;
  updateInstance(params: { instanceId: string; name?: string; configName?: string }): Promise<{ instance: McpInstance }>;
  deleteInstance(params: { instanceId: string }): Promise<Record<string, never>>;
  getInstanceAuthState(params: { instanceId: string; includeAuthLinks?: boolean }): Promise<{ connections: McpConnectionAuthState[] }>;
  listMcpConnectedAccounts(params: { configId: string; identifier: string; includeAuthLink?: boolean }): Promise<{ connectedAccounts: McpConnectionAuthState[] }>;
  /** A token for the config's MCP URL, or with `connectionName` for the connection's own server (`/mcp/v3/connections/<name>`). */
  createSessionToken(params: ({ configId: string; connectionName?: undefined } | { connectionName: string; configId?: undefined }) & { identifier: string; expiry?: SessionTokenExpiry; accessLevel?: '' | 'FULL' | 'READ_ONLY' }): Promise<{ token: string; expiresAt?: string }>;
}

/** One way users authenticate with a custom provider (keys as given; snake_case or camelCase). */
export interface AuthPattern {
  type: 'OAUTH' | 'BEARER' | 'BASIC' | 'API_KEY';
  displayName?: string;
  description?: string;
  fields?: Array<{ fieldName: string; label?: string; inputType?: string; hint?: string; required?: boolean }>;
  oauthConfig?: { authorizeUri: string; tokenUri: string; availableScopes?: Array<{ scope: string; required?: boolean }> };
  authHeaderKeyOverride?: string;
  [key: string]: unknown;
}
export interface Provider {
  id: string;
  identifier: string;
  displayName: string;
  description: string;
  proxyUrl: string;
  proxyEnabled: boolean;
  iconSrc: string;
  isCustom: boolean;
  isCustomMcp: boolean;
  categories: string[];
  metadata: Record<string, string>;
  authPatterns: AuthPattern[];
  /** Declarative tools (connector-file format), on this gateway. */
  tools?: Array<Record<string, unknown>>;
}
export interface CustomProviderInput {
  displayName?: string;
  proxyUrl?: string;
  description?: string;
  authPatterns?: AuthPattern[];
  proxyEnabled?: boolean;
  iconSrc?: string;
  metadata?: Record<string, string>;
  tools?: Array<Record<string, unknown>>;
}

export declare class ProvidersClient {
  createCustomProvider(params: CustomProviderInput & { displayName: string; proxyUrl: string; identifier?: string }): Promise<{ provider: Provider }>;
  updateCustomProvider(params: CustomProviderInput & { identifier: string }): Promise<{ provider: Provider }>;
  deleteCustomProvider(params: { identifier: string }): Promise<Record<string, never>>;
  listProviders(params?: { providerType?: 'DEFAULT' | 'CUSTOM' | 'ALL'; identifier?: string; pageSize?: number; pageToken?: string }): Promise<{ providers: Provider[]; totalSize: number; nextPageToken: string; prevPageToken: string }>;
}

export type TriggerSubscriptionStatus = 'ACTIVE' | 'THROTTLED' | 'PAUSED' | 'PAUSED_CREDENTIAL';
export interface AvailableTrigger {
  name: string; displayName: string; description: string; provider: string; mode: 'POLL' | 'WEBHOOK';
  requiredScopes: { scope: string; grant: string }[]; minIntervalSeconds: number; defaultIntervalSeconds: number;
  configFields: { key: string; displayName: string; helpText: string; placeholder: string; required: boolean }[];
  available: boolean; reason?: string; remedy?: string; deliveryScope: 'ACCOUNT' | 'CONNECTION'; requiresSigningSecret: boolean;
}
export interface TriggerSubscription {
  id: string; connectedAccountId: string; connectionId: string; provider: string; triggerName: string;
  status: TriggerSubscriptionStatus; requestedIntervalSeconds: number; effectiveIntervalSeconds: number;
  config: Record<string, string>; deliveryScope: 'ACCOUNT' | 'CONNECTION'; connectedAccountIdentifier: string; createdAt: string;
  pollState: { lastRunAt?: string; lastError?: string; consecutiveFailures: number; backoffUntil?: string; watermarkUpdatedAt?: string; lastErrorCode?: string };
  accountHealth: 'READY' | 'AWAITING_CONFIRMATION' | 'WRONG_APP' | 'DISCONNECTED' | 'NEEDS_REAUTHENTICATION';
}
export interface TriggerSubscriptionInput { connectionId: string; triggerName: string; intervalSeconds?: number; config?: Record<string, string> }

/** Where a provider posts a connection's pushed events, and its signing secret's state (never the secret). */
export interface TriggerIngressEndpoint {
  id: string; connectionId: string; url: string; signingSecretConfigured: boolean; maskedSigningSecret?: string;
  rotationInProgress: boolean; previousSigningSecretExpiresAt?: string; signingSecretRotationId: number;
}
/** `counts` keeps the gateway's names (`events`, `delivered`, `pushes_accepted`, …). */
export interface TriggerActivity {
  counts: Record<string, number>; windowHours: number; signatureBanner: boolean; degraded: boolean;
  explainsIndividualEvents: boolean; deliveryDetailsPath: string;
}
export interface TriggerDeliveryAttempt {
  id: string; endpointId: string; msgId: string; status: 'SUCCESS' | 'PENDING' | 'FAIL' | 'SENDING' | 'CANCELED';
  responseStatusCode: number; response?: string; timestamp: string;
}
export declare class TriggersClient {
  listAvailableTriggers(params: { connectionId: string }): Promise<{ triggers: AvailableTrigger[]; connectionUsesSharedApp: boolean }>;
  listEligibleAccounts(params: { connectionId: string; triggerName: string; query?: string; pageSize?: number; pageToken?: string }): Promise<{ accounts: { id: string; identifier: string; eligible: boolean; reason?: string; remedy?: string; health: { state: TriggerSubscription['accountHealth']; reason?: string; remedy?: string; action?: 'RECONNECT' | 'COMPLETE_SETUP'; blocksToolCalls: boolean } }[]; nextPageToken: string; prevPageToken: string; totalSize: number }>;
  listTriggerSubscriptions(params: { connectionId: string; triggerName?: string; statuses?: TriggerSubscriptionStatus[]; pageSize?: number; pageToken?: string }): Promise<{ subscriptions: TriggerSubscription[]; nextPageToken: string; prevPageToken: string; totalSize: number; statusCounts: Record<TriggerSubscriptionStatus, number> }>;
  createTriggerSubscription(params: TriggerSubscriptionInput & { connectedAccountId: string }): Promise<TriggerSubscription>;
  batchCreateTriggerSubscriptions(params: TriggerSubscriptionInput & { connectedAccountIds: string[] }): Promise<{ results: { connectedAccountId: string; outcome: 'CREATED' | 'ALREADY_SUBSCRIBED' | 'REFUSED' | 'NOT_FOUND' | 'FAILED'; subscription?: TriggerSubscription; reason?: string }[]; createdCount: number }>;
  deleteTriggerSubscription(params: { connectionId: string; subscriptionId: string }): Promise<Record<string, never>>;
  getTriggerIngressEndpoint(params: { connectionId: string }): Promise<TriggerIngressEndpoint>;
  createTriggerIngressEndpoint(params: { connectionId: string }): Promise<TriggerIngressEndpoint>;
  setTriggerSigningSecret(params: { connectionId: string; signingSecret: string }): Promise<TriggerIngressEndpoint>;
  confirmTriggerSigningSecretRotation(params: { connectionId: string; signingSecretRotationId: number }): Promise<TriggerIngressEndpoint>;
  getTriggerActivity(): Promise<TriggerActivity>;
  listTriggerDeliveryAttemptsByEndpoint(params: { endpointId: string; pageSize?: number }): Promise<{ attempts: TriggerDeliveryAttempt[] }>;
  /** The event (parsed JSON object) once its Standard Webhooks headers check out; throws WebhookVerificationError. */
  verifyEvent(secret: string, headers: Record<string, string | string[]>, payload: string | Buffer): JsonObject;
}

export declare class ActionsClient {
  readonly tools: ToolsClient;
  readonly mcp: McpClient;
  readonly providers: ProvidersClient;
  readonly triggers: TriggersClient;
  getOrCreateConnectedAccount(params: AccountInput & { connectionName: string; identifier: string }): Promise<CreateConnectedAccountResponse>;
  upsertConnectedAccount(params: AccountInput & { connectionName: string; identifier: string }): Promise<CreateConnectedAccountResponse>;
  createConnectedAccount(params: AccountInput & { connectionName: string; identifier: string }): Promise<CreateConnectedAccountResponse>;
  updateConnectedAccount(params: AccountInput): Promise<UpdateConnectedAccountResponse>;
  getConnectedAccount(params: AccountSelector): Promise<GetConnectedAccountByIdentifierResponse>;
  getConnectedAccountDetails(params: AccountSelector): Promise<GetConnectedAccountByIdentifierResponse>;
  deleteConnectedAccount(params: AccountSelector): Promise<DeleteConnectedAccountResponse>;
  listConnectedAccounts(params?: { connectionName?: string; identifier?: string; provider?: string; organizationId?: string; userId?: string; connectedAccountId?: string; connectionNames?: string[]; query?: string; pageSize?: number; pageToken?: string }): Promise<ListConnectedAccountsResponse>;
  /** Accounts whose identifier, connection or connector contains `query` (3+ characters), without credentials. */
  searchConnectedAccounts(params: { query: string; pageSize?: number; pageToken?: string; connectionId?: string }): Promise<ListConnectedAccountsResponse>;
  /** The app's connections, at most 30 a page. */
  listConnections(params?: { pageSize?: number; pageToken?: string; provider?: string }): Promise<ListAppConnectionsResult>;
  /** Catalog tools matching the filters. */
  listTools(params?: { connectionName?: string; identifier?: string; provider?: string; toolName?: string | string[]; query?: string; organizationId?: string; userId?: string; connectedAccountId?: string; summary?: boolean; pageSize?: number; pageToken?: string }): Promise<WithPageNames<ListToolsResponse>>;
  /** `scopes` (the user must grant them) and `optionalScopes` (the user may decline them) replace the connection's scopes for this authorization. */
  getAuthorizationLink(params: AccountSelector & { state?: string; userVerifyUrl?: string; scopes?: string[]; optionalScopes?: string[] }): Promise<GetMagicLinkForConnectedAccountResponse>;
  verifyConnectedAccountUser(params: { authRequestId: string; identifier: string }): Promise<VerifyConnectedAccountUserResponse>;
  executeTool(params: ExecuteToolParams): Promise<ExecuteToolResponse>;
  /** Catalog tools ranked for a query; `readinessState` is `READY`, `NEEDS_CONNECTION` or `NEEDS_REAUTH`. */
  searchTools(query: string, options?: SearchToolsOptions): Promise<SearchToolsResponse<'READY' | 'NEEDS_CONNECTION' | 'NEEDS_REAUTH'>>;
  searchTools(params: SearchToolsOptions & { query: string }): Promise<SearchToolsResponse<'READY' | 'NEEDS_CONNECTION' | 'NEEDS_REAUTH'>>;
  request<T = any>(params: RequestParams): Promise<ProxyResponse<T>>;
  uploadResumable<T = any>(params: UploadResumableParams): Promise<ProxyResponse<T>>;
  /** A ready `tools` object for the Vercel AI SDK (`tool()` + `jsonSchema()`, executing via `executeTool`). */
  vercelTools(identifier: string, options?: { filter?: { providers?: string[]; toolNames?: string[]; connectionNames?: string[] }; pageSize?: number }): Promise<Record<string, unknown>>;
  addModifier(modifier: { toolNames: string | string[]; type: 'pre' | 'post'; func: ModifierFn }): ModifierFn;
  preModifier(toolNames: string | string[], func: ModifierFn): ModifierFn;
  postModifier(toolNames: string | string[], func: ModifierFn): ModifierFn;
}

/** `scalekit.connectedAccounts`: the official low-level client (`connector` is the connection name). */
export declare class ConnectedAccountsClient {
  listConnectedAccounts(options?: ConnectorSelector & { provider?: string; pageSize?: number; pageToken?: string; query?: string; connectionNames?: string[] }): Promise<ListConnectedAccountsResponse>;
  /** Accounts whose identifier, connection or connector contains `query` (3+ characters), without credentials. */
  searchConnectedAccounts(params: { query: string; pageSize?: number; pageToken?: string; connectionId?: string }): Promise<ListConnectedAccountsResponse>;
  createConnectedAccount(params: { connector: string; identifier: string; connectedAccount: CreateConnectedAccount | { authorizationDetails?: AuthorizationDetails; apiConfig?: JsonObject }; organizationId?: string; userId?: string }): Promise<CreateConnectedAccountResponse>;
  getOrCreateConnectedAccount(params: { connector: string; identifier: string; authorizationDetails?: AuthorizationDetails; organizationId?: string; userId?: string; apiConfig?: Record<string, unknown> }): Promise<CreateConnectedAccountResponse>;
  upsertConnectedAccount: (params: { connector: string; identifier: string; authorizationDetails?: AuthorizationDetails; organizationId?: string; userId?: string; apiConfig?: Record<string, unknown> }) => Promise<CreateConnectedAccountResponse>;
  updateConnectedAccount(params: ConnectorSelector & { connectedAccount: UpdateConnectedAccount | { authorizationDetails?: AuthorizationDetails; apiConfig?: JsonObject } }): Promise<UpdateConnectedAccountResponse>;
  deleteConnectedAccount(params: ConnectorSelector): Promise<DeleteConnectedAccountResponse>;
  getMagicLinkForConnectedAccount(params: ConnectorSelector & { state?: string; userVerifyUrl?: string; scopeSelection?: { scopes?: string[]; optionalScopes?: string[] } }): Promise<GetMagicLinkForConnectedAccountResponse>;
  verifyConnectedAccountUser(params: { authRequestId: string; identifier: string }): Promise<VerifyConnectedAccountUserResponse>;
  getConnectedAccountByIdentifier(params: ConnectorSelector): Promise<GetConnectedAccountByIdentifierResponse>;
}

export declare class ScalekitClient {
  constructor(envUrl: string, clientId: string, clientSecret: string, options?: ScalekitOptions);
  constructor(options: { envUrl: string; clientId: string; clientSecret: string } & ScalekitOptions);
  readonly envUrl: string;
  readonly actions: ActionsClient;
  readonly tools: ToolsClient;
  readonly connectedAccounts: ConnectedAccountsClient;
  /** Checks a webhook delivery (Standard Webhooks headers, 5-minute window); throws WebhookVerificationError. */
  verifyWebhookPayload(secret: string, headers: Record<string, string | string[]>, payload: string | Buffer): boolean;
  /** A trigger event checked as `verifyWebhookPayload`, returned as its parsed JSON object. */
  verifyTriggerEvent(secret: string, headers: Record<string, string | string[]>, payload: string | Buffer): JsonObject;
}
export { ScalekitClient as Scalekit };
export default ScalekitClient;

type ErrDetail<Name extends string, Fields> = Message<`scalekit.v1.errdetails.${Name}`> & Fields;
/** An error's detail, the official `scalekit.v1.errdetails.ErrorInfo` message (a plain object with `$typeName`). */
export type ErrorInfo = ErrDetail<'ErrorInfo', {
  errorCode: string;
  debugInfo?: DebugInfo | undefined;
  helpInfo?: HelpInfo | undefined;
  localizedMessageInfo?: LocalizedMessageInfo | undefined;
  resourceInfo?: ResourceInfo | undefined;
  requestInfo?: RequestInfo | undefined;
  validationErrorInfo?: ValidationErrorInfo | undefined;
  toolErrorInfo?: ToolErrorInfo | undefined;
}>;
export type DebugInfo = ErrDetail<'DebugInfo', { stackEntries: string[]; detail: string }>;
export type ValidationErrorInfo = ErrDetail<'ValidationErrorInfo', { fieldViolations: ValidationErrorInfo_FieldViolation[] }>;
export type ValidationErrorInfo_FieldViolation = ErrDetail<'ValidationErrorInfo.FieldViolation', { field: string; description: string; constraint: string }>;
export type RequestInfo = ErrDetail<'RequestInfo', { requestId: string; servingData: string }>;
export type ResourceInfo = ErrDetail<'ResourceInfo', { resourceName: string; owner: string; description: string; requiredPermissions: string[]; user: string }>;
export type HelpInfo = ErrDetail<'HelpInfo', { links: HelpInfo_Link[] }>;
export type HelpInfo_Link = ErrDetail<'HelpInfo.Link', { description: string; url: string }>;
export type LocalizedMessageInfo = ErrDetail<'LocalizedMessageInfo', { locale: string; message: string }>;
export type ToolErrorInfo = ErrDetail<'ToolErrorInfo', { executionId: string; toolErrorMessage: string; toolErrorCode: string }>;

export interface ErrorDetails {
  httpStatus?: number;
  grpcStatus?: number;
  errorCode?: string | null;
  kind?: string;
  field?: string | null;
  requestId?: string | null;
  errDetails?: unknown;
  /** `ErrorInfo` messages, or their JSON (snake_case or camelCase). */
  unpackedDetails?: Array<ErrorInfo | JsonObject>;
  toolErrorCode?: string;
  toolErrorMessage?: string;
  executionId?: string;
}
/** An HTTP answer as axios (an AxiosResponse) or fetch code holds it. */
export interface HttpErrorResponse { status: number; statusText?: string; data?: any }
/** A ConnectError of @connectrpc/connect (code: its gRPC `Code`). */
export interface ConnectErrorLike { code: number; message: string; rawMessage?: string; details?: unknown[] }
/** An axios error, as `ScalekitGatewayTimeoutException.isAxiosTimeout` reads it. */
export interface AxiosErrorLike { code?: string; message: string }

export declare class ScalekitException extends Error {
  constructor(message: string, details?: ErrorDetails);
  readonly httpStatus?: number;
  readonly errorCode: string | null;
  readonly kind?: string;
  /** The parameter a validation error is about (e.g. `tool_input.max_results`). */
  readonly field: string | null;
  readonly requestId: string | null;
  readonly errDetails?: unknown;
  /** The gRPC status code (`Code` of @connectrpc/connect; 5 is NotFound). */
  readonly grpcStatus?: number;
  /** The error's details, as the official `ErrorInfo` messages. */
  readonly unpackedDetails: ErrorInfo[];
}
export declare class ScalekitConnectionException extends ScalekitException {}
export declare class ScalekitModifierException extends ScalekitException {}
/** A token failed validation (the official class; AgentKit validates no tokens itself). */
export declare class ScalekitValidateTokenFailureException extends ScalekitException {}
/** An error the server answered: both statuses always set. */
export declare class ScalekitServerException extends ScalekitException {
  /** A message (with details), or what the official classes take: an HTTP answer or a ConnectError. */
  constructor(error: string | HttpErrorResponse | ConnectErrorLike, details?: ErrorDetails);
  readonly httpStatus: number;
  /** The gRPC status code (`Code` of @connectrpc/connect; 5 is NotFound). */
  readonly grpcStatus: number;
  /** The answer's details: the `ErrorInfo` messages (or, built from an HTTP answer, its body). */
  readonly errDetails: any;
  toString(): string;
  /** The SDK exception for a failed HTTP answer (`{ status, data }`) or a ConnectError, as the SDK's own calls classify them. */
  static promote(error: HttpErrorResponse | ConnectErrorLike | ScalekitServerException, isToolError?: boolean): ScalekitServerException;
}
export declare class ScalekitBadRequestException extends ScalekitServerException {}
export declare class ScalekitUnauthorizedException extends ScalekitServerException {}
export declare class ScalekitForbiddenException extends ScalekitServerException {}
export declare class ScalekitNotFoundException extends ScalekitServerException {}
export declare class ScalekitConflictException extends ScalekitServerException {}
export declare class ScalekitTooManyRequestsException extends ScalekitServerException {}
export declare class ScalekitInternalServerException extends ScalekitServerException {}
export declare class ScalekitNotImplementedException extends ScalekitServerException {}
export declare class ScalekitServiceUnavailableException extends ScalekitServerException {}
export declare class ScalekitGatewayTimeoutException extends ScalekitServerException {
  /** True for an axios timeout (`ECONNABORTED` or `ETIMEDOUT`). */
  static isAxiosTimeout(error: AxiosErrorLike): boolean;
  /** An axios timeout as this exception (DeadlineExceeded, HTTP 504). */
  static fromAxiosTimeout(error: AxiosErrorLike): ScalekitGatewayTimeoutException;
}
export declare class ScalekitCancelledException extends ScalekitServerException {}
export declare class ScalekitUnknownException extends ScalekitServerException {}
/** What every tool exception carries (the official interface). */
export interface IScalekitToolException { readonly isToolError: true; readonly toolErrorCode: string; readonly toolErrorMessage: string; readonly executionId: string }
export declare class ScalekitToolException extends ScalekitServerException implements IScalekitToolException { readonly isToolError: true; readonly toolErrorCode: string; readonly toolErrorMessage: string; readonly executionId: string }
export declare class ScalekitToolRateLimitException extends ScalekitTooManyRequestsException implements IScalekitToolException { readonly isToolError: true; readonly toolErrorCode: string; readonly toolErrorMessage: string; readonly executionId: string }
export declare class ScalekitToolUnauthorizedException extends ScalekitUnauthorizedException implements IScalekitToolException { readonly isToolError: true; readonly toolErrorCode: string; readonly toolErrorMessage: string; readonly executionId: string }
export declare class ScalekitToolForbiddenException extends ScalekitForbiddenException implements IScalekitToolException { readonly isToolError: true; readonly toolErrorCode: string; readonly toolErrorMessage: string; readonly executionId: string }
export declare function isToolException(e: unknown): e is ScalekitServerException & IScalekitToolException;
export declare class WebhookVerificationError extends ScalekitException {}
