// @ts-check
// The linter: typescript-eslint with type-aware rules (README, "Code style"). Type information is
// what catches the mistakes that matter in a bot: a promise nobody awaits or catches (a job that
// never answers), an async function handed to an event that ignores its result, a value of type
// any flowing into the engine.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'models/**', 'src/bots/web/public/**', 'stubs/**', 'coverage/**', 'test-artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Fields dropped by destructuring (`{ head: _head, ...rest }`) and unused callback
      // parameters are named with a leading underscore.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true }],
      // Async methods that implement a Promise-returning interface (the stores, the fakes) need
      // no await of their own.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-floating-promises': 'error',
      // An interface that only extends is how a code list is opened for merging (ErrorCodeMap).
      '@typescript-eslint/no-empty-object-type': ['error', { allowInterfaces: 'with-single-extends' }],
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  // Layout is Prettier's (.prettierrc.json): the rules that would argue with it are off.
  prettier,
  {
    // Plain JavaScript (the bin, the setup scripts, this file): no type information.
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: globals.node },
  },
  {
    // Tests read JSON from HTTP responses and from pages in a browser, where every value is any
    // by nature; the assertions are the type check there.
    files: ['test/**'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
