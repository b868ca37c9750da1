import fc from 'fast-check';

import {
  computeCustomerLifetimeValue,
  computeFunnel,
  computeLeadsPerCustomer,
} from '../../../../src/kpi/models/metrics/funnel';
import { DEFAULT_LIFECYCLE_ORDER } from '../../../../src/kpi/models/metrics/lifecycle';
import { ALL_SOURCES, NO_SOURCE } from '../../../../src/kpi/models/metrics/source';
import { computeRate, getReason, makeUnknown } from '../../../../src/kpi/models/metrics/stats';
import type { Contact, Deal, LifecycleChange } from '../../../../src/kpi/models/metrics/types';
import { DAY, DEFAULT_PIPELINE, at, lifecycle, makeContact, makeDeal, month, traffic } from './fixtures';

const noon = (day: string) => at(`${day}T12:00:00Z`);

describe('computeFunnel', () => {
  const contacts: Contact[] = [
    makeContact({ id: 'c1', source: 'ORGANIC_SEARCH', createdAt: noon('2026-03-05') }),
    makeContact({
      id: 'c2',
      source: 'ORGANIC_SEARCH',
      createdAt: noon('2026-03-06'),
      becameCustomerAt: noon('2026-03-20'),
    }),
    makeContact({
      id: 'c3',
      source: 'DIRECT_TRAFFIC',
      createdAt: noon('2026-02-01'),
      lifecycleStage: 'customer',
    }),
    makeContact({ id: 'c4', source: null, createdAt: noon('2026-03-07') }),
    makeContact({
      id: 'c5',
      source: 'ORGANIC_SEARCH',
      createdAt: noon('2026-03-08'),
      deleted: true,
      becameCustomerAt: noon('2026-03-09'),
    }),
    makeContact({
      id: 'c6',
      source: 'AI_REFERRALS',
      createdAt: noon('2026-03-09'),
      lifecycleStage: 'evangelist',
    }),
    makeContact({ id: 'c7', source: 'REFERRALS', createdAt: noon('2026-03-10'), lifecycleStage: 'other' }),
  ];
  const changes: LifecycleChange[] = [
    ...lifecycle('c3', ['lead', '2026-02-01T12:00:00Z'], ['customer', '2026-03-10T12:00:00Z']),
    // lead → evangelist skips customer: customer at the moment evangelist was entered.
    ...lifecycle('c6', ['lead', '2026-03-09T12:00:00Z'], ['evangelist', '2026-03-15T12:00:00Z']),
    // `other` sorts after customer in HubSpot but must not make c7 a customer.
    ...lifecycle('c7', ['lead', '2026-03-10T12:00:00Z'], ['other', '2026-03-11T12:00:00Z']),
  ];
  const points = [
    traffic('ORGANIC_SEARCH', '2026-03-01', 100),
    traffic('ORGANIC_SEARCH', '2026-03-02', 50),
    traffic('DIRECT_TRAFFIC', '2026-03-03', 30),
    traffic('PAID_SEARCH', '2026-02-28', 20),
  ];
  const funnel = computeFunnel({
    period: month('2026-03'),
    traffic: points,
    contacts,
    lifecycleChanges: changes,
    lifecycleOrder: DEFAULT_LIFECYCLE_ORDER,
  });
  const row = (source: string) => funnel.bySource.find((r) => r.source === source)!;

  it('lists every source seen, unknown values as they come and missing ones in the stated bucket', () => {
    expect(funnel.bySource.map((r) => r.source)).toEqual([
      NO_SOURCE,
      'AI_REFERRALS',
      'DIRECT_TRAFFIC',
      'ORGANIC_SEARCH',
      'REFERRALS',
    ]);
  });

  it.each<[string, number, string[], string[], number | null, number | null]>([
    // source, visits, contacts, customers, visit→contact, contact→customer
    [NO_SOURCE, 0, ['c4'], [], null, 0],
    ['AI_REFERRALS', 0, ['c6'], ['c6'], null, 1],
    ['DIRECT_TRAFFIC', 30, [], ['c3'], 0, null],
    ['ORGANIC_SEARCH', 150, ['c1', 'c2'], ['c2'], 2 / 150, 0.5],
    ['REFERRALS', 0, ['c7'], [], null, 0],
    [ALL_SOURCES, 180, ['c1', 'c2', 'c4', 'c6', 'c7'], ['c2', 'c3', 'c6'], 5 / 180, 3 / 5],
  ])('%s', (source, visits, created, customers, v2c, c2c) => {
    const r = source === ALL_SOURCES ? funnel.total : row(source);
    expect(r.visits.value).toBe(visits);
    expect(r.contacts.inputs.ids).toEqual(created);
    expect(r.customers.inputs.ids).toEqual(customers);
    expect(r.visitToContactRate.value).toBe(v2c);
    expect(r.contactToCustomerRate.value).toBe(c2c);
  });

  it('says why a rate is unknown', () => {
    expect(getReason(row(NO_SOURCE).visitToContactRate)).toBe('no visits in period');
    expect(getReason(row('DIRECT_TRAFFIC').contactToCustomerRate)).toBe('no contacts created in period');
    expect(funnel.total.visits.inputs.rows).toEqual([
      'ORGANIC_SEARCH@2026-03-01T00:00:00.000Z',
      'ORGANIC_SEARCH@2026-03-02T00:00:00.000Z',
      'DIRECT_TRAFFIC@2026-03-03T00:00:00.000Z',
    ]);
  });

  it('a period without any analytics rows has unknown visits, not 0', () => {
    const april = computeFunnel({
      period: month('2026-04'),
      traffic: points,
      contacts,
      lifecycleChanges: changes,
      lifecycleOrder: DEFAULT_LIFECYCLE_ORDER,
    });
    expect(getReason(april.total.visits)).toBe('no analytics data for period');
    expect(getReason(april.total.visitToContactRate)).toBe('visits unknown: no analytics data for period');
    expect(april.total.contacts.value).toBe(0);
    expect(getReason(april.total.contactToCustomerRate)).toBe('no contacts created in period');
  });

  it('per-source counts add up to the total (property)', () => {
    const sources = ['ORGANIC_SEARCH', 'PAID_SEARCH', 'NEW_THING', '', null];
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            source: fc.constantFrom(...sources),
            created: fc.integer({ min: 0, max: 90 * DAY }),
            customerAfter: fc.option(fc.integer({ min: 0, max: 60 * DAY }), { nil: null }),
            deleted: fc.boolean(),
          }),
          { maxLength: 30 },
        ),
        fc.array(
          fc.record({
            source: fc.constantFrom('ORGANIC_SEARCH', 'DIRECT_TRAFFIC'),
            day: fc.integer({ min: 0, max: 89 }),
            visits: fc.nat(1000),
          }),
          { maxLength: 20 },
        ),
        (raw, rawTraffic) => {
          const base = at('2026-02-01T00:00:00Z');
          const cs = raw.map((r, i) =>
            makeContact({
              id: `c${i}`,
              source: r.source,
              createdAt: base + r.created,
              becameCustomerAt: r.customerAfter === null ? null : base + r.created + r.customerAfter,
              deleted: r.deleted,
            }),
          );
          const tp = rawTraffic.map((t) => ({
            source: t.source,
            periodStart: base + t.day * DAY,
            visits: t.visits,
          }));
          const f = computeFunnel({
            period: month('2026-03'),
            traffic: tp,
            contacts: cs,
            lifecycleChanges: [],
            lifecycleOrder: DEFAULT_LIFECYCLE_ORDER,
          });
          const sum = (pick: (r: (typeof f.bySource)[number]) => number | null) =>
            f.bySource.reduce((acc, r) => acc + (pick(r) ?? 0), 0);
          expect(sum((r) => r.contacts.value)).toBe(f.total.contacts.value);
          expect(sum((r) => r.customers.value)).toBe(f.total.customers.value);
          expect(sum((r) => r.visits.value)).toBe(f.total.visits.value ?? 0);
        },
      ),
    );
  });
});

