import fs from 'node:fs';
import path from 'node:path';

import fc from 'fast-check';

import type { Touch } from '../../../../src/kpi/models/attribution';
import {
  allocateShapleyShares,
  attributeConversions,
  buildShapleyModel,
  computeShapleyValues,
  createShapleyAccumulator,
  reportPaths,
  SHAPLEY_MAX_CHANNELS,
} from '../../../../src/kpi/models/attribution';
import { conversion, sharesOf, touch } from './builders';
import { readReferencePaths } from './reference-data';

interface PublishedGame {
  name: string;
  source: string;
  players: string[];
  worth: Record<string, number>;
  expected: number[];
  digits: number;
}

const { games } = JSON.parse(
  fs.readFileSync(path.resolve(__dirname, '../../../fixtures/shapley/published-games.json'), 'utf8'),
) as { games: PublishedGame[] };

/** v(mask) of a published game: coalitions are keyed by their players joined with ',' in player order. */
function worthOf(game: PublishedGame): (mask: number) => number {
  return (mask) => {
    const members = game.players.filter((_, i) => (mask & (1 << i)) !== 0);
    return game.worth[members.join(',')] ?? 0;
  };
}

/** Shapley values by their other definition: the mean marginal contribution over all n! orders. */
function byPermutations(n: number, worth: (mask: number) => number): number[] {
  const phi = new Array<number>(n).fill(0);
  let orders = 0;
  const permute = (order: number[], rest: number[]) => {
    if (rest.length === 0) {
      orders++;
      let mask = 0;
      for (const p of order) {
        phi[p]! += worth(mask | (1 << p)) - worth(mask);
        mask |= 1 << p;
      }
      return;
    }
    rest.forEach((p, i) => permute([...order, p], [...rest.slice(0, i), ...rest.slice(i + 1)]));
  };
  permute(
    [],
    Array.from({ length: n }, (_, i) => i),
  );
  return phi.map((x) => x / orders);
}

describe('computeShapleyValues on published games', () => {
  it('has the games', () => expect(games.length).toBeGreaterThanOrEqual(6));

  it.each(games.map((g) => [g.name, g] as const))('%s', (_name, game) => {
    const phi = computeShapleyValues(game.players.length, worthOf(game));
    phi.forEach((value, i) => expect(value).toBeCloseTo(game.expected[i]!, game.digits));
  });
});

describe('computeShapleyValues', () => {
  it('equals the mean marginal contribution over every order, and sums to v(N) (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }).chain((n) =>
          fc.tuple(
            fc.constant(n),
            fc.array(fc.double({ min: -5, max: 5, noNaN: true }), {
              minLength: 1 << n,
              maxLength: 1 << n,
            }),
          ),
        ),
        ([n, table]) => {
          const worth = (mask: number) => (mask === 0 ? 0 : table[mask]!);
          const phi = computeShapleyValues(n, worth);
          const expected = byPermutations(n, worth);
          phi.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 9));
          expect(phi.reduce((a, b) => a + b, 0)).toBeCloseTo(worth((1 << n) - 1), 9);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('handles no player and refuses more than 20', () => {
    expect(computeShapleyValues(0, () => 0)).toEqual([]);
    expect(() => computeShapleyValues(21, () => 0)).toThrow(RangeError);
  });
});

/** A game from aggregated counts: [channels, conversions, non-conversions]. */
function game(rows: [readonly string[], number, number][]) {
  const acc = createShapleyAccumulator();
  for (const [channels, conversions, nulls] of rows) acc.add(channels, conversions, nulls);
  return buildShapleyModel(acc.snapshot());
}

