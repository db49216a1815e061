// ESLint flat config for the whole tree: TypeScript sources and tests, the .mjs scripts.
// `npm run lint` (part of `npm test`). The rule set is typescript-eslint's `recommended` (syntax
// only, no type information: type-aware linting would re-type-check every package on each run,
// which `tsc -b` already does) plus the few rules below; every rule turned off says why.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/coverage/**',
      '.bench/**',
      // Sample logs, captures and rendered catalogues are data, not code.
      'packages/*/test/fixtures/**',
      'packages/*/test/catalogue/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Unused code is a finding; a leading `_` marks a parameter or binding kept on purpose
      // (an interface's argument, a rest-destructuring that drops keys).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrors: 'none',
          ignoreRestSiblings: true,
        },
      ],
      // Type-only imports must say so: the plugin packages import the core as types only (issue 14),
      // and `import type` is what keeps a runtime dependency from creeping back.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      // The parsers of hostile input (annotations, constraints, log lines) loop with `for (;;)` and
      // `while (true)` on purpose; what matters is that each iteration consumes input.
      'no-constant-condition': ['error', { checkLoops: false }],
      // A named inner function (hoisted, so a timer can re-arm itself with it) reaches the instance
      // through `self`; any other alias of `this` is a finding.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['self'] }],
      // Off: `!` after a lookup that the line before checked (`map.get(k)!`, `m[1]!` of a pattern
      // whose group always participates) is the idiom under `noUncheckedIndexedAccess`-style code;
      // `tsc --strict` still checks everything else.
      '@typescript-eslint/no-non-null-assertion': 'off',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'prefer-const': 'error',
      'no-var': 'error',
    },
  },
  {
    // Plugins (and the kit they import) read time from the core's clock (`api.clock`, `ctx.clock`),
    // so a FakeClock reaches every timer and "now" in them (issue 14). A use that must stay on Node's
    // clock — a kill guard on a real child process, an id that must be unique across restarts —
    // says why in its `eslint-disable-next-line … -- reason`. Test doubles under src/testing/ are exempt.
    files: ['packages/{action,filter,source,fleet,tracker,store}-*/src/**/*.ts', 'packages/kit/src/**/*.ts'],
    ignores: ['packages/*/src/testing/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: "Use the core's clock (api.clock / ctx.clock .now()), so a FakeClock reaches it." },
        { object: 'performance', property: 'now', message: "Use the core's clock (api.clock / ctx.clock .now()), so a FakeClock reaches it." },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: "Use the core's clock (clock.setTimer), so a FakeClock reaches it." },
        { name: 'setInterval', message: "Use the core's clock (clock.setTimer, re-armed), so a FakeClock reaches it." },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: "Use new Date(clock.now()) with the core's clock." },
      ],
    },
  },
  {
    // Plain JavaScript (scripts/, create-plugin's bin): no TypeScript-only rules apply.
    files: ['**/*.mjs', '**/*.js', '**/*.cjs'],
    rules: {
      '@typescript-eslint/consistent-type-imports': 'off',
    },
  },
  {
    // The dashboard's page runs in the browser (document, fetch, EventSource, uPlot's global).
    files: ['packages/dashboard/public/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // CommonJS on purpose (scripts/mem-probe.cjs is loaded with node --require).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: {
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
);
