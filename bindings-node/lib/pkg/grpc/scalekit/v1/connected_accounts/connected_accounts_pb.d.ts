/** Status of a connected account. */
export declare const ConnectorStatus: {
  readonly CONNECTION_STATUS_UNSPECIFIED: 'CONNECTION_STATUS_UNSPECIFIED';
  readonly ACTIVE: 'ACTIVE';
  readonly EXPIRED: 'EXPIRED';
  readonly PENDING_AUTH: 'PENDING_AUTH';
  readonly PENDING_VERIFICATION: 'PENDING_VERIFICATION';
  readonly DISCONNECTED: 'DISCONNECTED';
};
export type ConnectorStatus = (typeof ConnectorStatus)[keyof typeof ConnectorStatus];

/** How a connected account authenticates. */
export declare const ConnectorType: {
  readonly CONNECTION_TYPE_UNSPECIFIED: 'CONNECTION_TYPE_UNSPECIFIED';
  readonly OAUTH: 'OAUTH';
  readonly API_KEY: 'API_KEY';
  readonly BASIC_AUTH: 'BASIC_AUTH';
  readonly BEARER_TOKEN: 'BEARER_TOKEN';
  readonly CUSTOM: 'CUSTOM';
  readonly BASIC: 'BASIC';
  readonly OAUTH_M2M: 'OAUTH_M2M';
  readonly TRELLO_OAUTH1: 'TRELLO_OAUTH1';
  readonly GOOGLE_DWD: 'GOOGLE_DWD';
  readonly TRUSTED_IDP: 'TRUSTED_IDP';
  readonly SMART_FHIR: 'SMART_FHIR';
  readonly NO_AUTH: 'NO_AUTH';
};
export type ConnectorType = (typeof ConnectorType)[keyof typeof ConnectorType];
