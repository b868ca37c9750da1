/**
 * Write-back benchmark. Build, then run (Postgres and Redis as for the integration tests):
 *   npm run build && npx node --expose-gc dist/bench/writeback.bench.js [contacts] [deals]
 * Defaults: 100,000 contacts and 20,000 deals, at HubSpot's real limits (110 requests per 10 s)
 * and 120 ms latency per answer.
 *
 * The simulator of part 1 runs in a child process (bench/writeback-simulator.child.ts), so memory
 * and CPU figures are the write-back's own.
 * 1. Every value changed: the simulated portal's records, KPI tables filled with a value for every
 *    deal and contact property (synthetic figures, the simulator's record ids), properties created
 *    beforehand (as the install does). Reported: wall time of the write-back, batch/update calls,
 *    429 answers, peak memory (RSS and heap) above the level before it, and the least time
 *    HubSpot's limits allow for ⌈changed ÷ 100⌉ calls (a rolling window lets the first 110 go at
 *    once, then 110 per 10 s): ratio least ÷ ours (requirement ≥ 0.9), calls over the minimum
 *    (requirement within 2 %). Nothing else calls the portal meanwhile: the least time is the
 *    limits' alone.
 * 2. The same portal again, KPIs unchanged: calls (requirement 0) and time.
 * 3. A KPI change of every deal and every fourth contact, written while a stand-in for the sync
 *    makes one real call per second: how long each of its calls waited for the shared budget
 *    shows the room the write-back leaves, and the write-back's time against the least time for
 *    every call of the portal meanwhile shows its pace beside the sync.
 * 4. The loop on a small synced portal (2,000 contacts): one deal changed by a user in HubSpot →
 *    webhook → refresh → KPI run → write-back → our writes' webhooks and the catch-up. Reported:
 *    write calls (requirement exactly 1) and KPI runs after the write-back (requirement 0).
 */
import fs from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { fork } from 'node:child_process';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import path from 'node:path';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import pino from 'pino';
import { z } from 'zod';

import { createDb, type Database } from '../src/db';
import { HUBSPOT_PATHS } from '../src/hubspot';
import { createHubSpotClientFactory } from '../src/hubspot/client';
import { createRedisRateBudget } from '../src/hubspot/rate-budget.redis';
import { loadManifest } from '../src/install/manifest';
import { createKpiService } from '../src/kpi';
import { migrateToLatest } from '../src/platform/db/migrator';
import { createProducer } from '../src/platform/queue/producer';
import { startSimulator } from '../src/simulator';
import { runCatchup } from '../src/sync/catchup';
import { runFullSync } from '../src/sync/full-sync';
import { takePending } from '../src/sync/pending-objects';
import { refreshObjects } from '../src/sync/refresh';
import { createWebhookIntake } from '../src/sync/webhook-intake';
import { buildPropertySet, createWritebackService, ensureProperties } from '../src/writeback';

const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PORTAL = 101;
const LATENCY_MS = 120;
const CHANNELS = [
  'ORGANIC_SEARCH',
  'PAID_SEARCH',
  'EMAIL_MARKETING',
  'SOCIAL_MEDIA',
  'PAID_SOCIAL',
  'REFERRALS',
  'DIRECT_TRAFFIC',
  'OTHER_CAMPAIGNS',
  'OFFLINE',
  'AI_REFERRALS',
];

const out = (line: string) => process.stdout.write(`${line}\n`);
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

async function freshSchema(name: string): Promise<{ db: Database; drop(): Promise<void> }> {
  const schema = `bench_${name}_${randomBytes(4).toString('hex')}`;
  const db = createDb({ url: DATABASE_URL, poolMax: 10, schema });
  await migrateToLatest(db, schema);
  return {
    db,
    async drop() {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db);
      await db.destroy();
    },
  };
}

function leastTimeMs(calls: number): number {
  return (calls > 0 ? Math.floor((calls - 1) / 110) * 10_000 : 0) + LATENCY_MS;
}

