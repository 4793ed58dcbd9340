export { ActionsClient as default } from './index';
