import type { AttributionModel, Conversion } from '../../../../src/kpi/models/attribution';
import {
  attributeConversion,
  buildShapleyModel,
  NO_TOUCH_CHANNEL,
} from '../../../../src/kpi/models/attribution';
import { conversion, creditsOf, expectShares, sharesOf, touch } from './builders';

// Markov needs a chain; these cases give it one with equal removal effects so that it is defined
// and the other models can be read from the same call.
const flatMarkov = { removalEffects: new Map<string, number>() };
// Likewise an empty Shapley game: every value 0, so equal shares per channel.
const emptyGame = buildShapleyModel({ sets: new Map() });
const attribute = (c: Conversion) => attributeConversion(c, { markov: flatMarkov, shapley: emptyGame });

// Touch days for a five-touch journey: contact created on day 2 (t2), deal on day 4 (t4), won day 10.
const five = [touch('t1', 0), touch('t2', 1), touch('t3', 2.5), touch('t4', 3), touch('t5', 5)];
const revenue5 = conversion('revenue', 10, five, { contactDay: 2, dealDay: 4 });

type Case = [string, Conversion, AttributionModel, Record<string, number>];

const cases: Case[] = [
  // Spec examples.
  [
    'U, two touches → 50/50',
    conversion('contact_create', 5, [touch('a', 0), touch('b', 1)]),
    'u_shaped',
    { a: 0.5, b: 0.5 },
  ],
  ['U, one touch → 100 %', conversion('contact_create', 5, [touch('a', 0)]), 'u_shaped', { a: 1 }],
  [
    'J, two touches → 25/75',
    conversion('contact_create', 5, [touch('a', 0), touch('b', 1)]),
    'j_shaped',
    { a: 0.25, b: 0.75 },
  ],
  // One rule per model on the five-touch revenue journey.
  ['first touch', revenue5, 'first_touch', { t1: 1, t2: 0, t3: 0, t4: 0, t5: 0 }],
  ['last touch', revenue5, 'last_touch', { t1: 0, t2: 0, t3: 0, t4: 0, t5: 1 }],
  ['linear', revenue5, 'linear', { t1: 0.2, t2: 0.2, t3: 0.2, t4: 0.2, t5: 0.2 }],
  [
    'U: first t1, lead t2, rest t3–t5',
    revenue5,
    'u_shaped',
    { t1: 0.4, t2: 0.4, t3: 0.2 / 3, t4: 0.2 / 3, t5: 0.2 / 3 },
  ],
  [
    'W: first, lead t2, deal t4, rest t3 t5',
    revenue5,
    'w_shaped',
    { t1: 0.3, t2: 0.3, t3: 0.05, t4: 0.3, t5: 0.05 },
  ],
  [
    'full path: closed-won is t5, rest t3',
    revenue5,
    'full_path',
    { t1: 0.225, t2: 0.225, t3: 0.1, t4: 0.225, t5: 0.225 },
  ],
  [
    'J: 20 first, 60 last, 20 rest',
    revenue5,
    'j_shaped',
    { t1: 0.2, t2: 0.2 / 3, t3: 0.2 / 3, t4: 0.2 / 3, t5: 0.6 },
  ],
  [
    'inverse J: 60 first, 20 last',
    revenue5,
    'inverse_j',
    { t1: 0.6, t2: 0.2 / 3, t3: 0.2 / 3, t4: 0.2 / 3, t5: 0.2 },
  ],
  [
    'inverse J, two touches → 75/25',
    conversion('contact_create', 5, [touch('a', 0), touch('b', 1)]),
    'inverse_j',
    { a: 0.75, b: 0.25 },
  ],
  // Key roles on the same touch: the touch gets the sum.
  [
    'full path, lead creation on the first touch: 22.5 + 22.5',
    conversion('revenue', 10, five, { contactDay: 0.5, dealDay: 4 }),
    'full_path',
    { t1: 0.45, t2: 0.05, t3: 0.05, t4: 0.225, t5: 0.225 },
  ],
  [
    'W, one touch holding every role → 100 %',
    conversion('revenue', 10, [touch('a', 0)], { contactDay: 1, dealDay: 2 }),
    'w_shaped',
    { a: 1 },
  ],
  [
    'W, lead and deal creation on the same touch',
    conversion('revenue', 10, [touch('a', 0), touch('b', 1), touch('c', 2)], {
      contactDay: 1.5,
      dealDay: 1.5,
    }),
    'w_shaped',
    { a: 0.3, b: 0.6, c: 0.1 },
  ],
  // Missing roles: the unassigned share is spread in proportion.
  [
    'W, no deal creation date: 0.3 unassigned → 0.3, 0.3, 0.05, 0.05 over 0.7',
    conversion('revenue', 10, [touch('a', 0), touch('b', 1), touch('c', 2), touch('d', 3)], {
      contactDay: 1,
    }),
    'w_shaped',
    { a: 0.3 / 0.7, b: 0.3 / 0.7, c: 0.05 / 0.7, d: 0.05 / 0.7 },
  ],
  [
    'U, contact created before every touch: no lead creation → 0.4, 0.1, 0.1 over 0.6',
    conversion('revenue', 10, [touch('a', 1), touch('b', 2), touch('c', 3)], { contactDay: 0 }),
    'u_shaped',
    { a: 2 / 3, b: 1 / 6, c: 1 / 6 },
  ],
  [
    'W, no rest touches: 0.1 unassigned → thirds',
    conversion('revenue', 10, [touch('a', 0), touch('b', 1), touch('c', 2)], { contactDay: 1, dealDay: 2 }),
    'w_shaped',
    { a: 1 / 3, b: 1 / 3, c: 1 / 3 },
  ],
  [
    'full path, every role on one of two touches: 0.225 vs 0.675, rest unassigned',
    conversion('revenue', 10, [touch('a', 0), touch('b', 1)], { contactDay: 1, dealDay: 1 }),
    'full_path',
    { a: 0.25, b: 0.75 },
  ],
  // Conversion kinds.
  [
    'contact creation: W falls back to U (lead creation defaults to the conversion)',
    conversion('contact_create', 3, [touch('a', 0), touch('b', 1), touch('c', 2)]),
    'w_shaped',
    { a: 0.4, b: 0.2, c: 0.4 },
  ],
  [
    'contact creation: full path falls back to U',
    conversion('contact_create', 3, [touch('a', 0), touch('b', 1), touch('c', 2)], { dealDay: 1 }),
    'full_path',
    { a: 0.4, b: 0.2, c: 0.4 },
  ],
  [
    'deal creation: W uses first, lead, deal (deal creation defaults to the conversion)',
    conversion('deal_create', 4, [touch('a', 0), touch('b', 1), touch('c', 2), touch('d', 3)], {
      contactDay: 1,
    }),
    'w_shaped',
    { a: 0.3, b: 0.3, c: 0.1, d: 0.3 },
  ],
  [
    'deal creation: full path falls back to W (no closed-won role)',
    conversion('deal_create', 4, [touch('a', 0), touch('b', 1), touch('c', 2), touch('d', 3)], {
      contactDay: 1,
    }),
    'full_path',
    { a: 0.3, b: 0.3, c: 0.1, d: 0.3 },
  ],
  [
    'revenue without contact or deal dates: full path has first and closed-won only',
    conversion('revenue', 10, [touch('a', 0), touch('b', 1), touch('c', 2)]),
    'full_path',
    { a: 0.225 / 0.55, b: 0.1 / 0.55, c: 0.225 / 0.55 },
  ],
  // Ordering.
  [
    'ties at the same instant are broken by id',
    conversion('contact_create', 5, [touch('b', 1), touch('a', 1), touch('c', 0)]),
    'last_touch',
    { c: 0, a: 0, b: 1 },
  ],
  [
    'touches after the conversion are ignored',
    conversion('contact_create', 5, [touch('a', 1), touch('late', 6), touch('b', 5)]),
    'linear',
    { a: 0.5, b: 0.5 },
  ],
  [
    'a touch at the conversion instant counts and is last',
    conversion('contact_create', 5, [touch('a', 5), touch('b', 4)]),
    'last_touch',
    { b: 0, a: 1 },
  ],
  // Time decay: 2^(−Δt / 7 days) with fractional days.
  [
    'time decay: 7, 3.5 and 0 days before → 0.5, 2^−0.5, 1 normalised',
    conversion('contact_create', 10, [touch('a', 3), touch('b', 6.5), touch('c', 10)]),
    'time_decay',
    { a: 0.5 / (1.5 + Math.SQRT1_2), b: Math.SQRT1_2 / (1.5 + Math.SQRT1_2), c: 1 / (1.5 + Math.SQRT1_2) },
  ],
  [
    'time decay: 1 hour is 1/168 of a half-life',
    conversion('contact_create', 1, [touch('a', 1 - 1 / 24), touch('b', 1)]),
    'time_decay',
    { a: 2 ** (-1 / 168) / (1 + 2 ** (-1 / 168)), b: 1 / (1 + 2 ** (-1 / 168)) },
  ],
  [
    'time decay: touches years old do not underflow to 0/0',
    conversion('contact_create', 20_000, [touch('a', 0), touch('b', 7)]),
    'time_decay',
    { a: 1 / 3, b: 2 / 3 },
  ],
  [
    'time decay: equal times share equally',
    conversion('contact_create', 10, [touch('a', 2), touch('b', 2)]),
    'time_decay',
    { a: 0.5, b: 0.5 },
  ],
];

