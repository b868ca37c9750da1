import fc from 'fast-check';

import {
  DEFAULT_LIFECYCLE_ORDER,
  computeLifecycleConversions,
  computeStageConversion,
  countContactsAtPeriodEnd,
  countContactsByLifecycleStage,
  findCustomerSince,
} from '../../../../src/kpi/models/metrics/lifecycle';
import { buildLifecycleTimeline } from '../../../../src/kpi/models/metrics/stage-history';
import { getReason } from '../../../../src/kpi/models/metrics/stats';
import type { Contact, LifecycleChange } from '../../../../src/kpi/models/metrics/types';
import { DAY, at, lifecycle, makeContact, month } from './fixtures';

// A portal with a custom stage (numeric id) between lead and MQL.
const ORDER = [
  'subscriber',
  'lead',
  '987654',
  'marketingqualifiedlead',
  'salesqualifiedlead',
  'opportunity',
  'customer',
  'evangelist',
];

const contacts: Contact[] = [
  makeContact({ id: 'a', createdAt: at('2026-02-01T00:00:00Z'), lifecycleStage: 'customer' }),
  makeContact({ id: 'b', createdAt: at('2026-02-01T00:00:00Z'), lifecycleStage: '987654' }),
  makeContact({ id: 'c', createdAt: at('2026-03-05T00:00:00Z'), lifecycleStage: 'other' }),
  makeContact({ id: 'd', createdAt: at('2026-02-01T00:00:00Z'), lifecycleStage: 'lead', deleted: true }),
  // No history at all: holds its current stage since createdate.
  makeContact({ id: 'e', createdAt: at('2026-02-10T00:00:00Z'), lifecycleStage: 'salesqualifiedlead' }),
  // History starts after creation: no stage before it.
  makeContact({ id: 'f', createdAt: at('2026-02-01T00:00:00Z'), lifecycleStage: 'lead' }),
  makeContact({ id: 'g', createdAt: at('2026-04-02T00:00:00Z'), lifecycleStage: 'lead' }),
];
const changes: LifecycleChange[] = [
  // a: lead in Feb, skips straight to customer on 10 March.
  ...lifecycle('a', ['lead', '2026-02-01T00:00:00Z'], ['customer', '2026-03-10T00:00:00Z']),
  // b: lead → custom stage on 31 March 23:59 (still March).
  ...lifecycle('b', ['lead', '2026-02-01T00:00:00Z'], ['987654', '2026-03-31T23:59:00Z']),
  // c: lead → other (not a funnel step).
  ...lifecycle('c', ['lead', '2026-03-05T00:00:00Z'], ['other', '2026-03-20T00:00:00Z']),
  ...lifecycle('d', ['lead', '2026-02-01T00:00:00Z']),
  // f: the value was set late, then cleared.
  ...lifecycle('f', ['lead', '2026-03-15T00:00:00Z'], [null, '2026-04-10T00:00:00Z']),
  ...lifecycle('g', ['lead', '2026-04-02T00:00:00Z']),
];
const data = { contacts, changes, order: ORDER };

