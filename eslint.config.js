// Lint: eslint's and typescript-eslint's recommended rules on every TypeScript file; `tsc -b`
// (the other half of `npm run lint`) does the type checking.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'bench/results/**', 'deploy/**', '.tmp/**', '**/console-dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // The operator console runs in the browser (bundled by packages/gateway/scripts/build-console.mjs).
    files: ['packages/gateway/console/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
);
