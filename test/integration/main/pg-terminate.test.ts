import { sql } from 'kysely';
import { createDb } from '../../../src/db';
import { spawnCli } from '../../helpers/cli-process';
import { deleteQueueKeys, TEST_DATABASE_URL, TEST_REDIS_URL, uniqueName } from '../../helpers/test-context';

/**
 * Postgres drops the app's connections (failover, restart, a pooler's timeout) in the middle of
 * a full sync. The demo process hosts the API and the worker: both must stay up, log the event,
 * reconnect, and the sync must end in an exact match with the simulator.
 */
describe('Postgres terminates the connections mid-sync', () => {
  const schema = uniqueName('pgterm');
  const queuePrefix = `{${uniqueName('pgtermq')}}`;
  // Only this test's connections carry this name: never terminate anyone else's.
  const applicationName = uniqueName('kb_fault');
  const admin = createDb({ url: TEST_DATABASE_URL, poolMax: 2, schema });

  afterAll(async () => {
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(admin);
    await admin.destroy();
    await deleteQueueKeys(queuePrefix);
  });

  it('the API and the worker stay up and the sync ends in an exact match', async () => {
    const demo = spawnCli(
      [
        'demo',
        '--once',
        '--contacts',
        '1500',
        '--deals',
        '300',
        '--schema',
        schema,
        '--queue-prefix',
        queuePrefix,
      ],
      {
        DATABASE_URL: `${TEST_DATABASE_URL}?application_name=${applicationName}`,
        REDIS_URL: TEST_REDIS_URL,
        LOG_LEVEL: 'warn',
      },
    );
    // Mid-sync: the full sync runs and some contacts are in.
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (Date.now() > deadline)
        throw new Error(`the sync never got going:\n${demo.stdout()}\n${demo.stderr()}`);
      const { rows } = await sql<{ running: boolean; contacts: number }>`
        select exists(select 1 from pg_tables where schemaname = ${schema} and tablename = 'sync_state')
               and exists(select 1 from ${sql.id(schema)}.sync_state where stream = 'full' and status = 'running') as running,
               0 as contacts`
        .execute(admin)
        .catch(() => ({ rows: [{ running: false, contacts: 0 }] }));
      if (rows[0]?.running) {
        const { rows: counted } = await sql<{
          n: number;
        }>`select count(*)::int as n from ${sql.id(schema)}.contacts`.execute(admin);
        if ((counted[0]?.n ?? 0) >= 50) break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const terminate = async () => {
      const { rows } = await sql<{ n: number }>`
        select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
        where application_name = ${applicationName} and pid <> pg_backend_pid()`.execute(admin);
      return rows[0]?.n ?? 0;
    };
    expect(await terminate()).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 300));
    await terminate();

    // The API is ready again once it has reconnected, with nobody acting: a probe at the very
    // moment of the termination may still meet a dropped connection (503), as a load balancer
    // would; it must turn 200 within a few seconds.
    const apiUrl = /KPI Bridge API +(http:\/\/\S+)/.exec(demo.stdout())?.[1];
    expect(apiUrl).toBeDefined();
    let ready = await fetch(`${apiUrl!}/readyz`);
    for (let i = 0; i < 50 && ready.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 200));
      ready = await fetch(`${apiUrl!}/readyz`);
    }
    expect(ready.status).toBe(200);

    const { code } = await demo.exited;
    const output = demo.stdout() + demo.stderr();
    expect({ code, output }).toMatchObject({ code: 0 });
    expect(output).toContain('lost a Postgres connection; reconnecting');
    const summary = JSON.parse(demo.stdout().trim().split('\n').at(-1)!) as {
      sync: { contacts: number; deals: number; matchesSimulator: boolean };
    };
    expect(summary.sync).toMatchObject({ contacts: 1500, deals: 300, matchesSimulator: true });
  }, 120_000);
});
