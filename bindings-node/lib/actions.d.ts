export { ActionsClient as default } from './index';
export type { AppConnection, AppConnectionTimestamp, ListAppConnectionsResult } from './index';
