// ESLint for every JavaScript file of the workspace (`make lint`): the recommended rules, with
// Node's globals; CommonJS for .js (the Node SDK), modules for .mjs (tests, scripts, examples),
// the browser's globals for the console's script.
import js from '@eslint/js';
import globals from 'globals';

export default [
  {
    ignores: ['node_modules/**', '.venv*/**', 'target/**', 'dist/**', '**/native.js', 'bindings-node/npm/**'],
  },
  js.configs.recommended,
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', ecmaVersion: 2023, globals: { ...globals.node } },
  },
  {
    // The console's one script runs in the browser.
    files: ['server/src/console/*.js'],
    languageOptions: { sourceType: 'script', globals: { ...globals.browser } },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module', ecmaVersion: 2023, globals: { ...globals.node } },
  },
];
