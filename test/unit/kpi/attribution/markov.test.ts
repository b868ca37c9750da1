import {
  allocateMarkovShares,
  buildMarkovModel,
  buildMarkovModelFromPaths,
  createMarkovAccumulator,
} from '../../../../src/kpi/models/attribution';
import { invertMatrix } from '../../../../src/kpi/models/attribution/linear-solve';
import { touch } from './builders';

const p = (text: string, conversions: number, nulls = 0, value = conversions) => ({
  path: text.split('>'),
  conversions,
  value,
  nulls,
});

function effects(paths: ReturnType<typeof p>[]): Record<string, number> {
  return Object.fromEntries(
    buildMarkovModelFromPaths(paths).channels.map((c) => [c.channel, c.removalEffect]),
  );
}

describe('buildMarkovModel', () => {
  it('solves a hand-computed chain', () => {
    // start→a 2, start→b 1; a→b 1, a→null 1; b→conv 2. P(conv) = 2/3 · 1/2 + 1/3 = 2/3.
    // Without a: 1/3 (effect 1/2); without b: 0 (effect 1). Weights 1/3, 2/3 of 2 conversions.
    const model = buildMarkovModelFromPaths([p('a>b', 1), p('a', 0, 1), p('b', 1)]);
    expect(model.conversionProbability).toBeCloseTo(2 / 3, 14);
    const [a, b] = model.channels;
    expect(a!.channel).toBe('a');
    expect(a!.removalEffect).toBeCloseTo(0.5, 14);
    expect(a!.weight).toBeCloseTo(1 / 3, 14);
    expect(a!.conversions).toBeCloseTo(2 / 3, 14);
    expect(a!.value).toBeCloseTo(2 / 3, 14);
    expect(b!.removalEffect).toBeCloseTo(1, 14);
    expect(b!.conversions).toBeCloseTo(4 / 3, 14);
  });

  it('collapses consecutive repeats of a channel', () => {
    expect(effects([p('a>a>b>b>b', 2, 1), p('b>a>a', 1, 3)])).toEqual(
      effects([p('a>b', 2, 1), p('b>a', 1, 3)]),
    );
  });

  it('keeps repeats that are not consecutive (cycles)', () => {
    // The vignette: A>B>A>B>A, A>B>A, A. Removal effects A = 1, B = 0.5.
    const e = effects([p('A>B>A>B>B>A', 1), p('A>B>B>A>A', 1), p('A>A', 1)]);
    expect(e.A).toBeCloseTo(1, 14);
    expect(e.B).toBeCloseTo(0.5, 14);
  });

  it('counts a path added k times like a path with k journeys, in any order', () => {
    const once = buildMarkovModelFromPaths([p('a>b>c', 3, 2), p('c>a', 1, 4), p('b', 0, 5)]);
    const repeated = buildMarkovModelFromPaths([
      p('b', 0, 5),
      p('c>a', 1, 0),
      ...Array.from({ length: 3 }, () => p('a>b>c', 1, 0)),
      ...Array.from({ length: 4 }, () => p('c>a', 0, 1)),
      p('a>b>c', 0, 2),
    ]);
    const byChannel = (m: typeof once) => new Map(m.channels.map((c) => [c.channel, c.removalEffect]));
    for (const [channel, effect] of byChannel(once))
      expect(byChannel(repeated).get(channel)).toBeCloseTo(effect, 13);
  });

  it('ignores empty paths and lists channels seen only on non-converting paths with zeros', () => {
    const model = buildMarkovModelFromPaths([
      p('a', 2),
      { path: [], conversions: 5, value: 5, nulls: 0 },
      p('z', 0, 3),
    ]);
    expect(model.totalConversions).toBe(2);
    expect(model.channels.map((c) => [c.channel, c.removalEffect, c.conversions])).toEqual([
      ['a', 1, 2],
      ['z', 0, 0],
    ]);
  });

  it('gives zeros, not NaN, without any conversion', () => {
    const model = buildMarkovModelFromPaths([p('a>b', 0, 3)]);
    expect(model.conversionProbability).toBe(0);
    expect(model.channels.every((c) => c.removalEffect === 0 && c.weight === 0 && c.conversions === 0)).toBe(
      true,
    );
  });

  it('rejects negative and non-finite counts', () => {
    const acc = createMarkovAccumulator();
    expect(() => acc.add(['a'], -1, 0, 0)).toThrow(RangeError);
    expect(() => acc.add(['a'], 1, 0, Number.NaN)).toThrow(RangeError);
    expect(() => acc.add(['a'], 1, Number.POSITIVE_INFINITY, 0)).toThrow(RangeError);
  });

  it('snapshots are copies', () => {
    const acc = createMarkovAccumulator();
    acc.add(['a', 'b'], 1, 1, 0);
    const before = acc.snapshot();
    acc.add(['a', 'c'], 1, 1, 0);
    expect(before.channels).toEqual(['a', 'b']);
    expect(buildMarkovModel(before).totalConversions).toBe(1);
  });

  it('keeps memory to distinct transitions: 100 000 adds of two paths hold two rows', () => {
    const acc = createMarkovAccumulator();
    for (let i = 0; i < 100_000; i++) acc.add(i % 2 === 0 ? ['a', 'b'] : ['b', 'a'], 1, 1, 1);
    const snapshot = acc.snapshot();
    expect(snapshot.outgoing.map((row) => row.size)).toEqual([2, 1, 1]);
    expect(snapshot.totalConversions).toBe(100_000);
  });
});

describe('allocateMarkovShares', () => {
  const model = {
    removalEffects: new Map([
      ['A', 1],
      ['B', 0.5],
      ['Z', 0],
    ]),
  };

  it("splits each channel's share equally over its touches", () => {
    const shares = allocateMarkovShares([touch('1', 0, 'A'), touch('2', 1, 'B'), touch('3', 2, 'A')], model);
    expect(shares[0]).toBeCloseTo(1 / 3, 15);
    expect(shares[1]).toBeCloseTo(1 / 3, 15);
    expect(shares[2]).toBeCloseTo(1 / 3, 15);
  });

  it('gives a channel without effect nothing', () => {
    expect(
      allocateMarkovShares([touch('1', 0, 'A'), touch('2', 1, 'Z'), touch('3', 2, 'new')], model),
    ).toEqual([1, 0, 0]);
  });

  it('falls back to linear when no channel on the path has an effect', () => {
    expect(allocateMarkovShares([touch('1', 0, 'Z'), touch('2', 1, 'new')], model)).toEqual([0.5, 0.5]);
  });

  it('returns nothing for no touches', () => {
    expect(allocateMarkovShares([], model)).toEqual([]);
  });
});

describe('invertMatrix', () => {
  it('inverts with pivoting', () => {
    // A zero on the first diagonal entry needs a row swap. A · A⁻¹ must be I.
    const a = [0, 2, 1, 1, 1, 1, 2, 1, 3];
    const inverse = invertMatrix(Float64Array.from(a), 3);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        let sum = 0;
        for (let k = 0; k < 3; k++) sum += a[i * 3 + k]! * inverse[k * 3 + j]!;
        expect(sum).toBeCloseTo(i === j ? 1 : 0, 12);
      }
    }
  });

  it('throws on a singular matrix', () => {
    expect(() => invertMatrix(Float64Array.from([1, 2, 2, 4]), 2)).toThrow(RangeError);
  });
});
