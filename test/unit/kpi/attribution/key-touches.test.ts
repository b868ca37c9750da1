import {
  compareTouches,
  findKeyTouches,
  findLastTouchAtOrBefore,
  selectCountedTouches,
} from '../../../../src/kpi/models/attribution';
import { conversion, DAY, T0, touch } from './builders';

describe('selectCountedTouches', () => {
  it('keeps touches at or before the conversion, ordered by time then id', () => {
    const c = conversion('revenue', 5, [
      touch('z', 1),
      touch('late', 5.001),
      touch('b', 0),
      touch('a', 1),
      touch('at', 5),
    ]);
    expect(selectCountedTouches(c).map((t) => t.id)).toEqual(['b', 'a', 'z', 'at']);
  });

  it('compares ids by code unit, not locale (upper case before lower case)', () => {
    const sorted = [touch('b', 0), touch('B', 0), touch('a', 0), touch('A', 0)].sort(compareTouches);
    expect(sorted.map((t) => t.id)).toEqual(['A', 'B', 'a', 'b']);
  });

  it('does not modify the input', () => {
    const touches = [touch('b', 1), touch('a', 0)];
    selectCountedTouches(conversion('revenue', 5, touches));
    expect(touches.map((t) => t.id)).toEqual(['b', 'a']);
  });
});

describe('findLastTouchAtOrBefore', () => {
  const touches = [touch('a', 0), touch('b', 1), touch('c', 1), touch('d', 2)];
  it.each([
    [undefined, undefined],
    [T0 - 1, undefined],
    [T0, 0],
    [T0 + DAY - 1, 0],
    [T0 + DAY, 2],
    [T0 + 1.5 * DAY, 2],
    [T0 + 2 * DAY, 3],
    [T0 + 10 * DAY, 3],
  ])('at %p → index %p', (moment, expected) => {
    expect(findLastTouchAtOrBefore(touches, moment)).toBe(expected);
  });
});

describe('findKeyTouches', () => {
  const four = [touch('a', 0), touch('b', 1), touch('c', 2), touch('d', 3)];
  it.each([
    [
      'contact creation: lead defaults to the conversion',
      conversion('contact_create', 3, four),
      { first: 0, last: 3, leadCreation: 3 },
    ],
    [
      'contact creation: explicit contact date',
      conversion('contact_create', 3, four, { contactDay: 1 }),
      { first: 0, last: 3, leadCreation: 1 },
    ],
    [
      'contact creation ignores a deal date',
      conversion('contact_create', 3, four, { contactDay: 1, dealDay: 2 }),
      { first: 0, last: 3, leadCreation: 1 },
    ],
    [
      'deal creation: deal defaults to the conversion',
      conversion('deal_create', 3, four, { contactDay: 1 }),
      { first: 0, last: 3, leadCreation: 1, dealCreation: 3 },
    ],
    [
      'deal creation without contact date: no lead role',
      conversion('deal_create', 2.5, four),
      { first: 0, last: 2, dealCreation: 2 },
    ],
    [
      'revenue: closed-won is the last touch',
      conversion('revenue', 9, four, { contactDay: 1.5, dealDay: 2 }),
      { first: 0, last: 3, leadCreation: 1, dealCreation: 2, closedWon: 3 },
    ],
    [
      'revenue without dates: first, last, closed-won',
      conversion('revenue', 9, four),
      { first: 0, last: 3, closedWon: 3 },
    ],
    [
      'contact created before every touch: no lead role',
      conversion('revenue', 9, four, { contactDay: -1 }),
      { first: 0, last: 3, closedWon: 3 },
    ],
  ])('%s', (_name, c, expected) => {
    expect(findKeyTouches(c, selectCountedTouches(c))).toEqual(expected);
  });

  it('has no roles without touches', () => {
    expect(findKeyTouches(conversion('revenue', 1, []), [])).toEqual({});
  });
});
