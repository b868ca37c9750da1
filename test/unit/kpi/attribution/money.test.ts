import {
  allocateCents,
  assertExactCents,
  attributeConversions,
  MAX_EXACT_AMOUNT,
  MAX_EXACT_CENTS,
  splitValue,
  toCents,
} from '../../../../src/kpi/models/attribution';

describe('toCents', () => {
  it.each([
    [12000.5, 1200050],
    [1.005, 101],
    [-1.005, -101],
    [0.1 + 0.2, 30],
    [1.234999, 123],
    [0.004, 0],
    [-0.004, 0],
    [19121.2723557987, 1912127],
  ])('%p → %p cents', (amount, cents) => {
    expect(Object.is(toCents(amount), cents)).toBe(true);
  });
});

describe('allocateCents', () => {
  it.each([
    [[1 / 3, 1 / 3, 1 / 3], 10000, [3334, 3333, 3333]],
    [[0.2, 0.2, 0.6], 2, [0, 0, 2]],
    [[0.25, 0.75], 101, [25, 76]],
    [[0.5, 0.5], 1, [1, 0]],
    [[1], 0, [0]],
    [[0.6, 0.3, 0.1], 100, [60, 30, 10]],
    [[1 / 3, 2 / 3], -100, [-33, -67]],
    [[], 100, []],
  ])('%j of %p → %j', (shares, total, expected) => {
    expect(allocateCents(shares, total)).toEqual(expected);
  });

  it('does not lose a cent to float noise', () => {
    // 0.7 × 1000 = 699.9999999999999 in binary floating point.
    expect(allocateCents([0.7, 0.3], 1000)).toEqual([700, 300]);
  });
});

describe('splitValue', () => {
  it('rounds money to the cent and sums exactly', () => {
    expect(splitValue([1 / 3, 1 / 3, 1 / 3], 0.1, true)).toEqual([0.04, 0.03, 0.03]);
  });

  it('leaves counts unrounded', () => {
    expect(splitValue([0.25, 0.75], 1, false)).toEqual([0.25, 0.75]);
  });
});

describe('the exact money range', () => {
  it('rounds from the shortest decimal form up to the bound, exactly', () => {
    expect(toCents(12345678901234.56)).toBe(1234567890123456);
    expect(toCents(70368744177663.99)).toBe(MAX_EXACT_CENTS);
    expect(toCents(-70368744177663.99)).toBe(-MAX_EXACT_CENTS);
    expect(MAX_EXACT_AMOUNT).toBe(70368744177663.99);
  });

  it.each([70368744177664, 2e14, 1e20, Number.MAX_VALUE, Infinity, NaN])(
    'refuses %p rather than round it',
    (amount) => {
      expect(() => toCents(amount)).toThrow(RangeError);
    },
  );

  it('credits the largest exact amount to the cent', () => {
    expect(splitValue([0.5, 0.5], 70368744177663.99, true)).toEqual([35184372088832, 35184372088831.99]);
  });

  it('assertExactCents refuses a total beyond the bound, naming it', () => {
    expect(() => assertExactCents(MAX_EXACT_CENTS, 'total')).not.toThrow();
    expect(() => assertExactCents(MAX_EXACT_CENTS + 1, 'revenue total of X')).toThrow(
      /revenue total of X .* beyond the exact money range of ±70368744177663\.99/,
    );
  });
});

describe('attributeConversions', () => {
  it('refuses a duplicate conversion id, whose credits would merge', () => {
    const c = { id: 'd1', kind: 'deal_create' as const, convertedAt: 0, touches: [] };
    expect(() => attributeConversions([c, { ...c, kind: 'revenue' }], { models: ['linear'] })).toThrow(
      /duplicate conversion id "d1"/,
    );
  });
});
