import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { createDb } from '../../../src/db';
import { spawnCli } from '../../helpers/cli-process';
import { freePort } from '../../helpers/ports';
import { TEST_DATABASE_URL, TEST_HUBSPOT_ENV, TEST_REDIS_URL, uniqueName } from '../../helpers/test-context';

/**
 * Commands started as a user starts them (child processes), with a service missing: each
 * exits non-zero within 15 s with one message naming the service, its URL without the
 * password, and how to start it.
 */
describe('startup without its services', () => {
  const schema = uniqueName('startup');
  const base = {
    ...TEST_HUBSPOT_ENV,
    DATABASE_URL: TEST_DATABASE_URL,
    DATABASE_SCHEMA: schema,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: `{${schema}}`,
    PORT: '0',
    LOG_LEVEL: 'info',
  };

  afterAll(async () => {
    const db = createDb({ url: TEST_DATABASE_URL, poolMax: 1, schema: undefined });
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db);
    await db.destroy();
  });

  it('worker, api, status and demo exit non-zero within 15 s naming the service that is down', async () => {
    const deadRedis = `redis://:hunter2@127.0.0.1:${await freePort()}`;
    const deadPg = `postgres://postgres:hunter2@127.0.0.1:${await freePort()}/kpi_bridge`;
    const runs = [
      { service: 'Redis', url: deadRedis, p: spawnCli(['worker'], { ...base, REDIS_URL: deadRedis }) },
      { service: 'Postgres', url: deadPg, p: spawnCli(['api'], { ...base, DATABASE_URL: deadPg }) },
      { service: 'Postgres', url: deadPg, p: spawnCli(['status'], { ...base, DATABASE_URL: deadPg }) },
      {
        service: 'Redis',
        url: deadRedis,
        p: spawnCli(['demo', '--once', '--schema', schema, '--queue-prefix', `{${schema}}`], {
          DATABASE_URL: TEST_DATABASE_URL,
          REDIS_URL: deadRedis,
        }),
      },
    ];
    for (const { service, url, p } of runs) {
      const { code, ms, wallMs } = await p.exited;
      const output = p.stdout() + p.stderr();
      expect({ service, code }).toEqual({ service, code: 69 });
      expect(ms).toBeLessThan(15_000);
      expect(wallMs).toBeLessThan(45_000); // plus compiling the sources, seconds on a busy machine
      const shown = new URL(url);
      expect(p.stderr()).toContain(`${service} is not reachable at ${shown.protocol}//${shown.host}`);
      expect(p.stderr()).toMatch(
        service === 'Redis' ? /redis-server|docker compose up -d redis/ : /postgres/,
      );
      expect(output).not.toContain('hunter2');
      expect(output).not.toMatch(/listening/);
      // One message, not a flood of retries.
      expect(p.stderr().trim().split('\n').length).toBeLessThanOrEqual(2);
    }
  }, 60_000);

  it('the API exits non-zero when its port is taken (EADDRINUSE)', async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const port = (squatter.address() as AddressInfo).port;
    try {
      await spawnCli(['migrate'], base).exited;
      const api = spawnCli(['api'], { ...base, PORT: String(port) });
      const { code, ms } = await api.exited;
      expect(code).toBe(1);
      expect(ms).toBeLessThan(15_000);
      expect(api.stderr()).toContain(`port ${port} on 127.0.0.1 is already in use (EADDRINUSE)`);
      expect(api.stdout()).not.toMatch(/api listening/);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  }, 30_000);

  it('migrate and status need no HubSpot settings', async () => {
    const env = {
      DATABASE_URL: TEST_DATABASE_URL,
      DATABASE_SCHEMA: schema,
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
    };
    const migrate = spawnCli(['migrate'], env);
    expect((await migrate.exited).code).toBe(0);
    const status = spawnCli(['status', '--json'], env);
    expect((await status.exited).code).toBe(0);
    expect(JSON.parse(status.stdout())).toEqual({ portals: [] });
    // A command that does talk to HubSpot still names what is missing.
    const sync = spawnCli(['sync', '--portal', '1'], env);
    expect((await sync.exited).code).toBe(78);
    expect(sync.stderr()).toMatch(/HUBSPOT_CLIENT_ID is required/);
  }, 30_000);
});
