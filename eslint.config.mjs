// ESLint over apps, libs, examples, test, scripts and bench: typescript-eslint's recommended rules,
// plus the type-aware rules that catch promises gone astray (the engine is async throughout).
// Formatting is Prettier's (`.prettierrc.json`); eslint-config-prettier, last, turns off the rules
// that would disagree with it.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.tmp/', 'coverage/', 'libs/client/src/generated/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A leading underscore marks a parameter an interface requires but this implementation ignores;
      // `{ omitted: _x, ...rest }` is how a field is dropped from a copy.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // prom-client calls `collect()` with the metric as `this`, so the service goes in as `self`.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['self'] }],
    },
  },
  {
    files: ['**/*.ts'],
    languageOptions: {
      // tsconfig.json covers apps, libs, examples and test; bench and the session pages (apps/ui, for browsers) have their own.
      parserOptions: { project: ['./tsconfig.json', './bench/tsconfig.bench.json', './apps/ui/tsconfig.json'], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A promise nobody awaits or catches loses its error and its ordering; `void` says it is meant.
      '@typescript-eslint/no-floating-promises': 'error',
      // An async callback where a sync one is expected (an event handler, a condition) is not awaited.
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  {
    // At most 80 lines a function: one that runs past a screen hides its exits and the order of its
    // steps. Specs and the bench's sections, which read top to bottom, are left out.
    files: ['apps/**/*.ts', 'libs/**/*.ts', 'examples/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 80 }] },
  },
  {
    // The session pages run in a browser.
    files: ['apps/ui/src/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['test/**/*.ts', '**/*.spec.ts'],
    rules: {
      // Tests read HTTP bodies, SSE events and Redis replies whose shape is what they assert.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: {
      // jest.config.js and test/support/swc-register.js are CommonJS: Node loads them with require (`node -r`).
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  prettier,
);
