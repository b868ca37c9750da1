import path from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

/**
 * The architecture's boundaries are lint rules (eslint.config.mjs): each fixture below is
 * linted with the project's own config as if it were a file at that path, and each rule
 * must bite on a violation and stay quiet on the allowed import beside it. Type-aware
 * rules are switched off here: the fixtures are not files of the TypeScript project.
 */
const ROOT = path.resolve(__dirname, '../..');
const BOUNDARY_RULES = new Set([
  'import-x/no-restricted-paths',
  'no-restricted-imports',
  'no-restricted-globals',
  'no-restricted-properties',
  'no-restricted-syntax',
]);

let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({
    cwd: ROOT,
    overrideConfig: [{ files: ['**/*.ts'], ...tseslint.configs.disableTypeChecked }],
  });
});

async function boundaryErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, filePath) });
  return result!.messages
    .filter((m) => m.ruleId !== null && BOUNDARY_RULES.has(m.ruleId))
    .map((m) => `${m.ruleId}: ${m.message}`);
}

describe('features never import each other’s internals', () => {
  it('refuses the sync importing the KPI worker (it must enqueue kpi.compute instead)', async () => {
    const errors = await boundaryErrors(
      'src/sync/fixture.ts',
      "import { createKpiComputeHandler } from '../kpi/kpi.worker';\nexport const h = createKpiComputeHandler;\n",
    );
    expect(errors).toEqual([expect.stringMatching(/no-restricted-paths.*import src\/kpi\/index\.ts/)]);
  });

  it('refuses a new feature importing another feature’s repository', async () => {
    expect(
      await boundaryErrors(
        'src/writeback/fixture.ts',
        "import { upsertInstalledPortal } from '../install/portals.repository';\nexport const u = upsertInstalledPortal;\n",
      ),
    ).toHaveLength(1);
  });

  it('allows another feature’s index.ts, the platform and the adapter', async () => {
    expect(
      await boundaryErrors(
        'src/reports/fixture.ts',
        [
          "import { readHeadline } from '../kpi';",
          "import { buildJobId } from '../platform/queue/jobs';",
          "import { HUBSPOT_PATHS } from '../hubspot/endpoints';",
          'export const all = [readHeadline, buildJobId, HUBSPOT_PATHS];',
        ].join('\n'),
      ),
    ).toEqual([]);
  });
});

describe('src/platform imports no feature', () => {
  it('refuses a feature’s table types in the platform (the DB type is assembled in src/db.ts)', async () => {
    expect(
      await boundaryErrors(
        'src/platform/db/fixture.ts',
        "import type { SyncTables } from '../../sync/sync.tables';\nexport type T = SyncTables;\n",
      ),
    ).toEqual([expect.stringMatching(/no-restricted-paths.*imports no feature/)]);
  });

  it('refuses the composition root in the platform', async () => {
    expect(
      await boundaryErrors(
        'src/platform/http/fixture.ts',
        "import type { AppContext } from '../../context';\nexport type C = AppContext;\n",
      ),
    ).toHaveLength(1);
  });
});

describe('src/kpi/models is pure', () => {
  it.each([
    ["import { sql } from 'kysely';\nexport const s = sql;", 'no-restricted-imports'],
    ["import { readFileSync } from 'node:fs';\nexport const r = readFileSync;", 'no-restricted-imports'],
    ["import { promises } from 'fs/promises';\nexport const p = promises;", 'no-restricted-imports'],
    ["import pino from 'pino';\nexport const p = pino;", 'no-restricted-imports'],
    [
      "import { loadKpiSettings } from '../../queries/portal-settings';\nexport const l = loadKpiSettings;",
      'no-restricted-paths',
    ],
    [
      "import { createLogger } from '../../../logger';\nexport const l = createLogger;",
      'no-restricted-paths',
    ],
    ['export const now = () => Date.now();', 'no-restricted-properties'],
    ['export const now = () => new Date();', 'no-restricted-syntax'],
  ])('refuses %j', async (code, rule) => {
    const errors = await boundaryErrors('src/kpi/models/metrics/fixture.ts', `${code}\n`);
    expect(errors).toEqual([expect.stringContaining(rule)]);
  });

  it('allows other models and dates made from a given "now"', async () => {
    expect(
      await boundaryErrors(
        'src/kpi/models/metrics/fixture.ts',
        "import { MS_PER_DAY } from './stats';\nexport const f = (now: number) => new Date(now - MS_PER_DAY);\n",
      ),
    ).toEqual([]);
  });
});

describe('only src/hubspot talks to HubSpot', () => {
  it('refuses @hubspot/api-client and fetch in a feature', async () => {
    const errors = await boundaryErrors(
      'src/writeback/fixture.ts',
      "import { Client } from '@hubspot/api-client';\nexport const c = Client;\nexport const f = () => fetch('https://api.hubapi.com');\n",
    );
    expect(errors).toEqual([
      expect.stringContaining('no-restricted-imports'),
      expect.stringContaining('no-restricted-globals'),
    ]);
  });

  it('allows both in the adapter', async () => {
    expect(
      await boundaryErrors(
        'src/hubspot/fixture.ts',
        "import { Client } from '@hubspot/api-client';\nexport const c = Client;\nexport const f = () => fetch('https://api.hubapi.com');\n",
      ),
    ).toEqual([]);
  });
});

describe('the simulator shares no code path with the app', () => {
  it('refuses the simulator importing app code', async () => {
    expect(
      await boundaryErrors(
        'src/simulator/fixture.ts',
        "import { CONTACT_PROPERTIES } from '../sync/mappers';\nexport const p = CONTACT_PROPERTIES;\n",
      ),
    ).toHaveLength(1);
  });

  it('refuses app code importing the simulator, but lets src/main start it', async () => {
    const code = "import { startSimulator } from '../simulator';\nexport const s = startSimulator;\n";
    expect(await boundaryErrors('src/sync/fixture.ts', code)).toHaveLength(1);
    expect(await boundaryErrors('src/main/fixture.ts', code)).toEqual([]);
  });
});
