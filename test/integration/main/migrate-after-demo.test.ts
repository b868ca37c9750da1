import pg from 'pg';
import { main } from '../../../src/main/cli';
import { runMigrations } from '../../../src/main/migrate';
import { silentLogger, testConfig, TEST_DATABASE_URL, uniqueName } from '../../helpers/test-context';

/**
 * The README's order on one database: `npm run demo -- --once` (which migrates its own schema,
 * kpi_bridge_demo) and then `npx kpi-bridge migrate` (the default schema). kysely used to find
 * the demo's migration table and fail with "relation kysely_migration_lock does not exist".
 */
describe('migrate after the demo, same database', () => {
  const database = uniqueName('kb_mig');
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${database}`;

  afterAll(async () => {
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`drop database if exists ${pg.escapeIdentifier(database)} with (force)`);
    await admin.end();
  });

  it('`kpi-bridge migrate` succeeds and creates its tables in the default schema', async () => {
    // What the demo does first: migrate its own schema of the (new) database.
    await runMigrations(
      testConfig({ DATABASE_URL: url.toString(), DATABASE_SCHEMA: 'kpi_bridge_demo' }),
      silentLogger(),
      'up',
    );
    let stderr = '';
    const code = await main(['migrate'], {
      env: { DATABASE_URL: url.toString(), LOG_LEVEL: 'silent', KPI_BRIDGE_SKIP_DOTENV: '1' },
      stderr: { write: (chunk: string) => ((stderr += chunk), true) } as unknown as NodeJS.WritableStream,
    });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      const { rows } = await client.query<{ schemaname: string }>(
        `select schemaname from pg_tables where tablename in ('kysely_migration', 'portals') order by 1`,
      );
      expect(rows.map((r) => r.schemaname)).toEqual([
        'kpi_bridge_demo',
        'kpi_bridge_demo',
        'public',
        'public',
      ]);
    } finally {
      await client.end();
    }
    // And again: a second run finds everything applied.
    expect(
      await main(['migrate'], {
        env: { DATABASE_URL: url.toString(), LOG_LEVEL: 'silent', KPI_BRIDGE_SKIP_DOTENV: '1' },
      }),
    ).toBe(0);
  }, 60_000);
});
