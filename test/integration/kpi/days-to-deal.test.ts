import { createKpiService } from '../../../src/kpi/kpi.service';
import type { Contact, Deal, Pipeline } from '../../../src/kpi/models/metrics';
import { computeDaysToDeal } from '../../../src/kpi/models/metrics';
import { listSnapshotPeriods } from '../../../src/kpi/queries/snapshot-periods';
import { createTestContext, silentLogger } from '../../helpers/test-context';
import type { TestContext } from '../../helpers/test-context';
import type { SeedPortal } from './seed';
import { indexSnapshots, seedPortal } from './seed';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-20T12:00:00Z');
const PORTAL = 6201;
const STAGES = ['s0', 'won', 'lost'];
const SOURCES = ['ORGANIC_SEARCH', 'PAID_SEARCH', null];

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx.cleanup();
});

/** Relative tolerance 1e-9; the label says which figure differs. */
function expectNear(label: string, actual: number, want: number): void {
  const ok = Math.abs(actual - want) <= 1e-9 * Math.max(1, Math.abs(want));
  expect(ok ? label : `${label}: got ${actual}, want ${want}`).toBe(label);
}

/**
 * 30 contacts over ~300 days, some with a first visit before createdate (and one after the close:
 * excluded), 40 deals with 0–2 contacts each, about half won, so contacts with two won deals occur.
 */
function buildPortal(): { seed: SeedPortal; firstVisits: Map<number, number> } {
  const contacts = Array.from({ length: 30 }, (_, i) => ({
    id: i + 1,
    createdAt: NOW - (((i * 53) % 300) + 20) * DAY,
    source: SOURCES[i % 3]!,
    archived: i === 29,
  }));
  const firstVisits = new Map<number, number>();
  for (const c of contacts) if (c.id % 4 === 0) firstVisits.set(c.id, c.createdAt - (c.id % 9) * DAY);
  firstVisits.set(7, NOW); // after any close: this contact is excluded
  const deals = Array.from({ length: 40 }, (_, i) => {
    const contactIds =
      i % 10 === 9 ? [] : [1 + ((i * 7) % 30), ...(i % 3 === 0 ? [1 + ((i * 11) % 30)] : [])];
    const unique = [...new Set(contactIds)];
    const createdAt = NOW - (((i * 29) % 250) + 5) * DAY;
    const stage = STAGES[i % 2 === 0 ? 1 : i % 3 === 0 ? 2 : 0]!;
    return {
      id: 700 + i,
      pipelineId: 'default',
      stageId: stage,
      amount: 500 + i,
      createdAt,
      closedAt:
        stage === 's0' ? null : Math.min(createdAt + ((i * 13) % 90) * DAY + 3_600_000, NOW - 3_600_000),
      contactIds: unique,
    };
  });
  return {
    seed: {
      portalId: PORTAL,
      pipelines: [
        {
          id: 'default',
          stages: STAGES.map((id, order) => ({
            id,
            order,
            closed: id !== 's0',
            probability: id === 'won' ? 1 : 0,
          })),
        },
      ],
      contacts,
      deals,
      touches: [],
    },
    firstVisits,
  };
}

test('days to deal per period and source (mean, median, p90) match computeDaysToDeal', async () => {
  const { seed, firstVisits } = buildPortal();
  await seedPortal(ctx.db, seed);
  for (const [id, at] of firstVisits)
    await ctx.db
      .updateTable('contacts')
      .set({ first_visit_at: new Date(at).toISOString() })
      .where('portal_id', '=', PORTAL)
      .where('contact_id', '=', id)
      .execute();
  await createKpiService({ db: ctx.db, logger: silentLogger() }).recompute(PORTAL, { now: NOW });

  const pipelines: Pipeline[] = seed.pipelines.map((p) => ({
    id: p.id,
    qualifiedStageId: null,
    stages: p.stages.map((s) => ({
      id: s.id,
      displayOrder: s.order,
      isClosed: s.closed,
      probability: s.probability,
    })),
  }));
  const contacts: Contact[] = seed.contacts.map((c) => ({
    id: String(c.id),
    createdAt: c.createdAt,
    firstVisitAt: firstVisits.get(c.id) ?? null,
    firstConversionAt: null,
    source: c.source,
    lifecycleStage: null,
    becameCustomerAt: null,
    ownerId: null,
    deleted: c.archived ?? false,
  }));
  const live = new Set(contacts.filter((c) => !c.deleted).map((c) => c.id));
  const deals: Deal[] = seed.deals.map((d) => ({
    id: String(d.id),
    pipelineId: d.pipelineId,
    stageId: d.stageId,
    amountHome: d.amount,
    currency: null,
    ownerId: null,
    source: null,
    createdAt: d.createdAt,
    closedAt: d.closedAt,
    isClosed: false,
    isWon: false,
    deleted: false,
    contactIds: d.contactIds.map(String).filter((c) => live.has(c)),
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
    .where('kpi', 'like', 'days_to_deal_%')
    .execute();
  const stored = indexSnapshots(rows);

  let expectedRows = 0;
  let known = 0;
  for (const { unit, period } of listSnapshotPeriods(NOW, 'UTC')) {
    const result = computeDaysToDeal({ contacts, deals, pipelines, period });
    const groups = [
      { breakdown: 'all', row: result.total },
      ...result.bySource.map((row) => ({ breakdown: 'source', row })),
    ];
    for (const { breakdown, row } of groups) {
      for (const [kpi, expected] of [
        ['days_to_deal_mean', row.days.mean],
        ['days_to_deal_median', row.days.median],
        ['days_to_deal_p90', row.days.p90],
      ] as const) {
        expectedRows++;
        const label = `${kpi} ${unit} ${period.label} ${breakdown}=${row.source}`;
        const got = stored.get(`${kpi}|${unit}|${period.start}|${breakdown}|${row.source}`);
        expect(got === undefined ? `${label}: missing` : label).toBe(label);
        if (got === undefined) continue;
        expect((got.inputs as { count: number }).count).toBe(row.days.count);
        if (expected.value === null) {
          expect({ label, value: got.value, reason: got.reason }).toEqual({
            label,
            value: null,
            reason: 'no customer closed a first deal in period',
          });
        } else {
          known++;
          expectNear(label, Number(got.value), expected.value);
        }
      }
    }
  }
  expect(rows.length).toBe(expectedRows);
  expect(known).toBeGreaterThan(30);
});
