import { createKpiService } from '../../../src/kpi/kpi.service';
import type { Deal, DealStageChange, Pipeline } from '../../../src/kpi/models/metrics';
import { comparePipelineVelocity } from '../../../src/kpi/models/metrics';
import { VELOCITY_CHANGE_KPIS } from '../../../src/kpi/queries/change-snapshots';
import { listSnapshotPeriods } from '../../../src/kpi/queries/snapshot-periods';
import { createTestContext, silentLogger } from '../../helpers/test-context';
import type { TestContext } from '../../helpers/test-context';
import type { SeedPortal } from './seed';
import { indexSnapshots, seedPortal } from './seed';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-20T12:00:00Z');
const PORTAL = 6101;

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx.cleanup();
});

const STAGES = ['s0', 's1', 's2', 'won', 'lost'];
const SOURCES = ['ORGANIC_SEARCH', 'PAID_SEARCH'];

/** A deterministic small portal: deals spread over ~200 days, a third closed won, a sixth lost. */
function buildPortal(): SeedPortal {
  const deals = Array.from({ length: 36 }, (_, i) => {
    const createdAt = NOW - ((i * 37) % 200) * DAY - (i % 3) * 3_600_000;
    const stage = STAGES[i % 5]!;
    const closed = stage === 'won' || stage === 'lost';
    return {
      id: 500 + i,
      pipelineId: 'default',
      stageId: stage,
      amount: i % 7 === 0 ? null : 1000 + i * 137.5,
      source: SOURCES[i % 2]!,
      ownerId: i % 4 === 0 ? 'o1' : 'o2',
      createdAt,
      closedAt: closed ? Math.min(createdAt + ((i * 11) % 60) * DAY, NOW - DAY) : null,
      contactIds: [],
    };
  });
  const stageHistory = deals
    .filter((_, i) => i % 3 === 0)
    .flatMap((d) => [
      { dealId: d.id, stageId: 's0', at: d.createdAt },
      { dealId: d.id, stageId: 's1', at: d.createdAt + 5 * DAY },
    ]);
  return {
    portalId: PORTAL,
    pipelines: [
      {
        id: 'default',
        qualifiedStageId: 's1',
        stages: STAGES.map((id, order) => ({
          id,
          order,
          closed: id === 'won' || id === 'lost',
          probability: id === 'won' ? 1 : id === 'lost' ? 0 : 0.2,
        })),
      },
    ],
    contacts: [],
    deals,
    stageHistory,
    touches: [],
  };
}

/** Relative tolerance 1e-9 (numeric in SQL, float64 in the model); the label says which figure differs. */
function expectNear(label: string, actual: number, want: number): void {
  const ok = Math.abs(actual - want) <= 1e-9 * Math.max(1, Math.abs(want));
  expect(ok ? label : `${label}: got ${actual}, want ${want}`).toBe(label);
}

const FACTOR_OF: Record<
  (typeof VELOCITY_CHANGE_KPIS)[number],
  keyof ReturnType<typeof comparePipelineVelocity>['change']
> = {
  pipeline_velocity: 'velocity',
  qualified_opportunities: 'qualifiedOpportunities',
  win_rate: 'winRate',
  average_won_deal_size: 'averageWonDealSize',
  sales_cycle_days: 'salesCycleDays',
};

test('velocity factor changes against the previous period match comparePipelineVelocity', async () => {
  const portal = buildPortal();
  await seedPortal(ctx.db, portal);
  await createKpiService({ db: ctx.db, logger: silentLogger() }).recompute(PORTAL, { now: NOW });

  const pipeline: Pipeline = {
    id: 'default',
    qualifiedStageId: 's1',
    stages: portal.pipelines[0]!.stages.map((s) => ({
      id: s.id,
      displayOrder: s.order,
      isClosed: s.closed,
      probability: s.probability,
    })),
  };
  const deals: Deal[] = portal.deals.map((d) => ({
    id: String(d.id),
    pipelineId: d.pipelineId,
    stageId: d.stageId,
    amountHome: d.amount,
    currency: null,
    ownerId: d.ownerId ?? null,
    source: d.source ?? null,
    createdAt: d.createdAt,
    closedAt: d.closedAt,
    isClosed: false,
    isWon: false,
    deleted: false,
    contactIds: [],
  }));
  const stageChanges: DealStageChange[] = (portal.stageHistory ?? []).map((h) => ({
    dealId: String(h.dealId),
    stageId: h.stageId,
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
    .where('kpi', 'like', '%_change%')
    .execute();
  const stored = indexSnapshots(rows);

  const periods = listSnapshotPeriods(NOW, 'UTC');
  const oldest = new Map<string, number>();
  for (const p of periods) oldest.set(p.unit, Math.min(oldest.get(p.unit) ?? Infinity, p.period.start));
  let compared = 0;
  let known = 0;
  for (const { unit, period } of periods) {
    const groups: { breakdown: string; value: string; deals: Deal[] }[] = [
      { breakdown: 'all', value: '', deals },
      ...SOURCES.map((s) => ({ breakdown: 'source', value: s, deals: deals.filter((d) => d.source === s) })),
      ...['o1', 'o2'].map((o) => ({
        breakdown: 'owner',
        value: o,
        deals: deals.filter((d) => d.ownerId === o),
      })),
    ];
    for (const g of groups) {
      const cmp = comparePipelineVelocity({ pipeline, deals: g.deals, stageChanges, period });
      for (const kpi of VELOCITY_CHANGE_KPIS) {
        const change = cmp.change[FACTOR_OF[kpi]];
        for (const [suffix, expected] of [
          ['_change', change.absolute],
          ['_change_relative', change.relative],
        ] as const) {
          const row = stored.get(`${kpi}${suffix}|${unit}|${period.start}|${g.breakdown}|${g.value}`);
          if (period.start === oldest.get(unit)) {
            expect(row).toBeUndefined();
            continue;
          }
          // A breakdown value with nothing in the current period has no velocity row, hence no change row.
          if (row === undefined) {
            expect(g.breakdown).not.toBe('all');
            continue;
          }
          compared++;
          const label = `${kpi}${suffix} ${unit} ${period.label} ${g.breakdown}=${g.value}`;
          if (expected.value === null) {
            expect({ label, value: row.value }).toEqual({ label, value: null });
            expect(row.reason).toEqual(expect.any(String));
          } else {
            known++;
            expectNear(label, Number(row.value), expected.value);
          }
          const inputs = row.inputs as { current: number | null; previous: number | null };
          for (const side of ['current', 'previous'] as const) {
            const want = expected.inputs[side];
            if (want === null) expect({ label, side, v: inputs[side] }).toEqual({ label, side, v: null });
            else expectNear(`${label} ${side}`, Number(inputs[side]), want);
          }
        }
      }
    }
  }
  expect(compared).toBeGreaterThan(100);
  expect(known).toBeGreaterThan(20);
});
