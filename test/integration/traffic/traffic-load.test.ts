import { sql } from 'kysely';
import { REPORT_BREAKDOWNS } from '../../../src/simulator/analytics';
import { runFullSync } from '../../../src/sync/full-sync';
import { loadTraffic, readAnalyticsAccess, RECHECK_DAYS, REREAD_DAYS } from '../../../src/sync/traffic-sync';
import { sourceOfBreakdown } from '../../../src/sync/traffic-sync';
import { createTestContext, type TestContext } from '../../helpers/test-context';
import { startSyncWorld, type SyncWorld } from '../sync/helpers';

const WITH = 201;
const WITHOUT = 202;
const ANCHOR = Date.parse('2026-11-01T00:00:00Z');
const DAY = 86_400_000;

let ctx: TestContext;
let world: SyncWorld;

beforeAll(async () => {
  ctx = await createTestContext();
  world = await startSyncWorld({
    prefix: ctx.config.queue.prefix,
    portals: [
      { portalId: WITH, contacts: 80, timeZone: 'Europe/Berlin' },
      { portalId: WITHOUT, contacts: 20, timeZone: 'UTC', analytics: false },
    ],
  });
  for (const [portalId, timeZone] of [
    [WITH, 'Europe/Berlin'],
    [WITHOUT, 'UTC'],
  ] as const)
    await ctx.db
      .insertInto('portals')
      .values({ portal_id: portalId, status: 'installed', installed_at: new Date(), time_zone: timeZone })
      .execute();
});
afterAll(async () => {
  await world.close();
  await ctx.cleanup();
});

async function stored(portalId: number) {
  return ctx.db
    .selectFrom('web_traffic_daily')
    .select([sql<string>`day::text`.as('day'), 'source', 'visits'])
    .where('portal_id', '=', portalId)
    .orderBy('day')
    .orderBy('source')
    .execute();
}

function reportRequests(portalId: number) {
  return world.sim.requestLog.list({ portalId, pathPrefix: '/analytics/v2/reports/sources/' });
}

test('the report names every source the app maps back', () => {
  for (const [source, breakdown] of Object.entries(REPORT_BREAKDOWNS))
    expect(sourceOfBreakdown(breakdown)).toBe(source);
  expect(sourceOfBreakdown('some-new-source')).toBe('SOME_NEW_SOURCE');
});

test('the full sync loads visits per source and local day equal to the report; later loads re-read only the last days', async () => {
  const deps = { db: ctx.db, hubspot: world.hubspot, logger: ctx.logger };
  await runFullSync(deps, WITH);
  const truth = world.sim.groundTruth(WITH, { includeHistory: false }).traffic;
  expect(truth.available).toBe(true);
  expect(truth.rows.length).toBeGreaterThan(100);
  const expected = truth.rows.map((r) => ({ day: r.day, source: String(r.source), visits: r.visits }));
  const sort = (rows: typeof expected) =>
    [...rows].sort((a, b) => a.day.localeCompare(b.day) || a.source.localeCompare(b.source));
  // The full sync ran at the real "now", after the simulated anchor: every day the report has.
  expect(sort(await stored(WITH))).toEqual(sort(expected));
  const access = await readAnalyticsAccess(ctx.db, WITH);
  expect(access?.status).toBe('available');

  world.sim.requestLog.clear();
  const again = await loadTraffic(deps, WITH, { now: Date.now() });
  expect(again.status).toBe('loaded');
  const requests = reportRequests(WITH);
  expect(requests).toHaveLength(1);
  const start = String(requests[0]!.query.start);
  const through = access!.loadedThrough!;
  const rereadFrom = new Date(Date.parse(`${through}T00:00:00Z`) - REREAD_DAYS * DAY)
    .toISOString()
    .slice(0, 10);
  expect(start).toBe(rereadFrom.replace(/-/g, ''));
  expect(sort(await stored(WITH))).toEqual(sort(expected));
});

test('a portal without the report: one 403, recorded with its reason, not asked again until the recheck', async () => {
  const deps = { db: ctx.db, hubspot: world.hubspot, logger: ctx.logger };
  world.sim.requestLog.clear();
  const first = await loadTraffic(deps, WITHOUT, { now: ANCHOR });
  expect(first).toMatchObject({ status: 'unavailable', asked: true });
  const access = await readAnalyticsAccess(ctx.db, WITHOUT);
  expect(access).toMatchObject({ status: 'unavailable' });
  expect(access?.reason).toMatch(/not available on this portal/);
  for (let i = 0; i < 5; i++)
    expect(await loadTraffic(deps, WITHOUT, { now: ANCHOR + i * DAY })).toMatchObject({
      status: 'unavailable',
      asked: false,
    });
  expect(reportRequests(WITHOUT).map((r) => r.status)).toEqual([403]);
  expect(await loadTraffic(deps, WITHOUT, { now: ANCHOR + (RECHECK_DAYS + 1) * DAY })).toMatchObject({
    asked: true,
  });
  expect(reportRequests(WITHOUT).map((r) => r.status)).toEqual([403, 403]);
  expect(await stored(WITHOUT)).toEqual([]);
});
