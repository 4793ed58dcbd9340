export { ScalekitClient as default } from './index';
