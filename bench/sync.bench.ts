/**
 * Sync benchmark. Build, then run (Postgres and Redis as for the integration tests):
 *   npm run build && npx node dist/bench/sync.bench.js [contacts] [deals]
 * Defaults: 20,000 contacts and 4,000 deals (and the simulator's 1.5 meetings per deal), at
 * HubSpot's real limits (110 requests per 10 s, 5 searches per second) and 120 ms latency.
 *
 * 1. Our full sync (runFullSync): wall time, calls of each budget, 429 answers, calls per
 *    record, peak resident memory of the process, and an exact comparison with the ground truth.
 * 2. The least time HubSpot's limits allow for the calls needed at maximum page sizes, both
 *    budgets used at once: contacts and deals by list with history (50 per page), meetings by
 *    search (200 per page) with their associations read 1,000 at a time, plus the metadata
 *    calls. A rolling window lets the first 110 calls go at once, then 110 per 10 s; search
 *    5 per second. Reported: that minimum, ours, and their ratio (requirement ≥ 0.8).
 * 3. In the same run, on a fresh schema, a sequential pager with row-by-row inserts (how the
 *    official client's getAll is usually used): the same data, one page after the other,
 *    one INSERT per row. Reported: how many times faster ours is.
 * The simulator runs in this process: its memory is part of the resident figure, reported
 * before the sync starts so the sync's own share can be read off.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import pino from 'pino';

import { createHubSpotClientFactory } from '../src/hubspot/client';
import type { HubSpotClient } from '../src/hubspot/client';
import { createRedisRateBudget } from '../src/hubspot/rate-budget.redis';
import { createDb, type Database } from '../src/db';
import { migrateToLatest } from '../src/platform/db/migrator';
import { startSimulator } from '../src/simulator';
import { compareWithGroundTruth } from '../src/sync/compare';
import { listPage } from '../src/sync/crm-reader';
import { runFullSync } from '../src/sync/full-sync';
import {
  CONTACT_HISTORY,
  CONTACT_PROPERTIES,
  DEAL_HISTORY,
  DEAL_PROPERTIES,
  mapContact,
  mapDeal,
  mapDealStageHistory,
  mapLifecycleHistory,
  mapMeeting,
  MEETING_PROPERTIES,
} from '../src/sync/mappers';

const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PORTAL = 101;
const LATENCY_MS = 120;

async function freshSchema(): Promise<{ db: Database; drop(): Promise<void> }> {
  const schema = `bench_sync_${randomBytes(4).toString('hex')}`;
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

function leastTimeMs(standardCalls: number, searchCalls: number): number {
  const standard = standardCalls > 0 ? Math.floor((standardCalls - 1) / 110) * 10_000 : 0;
  const search = searchCalls > 0 ? Math.floor((searchCalls - 1) / 5) * 1_000 : 0;
  return Math.max(standard, search) + LATENCY_MS;
}

/** The getAll pattern: one list stream after the other, each row inserted on its own. */
async function sequentialRowByRow(db: Database, client: HubSpotClient): Promise<number> {
  const ignore = () => undefined;
  let rows = 0;
  const pageAll = async (
    objectType: 'contacts' | 'deals' | 'meetings',
    properties: readonly string[],
    history: readonly string[],
    onRow: (o: Awaited<ReturnType<typeof listPage>>['results'][number]) => Promise<void>,
  ) => {
    let after: string | undefined;
    do {
      const page = await listPage(client, {
        objectType,
        properties,
        history,
        ...(objectType !== 'contacts' ? { associations: ['contacts'] } : {}),
        after,
      });
      for (const o of page.results) await onRow(o);
      after = page.paging?.next?.after;
    } while (after);
  };
  await pageAll('contacts', CONTACT_PROPERTIES, CONTACT_HISTORY, async (o) => {
    const row = mapContact(PORTAL, o, ignore);
    await db
      .insertInto('contacts')
      .values({ ...row, properties: JSON.stringify(row.properties) })
      .execute();
    for (const h of mapLifecycleHistory(PORTAL, o, ignore))
      await db
        .insertInto('contact_lifecycle_history')
        .values(h)
        .onConflict((oc) => oc.doNothing())
        .execute();
    rows++;
  });
  await pageAll('deals', DEAL_PROPERTIES, DEAL_HISTORY, async (o) => {
    const row = mapDeal(PORTAL, o, ignore);
    await db
      .insertInto('deals')
      .values({ ...row, properties: JSON.stringify(row.properties) })
      .execute();
    for (const h of mapDealStageHistory(PORTAL, o, ignore))
      await db
        .insertInto('deal_stage_history')
        .values(h)
        .onConflict((oc) => oc.doNothing())
        .execute();
    for (const c of o.associations?.contacts?.results ?? [])
      await db
        .insertInto('deal_contacts')
        .values({ portal_id: PORTAL, deal_id: row.deal_id, contact_id: Number(c.id) })
        .onConflict((oc) => oc.doNothing())
        .execute();
    rows++;
  });
  await pageAll('meetings', MEETING_PROPERTIES, [], async (o) => {
    const row = mapMeeting(PORTAL, o, ignore);
    await db
      .insertInto('meetings')
      .values({ ...row, properties: JSON.stringify(row.properties) })
      .execute();
    for (const c of o.associations?.contacts?.results ?? [])
      await db
        .insertInto('meeting_contacts')
        .values({ portal_id: PORTAL, meeting_id: row.meeting_id, contact_id: Number(c.id) })
        .onConflict((oc) => oc.doNothing())
        .execute();
    rows++;
  });
  return rows;
}