describe('computeCustomerLifetimeValue', () => {
  const asOf = at('2026-06-30T00:00:00Z');
  const YEAR = 365.25 * DAY;
  // k1 was created before its colleague: k1 is the lead contact of the deals they share.
  const CLV_CONTACTS = ['k1', 'k1-colleague', 'k2', 'k3', 'k4', 'k'].map((id, i) => ({
    id,
    createdAt: asOf - 10 * YEAR + i * DAY,
  }));

  it('seed example from settings: 100 000 × 3 × 3 = 900 000', () => {
    const clv = computeCustomerLifetimeValue({
      contacts: CLV_CONTACTS,
      deals: [],
      pipelines: [DEFAULT_PIPELINE],
      asOf,
      overrides: { averageOrderValue: 100_000, ordersPerYear: 3, yearsAsCustomer: 3 },
    });
    expect(clv.value.value).toBe(900_000);
    expect(clv.averageOrderValue.inputs.overridden).toBe(true);
  });

  // One customer with 9 won orders of 100 000 over the 3 years up to asOf, plus noise.
  const orders: Deal[] = Array.from({ length: 9 }, (_, i) =>
    makeDeal({
      id: `o${i}`,
      stageId: 'closedwon',
      amountHome: 100_000,
      contactIds: ['k1', 'k1-colleague'],
      createdAt: asOf - 3 * YEAR,
      closedAt: asOf - 3 * YEAR + (i * 3 * YEAR) / 9,
    }),
  );
  const noise: Deal[] = [
    makeDeal({
      id: 'no-contact',
      stageId: 'closedwon',
      amountHome: 100_000,
      closedAt: asOf - DAY,
      contactIds: [],
    }),
    makeDeal({
      id: 'usd',
      stageId: 'closedwon',
      amountHome: null,
      currency: 'USD',
      closedAt: asOf - 2 * YEAR,
      contactIds: ['k1'],
    }),
    makeDeal({ id: 'lost', stageId: 'closedlost', amountHome: 5, closedAt: asOf - DAY, contactIds: ['k2'] }),
    makeDeal({
      id: 'deleted',
      stageId: 'closedwon',
      amountHome: 5,
      closedAt: asOf - DAY,
      contactIds: ['k3'],
      deleted: true,
    }),
    makeDeal({ id: 'future', stageId: 'closedwon', amountHome: 5, closedAt: asOf + DAY, contactIds: ['k4'] }),
  ];

  it('measured from won deals: the same 900 000 from raw records', () => {
    const clv = computeCustomerLifetimeValue({
      contacts: CLV_CONTACTS,
      deals: orders,
      pipelines: [DEFAULT_PIPELINE],
      asOf,
    });
    expect(clv.averageOrderValue.value).toBe(100_000);
    expect(clv.yearsAsCustomer.value).toBeCloseTo(3, 9);
    expect(clv.ordersPerYear.value).toBeCloseTo(3, 9);
    expect(clv.value.value).toBeCloseTo(900_000, 3);
    expect(clv.ordersPerYear.inputs).toMatchObject({ overridden: false, customerIds: ['k1'], orders: 9 });
  });

  it('keeps deals without contacts in the order value, reports what it left out, ignores lost/deleted/future', () => {
    const clv = computeCustomerLifetimeValue({
      contacts: CLV_CONTACTS,
      deals: [...orders, ...noise],
      pipelines: [DEFAULT_PIPELINE],
      asOf,
    });
    expect(clv.averageOrderValue.inputs.dealIds).toHaveLength(10);
    expect(clv.averageOrderValue.inputs.excluded).toEqual([
      { id: 'usd', reason: 'no amount in the home currency (deal currency USD)' },
    ]);
    expect(clv.ordersPerYear.inputs.excluded).toEqual([
      { id: 'no-contact', reason: 'won deal without contact' },
    ]);
    expect(clv.ordersPerYear.inputs.orders).toBe(10); // the 9 orders + the USD one, both k1's
    expect(clv.ordersPerYear.inputs.customerIds).toEqual(['k1']);
  });

  it('the customer of a deal with several contacts is the one created first, ties to the lowest id', () => {
    const deals = [
      // Listed first but created later: not the customer.
      makeDeal({
        id: 'a',
        stageId: 'closedwon',
        amountHome: 10,
        closedAt: asOf - YEAR,
        contactIds: ['20', '7'],
      }),
      // Created at the same instant: the lower id (numerically, 9 < 10) is the customer.
      makeDeal({
        id: 'b',
        stageId: 'closedwon',
        amountHome: 10,
        closedAt: asOf - YEAR,
        contactIds: ['10', '9'],
      }),
      // The first-created contact is deleted: it takes no part.
      makeDeal({
        id: 'c',
        stageId: 'closedwon',
        amountHome: 10,
        closedAt: asOf - YEAR,
        contactIds: ['5', '6'],
      }),
    ];
    const contacts = [
      { id: '20', createdAt: asOf - 3 * YEAR },
      { id: '7', createdAt: asOf - 4 * YEAR },
      { id: '10', createdAt: asOf - 2 * YEAR },
      { id: '9', createdAt: asOf - 2 * YEAR },
      { id: '5', createdAt: asOf - 5 * YEAR, deleted: true },
      { id: '6', createdAt: asOf - YEAR },
    ];
    const clv = computeCustomerLifetimeValue({ contacts, deals, pipelines: [DEFAULT_PIPELINE], asOf });
    expect([...clv.ordersPerYear.inputs.customerIds].sort()).toEqual(['6', '7', '9']);
  });

  it('a partial override replaces only that factor', () => {
    const clv = computeCustomerLifetimeValue({
      contacts: CLV_CONTACTS,
      deals: orders,
      pipelines: [DEFAULT_PIPELINE],
      asOf,
      overrides: { ordersPerYear: 2, averageOrderValue: null },
    });
    expect(clv.ordersPerYear.inputs.overridden).toBe(true);
    expect(clv.averageOrderValue.inputs.overridden).toBe(false);
    expect(clv.value.value).toBeCloseTo(100_000 * 2 * 3, 3);
  });

  it('no won deals and no settings: unknown, with the reason', () => {
    const clv = computeCustomerLifetimeValue({
      contacts: CLV_CONTACTS,
      deals: [],
      pipelines: [DEFAULT_PIPELINE],
      asOf,
    });
    expect(getReason(clv.value)).toBe('average order value unknown: no won deals');
    expect(getReason(clv.yearsAsCustomer)).toBe('no won deals');
  });

  it('customers who became customers at asOf have no time yet: orders per year unknown', () => {
    const clv = computeCustomerLifetimeValue({
      contacts: CLV_CONTACTS,
      deals: [makeDeal({ id: 'now', stageId: 'closedwon', closedAt: asOf, contactIds: ['k'] })],
      pipelines: [DEFAULT_PIPELINE],
      asOf,
    });
    expect(getReason(clv.ordersPerYear)).toBe('customers have no time as customers yet');
  });
});

describe('computeLeadsPerCustomer', () => {
  it('seed example: 1.4 % → about 71 leads per customer', () => {
    const r = computeLeadsPerCustomer(0.014);
    expect(r.value).toBeCloseTo(71.428571, 5);
    expect(r.inputs).toEqual({ leadToCustomerRate: 0.014, rateInputs: null });
  });

  it('from a measured rate, keeping its ids', () => {
    const rate = computeRate(['c1'], ['c1', 'c2', 'c3', 'c4'], 'none');
    const r = computeLeadsPerCustomer(rate);
    expect(r.value).toBe(4);
    expect(r.inputs.rateInputs?.denominatorIds).toEqual(['c1', 'c2', 'c3', 'c4']);
  });

  it.each([
    [0, 'no lead became a customer'],
    [computeRate([], ['c1'], 'x'), 'no lead became a customer'],
    [
      makeUnknown('no contacts created in period', {
        numerator: 0,
        denominator: 0,
        numeratorIds: [],
        denominatorIds: [],
      }),
      'lead-to-customer rate unknown: no contacts created in period',
    ],
  ])('unknown for %o', (rate, reason) => {
    expect(getReason(computeLeadsPerCustomer(rate))).toBe(reason);
  });
});
