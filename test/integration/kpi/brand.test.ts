import { createKpiService } from '../../../src/kpi/kpi.service';
import type { BrandedSearchPoint, Contact, KpiResult, TrafficPoint } from '../../../src/kpi/models/metrics';
import { computeBrandTraffic } from '../../../src/kpi/models/metrics';
import { BRAND_KPIS } from '../../../src/kpi/queries/brand-snapshots';
import { listSnapshotPeriods } from '../../../src/kpi/queries/snapshot-periods';
import { importCsv } from '../../../src/sync';
import { createTestContext, silentLogger } from '../../helpers/test-context';
import type { TestContext } from '../../helpers/test-context';
import { seedPortal } from './seed';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-20T12:00:00Z');
const TZ = 'Europe/Berlin';
const PORTAL = 6701;
const SOURCES = ['DIRECT_TRAFFIC', 'ORGANIC_SEARCH', 'PAID_SEARCH', null];

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx.cleanup();
});

function expectNear(label: string, actual: number | null, want: number | null): void {
  const ok =
    actual === null || want === null
      ? actual === want
      : Math.abs(actual - want) <= 1e-9 * Math.max(1, Math.abs(want));
  expect(ok ? label : `${label}: got ${actual}, want ${want}`).toBe(label);
}

/** Local midnight of a YYYY-MM-DD day in TZ, as the models' traffic points start. */
function localMidnight(day: string): number {
  const guess = Date.parse(`${day}T00:00:00Z`);
  for (const offsetH of [-1, -2, 0, -3, 1]) {
    const at = guess + offsetH * 3_600_000;
    const local = new Intl.DateTimeFormat('en-CA', {
      timeZone: TZ,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      hourCycle: 'h23',
    }).formatToParts(new Date(at));
    const get = (t: string) => local.find((p) => p.type === t)?.value;
    if (`${get('year')}-${get('month')}-${get('day')}` === day && get('hour') === '00') return at;
  }
  throw new Error(`no local midnight for ${day}`);
}

test('brand KPI (direct and organic visits, DIRECT_TRAFFIC contacts, branded searches) with period-over-period change matches computeBrandTraffic', async () => {
  // 60 contacts over ~400 days (a third DIRECT_TRAFFIC, one archived); traffic with gaps (periods
  // without analytics rows are unknown, not 0), days without direct rows; branded search uploaded
  // for part of the time only.
  const contacts = Array.from({ length: 60 }, (_, i) => ({
    id: i + 1,
    createdAt: NOW - (((i * 37) % 400) + 1) * DAY - (i % 5) * 3_600_000,
    source: SOURCES[i % 4]!,
    archived: i === 9,
  }));
  await seedPortal(ctx.db, {
    portalId: PORTAL,
    timeZone: TZ,
    pipelines: [],
    contacts,
    deals: [],
    touches: [],
  });
  const traffic: { day: string; source: string; visits: number }[] = [];
  const start = Date.parse('2026-01-01T12:00:00Z');
  for (let d = 0; d < 320; d++) {
    if (d % 50 >= 38) continue;
    const day = new Date(start + d * DAY).toISOString().slice(0, 10);
    for (const [j, source] of ['DIRECT_TRAFFIC', 'ORGANIC_SEARCH', 'REFERRALS'].entries())
      if ((d + j) % 4 !== 0) traffic.push({ day, source, visits: 5 + ((d * 11 + j) % 31) });
  }
  await importCsv(
    ctx.db,
    PORTAL,
    'traffic',
    traffic.map((t) => `${t.day},${t.source},${t.visits}`).join('\n'),
  );
  const searches: { day: string; searches: number }[] = [];
  for (let d = 120; d < 300; d += 2)
    searches.push({ day: new Date(start + d * DAY).toISOString().slice(0, 10), searches: 40 + (d % 17) });
  await importCsv(ctx.db, PORTAL, 'branded-search', searches.map((s) => `${s.day},${s.searches}`).join('\n'));
  await createKpiService({ db: ctx.db, logger: silentLogger() }).recompute(PORTAL, { now: NOW });

  const modelContacts: Contact[] = contacts.map((c) => ({
    id: String(c.id),
    createdAt: c.createdAt,
    firstVisitAt: null,
    firstConversionAt: null,
    source: c.source,
    lifecycleStage: null,
    becameCustomerAt: null,
    ownerId: null,
    deleted: c.archived,
  }));
  const points: TrafficPoint[] = traffic.map((t) => ({
    periodStart: localMidnight(t.day),
    source: t.source,
    visits: t.visits,
  }));
  const branded: BrandedSearchPoint[] = searches.map((s) => ({
    periodStart: localMidnight(s.day),
    volume: s.searches,
  }));
  const rows = await ctx.db
    .selectFrom('kpi_snapshots')
    .select(['kpi', 'period_unit', 'period_start', 'value', 'reason'])
    .where('portal_id', '=', PORTAL)
    .where('kpi', 'like', 'brand_%')
    .execute();
  const stored = new Map(rows.map((r) => [`${r.kpi}|${r.period_unit}|${r.period_start.getTime()}`, r]));
  const periods = listSnapshotPeriods(NOW, TZ);
  expect(rows.length).toBe(periods.length * BRAND_KPIS.length * 3);
  const figureOf = {
    brand_direct_visits: 'directVisits',
    brand_organic_visits: 'organicVisits',
    brand_direct_contacts: 'directTrafficContacts',
    brand_branded_searches: 'brandedSearchVolume',
  } as const;
  const seen = { known: 0, unknown: 0, changes: 0 };
  for (const { unit, period } of periods) {
    const brand = computeBrandTraffic({
      traffic: points,
      contacts: modelContacts,
      period,
      brandedSearch: branded,
    });
    for (const kpi of BRAND_KPIS) {
      const figure = figureOf[kpi];
      const checks: [string, KpiResult<unknown>][] = [
        [kpi, brand.current[figure]],
        [`${kpi}_change`, brand.change[figure].absolute],
        [`${kpi}_change_relative`, brand.change[figure].relative],
      ];
      for (const [name, expected] of checks) {
        const label = `${name} ${unit} ${period.label}`;
        const got = stored.get(`${name}|${unit}|${period.start}`);
        expect(got === undefined ? `${label}: missing` : label).toBe(label);
        if (!got) continue;
        expectNear(label, got.value === null ? null : Number(got.value), expected.value);
        expect({ label, reason: got.reason }).toEqual({
          label,
          reason: expected.value === null ? expected.reason : null,
        });
        if (expected.value === null) seen.unknown++;
        else seen.known++;
        if (name !== kpi && expected.value !== null) seen.changes++;
      }
    }
  }
  expect(seen.known).toBeGreaterThan(150);
  expect(seen.unknown).toBeGreaterThan(20);
  expect(seen.changes).toBeGreaterThan(60);
});

test('without an uploaded series, branded search is null with the reason, never 0', async () => {
  const portalId = PORTAL + 1;
  await seedPortal(ctx.db, { portalId, pipelines: [], contacts: [], deals: [], touches: [] });
  await createKpiService({ db: ctx.db, logger: silentLogger() }).recompute(portalId, { now: NOW });
  const rows = await ctx.db
    .selectFrom('kpi_snapshots')
    .select(['value', 'reason'])
    .where('portal_id', '=', portalId)
    .where('kpi', '=', 'brand_branded_searches')
    .execute();
  expect(rows.length).toBeGreaterThan(0);
  expect(rows.every((r) => r.value === null && r.reason === 'no branded search series uploaded')).toBe(true);
});