async function main(): Promise<void> {
  const contacts = Number(process.argv[2] ?? 20_000);
  const deals = Number(process.argv[3] ?? Math.round(contacts / 5));
  const sim = await startSimulator({
    seed: 'sync-bench',
    anchor: '2026-11-01T00:00:00Z',
    contacts,
    deals,
    latencyMs: LATENCY_MS,
    requestLog: { capacity: 200_000, bodyLimit: 256 },
  });
  const truth = sim.groundTruth(PORTAL);
  const meetings = truth.counts.meetings.active;
  const redis = new Redis(REDIS_URL);
  const prefix = `{bench-sync-${randomBytes(3).toString('hex')}}`;
  const token = sim.admin.issueTokens(PORTAL).access_token;
  const logger = pino({ level: 'warn' });
  const hubspot = createHubSpotClientFactory({
    apiBaseUrl: sim.url,
    getAccessToken: () => Promise.resolve(token),
    rateBudget: createRedisRateBudget({ redis, prefix }),
    logger,
  });
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(
    `portal: ${truth.counts.contacts.active} contacts, ${truth.counts.deals.active} deals, ${meetings} meetings, ${truth.counts.dealContactAssociations} deal↔contact associations; latency ${LATENCY_MS} ms, HubSpot's limits`,
  );

  // 1. Ours.
  const ours = await freshSchema();
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 100);
  const seqBefore = sim.requestLog.list().at(-1)?.seq ?? 0;
  const t0 = performance.now();
  const counts = await runFullSync({ db: ours.db, hubspot, logger }, PORTAL);
  const oursMs = performance.now() - t0;
  clearInterval(sampler);
  const log = sim.requestLog.list({ portalId: PORTAL }).filter((e) => e.seq > seqBefore);
  const searchCalls = log.filter((e) => e.path.endsWith('/search')).length;
  const standardCalls = log.length - searchCalls;
  const tooMany = log.filter((e) => e.status === 429).length;
  const comparison = await compareWithGroundTruth(ours.db, PORTAL, truth);

  // 2. The minimum.
  const minStandard = 4 + Math.ceil(contacts / 50) + Math.ceil(deals / 50) + Math.ceil(meetings / 1000);
  const minSearch = Math.ceil(meetings / 200);
  const least = leastTimeMs(minStandard, minSearch);
  const records = counts.contacts + counts.deals + counts.meetings;

  out('');
  out(
    `ours: ${(oursMs / 1000).toFixed(1)} s, ${standardCalls} standard + ${searchCalls} search calls, ${tooMany} answered 429 (${((tooMany / log.length) * 1000).toFixed(2)} per 1,000)`,
  );
  out(
    `      ${counts.contacts} contacts, ${counts.deals} deals, ${counts.associations} associations, ${counts.meetings} meetings, ${counts.touches} touches; matches ground truth: ${String(comparison.matches)}${comparison.matches ? '' : ` (${comparison.differences.slice(0, 3).join('; ')})`}`,
  );
  out(
    `      calls per record ${(log.length / records).toFixed(4)} vs minimum ${((minStandard + minSearch) / records).toFixed(4)} (+${(((log.length - minStandard - minSearch) / (minStandard + minSearch)) * 100).toFixed(1)} %)`,
  );
  out(
    `      resident memory ${(rssBefore / 2 ** 20).toFixed(0)} MiB before (simulator included), peak ${(rssPeak / 2 ** 20).toFixed(0)} MiB (+${((rssPeak - rssBefore) / 2 ** 20).toFixed(0)} MiB during the sync)`,
  );
  out(
    `least time the limits allow: ${(least / 1000).toFixed(1)} s for ${minStandard} standard + ${minSearch} search calls; ratio least/ours = ${(least / oursMs).toFixed(3)} (requirement ≥ 0.8)`,
  );
  await ours.drop();

  // 3. The sequential, row-by-row baseline (after the rolling window has emptied).
  await new Promise((r) => setTimeout(r, 10_500));
  const base = await freshSchema();
  const t1 = performance.now();
  const baseRows = await sequentialRowByRow(base.db, hubspot.forPortal(PORTAL));
  const baseMs = performance.now() - t1;
  out(
    `sequential pager, row-by-row inserts: ${(baseMs / 1000).toFixed(1)} s for ${baseRows} records (no touches); ours is ${(baseMs / oursMs).toFixed(1)}× faster`,
  );
  await base.drop();

  await sim.close();
  await redis.quit();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
