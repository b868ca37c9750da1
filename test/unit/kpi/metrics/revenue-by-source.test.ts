import fc from 'fast-check';

import { DEFAULT_LIFECYCLE_ORDER } from '../../../../src/kpi/models/metrics/lifecycle';
import { computeRevenueBySource, sumWonRevenue } from '../../../../src/kpi/models/metrics/revenue-by-source';
import { ALL_SOURCES, NO_SOURCE } from '../../../../src/kpi/models/metrics/source';
import { getReason } from '../../../../src/kpi/models/metrics/stats';
import type { Deal } from '../../../../src/kpi/models/metrics/types';
import {
  CUSTOM_PIPELINE,
  DAY,
  DEFAULT_PIPELINE,
  at,
  lifecycle,
  makeContact,
  makeDeal,
  month,
} from './fixtures';

const noon = (day: string) => at(`${day}T12:00:00Z`);

describe('computeRevenueBySource', () => {
  const contacts = [
    makeContact({ id: 'c1', source: 'PAID_SOCIAL', becameCustomerAt: noon('2026-03-02') }),
    makeContact({ id: 'c2', source: 'AI_REFERRALS', lifecycleStage: 'customer' }),
    makeContact({ id: 'c3', source: null, becameCustomerAt: noon('2026-03-03') }),
    makeContact({ id: 'c4', source: 'PAID_SOCIAL', becameCustomerAt: noon('2026-02-03') }),
    makeContact({ id: 'c5', source: 'PAID_SOCIAL', becameCustomerAt: noon('2026-03-04'), deleted: true }),
  ];
  const changes = lifecycle('c2', ['lead', '2026-01-01T00:00:00Z'], ['customer', '2026-03-15T00:00:00Z']);
  const deals: Deal[] = [
    makeDeal({
      id: 'd1',
      source: 'PAID_SOCIAL',
      stageId: 'closedwon',
      amountHome: 1000,
      closedAt: noon('2026-03-05'),
    }),
    makeDeal({
      id: 'd2',
      source: 'PAID_SOCIAL',
      stageId: 'closedwon',
      amountHome: 250.5,
      closedAt: noon('2026-03-06'),
    }),
    makeDeal({
      id: 'd3',
      source: 'BRAND_NEW_SOURCE',
      stageId: 'closedwon',
      amountHome: 10,
      closedAt: noon('2026-03-07'),
    }),
    makeDeal({ id: 'd4', source: '', stageId: 'closedwon', amountHome: 99, closedAt: noon('2026-03-07') }),
    makeDeal({
      id: 'd5',
      source: 'OFFLINE',
      stageId: 'closedwon',
      amountHome: null,
      currency: 'GBP',
      closedAt: noon('2026-03-08'),
    }),
    makeDeal({
      id: 'd6',
      source: 'PAID_SOCIAL',
      stageId: 'closedlost',
      amountHome: 7,
      closedAt: noon('2026-03-08'),
    }),
    makeDeal({
      id: 'd7',
      source: 'PAID_SOCIAL',
      stageId: 'closedwon',
      amountHome: 7,
      closedAt: noon('2026-03-08'),
      deleted: true,
    }),
    makeDeal({
      id: 'd8',
      source: 'PAID_SOCIAL',
      stageId: 'closedwon',
      amountHome: 7,
      closedAt: noon('2026-04-01'),
    }),
    makeDeal({
      id: 'd9',
      source: 'PAID_SOCIAL',
      pipelineId: CUSTOM_PIPELINE.id,
      stageId: '1900',
      amountHome: 1,
      closedAt: noon('2026-03-09'),
    }),
    makeDeal({
      id: 'd10',
      source: 'PAID_SOCIAL',
      pipelineId: CUSTOM_PIPELINE.id,
      stageId: 'closedwon_lookalike',
      isWon: true,
      amountHome: 1,
      closedAt: noon('2026-03-09'),
    }),
  ];
  const r = computeRevenueBySource({
    period: month('2026-03'),
    contacts,
    lifecycleChanges: changes,
    lifecycleOrder: DEFAULT_LIFECYCLE_ORDER,
    deals,
    pipelines: [DEFAULT_PIPELINE, CUSTOM_PIPELINE],
  });
  const row = (s: string) => (s === ALL_SOURCES ? r.total : r.bySource.find((x) => x.source === s)!);

  it.each<[string, string[], string[], number | null]>([
    // source, new customers, won deals, won revenue
    [NO_SOURCE, ['c3'], ['d4'], 99],
    ['AI_REFERRALS', ['c2'], [], 0],
    ['BRAND_NEW_SOURCE', [], ['d3'], 10],
    ['OFFLINE', [], ['d5'], null],
    ['PAID_SOCIAL', ['c1'], ['d1', 'd2', 'd9'], 1251.5],
    [ALL_SOURCES, ['c1', 'c2', 'c3'], ['d1', 'd2', 'd3', 'd4', 'd5', 'd9'], 1360.5],
  ])('%s', (source, customers, won, revenue) => {
    const x = row(source);
    expect(x.newCustomers.inputs.ids).toEqual(customers);
    expect(x.wonDeals.inputs.ids).toEqual(won);
    expect(x.wonRevenue.value).toBe(revenue);
  });

  it('reports the deal it could not add instead of converting or dropping it', () => {
    expect(getReason(row('OFFLINE').wonRevenue)).toBe('no won deal has an amount in the home currency');
    expect(r.total.wonRevenue.inputs.excluded).toEqual([
      { id: 'd5', reason: 'no amount in the home currency (deal currency GBP)' },
    ]);
  });

  it('no won deals is a known 0', () => {
    expect(sumWonRevenue([])).toEqual({ value: 0, inputs: { ids: [], excluded: [] } });
  });

  it('per-source rows add up to the total (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            source: fc.constantFrom('A', 'B', 'UNSEEN', '', null),
            stageId: fc.constantFrom('closedwon', 'closedlost', 'qualifiedtobuy'),
            amount: fc.option(fc.integer({ min: 0, max: 10_000 }), { nil: null }),
            closedDay: fc.integer({ min: 0, max: 59 }),
            deleted: fc.boolean(),
          }),
          { maxLength: 30 },
        ),
        (raw) => {
          const ds = raw.map((x, i) =>
            makeDeal({
              id: `d${i}`,
              source: x.source,
              stageId: x.stageId,
              amountHome: x.amount,
              closedAt: at('2026-02-15T00:00:00Z') + x.closedDay * DAY,
              deleted: x.deleted,
            }),
          );
          const res = computeRevenueBySource({
            period: month('2026-03'),
            contacts: [],
            lifecycleChanges: [],
            lifecycleOrder: DEFAULT_LIFECYCLE_ORDER,
            deals: ds,
            pipelines: [DEFAULT_PIPELINE],
          });
          const count = res.bySource.reduce((a, x) => a + x.wonDeals.value!, 0);
          const revenue = res.bySource.reduce((a, x) => a + (x.wonRevenue.value ?? 0), 0);
          expect(count).toBe(res.total.wonDeals.value);
          expect(revenue).toBe(res.total.wonRevenue.value ?? 0);
          const excluded = res.bySource.flatMap((x) => x.wonRevenue.inputs.excluded.map((e) => e.id)).sort();
          expect(excluded).toEqual(res.total.wonRevenue.inputs.excluded.map((e) => e.id).sort());
        },
      ),
    );
  });
});
