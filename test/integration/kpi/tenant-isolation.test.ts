import { createKpiService, readHeadline } from '../../../src/kpi/kpi.service';
import { createTestContext, silentLogger } from '../../helpers/test-context';
import type { TestContext } from '../../helpers/test-context';
import type { SeedPortal } from './seed';
import { seedPortal } from './seed';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-20T12:00:00Z');

/** Two portals with the same HubSpot ids (ids are only unique within a portal) and different figures. */
function portal(portalId: number, amount: number, source: string): SeedPortal {
  return {
    portalId,
    pipelines: [
      {
        id: 'default',
        stages: [
          { id: 'open', order: 0, closed: false, probability: 0.5 },
          { id: 'won', order: 1, closed: true, probability: 1 },
          { id: 'lost', order: 2, closed: true, probability: 0 },
        ],
      },
    ],
    contacts: [{ id: 1, createdAt: NOW - 60 * DAY, source }],
    deals: [
      {
        id: 100,
        pipelineId: 'default',
        stageId: 'won',
        amount,
        createdAt: NOW - 40 * DAY,
        closedAt: NOW - 10 * DAY,
        contactIds: [1],
      },
    ],
    touches: [{ id: 't1', contactId: 1, at: NOW - 70 * DAY, channel: source }],
  };
}

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx.cleanup();
});

async function resultRows(portalId: number) {
  const tables = [
    'kpi_snapshots',
    'kpi_deal_rows',
    'kpi_contact_rows',
    'kpi_credits',
    'kpi_channel_totals',
  ] as const;
  const out: Record<string, { n: number; runs: number[] }> = {};
  for (const t of tables) {
    const rows = await ctx.db.selectFrom(t).select('run_id').where('portal_id', '=', portalId).execute();
    out[t] = { n: rows.length, runs: [...new Set(rows.map((r) => Number(r.run_id)))] };
  }
  return out;
}

test('computing portal A neither reads nor writes portal B’s rows', async () => {
  await seedPortal(ctx.db, portal(1, 1000, 'ORGANIC_SEARCH'));
  await seedPortal(ctx.db, portal(2, 7777, 'PAID_SEARCH'));
  const service = createKpiService({ db: ctx.db, logger: silentLogger() });
  await service.recompute(2, { now: NOW });
  const before = await resultRows(2);
  expect(before.kpi_credits?.n).toBeGreaterThan(0);

  await service.recompute(1, { now: NOW });
  await service.recompute(1, { now: NOW });
  expect(await resultRows(2)).toEqual(before);

  const a = await readHeadline(ctx.db, 1);
  expect(a.averageWonDealSize).toBe(1000);
  expect(a.revenueBySource).toEqual({ ORGANIC_SEARCH: 1000 });
  expect(a.topChannels.linear).toEqual([{ channel: 'ORGANIC_SEARCH', credit: 1000 }]);
  const b = await readHeadline(ctx.db, 2);
  expect(b.averageWonDealSize).toBe(7777);
  expect(b.revenueBySource).toEqual({ PAID_SEARCH: 7777 });
});

test('a failed computation leaves the previous results in place and is recorded', async () => {
  await seedPortal(ctx.db, portal(3, 500, 'REFERRALS'));
  const service = createKpiService({ db: ctx.db, logger: silentLogger() });
  await service.recompute(3, { now: NOW });
  const before = await resultRows(3);
  const controller = new AbortController();
  controller.abort();
  await expect(service.recompute(3, { now: NOW, signal: controller.signal })).rejects.toThrow('aborted');
  expect(await resultRows(3)).toEqual(before);
  const runs = await ctx.db
    .selectFrom('kpi_runs')
    .select(['status'])
    .where('portal_id', '=', 3)
    .orderBy('run_id')
    .execute();
  expect(runs.map((r) => r.status)).toEqual(['succeeded', 'failed']);
});
