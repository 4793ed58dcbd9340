/**
 * `scalekit.v1.connected_accounts` at the official import path, shaped as protobuf-es output:
 * numeric enums, a `…Schema` per message, message types carrying `$typeName`.
 */
import type { GenEnum, GenFile, GenMessage } from '@bufbuild/protobuf/codegenv2';
import type { JsonObject, Message } from '@bufbuild/protobuf';
import type { Timestamp } from '@bufbuild/protobuf/wkt';

export declare const file_scalekit_v1_connected_accounts_connected_accounts: GenFile;

/** Status of a connected account. */
export declare enum ConnectorStatus {
  CONNECTION_STATUS_UNSPECIFIED = 0,
  ACTIVE = 1,
  EXPIRED = 2,
  PENDING_AUTH = 3,
  PENDING_VERIFICATION = 4,
  DISCONNECTED = 5,
}
export declare const ConnectorStatusSchema: GenEnum<ConnectorStatus>;

/** How a connected account authenticates. */
export declare enum ConnectorType {
  CONNECTION_TYPE_UNSPECIFIED = 0,
  OAUTH = 1,
  API_KEY = 2,
  BASIC_AUTH = 3,
  BEARER_TOKEN = 4,
  CUSTOM = 5,
  BASIC = 6,
  OAUTH_M2M = 7,
  TRELLO_OAUTH1 = 8,
  GOOGLE_DWD = 9,
  TRUSTED_IDP = 10,
  SMART_FHIR = 11,
  NO_AUTH = 12,
  // The runtime object also has KEY_PAIR = 13 (this gateway's key-pair accounts, appended after the
  // official values); it is left out of the type so that it stays the official enum (exhaustive
  // switches and Record<ConnectorType, …> written against it compile). A key-pair account's
  // `authorizationType` is 13, a value outside the declared members, as any newer server value is
  // for a protobuf-es (open) enum.
}
export declare const ConnectorTypeSchema: GenEnum<ConnectorType>;

type M<Name extends string, Fields> = Message<`scalekit.v1.connected_accounts.${Name}`> & Fields;

export type OauthToken = M<'OauthToken', { accessToken: string; refreshToken: string; scopes: string[]; domain: string }>;
export declare const OauthTokenSchema: GenMessage<OauthToken>;
export type StaticAuth = M<'StaticAuth', { details?: JsonObject }>;
export declare const StaticAuthSchema: GenMessage<StaticAuth>;
export type GoogleDWDAuth = M<'GoogleDWDAuth', { subject: string; accessToken: string; scopes: string[]; tokenExpiresAt?: Timestamp }>;
export declare const GoogleDWDAuthSchema: GenMessage<GoogleDWDAuth>;
export type TrustedIDPAuth = M<'TrustedIDPAuth', { dbUser: string; accessKeyId: string; secretAccessKey: string; sessionToken: string; expiry?: Timestamp }>;
export declare const TrustedIDPAuthSchema: GenMessage<TrustedIDPAuth>;

export type AuthorizationDetails = M<'AuthorizationDetails', {
  details:
    | { case: 'oauthToken'; value: OauthToken }
    | { case: 'staticAuth'; value: StaticAuth }
    | { case: 'googleDwd'; value: GoogleDWDAuth }
    | { case: 'trustedIdp'; value: TrustedIDPAuth }
    | { case: undefined; value?: undefined };
  /** Shortcut of this SDK: `details.value` when the case is `oauthToken`. */
  readonly oauthToken?: OauthToken;
  /** Shortcut of this SDK: `details.value` when the case is `staticAuth`. */
  readonly staticAuth?: StaticAuth;
}>;
export declare const AuthorizationDetailsSchema: GenMessage<AuthorizationDetails>;

interface AccountFields {
  identifier: string;
  provider: string;
  status: ConnectorStatus;
  authorizationType: ConnectorType;
  tokenExpiresAt?: Timestamp;
  updatedAt?: Timestamp;
  connector: string;
  lastUsedAt?: Timestamp;
  id: string;
  connectionId: string;
}
export type ConnectedAccount = M<'ConnectedAccount', AccountFields & { authorizationDetails?: AuthorizationDetails; apiConfig?: JsonObject }>;
export declare const ConnectedAccountSchema: GenMessage<ConnectedAccount>;
export type ConnectedAccountForList = M<'ConnectedAccountForList', AccountFields>;
export declare const ConnectedAccountForListSchema: GenMessage<ConnectedAccountForList>;
export type CreateConnectedAccount = M<'CreateConnectedAccount', { authorizationDetails?: AuthorizationDetails; apiConfig?: JsonObject }>;
export declare const CreateConnectedAccountSchema: GenMessage<CreateConnectedAccount>;
export type UpdateConnectedAccount = M<'UpdateConnectedAccount', { authorizationDetails?: AuthorizationDetails; apiConfig?: JsonObject }>;
export declare const UpdateConnectedAccountSchema: GenMessage<UpdateConnectedAccount>;