describe('attributeConversion: shares per model', () => {
  it.each(cases)('%s', (_name, c, model, expected) => {
    expectShares(sharesOf(attribute(c), model), expected);
  });
});

describe('attributeConversion: edge cases', () => {
  it('credits a conversion without touches to (no touch) under every model, never dropping it', () => {
    const credits = attribute(conversion('revenue', 10, [], { value: 99.99 }));
    expect(credits).toHaveLength(11);
    for (const credit of credits) {
      expect(credit).toEqual(
        expect.objectContaining({ touchId: null, channel: NO_TOUCH_CHANNEL, share: 1, credit: 99.99 }),
      );
    }
  });

  it('treats a conversion whose touches are all later as having none', () => {
    const credits = attribute(conversion('contact_create', 1, [touch('a', 2)]));
    expect(credits.map((c) => c.channel)).toEqual(new Array(11).fill(NO_TOUCH_CHANNEL));
  });

  it('gives one credit per counted touch per model, zero shares included, touches in order', () => {
    const credits = attribute(revenue5);
    expect(credits).toHaveLength(55);
    expect(credits.filter((c) => c.model === 'first_touch').map((c) => c.touchId)).toEqual([
      't1',
      't2',
      't3',
      't4',
      't5',
    ]);
  });

  it('computes only the requested models, in the canonical order', () => {
    const credits = attributeConversion(revenue5, { models: ['linear', 'first_touch'] });
    expect([...new Set(credits.map((c) => c.model))]).toEqual(['first_touch', 'linear']);
  });

  it('refuses markov without a chain', () => {
    expect(() => attributeConversion(revenue5)).toThrow(/options.markov/);
  });

  it('refuses shapley without a game', () => {
    expect(() => attributeConversion(revenue5, { models: ['shapley'] })).toThrow(/options.shapley/);
  });

  it('defaults the value to 1 and does not round counts', () => {
    const credits = attribute(conversion('contact_create', 5, [touch('a', 0), touch('b', 1), touch('c', 2)]));
    expect(creditsOf(credits, 'linear')).toEqual({ a: 1 / 3, b: 1 / 3, c: 1 / 3 });
  });

  it('keeps the value of a weighted count unrounded', () => {
    const credits = attribute(
      conversion('deal_create', 5, [touch('a', 0), touch('b', 1), touch('c', 2)], { value: 2.5 }),
    );
    expectShares(creditsOf(credits, 'linear'), { a: 2.5 / 3, b: 2.5 / 3, c: 2.5 / 3 });
  });
});

