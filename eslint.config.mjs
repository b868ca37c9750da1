// Type-aware linting: the rules that catch real bugs in async service code
// (floating and misused promises, throwing non-errors) are errors.
// The architecture's import boundaries (README, "Architecture") are errors too: each rule
// below is proven to bite by test/unit/lint-boundaries.test.ts.
import js from '@eslint/js';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

// ---- architecture boundaries ----
// Features: the flow install → sync → kpi → writeback, cards, reports. A feature imports
// another only through its index.ts, and asks it for work through the job registry.
const FEATURES = ['install', 'sync', 'kpi', 'writeback', 'cards', 'reports'];
// What the composition (src/main, src/context.ts, src/db.ts) may use and nothing below it may.
const COMPOSITION = ['./src/main', './src/context.ts', './src/db.ts'];
const APP = [...FEATURES.map((f) => `./src/${f}`), './src/platform', './src/hubspot', ...COMPOSITION];
// Libraries and node modules that do I/O: none of them in the pure KPI models.
const IO_MODULES = [
  'pg',
  'pg-copy-streams',
  'kysely',
  'ioredis',
  'bullmq',
  'express',
  'pino',
  'pino-http',
  '@hubspot/api-client',
  '@bull-board/*',
  ...[
    'fs',
    'fs/*',
    'net',
    'http',
    'https',
    'http2',
    'tls',
    'dgram',
    'dns',
    'child_process',
    'worker_threads',
  ].flatMap((m) => [m, `node:${m}`]),
];
const HUBSPOT_ONLY = {
  name: '@hubspot/api-client',
  message: 'Only src/hubspot/ talks to HubSpot: use the adapter (HubSpotClientFactory).',
};

const boundaryZones = [
  ...FEATURES.flatMap((feature) =>
    FEATURES.filter((other) => other !== feature).map((other) => ({
      target: `./src/${feature}`,
      from: `./src/${other}`,
      except: ['./index.ts'],
      message: `Features never import each other's internals: import src/${other}/index.ts, or ask it for work through the job registry + producer (src/platform/queue/jobs.ts).`,
    })),
  ),
  {
    target: './src/platform',
    from: [...FEATURES.map((f) => `./src/${f}`), './src/hubspot', './src/simulator', ...COMPOSITION],
    message:
      'src/platform/ is plumbing and imports no feature: take what it needs as parameters (types, callbacks).',
  },
  {
    target: './src/kpi/models',
    from: [...APP.filter((p) => p !== './src/kpi'), './src/simulator', './src/config.ts', './src/logger.ts'],
    message: 'src/kpi/models/ is pure (no I/O, "now" passed in): it imports only other pure models.',
  },
  {
    target: './src/kpi/models',
    from: './src/kpi',
    except: ['./models'],
    message: 'src/kpi/models/ is pure (no I/O, "now" passed in): it imports only other pure models.',
  },
  {
    target: './src/simulator',
    from: [...APP, './src/config.ts', './src/logger.ts'],
    message: 'The simulator shares no code path with the app: it is HubSpot, not part of KPI Bridge.',
  },
  {
    // Only the composition (src/main: demo, CLI) starts the simulator.
    target: [
      ...FEATURES.map((f) => `./src/${f}`),
      './src/platform',
      './src/hubspot',
      './src/context.ts',
      './src/db.ts',
    ],
    from: './src/simulator',
    message: 'The app reaches the simulator only through configuration (base URLs); only src/main starts it.',
  },
];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'hubspot-project/**',
      'eslint.config.mjs',
      'jest.config.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/require-await': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json'] })] },
    rules: {
      'import-x/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones: boundaryZones }],
      'no-restricted-imports': ['error', { paths: [HUBSPOT_ONLY] }],
      'no-restricted-globals': [
        'error',
        {
          name: 'fetch',
          message: 'Only src/hubspot/ talks to HubSpot: use the adapter (HubSpotClientFactory).',
        },
      ],
    },
  },
  {
    files: ['src/hubspot/**/*.ts', 'src/simulator/**/*.ts'],
    rules: { 'no-restricted-imports': 'off', 'no-restricted-globals': 'off' },
  },
  {
    files: ['src/kpi/models/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [HUBSPOT_ONLY],
          patterns: [
            {
              group: IO_MODULES,
              message: 'src/kpi/models/ is pure: no I/O (database, queue, HTTP, files, logger) in a model.',
            },
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Models take "now" as an argument.' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'Models take "now" as an argument.',
        },
      ],
    },
  },
  {
    files: ['bin/**/*.js', 'scripts/**/*.js', 'test/helpers/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        process: 'readonly',
        __dirname: 'readonly',
        console: 'readonly',
        module: 'writable',
      },
    },
    rules: {
      ...tseslint.configs.disableTypeChecked.rules,
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/consistent-type-imports': 'off',
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off', '@typescript-eslint/unbound-method': 'off' },
  },
);