describe('counts per lifecycle stage', () => {
  const countsOf = (r: ReturnType<typeof countContactsByLifecycleStage>) =>
    Object.fromEntries(r.byStage.filter((s) => s.count.value! > 0).map((s) => [s.stage, s.count.inputs.ids]));

  it.each<[string, Record<string, string[]>, string[]]>([
    // at, non-empty stages, contacts without a stage
    ['2026-02-28T23:59:59.999Z', { lead: ['a', 'b'], salesqualifiedlead: ['e'] }, ['f']],
    [
      '2026-03-31T23:59:59.999Z',
      { lead: ['f'], '987654': ['b'], salesqualifiedlead: ['e'], customer: ['a'], other: ['c'] },
      [],
    ],
    [
      '2026-04-30T00:00:00Z',
      { lead: ['g'], '987654': ['b'], salesqualifiedlead: ['e'], customer: ['a'], other: ['c'] },
      ['f'],
    ],
  ])('at %s', (instant, expected, without) => {
    const r = countContactsByLifecycleStage({ ...data, at: at(instant) });
    expect(countsOf(r)).toEqual(expected);
    expect(r.withoutStage.inputs.ids).toEqual(without);
  });

  it('lists every stage of the order (0 when empty) and then any other stage met', () => {
    const r = countContactsByLifecycleStage({ ...data, at: at('2026-03-31T23:59:59.999Z') });
    expect(r.byStage.map((s) => s.stage)).toEqual([...ORDER, 'other']);
    expect(r.byStage.find((s) => s.stage === 'evangelist')!.count).toEqual({ value: 0, inputs: { ids: [] } });
  });

  it('period-end counts use the last instant of the period', () => {
    const r = countContactsAtPeriodEnd({ ...data, period: month('2026-03') });
    expect(r.at).toBe(at('2026-04-01T00:00:00Z') - 1);
    expect(r.byStage.find((s) => s.stage === '987654')!.count.inputs.ids).toEqual(['b']);
  });

  it('stage counts plus contacts without a stage equal the contacts that existed (property)', () => {
    const stagesArb = fc.constantFrom<string | null>(...ORDER, 'other', '123', null);
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            created: fc.integer({ min: 0, max: 100 }),
            deleted: fc.boolean(),
            history: fc.array(fc.record({ stage: stagesArb, at: fc.integer({ min: 0, max: 100 }) }), {
              maxLength: 5,
            }),
          }),
          { maxLength: 20 },
        ),
        fc.integer({ min: 0, max: 120 }),
        (raw, t) => {
          const cs = raw.map((r, i) =>
            makeContact({ id: `c${i}`, createdAt: r.created, deleted: r.deleted }),
          );
          const ch = raw.flatMap((r, i) =>
            r.history.map((h) => ({ contactId: `c${i}`, stage: h.stage, at: h.at })),
          );
          const res = countContactsByLifecycleStage({ contacts: cs, changes: ch, order: ORDER, at: t });
          const staged = res.byStage.reduce((a, s) => a + s.count.value!, 0);
          expect(staged + res.withoutStage.value!).toBe(res.total.value);
          expect(res.total.value).toBe(raw.filter((r) => !r.deleted && r.created <= t).length);
        },
      ),
    );
  });
});