describe('attributeConversion: money to the cent', () => {
  const three = [touch('a', 0), touch('b', 1), touch('c', 2)];

  it.each([
    [
      '100.00 linear over three: remainder on the first of the tied largest',
      100,
      'linear',
      { a: 33.34, b: 33.33, c: 33.33 },
    ],
    ['0.01 over three', 0.01, 'linear', { a: 0.01, b: 0, c: 0 }],
    ['0.02 J-shaped: 0.004, 0.004, 0.012 → remainder on the 60 %', 0.02, 'j_shaped', { a: 0, b: 0, c: 0.02 }],
    ['12000.50 U-shaped 0.4/0.2/0.4', 12000.5, 'u_shaped', { a: 4800.2, b: 2400.1, c: 4800.2 }],
    [
      '1.005 is rounded to 1.01 first (half away from zero), then split',
      1.005,
      'first_touch',
      { a: 1.01, b: 0, c: 0 },
    ],
    ['0.10 over three: 3 + 3 + 3 cents, 1 left to the largest', 0.1, 'linear', { a: 0.04, b: 0.03, c: 0.03 }],
  ] as const)('%s', (_name, value, model, expected) => {
    const credits = attribute(conversion('revenue', 5, three, { value, contactDay: 2.5 }));
    expect(creditsOf(credits, model)).toEqual(expected);
  });

  it('sums every model to the value exactly, in cents', () => {
    const seven = Array.from({ length: 7 }, (_, i) => touch(`t${i}`, i * 0.37, `CH${i % 3}`));
    const credits = attribute(conversion('revenue', 9, seven, { value: 1234.57, contactDay: 1, dealDay: 2 }));
    for (const model of new Set(credits.map((c) => c.model))) {
      const cents = credits
        .filter((c) => c.model === model)
        .reduce((s, c) => s + Math.round(c.credit * 100), 0);
      expect(cents).toBe(123457);
    }
  });
});