/** KPI tables with a value for every property of every record (the simulator's ids). */
async function fillKpiTables(db: Database, dealIds: number[], contactIds: number[]): Promise<void> {
  await db
    .insertInto('portals')
    .values({ portal_id: PORTAL, status: 'installed', installed_at: new Date(), time_zone: 'UTC' })
    .execute();
  const run = await db
    .insertInto('kpi_runs')
    .values({
      portal_id: PORTAL,
      status: 'succeeded',
      as_of: new Date('2026-11-01T00:00:00Z'),
      started_at: new Date(),
      finished_at: new Date(),
    })
    .returning('run_id')
    .executeTakeFirstOrThrow();
  const runId = Number(run.run_id);
  const channels = sql.val(CHANNELS);
  await sql`
    insert into kpi_deal_rows (portal_id, deal_id, pipeline_id, stage_id, owner_id, source, outcome, amount_home,
      created_at, close_date, age_days, days_to_close, days_in_stage, stage_median_days, run_id)
    select ${PORTAL}, id, 'default', 'closedwon', null, 'ORGANIC_SEARCH', case when id % 4 = 0 then 'won' else 'open' end,
      1000 + id % 997, timestamptz '2026-01-01' + (id % 300) * interval '1 day', null,
      200 + (id % 97) * 0.37, case when id % 4 = 0 then 10 + (id % 61) * 0.5 end,
      case when id % 4 <> 0 then (id % 40) + 0.5 end, 12.5, ${runId}
    from unnest(${sql.val(dealIds)}::bigint[]) as id`.execute(db);
  // Three touches per deal; credits[m][i] for the ten models.
  await sql`
    insert into kpi_credits (portal_id, conversion_kind, conversion_id, converted_at, value, touch_ids, channels, credits, run_id)
    select ${PORTAL}, case when id % 4 = 0 then 'revenue' else 'deal_create' end, id, timestamptz '2026-06-01',
      case when id % 4 = 0 then 1000 + id % 997 else 1 end,
      array['a' || id, 'b' || id, 'c' || id],
      array[(${channels}::text[])[1 + id % 10], (${channels}::text[])[1 + (id / 10) % 10], (${channels}::text[])[1 + (id / 100) % 10]],
      (select array_agg(row_values) from (
        select case when id % 4 = 0
          then array[round((1000 + id % 997) * 0.3, 2), round((1000 + id % 997) * 0.3, 2), (1000 + id % 997) - 2 * round((1000 + id % 997) * 0.3, 2)]::float8[]
          else array[0.3, 0.3, 0.4]::float8[] end as row_values
        from generate_series(1, 10)) m),
      ${runId}
    from unnest(${sql.val(dealIds)}::bigint[]) as id`.execute(db);
  await sql`
    insert into kpi_contact_rows (portal_id, contact_id, source, lifecycle_stage, created_at, customer_since,
      first_won_deal_id, days_to_deal, won_deals, won_revenue, open_deals, open_amount, touches,
      first_touch_channel, last_touch_channel, minutes_to_first_activity, run_id)
    select ${PORTAL}, id, 'ORGANIC_SEARCH', 'lead', timestamptz '2026-01-01',
      case when id % 7 = 0 then timestamptz '2026-05-01' + (id % 100) * interval '1 hour' end, null,
      case when id % 7 = 0 then 30 + id % 50 end, (id % 7 = 0)::int, case when id % 7 = 0 then 500 + id % 300 end,
      (id % 3 = 0)::int, case when id % 3 = 0 then 250 + id % 100 end, 1 + id % 9,
      (${channels}::text[])[1 + id % 10], (${channels}::text[])[1 + (id / 10) % 10], 5 + id % 600, ${runId}
    from unnest(${sql.val(contactIds)}::bigint[]) as id`.execute(db);
  await sql`
    insert into kpi_channel_totals (portal_id, conversion_kind, model, channel, credit, conversions, run_id)
    select ${PORTAL}, 'revenue', 'w_shaped', c, 0, 0, ${runId} from unnest(${channels}::text[]) as c`.execute(
    db,
  );
}