describe('stage-to-stage conversion', () => {
  const now = at('2026-06-01T00:00:00Z');

  it('cohort by entry into the first stage, skips count as passing with 0 days', () => {
    const r = computeStageConversion({
      ...data,
      from: '987654',
      to: 'marketingqualifiedlead',
      period: month('2026-03'),
      now,
    });
    // a entered 987654 and MQL at the same moment (skip to customer); b entered 987654 only.
    expect(r.rate.value).toBe(0.5);
    expect(r.rate.inputs).toMatchObject({ numeratorIds: ['a'], denominatorIds: ['a', 'b'] });
    expect(r.medianDays.value).toBe(0);
  });

  it('median time between stages in days', () => {
    const r = computeStageConversion({
      ...data,
      from: 'lead',
      to: 'customer',
      period: month('2026-02'),
      now,
    });
    // e has no history: it sat in salesqualifiedlead since createdate, so it entered lead then.
    expect(r.rate.inputs).toMatchObject({ numeratorIds: ['a'], denominatorIds: ['a', 'b', 'e'] });
    expect(r.medianDays.value).toBe(37); // 1 Feb → 10 March
  });

  it('only history up to now counts', () => {
    const r = computeStageConversion({
      ...data,
      from: 'lead',
      to: 'customer',
      period: month('2026-02'),
      now: at('2026-03-01T00:00:00Z'),
    });
    expect(r.rate.value).toBe(0);
    expect(getReason(r.medianDays)).toBe('no contact went from lead to customer');
  });

  it('an empty cohort is null with a reason', () => {
    const r = computeStageConversion({
      ...data,
      from: 'opportunity',
      to: 'customer',
      period: month('2026-01'),
      now,
    });
    expect(getReason(r.rate)).toBe('no contact entered opportunity in period');
    expect(getReason(r.medianDays)).toBe('no contact entered opportunity in period');
  });

  it('rejects pairs not in order', () => {
    expect(() =>
      computeStageConversion({ ...data, from: 'customer', to: 'lead', period: month('2026-03'), now }),
    ).toThrow(RangeError);
    expect(() =>
      computeStageConversion({ ...data, from: 'lead', to: 'other', period: month('2026-03'), now }),
    ).toThrow(RangeError);
  });

  it('gives one conversion per consecutive pair', () => {
    const list = computeLifecycleConversions({ ...data, period: month('2026-03'), now });
    expect(list.map((c) => `${c.from}>${c.to}`)).toEqual(
      ORDER.slice(0, -1).map((s, i) => `${s}>${ORDER[i + 1]!}`),
    );
  });

  it('never exceeds 100 % and never has negative times (property)', () => {
    const stagesArb = fc.constantFrom<string | null>(...DEFAULT_LIFECYCLE_ORDER, 'other', null);
    fc.assert(
      fc.property(
        fc.array(
          fc.array(fc.record({ stage: stagesArb, at: fc.integer({ min: 0, max: 60 * DAY }) }), {
            maxLength: 6,
          }),
          { maxLength: 15 },
        ),
        fc.integer({ min: 0, max: 40 * DAY }),
        (histories, periodOffset) => {
          const base = at('2026-01-01T00:00:00Z');
          const cs = histories.map((_, i) => makeContact({ id: `c${i}`, createdAt: base }));
          const ch = histories.flatMap((h, i) =>
            h.map((e) => ({ contactId: `c${i}`, stage: e.stage, at: base + e.at })),
          );
          const period = month(new Date(base + periodOffset).toISOString().slice(0, 7));
          for (const conv of computeLifecycleConversions({
            contacts: cs,
            changes: ch,
            order: DEFAULT_LIFECYCLE_ORDER,
            period,
            now: base + 90 * DAY,
          })) {
            if (conv.rate.value !== null) {
              expect(conv.rate.value).toBeGreaterThanOrEqual(0);
              expect(conv.rate.value).toBeLessThanOrEqual(1);
              const cohort = new Set(conv.rate.inputs.denominatorIds);
              for (const id of conv.rate.inputs.numeratorIds) expect(cohort.has(id)).toBe(true);
            }
            for (const s of conv.medianDays.inputs.samples) expect(s.value).toBeGreaterThanOrEqual(0);
          }
        },
      ),
    );
  });
});

describe('findCustomerSince', () => {
  it.each<[string, Partial<Contact>, [string | null, string][], string | null]>([
    [
      'the HubSpot date wins',
      { becameCustomerAt: at('2026-01-05T00:00:00Z') },
      [['customer', '2026-02-01T00:00:00Z']],
      '2026-01-05',
    ],
    [
      'else history',
      {},
      [
        ['lead', '2026-01-01T00:00:00Z'],
        ['customer', '2026-02-01T00:00:00Z'],
      ],
      '2026-02-01',
    ],
    [
      'a skip to evangelist made it a customer then',
      {},
      [
        ['lead', '2026-01-01T00:00:00Z'],
        ['evangelist', '2026-02-03T00:00:00Z'],
      ],
      '2026-02-03',
    ],
    [
      'other is not customer',
      {},
      [
        ['lead', '2026-01-01T00:00:00Z'],
        ['other', '2026-02-03T00:00:00Z'],
      ],
      null,
    ],
    ['never', {}, [['lead', '2026-01-01T00:00:00Z']], null],
  ])('%s', (_name, overrides, history, expected) => {
    const contact = makeContact({ id: 'x', ...overrides });
    const since = findCustomerSince(
      contact,
      buildLifecycleTimeline(contact, lifecycle('x', ...history)),
      DEFAULT_LIFECYCLE_ORDER,
    );
    expect(since === null ? null : new Date(since).toISOString().slice(0, 10)).toBe(expected);
  });
});
