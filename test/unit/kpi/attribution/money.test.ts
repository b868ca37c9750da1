import { allocateCents, splitValue, toCents } from '../../../../src/kpi/models/attribution';

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