type ChildMessage =
  | { type: 'ready'; url: string; token: string; dealIds: number[]; contactIds: number[]; lastSeq: number }
  | { type: 'log'; total: number; batchUpdates: number; tooMany: number; lastSeq: number; cpuMs: number };

/** The simulator in its own process (bench/writeback-simulator.child.ts). */
function forkSimulator(contacts: number, deals: number) {
  const child = fork(path.join(__dirname, 'writeback-simulator.child.js'), [
    String(contacts),
    String(deals),
    String(LATENCY_MS),
  ]);
  const next = <T extends ChildMessage['type']>(type: T) =>
    new Promise<Extract<ChildMessage, { type: T }>>((resolve, reject) => {
      const onMessage = (m: ChildMessage) => {
        if (m.type !== type) return;
        child.off('message', onMessage);
        resolve(m as Extract<ChildMessage, { type: T }>);
      };
      child.on('message', onMessage);
      child.once('exit', (code) => reject(new Error(`simulator exited with ${String(code)}`)));
    });
  return {
    ready: next('ready'),
    async log(sinceSeq: number) {
      const answer = next('log');
      child.send({ type: 'log', sinceSeq });
      return answer;
    },
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.send({ type: 'close' });
      }),
  };
}

async function everyValueChanged(contacts: number, deals: number): Promise<void> {
  const sim = forkSimulator(contacts, deals);
  const { url, token, dealIds, contactIds, lastSeq } = await sim.ready;
  const redis = new Redis(REDIS_URL);
  const prefix = `{bench-wb-${randomBytes(3).toString('hex')}}`;
  const logger = pino({ level: 'warn' });
  // Every grant of the shared budget, timed: how long after a slot frees it is used again.
  const budget = createRedisRateBudget({ redis, prefix });
  const grants: number[] = [];
  const grantsLogged: typeof budget = {
    ...budget,
    take: async (...args) => {
      const grant = await budget.take(...args);
      grants.push(performance.now());
      return grant;
    },
  };
  const hubspot = createHubSpotClientFactory({
    apiBaseUrl: url,
    getAccessToken: () => Promise.resolve(token),
    rateBudget: grantsLogged,
    logger,
  });
  const { db, drop } = await freshSchema('writeback');
  await fillKpiTables(db, dealIds, contactIds);
  const manifest = loadManifest();
  // The install creates the properties; their creation is not part of the write-back.
  await ensureProperties(
    hubspot.forPortal(PORTAL),
    buildPropertySet(manifest.properties, manifest.propertyGroups, CHANNELS),
    ['deals', 'contacts'],
  );
  // Overrides of the service's defaults, to compare settings in the same conditions.
  const pageRows = Number(process.env.WRITEBACK_PAGE_ROWS ?? 0);
  const concurrency = Number(process.env.WRITEBACK_CONCURRENCY ?? 0);
  const writeback = createWritebackService({
    db,
    hubspot,
    logger,
    properties: manifest.properties,
    propertyGroups: manifest.propertyGroups,
    ...(pageRows > 0 ? { pageRows } : {}),
    ...(concurrency > 0 ? { concurrency } : {}),
  });
  out(
    `portal: ${contactIds.length} contacts, ${dealIds.length} deals, every value changed; latency ${LATENCY_MS} ms, HubSpot's limits (110 per 10 s)`,
  );
  // Let the rolling window empty after the property creation.
  await new Promise((r) => setTimeout(r, 10_500));

  const minimum = Math.ceil(dealIds.length / 100) + Math.ceil(contactIds.length / 100);

  /**
   * One write-back, its memory sampled; with `sync`, a stand-in for the sync makes one real
   * standard call per second meanwhile, timed from asking to answer.
   */
  const measured = async (sync: boolean) => {
    const syncWaits: number[] = [];
    let probing = sync;
    const prober = (async () => {
      const client = hubspot.forPortal(PORTAL);
      while (probing) {
        const t = performance.now();
        await client.request(
          { method: 'GET', path: HUBSPOT_PATHS.owners(), query: { limit: 1 } },
          z.unknown(),
        );
        syncWaits.push(performance.now() - t - LATENCY_MS);
        await new Promise((r) => setTimeout(r, 1_000));
      }
    })();
    global.gc?.();
    const before = process.memoryUsage();
    let rssPeak = before.rss;
    let heapPeak = before.heapUsed;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      rssPeak = Math.max(rssPeak, m.rss);
      heapPeak = Math.max(heapPeak, m.heapUsed);
    }, 100);
    const start = await sim.log(lastSeq);
    const seqBefore = start.lastSeq;
    const cpuBefore = process.cpuUsage();
    // A blocked event loop delays calls already granted by the budget: HubSpot then counts them
    // later than the budget did, which is what the budget's margin has to cover.
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    const t0 = performance.now();
    const summary = await writeback.run(PORTAL);
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpuBefore);
    lag.disable();
    const loopDelayMs = { p99: lag.percentile(99) / 1e6, max: lag.max / 1e6 };
    global.gc?.();
    // What the run left behind once garbage is collected: the peak depends on when the GC ran.
    const retainedHeap = process.memoryUsage().heapUsed - before.heapUsed;
    clearInterval(sampler);
    probing = false;
    await prober;
    const log = await sim.log(seqBefore);
    const cpuMs = { ours: (cpu.user + cpu.system) / 1000, simulator: log.cpuMs - start.cpuMs };
    return {
      summary,
      ms,
      log,
      cpuMs,
      retainedHeap,
      loopDelayMs,
      before,
      rssPeak,
      heapPeak,
      syncWaits: syncWaits.sort((a, b) => a - b),
    };
  };

  // 1. The write-back alone: what the limits allow is the whole budget.
  const alone = await measured(false);
  const least = leastTimeMs(minimum);
  const calls = alone.log.batchUpdates + alone.summary.propertyCalls;
  out('');
  out(
    `alone: ${(alone.ms / 1000).toFixed(1)} s; ${alone.summary.records.deals} deals + ${alone.summary.records.contacts} contacts written in ${alone.summary.calls} batch/update calls (+${alone.summary.propertyCalls} property reads); ${alone.log.tooMany} answered 429; failures ${JSON.stringify(alone.summary.failures)}`,
  );
  out(
    `least time HubSpot's limits allow for ${minimum} calls: ${(least / 1000).toFixed(1)} s → ratio ${(least / alone.ms).toFixed(3)} (requirement ≥ 0.9)`,
  );
  out(
    `calls: ${calls} made, minimum ${minimum} → ${((calls / minimum - 1) * 100).toFixed(2)} % over (requirement ≤ 2 %)`,
  );
  out(
    `CPU: the write-back's process ${(alone.cpuMs.ours / 1000).toFixed(1)} s (${(alone.cpuMs.ours / alone.log.total).toFixed(1)} ms per call), the simulator's ${(alone.cpuMs.simulator / 1000).toFixed(1)} s (${(alone.cpuMs.simulator / alone.log.total).toFixed(1)} ms per call), on ${os.cpus().length} cores; event loop delay p99 ${alone.loopDelayMs.p99.toFixed(0)} ms, max ${alone.loopDelayMs.max.toFixed(0)} ms; load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  out(
    `memory of the write-back's process (the simulator runs in another): RSS ${mib(alone.before.rss)} before, peak ${mib(alone.rssPeak)} (+${mib(alone.rssPeak - alone.before.rss)}); heap ${mib(alone.before.heapUsed)} before, peak ${mib(alone.heapPeak)} (+${mib(alone.heapPeak - alone.before.heapUsed)}), retained after it ${mib(alone.retainedHeap)}`,
  );

  // Call i + 110 can go once call i leaves the window (10 s + the budget's margin): the time
  // between the two beyond that is time the window held a free slot nobody took.
  const phase = grants.filter((g) => g >= performance.now() - alone.ms - 1);
  const reuse = phase
    .slice(110)
    .map((g, i) => g - phase[i]!)
    .sort((a, b) => a - b);
  out(
    `slot reuse (call i+110 after call i): median ${reuse[Math.floor(reuse.length / 2)]?.toFixed(0)} ms, p90 ${reuse[Math.floor(reuse.length * 0.9)]?.toFixed(0)} ms, max ${reuse.at(-1)?.toFixed(0)} ms (10,000 ms + margin at best); first grant ${((phase[0] ?? 0) - (performance.now() - alone.ms)).toFixed(0)} ms after the start, last ${((phase.at(-1) ?? 0) - (performance.now() - alone.ms)).toFixed(0)} ms`,
  );

  // Each window's 110 grants: how long they took to leave. The first window's spread repeats in
  // every later one (a rolling window frees slots in the order it filled them).
  const spans: string[] = [];
  for (let k = 0; k + 109 < phase.length; k += 110) spans.push((phase[k + 109]! - phase[k]!).toFixed(0));
  out(`window spans (grant 110k+1 to 110k+110), ms: ${spans.join(' ')}`);
  if (process.env.BENCH_GRANTS_FILE)
    fs.writeFileSync(process.env.BENCH_GRANTS_FILE, phase.map((g) => (g - phase[0]!).toFixed(1)).join('\n'));

  // 2. The same portal again, KPIs unchanged.
  const t1 = performance.now();
  const rerun = await writeback.run(PORTAL);
  out(
    `re-run, KPIs unchanged: ${rerun.calls} write calls, ${rerun.propertyCalls} property calls, ${((performance.now() - t1) / 1000).toFixed(1)} s (requirement 0 calls)`,
  );

  // 3. A KPI change of every deal and every fourth contact, written while the sync stand-in
  //    calls once a second: the room the write-back leaves, and its pace beside the sync.
  await sql`update kpi_deal_rows set age_days = age_days + 1 where portal_id = ${PORTAL}`.execute(db);
  await sql`update kpi_contact_rows set touches = touches + 1 where portal_id = ${PORTAL} and contact_id % 4 = 0`.execute(
    db,
  );
  await new Promise((r) => setTimeout(r, 10_500));
  const beside = await measured(true);
  const besideCalls = beside.log.total;
  const waits = beside.syncWaits;
  out(
    `beside the sync stand-in: ${beside.summary.calls} batch/update calls in ${(beside.ms / 1000).toFixed(1)} s; the stand-in made ${waits.length} calls, wait for the budget median ${waits[Math.floor(waits.length / 2)]?.toFixed(0)} ms, max ${waits.at(-1)?.toFixed(0)} ms; least time for all ${besideCalls} calls of the portal meanwhile ${(leastTimeMs(besideCalls) / 1000).toFixed(1)} s → ratio ${(leastTimeMs(besideCalls) / beside.ms).toFixed(3)}; ${beside.log.tooMany} answered 429`,
  );

  await drop();
  await redis.quit();
  await sim.close();
}

