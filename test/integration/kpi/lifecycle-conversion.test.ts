import { createKpiService } from '../../../src/kpi/kpi.service';
import type { Contact, LifecycleChange } from '../../../src/kpi/models/metrics';
import { computeLifecycleConversions, getReason } from '../../../src/kpi/models/metrics';
import { listSnapshotPeriods } from '../../../src/kpi/queries/snapshot-periods';
import { openRecordList } from '../../../src/reports/drill';
import { createTestContext, silentLogger } from '../../helpers/test-context';
import type { TestContext } from '../../helpers/test-context';
import type { SeedPortal } from './seed';
import { indexSnapshots, seedPortal } from './seed';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-20T12:00:00Z');
const PORTAL = 6401;
// The portal's own order, with a custom stage (numeric id) between lead and MQL; `other` is not a step.
const ORDER = [
  'subscriber',
  'lead',
  '1073741',
  'marketingqualifiedlead',
  'salesqualifiedlead',
  'opportunity',
  'customer',
  'evangelist',
];
const STAGES = [...ORDER, 'other'];

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx.cleanup();
});

/** A small deterministic generator, so a failure reproduces. */
function lcg(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
    return s / 2_147_483_648;
  };
}

/**
 * 300 contacts over ~700 days (some entirely before the oldest stored period): histories that climb with skips, fall back, are cleared, move to
 * `other`, follow within a second, continue after "now"; contacts without history (with and
 * without a current stage); archived contacts with history.
 */
function buildPortal(): SeedPortal {
  const rnd = lcg(42);
  const contacts = Array.from({ length: 300 }, (_, i) => ({
    id: i + 1,
    createdAt: NOW - Math.floor(rnd() * 700 * DAY),
    source: null,
    lifecycleStage: i % 7 === 0 ? null : STAGES[Math.floor(rnd() * STAGES.length)]!,
    archived: i % 29 === 5,
  }));
  const lifecycleHistory = contacts
    .filter((c) => c.id % 6 !== 0)
    .flatMap((c) => {
      const steps: { contactId: number; stage: string | null; at: number }[] = [];
      let at = c.createdAt + Math.floor(rnd() * 3) * DAY;
      let rank = Math.floor(rnd() * 3);
      const n = 1 + Math.floor(rnd() * 5);
      for (let k = 0; k < n; k++) {
        const r = rnd();
        const stage = r < 0.08 ? null : r < 0.15 ? 'other' : ORDER[Math.min(rank, ORDER.length - 1)]!;
        steps.push({ contactId: c.id, stage, at });
        // Mostly up one or two (a skip), sometimes back down; sometimes a second later (the key is contact + instant).
        rank = Math.max(0, rank + (rnd() < 0.15 ? -1 : 1 + Math.floor(rnd() * 2)));
        at += rnd() < 0.1 ? 1_000 : Math.floor(rnd() * 60 * DAY) + 3_600_000;
      }
      return steps;
    });
  return {
    portalId: PORTAL,
    pipelines: [],
    contacts,
    deals: [],
    lifecycleHistory,
    touches: [],
  };
}

