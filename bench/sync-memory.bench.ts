/**
 * Sync memory benchmark: the resident memory of a process running the full sync of a
 * 100,000-contact portal (requirement: under 300 MB). The simulator runs in a child process,
 * so the figure is the sync's own. By default at HubSpot's real limits (about 3.5 minutes for
 * 100,000 contacts); `--lifted` lifts them (simulator and our budget), which makes the run
 * faster and the allocation rate, hence the heap, larger.
 *   npm run build && npx node dist/bench/sync-memory.bench.js [contacts] [--lifted]
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import pino from 'pino';

import { createHubSpotClientFactory } from '../src/hubspot/client';
import { createRedisRateBudget } from '../src/hubspot/rate-budget.redis';
import { createDb } from '../src/db';
import { migrateToLatest } from '../src/platform/db/migrator';
import { startSimulator } from '../src/simulator';
import { runFullSync } from '../src/sync/full-sync';

const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PORTAL = 101;

type Ready = { url: string; token: string };

async function serve(contacts: number, lifted: boolean): Promise<void> {
  const sim = await startSimulator({
    seed: 'sync-memory',
    anchor: '2026-11-01T00:00:00Z',
    contacts,
    rateScale: lifted ? 0 : 1,
    requestLog: { capacity: 0 },
  });
  const ready: Ready = { url: sim.url, token: sim.admin.issueTokens(PORTAL).access_token };
  process.send?.(ready);
  process.on('disconnect', () => void sim.close().then(() => process.exit(0)));
}

async function measure(contacts: number, lifted: boolean): Promise<void> {
  const child = fork(__filename, ['serve', String(contacts), ...(lifted ? ['--lifted'] : [])], {
    stdio: 'inherit',
  });
  const ready = await new Promise<Ready>((resolve) => child.once('message', (m) => resolve(m as Ready)));
  const schema = `bench_mem_${randomBytes(4).toString('hex')}`;
  const db = createDb({ url: DATABASE_URL, poolMax: 10, schema });
  await migrateToLatest(db, schema);
  const redis = new Redis(REDIS_URL);
  const unlimited = { limit: 1_000_000, windowMs: 1_000 };
  const logger = pino({ level: 'warn' });
  const hubspot = createHubSpotClientFactory({
    apiBaseUrl: ready.url,
    getAccessToken: () => Promise.resolve(ready.token),
    rateBudget: createRedisRateBudget({
      redis,
      prefix: `{bench-mem-${randomBytes(3).toString('hex')}}`,
      standard: unlimited,
      search: unlimited,
    }),
    logger,
  });
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const started = performance.now();
  const counts = await runFullSync({ db, hubspot, logger }, PORTAL);
  clearInterval(sampler);
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;
  process.stdout.write(
    `${lifted ? 'limits lifted' : "HubSpot's limits"}: full sync of ${counts.contacts} contacts, ${counts.deals} deals, ${counts.meetings} meetings, ${counts.touches} touches in ${((performance.now() - started) / 1000).toFixed(1)} s; ` +
      `sync process resident memory ${mib(before)} before, peak ${mib(peak)} (requirement < 300 MB)\n`,
  );
  await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db);
  await db.destroy();
  await redis.quit();
  child.disconnect();
}

const args = process.argv.slice(2);
const lifted = args.includes('--lifted');
const [mode, arg] = args.filter((a) => a !== '--lifted');
const run = mode === 'serve' ? serve(Number(arg), lifted) : measure(Number(mode ?? 100_000), lifted);
run.catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
