import { createKpiService } from '../../../src/kpi/kpi.service';
import type { Deal, Pipeline } from '../../../src/kpi/models/metrics';
import { computeCustomerLifetimeValue } from '../../../src/kpi/models/metrics';
import { createTestContext, silentLogger } from '../../helpers/test-context';
import type { TestContext } from '../../helpers/test-context';
import type { SeedPortal } from './seed';
import { seedPortal } from './seed';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-20T12:00:00Z');
const STAGES = ['s0', 'won', 'lost'];

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx.cleanup();
});

function expectNear(label: string, actual: number, want: number): void {
  const ok = Math.abs(actual - want) <= 1e-9 * Math.max(1, Math.abs(want));
  expect(ok ? label : `${label}: got ${actual}, want ${want}`).toBe(label);
}

/** Won, lost and open deals over two years; repeat customers, deals without contacts or amounts, one close after NOW. */
function buildPortal(portalId: number, dealCount: number): SeedPortal {
  const contacts = Array.from({ length: 12 }, (_, i) => ({
    id: i + 1,
    // Creation times out of id order, some equal: the lead contact is the one created first, ties
    // to the lowest id, whatever the seed marks primary (its first listed contact).
    createdAt: NOW - (800 - ((i * 37) % 5)) * DAY,
    source: null,
    archived: i === 11,
  }));
  const deals = Array.from({ length: dealCount }, (_, i) => {
    const stage = STAGES[i % 3 === 2 ? 2 : i % 4 === 3 ? 0 : 1]!;
    const createdAt = NOW - (((i * 47) % 700) + 10) * DAY;
    return {
      id: 300 + i,
      pipelineId: 'default',
      stageId: stage,
      amount: i % 5 === 4 ? null : 200 + i * 33,
      createdAt,
      closedAt: stage === 's0' ? null : i === 1 ? NOW + DAY : createdAt + 9 * DAY,
      contactIds: i % 7 === 6 ? [] : [12 - (i % 12), ...(i % 2 === 0 ? [1 + (i % 5)] : [])],
    };
  });
  return {
    portalId,
    pipelines: [
      {
        id: 'default',
        stages: STAGES.map((id, order) => ({
          id,
          order,
          closed: id !== 's0',
          probability: id === 'won' ? 1 : id === 'lost' ? 0 : 0.2,
        })),
      },
    ],
    contacts,
    deals: deals.map((d) => ({ ...d, contactIds: [...new Set(d.contactIds)] })),
    touches: [],
  };
}

async function check(portal: SeedPortal): Promise<number> {
  await seedPortal(ctx.db, portal);
  await createKpiService({ db: ctx.db, logger: silentLogger() }).recompute(portal.portalId, { now: NOW });
  const pipelines: Pipeline[] = portal.pipelines.map((p) => ({
    id: p.id,
    qualifiedStageId: null,
    stages: p.stages.map((s) => ({
      id: s.id,
      displayOrder: s.order,
      isClosed: s.closed,
      probability: s.probability,
    })),
  }));
  const live = new Set(portal.contacts.filter((c) => !c.archived).map((c) => c.id));
  const deals: Deal[] = portal.deals.map((d) => ({
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
    contactIds: d.contactIds.filter((c) => live.has(c)).map(String),
  }));
  const contacts = portal.contacts.map((c) => ({
    id: String(c.id),
    createdAt: c.createdAt,
    deleted: c.archived,
  }));
  const clv = computeCustomerLifetimeValue({ contacts, deals, pipelines, asOf: NOW });
  const rows = await ctx.db
    .selectFrom('kpi_snapshots')
    .select(['kpi', 'value', 'reason'])
    .where('portal_id', '=', portal.portalId)
    .where('period_unit', '=', 'now')
    .where('kpi', 'in', [
      'customer_lifetime_value',
      'clv_average_order_value',
      'clv_orders_per_year',
      'clv_years_as_customer',
    ])
    .execute();
  const got = new Map(rows.map((r) => [r.kpi, r]));
  let known = 0;
  for (const [kpi, expected] of [
    ['customer_lifetime_value', clv.value],
    ['clv_average_order_value', clv.averageOrderValue],
    ['clv_orders_per_year', clv.ordersPerYear],
    ['clv_years_as_customer', clv.yearsAsCustomer],
  ] as const) {
    const row = got.get(kpi);
    expect(row === undefined ? `${kpi}: missing` : kpi).toBe(kpi);
    if (row === undefined) continue;
    if (expected.value === null) {
      expect({ kpi, value: row.value }).toEqual({ kpi, value: null });
      expect(row.reason).toEqual(expect.any(String));
    } else {
      known++;
      expectNear(kpi, Number(row.value), expected.value);
    }
  }
  return known;
}

test('customer lifetime value and its factors match computeCustomerLifetimeValue', async () => {
  expect(await check(buildPortal(6601, 40))).toBe(4);
});

test('a portal without won deals has every CLV figure unknown', async () => {
  expect(await check(buildPortal(6602, 0))).toBe(0);
});