test('stage-to-stage conversion and median days between stages match the pure model, and their drill-downs list the cohort', async () => {
  const portal = buildPortal();
  await seedPortal(ctx.db, portal);
  await ctx.db
    .insertInto('lifecycle_stages')
    .values(STAGES.map((s, i) => ({ portal_id: PORTAL, stage_id: s, label: `Stage ${s}`, display_order: i })))
    .execute();
  const summary = await createKpiService({ db: ctx.db, logger: silentLogger() }).recompute(PORTAL, {
    now: NOW,
  });
  expect(summary.timings['lifecycle conversion']).toBeGreaterThanOrEqual(0);

  const contacts: Contact[] = portal.contacts.map((c) => ({
    id: String(c.id),
    createdAt: c.createdAt,
    firstVisitAt: null,
    firstConversionAt: null,
    source: null,
    lifecycleStage: c.lifecycleStage ?? null,
    becameCustomerAt: null,
    ownerId: null,
    deleted: c.archived ?? false,
  }));
  const changes: LifecycleChange[] = (portal.lifecycleHistory ?? []).map((h) => ({
    contactId: String(h.contactId),
    stage: h.stage,
    at: h.at,
  }));

  const rows = await ctx.db
    .selectFrom('kpi_snapshots')
    .select([
      'kpi',
      'period_unit',
      'period_start',
      'breakdown',
      'breakdown_value',
      'value',
      'reason',
      'inputs',
    ])
    .where('portal_id', '=', PORTAL)
    .where('kpi', 'in', ['lifecycle_conversion_rate', 'lifecycle_median_days_between'])
    .execute();
  const stored = indexSnapshots(rows);
  const periods = listSnapshotPeriods(NOW, 'UTC');
  expect(rows).toHaveLength(periods.length * (ORDER.length - 1) * 2);

  const expected = new Map<
    string,
    { value: number | null; reason: string | null; to: string; count: number }
  >();
  const round = (v: number | null) => (v === null ? null : Math.round(v * 1e6) / 1e6);
  let cohorts = 0;
  let skips = 0;
  for (const { unit, period } of periods) {
    for (const c of computeLifecycleConversions({ contacts, changes, order: ORDER, period, now: NOW })) {
      const key = (kpi: string) => `${kpi}|${unit}|${period.start}|stage|${c.from}`;
      expected.set(key('lifecycle_conversion_rate'), {
        value: round(c.rate.value),
        reason: getReason(c.rate) ?? null,
        to: c.to,
        count: c.rate.inputs.numerator,
      });
      expected.set(key('lifecycle_median_days_between'), {
        value: round(c.medianDays.value),
        reason: getReason(c.medianDays) ?? null,
        to: c.to,
        count: c.medianDays.inputs.samples.length,
      });
      cohorts += c.rate.inputs.denominator;
      skips += c.medianDays.inputs.samples.filter((s) => s.value === 0).length;
    }
  }
  const got = new Map(
    [...stored].map(([k, r]) => {
      const inputs = r.inputs as { to: string; count: number };
      return [
        k,
        {
          value: round(r.value === null ? null : Number(r.value)),
          reason: r.reason,
          to: inputs.to,
          count: inputs.count,
        },
      ];
    }),
  );
  expect(got).toEqual(expected);
  // The data exercises what the rule is about: cohorts, conversions, skips (0 days), empty cohorts.
  expect(cohorts).toBeGreaterThan(200);
  expect(skips).toBeGreaterThan(10);
  expect([...expected.values()].filter((e) => e.value === null).length).toBeGreaterThan(10);
  expect([...expected.values()].filter((e) => e.value !== null && e.value > 0).length).toBeGreaterThan(50);

  // Drill-downs: the cohort list has the rate's denominator, the converted list the median's sample.
  const month = periods.filter((p) => p.unit === 'month')[2]!.period;
  const range = { start: new Date(month.start), end: new Date(month.end) };
  let checked = 0;
  for (const from of ORDER.slice(0, -1)) {
    const rate = stored.get(`lifecycle_conversion_rate|month|${month.start}|stage|${from}`)!;
    const inputs = rate.inputs as { count: number; of: number };
    const cohort = await drain(
      openRecordList(ctx.db, PORTAL, { kind: 'lifecycle_cohort', ...range, by: 'stage', value: from }),
    );
    const converted = await drain(
      openRecordList(ctx.db, PORTAL, { kind: 'lifecycle_converted', ...range, by: 'stage', value: from }),
    );
    expect({ from, cohort: cohort.length, converted: converted.length }).toEqual({
      from,
      cohort: inputs.of,
      converted: inputs.count,
    });
    checked += inputs.of;
  }
  expect(checked).toBeGreaterThan(5);
});

async function drain(list: { stream(): AsyncIterable<Record<string, unknown>> }) {
  const out: Record<string, unknown>[] = [];
  for await (const r of list.stream()) out.push(r);
  return out;
}