describe('the Shapley model on hand-computed populations', () => {
  // v(A) = 1/4, v(B) = 2/4, v(AB) = 3/4 (paths A>B and B>A have the same set).
  // φA = ½·v(A) + ½·(v(AB) − v(B)) = 1/8 + 1/8 = 1/4; φB = ½·v(B) + ½·(v(AB) − v(A)) = 1/4 + 1/4 = 1/2.
  // Normalised: A 1/3, B 2/3.
  const model = game([
    [['A'], 1, 3],
    [['B'], 2, 2],
    [['A', 'B'], 2, 1],
    [['B', 'A', 'B'], 1, 0],
  ]);

  it('v(S) is the conversion rate of the paths whose set is exactly S', () => {
    expect(model.worth(['A'])).toBe(0.25);
    expect(model.worth(['B', 'A'])).toBe(0.75);
    expect(model.worth(['C'])).toBe(0);
  });

  it('splits a conversion by the normalised values, then equally over a channel’s touches', () => {
    const touches: Touch[] = [touch('t1', 0, 'A'), touch('t2', 1, 'B'), touch('t3', 2, 'A')];
    const shares = allocateShapleyShares(touches, model);
    expect(shares[0]).toBeCloseTo(1 / 6, 12);
    expect(shares[1]).toBeCloseTo(2 / 3, 12);
    expect(shares[2]).toBeCloseTo(1 / 6, 12);
  });

  it('a path of one channel gives it everything', () => {
    expect(allocateShapleyShares([touch('t1', 0, 'B'), touch('t2', 1, 'B')], model)).toEqual([0.5, 0.5]);
  });

  it('negative values count as 0', () => {
    // v(A) = 0.5, v(B) = 0.1, v(AB) = 0.05: φA = 0.25 − 0.025 = 0.225, φB = 0.05 − 0.225 < 0.
    const m = game([
      [['A'], 5, 5],
      [['B'], 1, 9],
      [['A', 'B'], 1, 19],
    ]);
    expect([...m.sharesOf(['A', 'B'])]).toEqual([
      ['A', 1],
      ['B', 0],
    ]);
  });

  it('all values 0 (nothing converted): equal shares over the path’s channels', () => {
    const m = game([[['A', 'B', 'C'], 0, 4]]);
    const shares = m.sharesOf(['C', 'A', 'B']);
    for (const c of ['A', 'B', 'C']) expect(shares.get(c)).toBeCloseTo(1 / 3, 12);
  });

  it('above 16 channels, the 16 with the most recent touches take part and the rest get 0', () => {
    const channels = Array.from({ length: 18 }, (_, i) => `c${String(i).padStart(2, '0')}`);
    // c00 and c01 are touched first only; c02 … c17 later (c02 twice, once last of all).
    const touches = channels.map((c, i) => touch(`t${i}`, i, c));
    touches.push(touch('t99', 99, 'c02'));
    const shares = allocateShapleyShares(touches, game([[channels.slice(2), 1, 0]]));
    expect(shares[0]).toBe(0);
    expect(shares[1]).toBe(0);
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(SHAPLEY_MAX_CHANNELS).toBe(16);
  });

  it('library: the game comes from the batch, per kind, and credits sum to each value', () => {
    const conversions = [
      conversion('revenue', 10, [touch('a1', 0, 'A'), touch('b1', 1, 'B')], { id: 'd1', value: 100 }),
      conversion('revenue', 10, [touch('a2', 0, 'A')], { id: 'd2', value: 50 }),
    ];
    const credits = attributeConversions(conversions, { models: ['shapley'] });
    // Converting paths only: v(A) = v(AB) = 1, v(B) = 0 → A gets d1 entirely.
    expect(
      sharesOf(
        credits.filter((c) => c.conversionId === 'd1'),
        'shapley',
      ),
    ).toEqual({ a1: 1, b1: 0 });
    expect(credits.filter((c) => c.conversionId === 'd1').map((c) => c.credit)).toEqual([100, 0]);
  });
});

describe('Shapley on the ChannelAttribution reference paths', () => {
  const paths = readReferencePaths();
  const report = reportPaths(paths);

  it('channel totals add up to every conversion and all the value (efficiency)', () => {
    const conversions = report.reduce((s, l) => s + l.shapley.conversions, 0);
    const value = report.reduce((s, l) => s + l.shapley.value, 0);
    expect(conversions).toBeCloseTo(19_785, 6);
    expect(value).toBeCloseTo(74_802.971587, 4);
    for (const line of report) expect(line.shapley.conversions).toBeGreaterThanOrEqual(0);
  });

  it('equals per-path credits computed one path at a time', () => {
    const model = game(paths.map((p) => [p.path, p.conversions, p.nulls]));
    const expected = new Map<string, number>();
    for (const p of paths) {
      if (p.conversions === 0) continue;
      const touches = p.path.map((c, i) => touch(`t${i}`, i, c));
      allocateShapleyShares(touches, model).forEach((share, i) => {
        expected.set(p.path[i]!, (expected.get(p.path[i]!) ?? 0) + share * p.conversions);
      });
    }
    for (const line of report)
      expect(line.shapley.conversions).toBeCloseTo(expected.get(line.channel) ?? 0, 6);
  });
});
