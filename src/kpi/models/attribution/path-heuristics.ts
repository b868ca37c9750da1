/** Conversions and value credited to one channel by one model. */
export interface ModelTotals {
  readonly conversions: number;
  readonly value: number;
}

/** First touch, last touch and linear totals of one channel over aggregated paths. */
export interface HeuristicChannelTotals {
  readonly first_touch: ModelTotals;
  readonly last_touch: ModelTotals;
  readonly linear: ModelTotals;
}

/** Streaming first/last/linear over aggregated paths; memory grows with the number of channels. */
export interface HeuristicPathAccumulator {
  /**
   * Adds a path that converted `conversions` times for `value` in total, on the path exactly as
   * given (repeats are touches too, as ChannelAttribution counts them):
   * - first touch: the path's first channel gets conversions and value;
   * - last touch: its last channel gets them;
   * - linear: each of the n touches gets conversions / n and value / n (a channel touched k times
   *   gets k / n).
   * Non-converting journeys carry nothing here, but a channel seen only on them is still listed (with
   * zeros). An empty path is ignored. Throws a RangeError on non-finite numbers.
   */
  add(path: readonly string[], conversions: number, value: number): void;
  /** Totals per channel, in order of first appearance (a copy). */
  summarize(): Map<string, HeuristicChannelTotals>;
}

interface MutableTotals {
  first: [number, number];
  last: [number, number];
  linear: [number, number];
}

/** Creates an empty accumulator; see `HeuristicPathAccumulator.add`. */
export function createHeuristicPathAccumulator(): HeuristicPathAccumulator {
  const totals = new Map<string, MutableTotals>();
  function totalsOf(channel: string): MutableTotals {
    let t = totals.get(channel);
    if (t === undefined) {
      t = { first: [0, 0], last: [0, 0], linear: [0, 0] };
      totals.set(channel, t);
    }
    return t;
  }
  return {
    add(path, conversions, value) {
      if (!Number.isFinite(conversions) || !Number.isFinite(value)) {
        throw new RangeError(`conversions and value must be finite, got ${conversions} and ${value}`);
      }
      if (path.length === 0) return;
      // k touches of a channel add k × conversions / n in one step (as ChannelAttribution does),
      // rather than conversions / n k times: fewer roundings.
      const touchCounts = new Map<string, number>();
      for (const channel of path) touchCounts.set(channel, (touchCounts.get(channel) ?? 0) + 1);
      for (const [channel, k] of touchCounts) {
        const t = totalsOf(channel);
        t.linear[0] += (k * conversions) / path.length;
        t.linear[1] += (k * value) / path.length;
      }
      const first = totalsOf(path[0]!);
      first.first[0] += conversions;
      first.first[1] += value;
      const last = totalsOf(path[path.length - 1]!);
      last.last[0] += conversions;
      last.last[1] += value;
    },
    summarize() {
      const out = new Map<string, HeuristicChannelTotals>();
      for (const [channel, t] of totals) {
        out.set(channel, {
          first_touch: { conversions: t.first[0], value: t.first[1] },
          last_touch: { conversions: t.last[0], value: t.last[1] },
          linear: { conversions: t.linear[0], value: t.linear[1] },
        });
      }
      return out;
    },
  };
}
