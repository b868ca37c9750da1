import { createKpiService, readHeadline } from '../../../src/kpi/kpi.service';
import { readDealAttribution } from '../../../src/kpi/queries/record-rows';
import { createTestContext, silentLogger } from '../../helpers/test-context';
import type { TestContext } from '../../helpers/test-context';
import { seedPortal } from './seed';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-20T12:00:00Z');

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx.cleanup();
});

test('a small portal computes without errors', async () => {
  await seedPortal(ctx.db, {
    portalId: 11,
    pipelines: [
      {
        id: 'default',
        stages: [
          { id: 'appt', order: 0, closed: false, probability: 0.2 },
          { id: 'qual', order: 1, closed: false, probability: 0.4 },
          { id: 'won', order: 2, closed: true, probability: 1 },
          { id: 'lost', order: 3, closed: true, probability: 0 },
        ],
      },
    ],
    contacts: [
      { id: 1, createdAt: NOW - 60 * DAY, source: 'ORGANIC_SEARCH', lifecycleStage: 'customer' },
      { id: 2, createdAt: NOW - 50 * DAY, source: 'PAID_SEARCH' },
    ],
    deals: [
      {
        id: 100,
        pipelineId: 'default',
        stageId: 'won',
        amount: 1000,
        createdAt: NOW - 40 * DAY,
        closedAt: NOW - 10 * DAY,
        contactIds: [1],
      },
      {
        id: 101,
        pipelineId: 'default',
        stageId: 'lost',
        amount: 500,
        createdAt: NOW - 30 * DAY,
        closedAt: NOW - 5 * DAY,
        contactIds: [2],
      },
      {
        id: 102,
        pipelineId: 'default',
        stageId: 'qual',
        amount: 700,
        createdAt: NOW - 20 * DAY,
        closedAt: null,
        contactIds: [2],
      },
    ],
    touches: [
      { id: 't1', contactId: 1, at: NOW - 70 * DAY, channel: 'ORGANIC_SEARCH' },
      { id: 't2', contactId: 1, at: NOW - 45 * DAY, channel: 'EMAIL_MARKETING' },
      { id: 't3', contactId: 2, at: NOW - 55 * DAY, channel: 'PAID_SEARCH' },
    ],
  });
  const service = createKpiService({ db: ctx.db, logger: silentLogger() });
  const summary = await service.recompute(11, { now: NOW });
  expect(summary.counts.creditRows).toBeGreaterThan(0);
  const headline = await readHeadline(ctx.db, 11);
  expect(headline.winRate).toBeCloseTo(0.5);
  expect(headline.averageWonDealSize).toBeCloseTo(1000);
  expect(headline.salesCycleDays).toBeCloseTo(30);
  // The lost deal without history sat in "lost" from creation: a lost stage implies no other stage.
  expect(headline.qualifiedOpportunities).toBe(2);
  expect(headline.velocityPerDay).toBeCloseTo((2 * 0.5 * 1000) / 30);
  expect(headline.revenueBySource).toEqual({ ORGANIC_SEARCH: 1000 });
  expect(headline.topChannels.first_touch?.[0]).toEqual({ channel: 'ORGANIC_SEARCH', credit: 1000 });
  const deal = await ctx.db
    .selectFrom('kpi_deal_rows')
    .selectAll()
    .where('portal_id', '=', 11)
    .where('deal_id', '=', 102)
    .executeTakeFirstOrThrow();
  expect(deal.days_in_stage).toBeCloseTo(20);
  // The deal card's attribution: the won deal's revenue credits, summing to its amount under every model.
  const won = await readDealAttribution(ctx.db, 11, 100);
  expect(won?.kind).toBe('revenue');
  expect(won?.value).toBe(1000);
  expect(Object.keys(won?.models ?? {})).toHaveLength(11);
  for (const byChannel of Object.values(won?.models ?? {}))
    expect(Object.values(byChannel).reduce((a, b) => a + b, 0)).toBeCloseTo(1000, 6);
  expect((await readDealAttribution(ctx.db, 11, 102))?.kind).toBe('deal_create');
  const contacts = await ctx.db
    .selectFrom('kpi_contact_rows')
    .selectAll()
    .where('portal_id', '=', 11)
    .orderBy('contact_id')
    .execute();
  expect(contacts.map((c) => c.won_deals)).toEqual([1, 0]);
});
