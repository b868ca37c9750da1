import {
  buildMarkovModelFromPaths,
  parseChannelPath,
  reportPaths,
} from '../../../../src/kpi/models/attribution';
import { readCsv, readReferencePaths } from './reference-data';

// Checks against ChannelAttribution 2.1.7 results on its published PathData set
// (test/fixtures/channelattribution/README.md).
describe('ChannelAttribution reference data', () => {
  const paths = readReferencePaths();
  const report = new Map(reportPaths(paths).map((line) => [line.channel, line]));

  it('reads the whole published data set', () => {
    expect(paths).toHaveLength(10_000);
    expect(paths.reduce((s, p) => s + p.conversions, 0)).toBe(19_785);
    expect(paths.reduce((s, p) => s + p.nulls, 0)).toBe(68_602);
    expect(paths.reduce((s, p) => s + p.value, 0)).toBeCloseTo(74_802.971587, 6);
    expect(report.size).toBe(12);
  });

  describe.each(readCsv('expected_heuristic_models.csv'))('heuristics, channel $channel_name', (row) => {
    const line = report.get(row.channel_name!)!;
    it.each([
      ['first_touch', 'first_touch'],
      ['last_touch', 'last_touch'],
      ['linear', 'linear_touch'],
    ] as const)('%s matches to 1e-6', (model, column) => {
      expect(Math.abs(line[model].conversions - Number(row[`${column}_conversions`]))).toBeLessThan(1e-6);
      expect(Math.abs(line[model].value - Number(row[`${column}_value`]))).toBeLessThan(1e-6);
    });
  });

  it.each(readCsv('expected_markov_exact.csv'))(
    'exact Markov removal effect and conversions of $channel match to 1e-6',
    (row) => {
      const line = report.get(row.channel!)!;
      expect(Math.abs(line.markov.removalEffect - Number(row.removal_effect))).toBeLessThan(1e-6);
      expect(Math.abs(line.markov.conversions - Number(row.conversions))).toBeLessThan(1e-6);
    },
  );

  // ChannelAttribution simulates the chain; its mean over five seeds agrees with the exact solve
  // on the large channels. Only conversions: its value column is not weight share × total value.
  const simulated = readCsv('expected_markov_order1_with_null_maxstep1000_nsim1e6_seeds0-4.csv');
  const meanByChannel = new Map<string, number>();
  for (const row of simulated) {
    meanByChannel.set(
      row.channel_name!,
      (meanByChannel.get(row.channel_name!) ?? 0) + Number(row.total_conversions),
    );
  }
  const seeds = new Set(simulated.map((row) => row.seed)).size;
  const large = [...meanByChannel]
    .map(([channel, sum]) => [channel, sum / seeds] as const)
    .filter(([, c]) => c > 1000);

  it('has large channels to compare', () => {
    expect(seeds).toBe(5);
    expect(large.length).toBeGreaterThanOrEqual(6);
  });

  it.each(large)(
    'simulated Markov conversions of %s (mean %f over seeds) are within 2 %%',
    (channel, mean) => {
      const exact = report.get(channel)!.markov.conversions;
      expect(Math.abs(exact - mean) / mean).toBeLessThan(0.02);
    },
  );

  it('reproduces the package vignette toy example exactly', () => {
    const toy = reportPaths(
      ['A>B>A>B>B>A', 'A>B>B>A>A', 'A>A'].map((p) => ({
        path: parseChannelPath(p)!,
        conversions: 1,
        value: 0,
        nulls: 0,
      })),
    );
    const expected = new Map(readCsv('vignette_toy_example_expected.csv').map((row) => [row.channel!, row]));
    expect(toy.map((line) => line.channel)).toEqual(['A', 'B']);
    for (const line of toy) {
      const row = expected.get(line.channel)!;
      expect(line.markov.removalEffect).toBeCloseTo(Number(row.removal_effect), 12);
      expect(line.markov.conversions).toBeCloseTo(Number(row.markov_conversions), 12);
      expect(line.first_touch.conversions).toBe(Number(row.first_touch));
      expect(line.last_touch.conversions).toBe(Number(row.last_touch));
      expect(line.linear.conversions).toBeCloseTo(Number(row.linear_touch), 12);
    }
  });

  it('Markov totals of every channel sum to the total conversions and value', () => {
    const model = buildMarkovModelFromPaths(paths);
    expect(model.channels.reduce((s, c) => s + c.conversions, 0)).toBeCloseTo(19_785, 6);
    expect(model.channels.reduce((s, c) => s + c.value, 0)).toBeCloseTo(74_802.971587, 6);
  });
});