async function oneChangedDeal(): Promise<void> {
  const sim = await startSimulator({
    seed: 'writeback-loop',
    anchor: '2026-11-01T00:00:00Z',
    contacts: 2_000,
    deals: 400,
    latencyMs: 20,
    searchConsistencyMs: 0,
    requestLog: { capacity: 50_000, bodyLimit: 64 },
  });
  const redis = new Redis(REDIS_URL);
  const prefix = `{bench-loop-${randomBytes(3).toString('hex')}}`;
  const token = sim.admin.issueTokens(PORTAL).access_token;
  const logger = pino({ level: 'warn' });
  const hubspot = createHubSpotClientFactory({
    apiBaseUrl: sim.url,
    getAccessToken: () => Promise.resolve(token),
    rateBudget: createRedisRateBudget({ redis, prefix }),
    logger,
  });
  const { db, drop } = await freshSchema('writeback_loop');
  await db
    .insertInto('portals')
    .values({ portal_id: PORTAL, status: 'installed', installed_at: new Date(), time_zone: 'UTC' })
    .execute();
  const manifest = loadManifest();
  const kpi = createKpiService({ db, logger });
  const writeback = createWritebackService({
    db,
    hubspot,
    logger,
    properties: manifest.properties,
    propertyGroups: manifest.propertyGroups,
  });
  const producer = createProducer({ connection: redis, prefix });
  const intake = createWebhookIntake({ db, redis, producer, prefix, logger, appId: sim.app.appId });
  const received: unknown[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push(...(JSON.parse(body) as unknown[]));
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const now = Date.parse('2026-11-01T00:00:00Z');
  await runFullSync({ db, hubspot, logger }, PORTAL);
  await kpi.recompute(PORTAL, { now });
  await writeback.run(PORTAL);
  // The first catch-up after the full sync (reads everything once), so the loop starts settled.
  await runCatchup({ db, hubspot, logger }, PORTAL);
  sim.setWebhookTarget(`http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`);
  let kpiRuns = 0;

  // One user edit: an open deal with contacts gets a new amount.
  const deal = await sql<{ deal_id: number; amount_home: number }>`
    select r.deal_id, r.amount_home from kpi_deal_rows r
    where r.portal_id = ${PORTAL} and r.outcome = 'open' and r.amount_home is not null
      and exists (select 1 from deal_contacts dc where dc.portal_id = r.portal_id and dc.deal_id = r.deal_id)
    order by r.deal_id limit 1`.execute(db);
  const { deal_id: dealId, amount_home: amount } = deal.rows[0]!;
  const seqBefore = sim.requestLog.list().at(-1)?.seq ?? 0;
  sim.admin.updateRecord(PORTAL, 'deals', dealId, { amount: String(Number(amount) + 1_000) });
  await sim.webhooks.idle();
  // webhook → refresh (as the sync.objects job does) → KPI run when something changed.
  const loop = async (): Promise<boolean> => {
    const events = received.splice(0);
    await intake.accept(events);
    const taken = await takePending(redis, prefix, PORTAL, 500);
    if (taken.taken === 0) return false;
    const r = await refreshObjects({ db, hubspot, logger }, PORTAL, taken);
    return r.contacts + r.deals + r.meetings + r.archived + r.merged + r.deleted > 0;
  };
  if (await loop()) {
    await kpi.recompute(PORTAL, { now });
    kpiRuns++;
  }
  const written = await writeback.run(PORTAL);
  await sim.webhooks.idle();
  const echoEvents = received.length;
  let echoRuns = 0;
  if (await loop()) echoRuns++;
  const catchup = await runCatchup({ db, hubspot, logger }, PORTAL);
  if (catchup.changed > 0) echoRuns++;
  const log = sim.requestLog.list({ portalId: PORTAL }).filter((e) => e.seq > seqBefore);
  const byKind = new Map<string, number>();
  for (const e of log) {
    const kind = `${e.method} ${e.path.replace(/\/\d{5,}/g, '/{id}')}`;
    byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
  }
  out('');
  out(
    `loop, one deal changed (2,000 contacts, 400 deals): KPI runs ${kpiRuns}, write calls ${written.calls} (requirement 1), records written ${JSON.stringify(written.records)}; our writes came back as ${echoEvents} webhook events and ${catchup.found.contacts + catchup.found.deals} catch-up hits → KPI runs ${echoRuns} (requirement 0)`,
  );
  out(`  calls of the whole loop: ${JSON.stringify(Object.fromEntries(byKind))}`);

  await new Promise((r) => server.close(r));
  await producer.close();
  await drop();
  await redis.quit();
  await sim.close();
}

async function main(): Promise<void> {
  const contacts = Number(process.argv[2] ?? 100_000);
  const deals = Number(process.argv[3] ?? 20_000);
  await everyValueChanged(contacts, deals);
  await oneChangedDeal();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
