/**
 * Lint rules, syntax-only (no type information) so `npx eslint .` stays fast.
 * The workflows/ block is the one that matters: workflow code is replayed in Temporal's
 * deterministic sandbox, so I/O, Node APIs and activity implementations must stay out of it.
 * test/workflow-lint.test.ts checks that block still catches what it should.
 */
const { builtinModules } = require('node:module');
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');

const SANDBOX =
  'Workflow code runs in the deterministic Temporal sandbox and is replayed, so it cannot do I/O or use Node APIs.';
const ACTIVITY_HINT = 'Do this in an activity and call it with proxyActivities(); `import type` stays allowed.';

/** `@typescript-eslint/no-restricted-imports` lets `import type` through, unlike the core rule. */
const workflowImportBans = {
  paths: builtinModules.map((name) => ({
    name,
    message: `'${name}' is a Node built-in. ${SANDBOX} ${ACTIVITY_HINT}`,
    allowTypeImports: true,
  })),
  patterns: [
    { regex: '^node:', message: `Node built-in. ${SANDBOX} ${ACTIVITY_HINT}`, allowTypeImports: true },
    { regex: '^undici(/|$)', message: `HTTP client. ${SANDBOX} ${ACTIVITY_HINT}`, allowTypeImports: true },
    {
      regex: '^@opentelemetry/',
      message: `OpenTelemetry is process state. ${SANDBOX} Trace from activities or with the SDK's workflow interceptors.`,
      allowTypeImports: true,
    },
    {
      regex: '^@temporalio/(activity|worker|client|testing)(/|$)',
      message: `Only @temporalio/workflow and @temporalio/common belong in workflow code. ${SANDBOX}`,
      allowTypeImports: true,
    },
    {
      regex: '^(\\.\\./)+activities(/|$)',
      message: `Activity implementations do I/O. ${SANDBOX} Use proxyActivities<typeof ...>() with \`import type\`.`,
      allowTypeImports: true,
    },
  ],
};

/** core/ is plain types and pure functions that every layer imports, the workflow bundle included. */
const CORE = 'core/ holds plain types and pure functions, imported by workflows, activities and the client alike.';
const coreImportBans = {
  paths: builtinModules.map((name) => ({ name, message: `'${name}' is a Node built-in. ${CORE}` })),
  patterns: [
    { regex: '^node:', message: `Node built-in. ${CORE}` },
    { regex: '^(undici|pg)(/|$)', message: `I/O. ${CORE}` },
    { regex: '^@temporalio/', message: `SDK code. ${CORE} Signals, queries and failures belong in workflows/ or activities/.` },
    { regex: '^\\.\\./', message: `${CORE} It imports only itself (test/import-graph.test.ts checks every layer).` },
  ],
};

/** Activities and workflows meet only in core/ (test/import-graph.test.ts checks every layer). */
const activityImportBans = {
  patterns: [{ regex: '^(\\.\\./)+workflows(/|$)', message: 'Activities import what they share with workflows from core/, never workflows/.' }],
};

/** Node globals banned in the sandbox. Date and Math.random need no rule: the SDK makes them deterministic. */
const workflowGlobalBans = [
  { name: 'process', message: `${SANDBOX} Pass settings in the workflow input instead.` },
  { name: 'require', message: `${SANDBOX} Use a static import.` },
  { name: 'setTimeout', message: 'Use sleep() or condition() from @temporalio/workflow: a durable, cancellable timer.' },
  { name: 'setInterval', message: 'Use a loop with sleep() from @temporalio/workflow.' },
  { name: 'setImmediate', message: `${SANDBOX} Not available there.` },
];

/** Node globals for CommonJS .js files (the `globals` package is not a direct dependency). */
const nodeCommonJsGlobals = {
  require: 'readonly',
  module: 'writable',
  exports: 'writable',
  process: 'readonly',
  console: 'readonly',
  __dirname: 'readonly',
  __filename: 'readonly',
  Buffer: 'readonly',
  URL: 'readonly',
  setTimeout: 'readonly',
  clearTimeout: 'readonly',
  setInterval: 'readonly',
  clearInterval: 'readonly',
  setImmediate: 'readonly',
};

module.exports = tseslint.config(
  {
    ignores: ['node_modules/', '.tools/', '.dxp/', 'dist/', 'coverage/', 'test/histories/**', '**/workflow-bundle-*.js'],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: nodeCommonJsGlobals },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['core/**/*.ts', 'workflows/**/*.ts', 'activities/**/*.ts', 'workers/**/*.ts'],
    rules: { 'no-console': 'error' },
  },
  {
    files: ['core/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', coreImportBans], 'no-restricted-globals': ['error', 'process', 'require'] },
  },
  {
    files: ['activities/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', activityImportBans] },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': ['error', workflowImportBans],
      'no-restricted-globals': ['error', ...workflowGlobalBans],
      'no-restricted-syntax': [
        'error',
        { selector: 'ImportExpression', message: `Dynamic import() does not work in the workflow bundle: use a static import.` },
      ],
    },
  },
);
