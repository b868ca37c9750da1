import fc from 'fast-check';

import type { AggregatedPath, Conversion, Credit } from '../../../../src/kpi/models/attribution';
import {
  ATTRIBUTION_MODELS,
  attributeConversions,
  buildMarkovModelFromPaths,
  selectCountedTouches,
  sumCreditsByChannel,
  toCents,
} from '../../../../src/kpi/models/attribution';
import { DAY, T0 } from './builders';

const channel = fc.constantFrom(
  'ORGANIC_SEARCH',
  'PAID_SEARCH',
  'EMAIL_MARKETING',
  'DIRECT_TRAFFIC',
  'REFERRALS',
);
// Half-day steps make ties (same instant) and touches exactly at a key moment frequent.
const instant = fc.oneof(
  fc.integer({ min: 0, max: 24 }).map((halfDays) => T0 + (halfDays * DAY) / 2),
  fc.integer({ min: 0, max: 12 * DAY }).map((ms) => T0 + ms),
);

const touches = fc.uniqueArray(
  fc.record({ id: fc.string({ minLength: 1, maxLength: 3 }), at: instant, channel }),
  {
    selector: (t) => t.id,
    maxLength: 9,
  },
);

const conversionArb: fc.Arbitrary<Conversion> = fc
  .record({
    id: fc.uuid(),
    kind: fc.constantFrom('contact_create', 'deal_create', 'revenue'),
    cents: fc.integer({ min: 0, max: 100_000_000 }),
    count: fc.option(fc.double({ min: 0, max: 1000, noNaN: true }), { nil: undefined }),
    convertedAt: instant,
    contactCreatedAt: fc.option(instant, { nil: undefined }),
    dealCreatedAt: fc.option(instant, { nil: undefined }),
    touches,
  })
  .map(({ cents, count, ...c }) => ({ ...c, value: c.kind === 'revenue' ? cents / 100 : count }));

const batch = fc.array(conversionArb, { minLength: 1, maxLength: 25 });

