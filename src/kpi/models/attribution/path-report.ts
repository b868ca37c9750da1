import { buildMarkovModel, createMarkovAccumulator } from './markov';
import type { HeuristicChannelTotals, ModelTotals } from './path-heuristics';
import { createHeuristicPathAccumulator } from './path-heuristics';
import { buildShapleyModel, createShapleyAccumulator, SHAPLEY_MAX_CHANNELS } from './shapley';
import type { AggregatedPath } from './types';

/** One channel's line of the `--paths` report. */
export interface ChannelPathReport extends HeuristicChannelTotals {
  readonly channel: string;
  readonly markov: ModelTotals & { readonly removalEffect: number };
  /** Σ over paths of conversions (value) × the channel's normalised Shapley share on that path. */
  readonly shapley: ModelTotals;
}

/** Streaming aggregation of ChannelAttribution-format paths into the per-channel report. */
export interface PathReportAccumulator {
  /**
   * Adds one aggregated path: heuristics on the path as given, Markov with repeats collapsed, Shapley
   * on its set of distinct channels (the 16 most recent above 16).
   */
  add(path: readonly string[], conversions: number, value: number, nulls: number): void;
  /** Solves the Markov chain and returns one line per channel, sorted by channel name (code units). */
  finish(): ChannelPathReport[];
}

/**
 * Creates the accumulator behind `kpi-bridge attribution --paths`: first touch, last touch and linear
 * (see `createHeuristicPathAccumulator`) and the exact Markov chain (see `buildMarkovModel`) over the
 * same paths, in one streaming pass. Memory: channels and distinct transitions.
 */
export function createPathReportAccumulator(): PathReportAccumulator {
  const heuristics = createHeuristicPathAccumulator();
  const markov = createMarkovAccumulator();
  const shapleyGame = createShapleyAccumulator();
  // Converting paths grouped by the channels that take part in their game: [players, conversions, value].
  const converted = new Map<string, [string[], number, number]>();
  return {
    add(path, conversions, value, nulls) {
      markov.add(path, conversions, value, nulls);
      heuristics.add(path, conversions, value);
      shapleyGame.add(path, conversions, nulls);
      if (path.length === 0 || (conversions === 0 && value === 0)) return;
      const players: string[] = [];
      const seen = new Set<string>();
      for (let i = path.length - 1; i >= 0 && players.length < SHAPLEY_MAX_CHANNELS; i--) {
        if (seen.has(path[i]!)) continue;
        seen.add(path[i]!);
        players.push(path[i]!);
      }
      const key = [...players].sort().join('\u0000');
      const group = converted.get(key);
      if (group === undefined) converted.set(key, [players, conversions, value]);
      else {
        group[1] += conversions;
        group[2] += value;
      }
    },
    finish() {
      const model = buildMarkovModel(markov.snapshot());
      const byChannel = heuristics.summarize();
      const zero = { conversions: 0, value: 0 };
      const game = buildShapleyModel(shapleyGame.snapshot());
      const shapley = new Map<string, { conversions: number; value: number }>();
      for (const [players, conversions, value] of converted.values()) {
        for (const [channel, share] of game.sharesOf(players)) {
          const t = shapley.get(channel) ?? { conversions: 0, value: 0 };
          t.conversions += share * conversions;
          t.value += share * value;
          shapley.set(channel, t);
        }
      }
      return model.channels
        .map((m) => {
          const h = byChannel.get(m.channel);
          return {
            channel: m.channel,
            first_touch: h?.first_touch ?? zero,
            last_touch: h?.last_touch ?? zero,
            linear: h?.linear ?? zero,
            markov: { conversions: m.conversions, value: m.value, removalEffect: m.removalEffect },
            shapley: shapley.get(m.channel) ?? zero,
          };
        })
        .sort((a, b) => (a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : 0));
    },
  };
}

/** Computes the per-channel report of aggregated paths (see `createPathReportAccumulator`). */
export function reportPaths(paths: Iterable<AggregatedPath>): ChannelPathReport[] {
  const accumulator = createPathReportAccumulator();
  for (const p of paths) accumulator.add(p.path, p.conversions, p.value, p.nulls);
  return accumulator.finish();
}

/**
 * Splits a ChannelAttribution path (`alpha > beta > alpha`, also `A>B`) into channel names: split on
 * `>`, surrounding spaces trimmed. Returns undefined when a name is empty (`a >  > b`, `a >`), so the
 * caller can name the bad row.
 */
export function parseChannelPath(text: string): string[] | undefined {
  const channels = text.split('>').map((c) => c.trim());
  return channels.every((c) => c.length > 0) ? channels : undefined;
}
