export { ConnectedAccountsClient as default } from './index';
