import { createHeuristicPathAccumulator, parseChannelPath } from '../../../../src/kpi/models/attribution';

describe('createHeuristicPathAccumulator', () => {
  it('counts every touch, repeats included, on the path as given', () => {
    const acc = createHeuristicPathAccumulator();
    acc.add(['a', 'b', 'a', 'a'], 4, 8);
    acc.add(['b'], 1, 10);
    acc.add(['c', 'c'], 0, 0);
    acc.add([], 7, 7);
    expect(Object.fromEntries(acc.summarize())).toEqual({
      a: {
        first_touch: { conversions: 4, value: 8 },
        last_touch: { conversions: 4, value: 8 },
        linear: { conversions: 3, value: 6 },
      },
      b: {
        first_touch: { conversions: 1, value: 10 },
        last_touch: { conversions: 1, value: 10 },
        linear: { conversions: 2, value: 12 },
      },
      c: {
        first_touch: { conversions: 0, value: 0 },
        last_touch: { conversions: 0, value: 0 },
        linear: { conversions: 0, value: 0 },
      },
    });
  });

  it('rejects non-finite numbers', () => {
    expect(() => createHeuristicPathAccumulator().add(['a'], Number.NaN, 0)).toThrow(RangeError);
  });
});

describe('parseChannelPath', () => {
  it.each([
    ['alpha > beta > alpha', ['alpha', 'beta', 'alpha']],
    ['A>B', ['A', 'B']],
    ['  solo ', ['solo']],
    ['paid search > e-mail', ['paid search', 'e-mail']],
    ['a >  > b', undefined],
    ['a >', undefined],
    ['', undefined],
  ])('%p → %j', (text, expected) => {
    expect(parseChannelPath(text)).toEqual(expected);
  });
});
