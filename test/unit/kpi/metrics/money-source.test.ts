import {
  explainMissingAmount,
  partitionByAmount,
  resolveHomeAmount,
} from '../../../../src/kpi/models/metrics/money';
import { NO_SOURCE, groupBySource, toSourceBucket } from '../../../../src/kpi/models/metrics/source';
import { makeDeal } from './fixtures';

describe('resolveHomeAmount', () => {
  const single = { homeCurrency: 'EUR', multiCurrency: false };
  const multi = { homeCurrency: 'EUR', multiCurrency: true };
  it.each([
    ['home-currency amount wins', { amountInHomeCurrency: 900, amount: 1000, currency: 'USD' }, multi, 900],
    [
      'single-currency portal falls back to amount',
      { amountInHomeCurrency: null, amount: 1000, currency: null },
      single,
      1000,
    ],
    [
      'multi-currency, deal in home currency',
      { amountInHomeCurrency: null, amount: 1000, currency: 'eur' },
      multi,
      1000,
    ],
    [
      'multi-currency, foreign deal without conversion',
      { amountInHomeCurrency: null, amount: 1000, currency: 'USD' },
      multi,
      null,
    ],
    [
      'multi-currency, no currency code',
      { amountInHomeCurrency: null, amount: 1000, currency: null },
      multi,
      null,
    ],
    ['no amount at all', { amountInHomeCurrency: null, amount: null, currency: 'EUR' }, single, null],
    [
      'non-finite values are not amounts',
      { amountInHomeCurrency: Number.NaN, amount: Number.NaN, currency: 'EUR' },
      single,
      null,
    ],
  ])('%s', (_name, raw, settings, expected) => {
    expect(resolveHomeAmount(raw, settings)).toBe(expected);
  });

  it('never sums what it cannot express in the home currency; reports it instead', () => {
    const deals = [
      makeDeal({ id: 'd1', amountHome: 100 }),
      makeDeal({ id: 'd2', amountHome: null, currency: 'USD' }),
      makeDeal({ id: 'd3', amountHome: 0 }),
      makeDeal({ id: 'd4', amountHome: null, currency: null }),
    ];
    const { amounts, excluded } = partitionByAmount(deals);
    expect(amounts).toEqual([
      { id: 'd1', value: 100 },
      { id: 'd3', value: 0 },
    ]);
    expect(excluded).toEqual([
      { id: 'd2', reason: 'no amount in the home currency (deal currency USD)' },
      { id: 'd4', reason: 'no amount in the home currency' },
    ]);
    expect(explainMissingAmount(deals[0]!)).toBeNull();
  });
});

describe('source buckets', () => {
  it.each<[string | null | undefined, string]>([
    ['ORGANIC_SEARCH', 'ORGANIC_SEARCH'],
    ['AI_REFERRALS', 'AI_REFERRALS'],
    ['SOMETHING_HUBSPOT_ADDS_LATER', 'SOMETHING_HUBSPOT_ADDS_LATER'],
    ['organic_search', 'organic_search'], // kept as it comes, not normalised
    ['', NO_SOURCE],
    ['  ', NO_SOURCE],
    [null, NO_SOURCE],
    [undefined, NO_SOURCE],
  ])('%j → %s', (source, bucket) => {
    expect(toSourceBucket(source)).toBe(bucket);
  });

  it('groups without dropping anything', () => {
    const groups = groupBySource(['A', null, 'A', 'B'], (s) => s);
    expect([...groups.entries()]).toEqual([
      ['A', ['A', 'A']],
      [NO_SOURCE, [null]],
      ['B', ['B']],
    ]);
  });
});
