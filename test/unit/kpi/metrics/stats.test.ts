import fc from 'fast-check';

import {
  computeChange,
  computeMean,
  computeMedian,
  computePercentile,
  computeRate,
  countRecords,
  getReason,
  makeKnown,
  makeUnknown,
  summarizeSamples,
} from '../../../../src/kpi/models/metrics/stats';

describe('percentiles (linear interpolation, Excel PERCENTILE.INC)', () => {
  it.each<[number[], number, number | null]>([
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9, 9.1], // nearest-rank would give 9
    [[10, 9, 8, 7, 6, 5, 4, 3, 2, 1], 0.9, 9.1], // order of input does not matter
    [[1, 2, 3, 4], 0.5, 2.5],
    [[1, 2, 3], 0.5, 2],
    [[15, 20, 35, 40, 50], 0.4, 29], // Excel: PERCENTILE.INC({15,20,35,40,50},0.4) = 29
    [[7], 0.9, 7],
    [[3, 1], 0, 1],
    [[3, 1], 1, 3],
    [[], 0.5, null],
  ])('percentile(%j, %d) = %d', (values, p, expected) => {
    const result = computePercentile(values, p);
    if (expected === null) expect(result).toBeNull();
    else expect(result).toBeCloseTo(expected, 12);
  });

  it('rejects a percentile outside [0, 1]', () => {
    expect(() => computePercentile([1], 90)).toThrow(RangeError);
    expect(() => computePercentile([1], Number.NaN)).toThrow(RangeError);
  });

  it('median and mean of nothing are null, never 0', () => {
    expect(computeMedian([])).toBeNull();
    expect(computeMean([])).toBeNull();
    expect(computeMean([1, 2, 6])).toBe(3);
  });

  it('orders min ≤ median ≤ p90 ≤ max and min ≤ mean ≤ max (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 50 }),
        (xs) => {
          const min = Math.min(...xs);
          const max = Math.max(...xs);
          const median = computeMedian(xs)!;
          const p90 = computePercentile(xs, 0.9)!;
          const mean = computeMean(xs)!;
          const eps = 1e-6;
          expect(median).toBeGreaterThanOrEqual(min - eps);
          expect(p90).toBeGreaterThanOrEqual(median - eps);
          expect(max).toBeGreaterThanOrEqual(p90 - eps);
          expect(mean).toBeGreaterThanOrEqual(min - eps);
          expect(max).toBeGreaterThanOrEqual(mean - eps);
        },
      ),
    );
  });
});

describe('KPI results', () => {
  it('summarizes samples and keeps their ids', () => {
    const samples = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((v) => ({ id: `c${v}`, value: v }));
    const s = summarizeSamples(samples, 'none');
    expect(s.count).toBe(10);
    expect(s.mean.value).toBe(5.5);
    expect(s.median.value).toBe(5.5);
    expect(s.p90.value).toBeCloseTo(9.1, 12);
    expect(s.p90.inputs.samples.map((x) => x.id)).toContain('c10');
  });

  it('an empty population is null with the reason, not 0', () => {
    const s = summarizeSamples([], 'no closed deals in period', [{ id: 'd1', reason: 'no amount' }]);
    expect(s.count).toBe(0);
    for (const r of [s.mean, s.median, s.p90]) {
      expect(r.value).toBeNull();
      expect(getReason(r)).toBe('no closed deals in period');
      expect(r.inputs.excluded).toEqual([{ id: 'd1', reason: 'no amount' }]);
    }
  });

  it('counts are facts: 0 is a value', () => {
    expect(countRecords([])).toEqual({ value: 0, inputs: { ids: [] } });
    expect(countRecords(['a', 'b']).value).toBe(2);
  });

  it.each<[string[], string[], number | null]>([
    [['a'], ['a', 'b'], 0.5],
    [[], ['a'], 0],
    [[], [], null],
  ])('rate %j / %j = %s', (num, den, expected) => {
    const r = computeRate(num, den, 'empty');
    expect(r.value).toBe(expected);
    expect(r.inputs).toMatchObject({
      numerator: num.length,
      denominator: den.length,
      numeratorIds: num,
      denominatorIds: den,
    });
    if (expected === null) expect(getReason(r)).toBe('empty');
  });

  it.each<[number | null, number | null, number | null, number | null, string | undefined]>([
    [150, 100, 50, 0.5, undefined],
    [50, 100, -50, -0.5, undefined],
    [5, -10, 15, 1.5, undefined], // relative to |previous|: a rise from a negative base is positive
    [10, 0, 10, null, 'previous period value is 0'],
    [null, 10, null, null, 'current period unknown: x'],
    [10, null, null, null, 'previous period unknown: x'],
  ])('change %s vs %s', (current, previous, absolute, relative, reason) => {
    const wrap = (v: number | null) => (v === null ? makeUnknown('x', {}) : makeKnown(v, {}));
    const change = computeChange(wrap(current), wrap(previous));
    expect(change.absolute.value).toBe(absolute);
    expect(change.relative.value === null ? null : change.relative.value).toBe(relative);
    if (reason !== undefined) expect(getReason(change.relative)).toBe(reason);
    expect(change.absolute.inputs).toEqual({ current, previous });
  });
});