export type ListConnectedAccountsResponse = M<'ListConnectedAccountsResponse', { connectedAccounts: ConnectedAccountForList[]; totalSize: number; nextPageToken: string; prevPageToken: string }>;
export declare const ListConnectedAccountsResponseSchema: GenMessage<ListConnectedAccountsResponse>;
export type CreateConnectedAccountResponse = M<'CreateConnectedAccountResponse', { connectedAccount?: ConnectedAccount }>;
export declare const CreateConnectedAccountResponseSchema: GenMessage<CreateConnectedAccountResponse>;
export type UpdateConnectedAccountResponse = M<'UpdateConnectedAccountResponse', { connectedAccount?: ConnectedAccount }>;
export declare const UpdateConnectedAccountResponseSchema: GenMessage<UpdateConnectedAccountResponse>;
export type GetConnectedAccountByIdentifierResponse = M<'GetConnectedAccountByIdentifierResponse', { connectedAccount?: ConnectedAccount }>;
export declare const GetConnectedAccountByIdentifierResponseSchema: GenMessage<GetConnectedAccountByIdentifierResponse>;
export type DeleteConnectedAccountResponse = M<'DeleteConnectedAccountResponse', {}>;
export declare const DeleteConnectedAccountResponseSchema: GenMessage<DeleteConnectedAccountResponse>;
export type GetMagicLinkForConnectedAccountResponse = M<'GetMagicLinkForConnectedAccountResponse', { link: string; expiry?: Timestamp }>;
export declare const GetMagicLinkForConnectedAccountResponseSchema: GenMessage<GetMagicLinkForConnectedAccountResponse>;
export type VerifyConnectedAccountUserResponse = M<'VerifyConnectedAccountUserResponse', { postUserVerifyRedirectUrl: string }>;
export declare const VerifyConnectedAccountUserResponseSchema: GenMessage<VerifyConnectedAccountUserResponse>;

/** Which account: proto3 `optional` fields, as in the official messages. */
type Selector = { organizationId?: string; userId?: string; connector?: string; identifier?: string; id?: string };
export type CreateConnectedAccountRequest = M<'CreateConnectedAccountRequest', Omit<Selector, 'id'> & { connectedAccount?: CreateConnectedAccount }>;
export declare const CreateConnectedAccountRequestSchema: GenMessage<CreateConnectedAccountRequest>;
export type UpdateConnectedAccountRequest = M<'UpdateConnectedAccountRequest', Selector & { connectedAccount?: UpdateConnectedAccount }>;
export declare const UpdateConnectedAccountRequestSchema: GenMessage<UpdateConnectedAccountRequest>;
export type DeleteConnectedAccountRequest = M<'DeleteConnectedAccountRequest', Selector>;
export declare const DeleteConnectedAccountRequestSchema: GenMessage<DeleteConnectedAccountRequest>;
export type GetConnectedAccountByIdentifierRequest = M<'GetConnectedAccountByIdentifierRequest', Selector>;
export declare const GetConnectedAccountByIdentifierRequestSchema: GenMessage<GetConnectedAccountByIdentifierRequest>;
export type GetMagicLinkForConnectedAccountRequest = M<'GetMagicLinkForConnectedAccountRequest', Selector & { state?: string; userVerifyUrl?: string }>;
export declare const GetMagicLinkForConnectedAccountRequestSchema: GenMessage<GetMagicLinkForConnectedAccountRequest>;
export type VerifyConnectedAccountUserRequest = M<'VerifyConnectedAccountUserRequest', { authRequestId: string; identifier: string }>;
export declare const VerifyConnectedAccountUserRequestSchema: GenMessage<VerifyConnectedAccountUserRequest>;
export type ListConnectedAccountsRequest = M<'ListConnectedAccountsRequest', Omit<Selector, 'id'> & { provider: string; pageSize: number; pageToken: string; query: string; connectionNames: string[] }>;
export declare const ListConnectedAccountsRequestSchema: GenMessage<ListConnectedAccountsRequest>;
