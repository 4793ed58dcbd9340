'use strict';
// The official package's module path `lib/actions` (its default export), for deep imports.
Object.defineProperty(exports, '__esModule', { value: true });
exports.default = require('./index').ActionsClient;