function groupByConversionAndModel(credits: readonly Credit[]): Map<string, Credit[]> {
  const groups = new Map<string, Credit[]>();
  for (const c of credits) {
    const key = `${c.conversionId}\u0000${c.model}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [c]);
    else group.push(c);
  }
  return groups;
}

describe('attribution properties', () => {
  it('credits of each conversion and model sum to its value (to the cent for money), shares to 1', () => {
    fc.assert(
      fc.property(batch, (conversions) => {
        const byId = new Map(conversions.map((c) => [c.id, c]));
        const groups = groupByConversionAndModel(attributeConversions(conversions));
        expect(groups.size).toBe(conversions.length * ATTRIBUTION_MODELS.length);
        for (const credits of groups.values()) {
          const conversion = byId.get(credits[0]!.conversionId)!;
          const value = conversion.value ?? 1;
          const shareSum = credits.reduce((s, c) => s + c.share, 0);
          const outOfRange = credits.filter((c) => !(c.share >= 0 && c.share <= 1));
          // Thousands of credits per run: one expect per group keeps the property fast.
          const problems: string[] = [];
          if (Math.abs(shareSum - 1) > 1e-9) problems.push(`shares sum to ${shareSum}`);
          if (outOfRange.length > 0)
            problems.push(`shares out of [0, 1]: ${outOfRange.map((c) => c.share).join()}`);
          if (conversion.kind === 'revenue') {
            const cents = credits.map((c) => c.credit * 100);
            if (cents.some((c) => Math.abs(c - Math.round(c)) > 1e-6))
              problems.push(`not whole cents: ${cents.join()}`);
            const total = cents.reduce((s, c) => s + Math.round(c), 0);
            if (total !== toCents(value)) problems.push(`${total} cents for a value of ${value}`);
          } else {
            const total = credits.reduce((s, c) => s + c.credit, 0);
            if (Math.abs(total - value) > 1e-9 * Math.max(1, value))
              problems.push(`credits ${total} for a value of ${value}`);
          }
          expect(problems).toEqual([]);
        }
      }),
    );
  });

  it('every model has one credit per counted touch, or one (no touch) credit', () => {
    fc.assert(
      fc.property(conversionArb, (conversion) => {
        const counted = selectCountedTouches(conversion);
        const credits = attributeConversions([conversion]);
        for (const model of ATTRIBUTION_MODELS) {
          const mine = credits.filter((c) => c.model === model);
          if (counted.length === 0) expect(mine.map((c) => c.touchId)).toEqual([null]);
          else expect(mine.map((c) => c.touchId)).toEqual(counted.map((t) => t.id));
        }
      }),
    );
  });

  it("every model's channel totals sum to the same grand total", () => {
    fc.assert(
      fc.property(batch, (conversions) => {
        const grandTotal = conversions.reduce(
          (s, c) => s + (c.kind === 'revenue' ? toCents(c.value ?? 1) / 100 : (c.value ?? 1)),
          0,
        );
        const totals = sumCreditsByChannel(attributeConversions(conversions));
        expect(totals.size).toBe(ATTRIBUTION_MODELS.length);
        for (const byChannel of totals.values()) {
          const sum = [...byChannel.values()].reduce((s, v) => s + v, 0);
          expect(Math.abs(sum - grandTotal)).toBeLessThanOrEqual(1e-6 * Math.max(1, grandTotal));
        }
      }),
    );
  });

  it('first and last touch credit the earliest and latest counted touch (original and latest source)', () => {
    fc.assert(
      fc.property(conversionArb, (conversion) => {
        const counted = conversion.touches
          .filter((t) => t.at <= conversion.convertedAt)
          .sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        fc.pre(counted.length > 0);
        const credits = attributeConversions([conversion], { models: ['first_touch', 'last_touch'] });
        const winner = (model: string) => credits.find((c) => c.model === model && c.share === 1)!;
        expect(winner('first_touch').touchId).toBe(counted[0]!.id);
        expect(winner('last_touch').touchId).toBe(counted[counted.length - 1]!.id);
      }),
    );
  });

  it('does not depend on the order of the input touches', () => {
    const withShuffle = conversionArb.chain((conversion) =>
      fc
        .shuffledSubarray([...conversion.touches], {
          minLength: conversion.touches.length,
          maxLength: conversion.touches.length,
        })
        .map((shuffled) => [conversion, shuffled] as const),
    );
    fc.assert(
      fc.property(withShuffle, ([conversion, shuffled]) => {
        const models = ATTRIBUTION_MODELS.filter((m) => m !== 'markov');
        expect(attributeConversions([{ ...conversion, touches: shuffled }], { models })).toEqual(
          attributeConversions([conversion], { models }),
        );
      }),
    );
  });
});

describe('Markov chain properties', () => {
  const pathArb: fc.Arbitrary<AggregatedPath> = fc.record({
    path: fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), { minLength: 1, maxLength: 7 }),
    conversions: fc.integer({ min: 0, max: 20 }),
    value: fc.double({ min: 0, max: 1000, noNaN: true }),
    nulls: fc.integer({ min: 0, max: 40 }),
  });
  const population = fc.array(pathArb, { minLength: 1, maxLength: 30 });

  it('removal effects are in [0, 1] and channel totals sum to the totals', () => {
    fc.assert(
      fc.property(population, (paths) => {
        const model = buildMarkovModelFromPaths(paths);
        const conversions = paths.reduce((s, p) => s + p.conversions, 0);
        const value = paths.reduce((s, p) => s + p.value, 0);
        for (const c of model.channels) {
          expect(c.removalEffect).toBeGreaterThanOrEqual(0);
          expect(c.removalEffect).toBeLessThanOrEqual(1);
        }
        const sum = (key: 'conversions' | 'value') => model.channels.reduce((s, c) => s + c[key], 0);
        if (conversions > 0) {
          expect(sum('conversions')).toBeCloseTo(conversions, 9);
          expect(sum('value')).toBeCloseTo(value, 9);
        } else {
          expect(sum('conversions')).toBe(0);
        }
      }),
    );
  });

  it('matches an iterated solve (value iteration to a fixed point) to 1e-9', () => {
    fc.assert(
      fc.property(population, (paths) => {
        const model = buildMarkovModelFromPaths(paths);
        const iterated = iterateRemovalEffects(paths);
        for (const c of model.channels)
          expect(Math.abs(c.removalEffect - iterated.get(c.channel)!)).toBeLessThan(1e-9);
      }),
    );
  });
});

/**
 * Independent, naive reference: transition probabilities from collapsed paths, absorption
 * probabilities by repeated substitution x ← Q x + r until nothing moves.
 */
function iterateRemovalEffects(paths: readonly AggregatedPath[]): Map<string, number> {
  const counts = new Map<string, Map<string, number>>();
  const bump = (from: string, to: string, n: number) => {
    const row = counts.get(from) ?? new Map<string, number>();
    row.set(to, (row.get(to) ?? 0) + n);
    counts.set(from, row);
  };
  for (const p of paths) {
    const collapsed = p.path.filter((c, i) => i === 0 || p.path[i - 1] !== c);
    const journeys = p.conversions + p.nulls;
    ['(start)', ...collapsed].forEach((from, i) => {
      if (i < collapsed.length) bump(from, collapsed[i]!, journeys);
    });
    bump(collapsed[collapsed.length - 1]!, '(conversion)', p.conversions);
    bump(collapsed[collapsed.length - 1]!, '(null)', p.nulls);
  }
  const channels = [...new Set(paths.flatMap((p) => p.path))];
  const solve = (removed: string | undefined): number => {
    const x = new Map<string, number>([['(conversion)', 1]]);
    for (let iteration = 0; iteration < 1_000_000; iteration++) {
      let moved = 0;
      for (const [from, row] of counts) {
        if (from === removed) continue;
        let total = 0;
        let reach = 0;
        for (const [to, n] of row) {
          total += n;
          if (to !== removed) reach += n * (x.get(to) ?? 0);
        }
        const next = total > 0 ? reach / total : 0;
        moved = Math.max(moved, Math.abs(next - (x.get(from) ?? 0)));
        x.set(from, next);
      }
      if (moved < 1e-15) break;
    }
    return x.get('(start)') ?? 0;
  };
  const base = solve(undefined);
  return new Map(channels.map((c) => [c, base > 0 ? Math.max(0, 1 - solve(c) / base) : 0]));
}
