export { ToolsClient as default } from './index';
