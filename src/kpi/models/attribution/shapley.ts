import { allocateLinearShares } from './position-models';
import type { Touch } from './types';

/**
 * The data-driven Shapley model (spec: "data-driven (Shapley)"): a cooperative game whose players are
 * channels and whose worth v(S) is the conversion rate of the paths whose set of distinct channels is
 * exactly S. Each conversion's path, with distinct channel set P, is credited by the Shapley values of
 * the game restricted to the subsets of P.
 */

/** Exact enumeration is 2^|P| worths per distinct set P: above this many channels the most recent take part. */
export const SHAPLEY_MAX_CHANNELS = 16;

/** The generic function refuses more players than this (2^n worths held in memory). */
const MAX_PLAYERS = 20;

/**
 * Shapley values of a cooperative game with `playerCount` players, by exact enumeration:
 * φⱼ = Σ over coalitions S ∌ j of |S|! (n − |S| − 1)! ÷ n! × (v(S ∪ {j}) − v(S)).
 * `worth(mask)` is v of the coalition whose members are the set bits of `mask` (bit i is player i);
 * it is called once per coalition, the empty one (mask 0) included. O(n · 2ⁿ).
 * Throws a RangeError for more than 20 players.
 */
export function computeShapleyValues(playerCount: number, worth: (coalition: number) => number): number[] {
  if (!Number.isInteger(playerCount) || playerCount < 0 || playerCount > MAX_PLAYERS) {
    throw new RangeError(`playerCount must be an integer in [0, ${MAX_PLAYERS}], got ${playerCount}`);
  }
  const n = playerCount;
  const size = 1 << n;
  const v = new Float64Array(size);
  const bits = new Uint8Array(size);
  for (let mask = 0; mask < size; mask++) {
    v[mask] = worth(mask);
    if (mask > 0) bits[mask] = bits[mask >> 1]! + (mask & 1);
  }
  // weight[k] = k! (n − k − 1)! ÷ n!, built as a product so that no factorial overflows.
  const weight = new Float64Array(Math.max(n, 1));
  for (let k = 0; k < n; k++) {
    let w = 1 / n;
    // k! (n−1−k)! / (n−1)!  = 1 / C(n−1, k)
    for (let i = 1; i <= k; i++) w *= i / (n - k - 1 + i);
    weight[k] = w;
  }
  const phi = new Array<number>(n).fill(0);
  for (let j = 0; j < n; j++) {
    const bit = 1 << j;
    let sum = 0;
    for (let mask = 0; mask < size; mask++) {
      if ((mask & bit) !== 0) continue;
      sum += weight[bits[mask]!]! * (v[mask | bit]! - v[mask]!);
    }
    phi[j] = sum;
  }
  return phi;
}

/**
 * Normalised Shapley shares: negative values count as 0, the rest scaled to sum 1; when every value
 * is 0 (or negative), equal shares.
 */
export function normalizeShapleyValues(values: readonly number[]): number[] {
  let total = 0;
  const clipped = values.map((v) => {
    const c = v > 0 ? v : 0;
    total += c;
    return c;
  });
  if (!(total > 0)) return allocateLinearShares(values.length);
  return clipped.map((c) => c / total);
}

/** Key of a set of channels: its distinct names sorted by code units, joined by NUL. */
export function channelSetKey(channels: Iterable<string>): string {
  return [...new Set(channels)].sort(compareCodeUnits).join('\u0000');
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Conversions and non-conversions per exact channel set: the game's data. */
export interface ShapleyCounts {
  /** Channel-set key (see `channelSetKey`) → [conversions, non-conversions]. */
  readonly sets: ReadonlyMap<string, readonly [number, number]>;
}

/** Streaming aggregation of paths into per-set counts; memory grows with the number of distinct sets. */
export interface ShapleyAccumulator {
  /**
   * Adds `conversions` converting and `nulls` non-converting journeys whose channels (in any order,
   * repeats ignored) are `path`. An empty path is ignored, as in the Markov chain. Throws a
   * RangeError on a negative or non-finite count.
   */
  add(path: readonly string[], conversions: number, nulls: number): void;
  snapshot(): ShapleyCounts;
}

export function createShapleyAccumulator(): ShapleyAccumulator {
  const sets = new Map<string, [number, number]>();
  return {
    add(path, conversions, nulls) {
      if (!(Number.isFinite(conversions) && conversions >= 0 && Number.isFinite(nulls) && nulls >= 0)) {
        throw new RangeError(`counts must be finite numbers ≥ 0, got ${conversions} and ${nulls}`);
      }
      if (path.length === 0) return;
      const key = channelSetKey(path);
      const counts = sets.get(key);
      if (counts === undefined) sets.set(key, [conversions, nulls]);
      else {
        counts[0] += conversions;
        counts[1] += nulls;
      }
    },
    snapshot() {
      return { sets: new Map([...sets].map(([k, c]) => [k, [c[0], c[1]] as const])) };
    },
  };
}

/** The game, with the normalised shares of each channel set asked for so far cached. */
export interface ShapleyModel {
  /** v(S): conversion rate of the paths whose distinct channels are exactly S; 0 when none. */
  worth(channels: Iterable<string>): number;
  /**
   * Normalised shares (summing to 1) of the distinct `channels` of one conversion, in the game
   * restricted to their subsets; keyed by channel. At most `SHAPLEY_MAX_CHANNELS` channels.
   */
  sharesOf(channels: readonly string[]): ReadonlyMap<string, number>;
}

/** Builds the model from per-set counts (see `createShapleyAccumulator`). */
export function buildShapleyModel(counts: ShapleyCounts): ShapleyModel {
  const rates = new Map<string, number>();
  for (const [key, [conversions, nulls]] of counts.sets) {
    const journeys = conversions + nulls;
    rates.set(key, journeys > 0 ? conversions / journeys : 0);
  }
  const cache = new Map<string, ReadonlyMap<string, number>>();
  return {
    worth: (channels) => rates.get(channelSetKey(channels)) ?? 0,
    sharesOf(channels) {
      const players = [...new Set(channels)].sort(compareCodeUnits);
      if (players.length > SHAPLEY_MAX_CHANNELS) {
        throw new RangeError(`at most ${SHAPLEY_MAX_CHANNELS} channels take part, got ${players.length}`);
      }
      const key = players.join('\u0000');
      let shares = cache.get(key);
      if (shares === undefined) {
        const phi = computeShapleyValues(players.length, (mask) => {
          if (mask === 0) return 0;
          const members: string[] = [];
          for (let i = 0; i < players.length; i++) if ((mask & (1 << i)) !== 0) members.push(players[i]!);
          return rates.get(members.join('\u0000')) ?? 0;
        });
        const normalised = normalizeShapleyValues(phi);
        shares = new Map(players.map((p, i) => [p, normalised[i]!]));
        cache.set(key, shares);
      }
      return shares;
    },
  };
}

/**
 * The channels of ordered touches that take part in the Shapley game: every distinct channel, or,
 * above `SHAPLEY_MAX_CHANNELS`, the ones whose latest touch is the most recent (ties: later in
 * the time-then-id order). In order of recency, most recent first.
 */
export function selectShapleyPlayers(touches: readonly Touch[]): string[] {
  const players: string[] = [];
  const seen = new Set<string>();
  for (let i = touches.length - 1; i >= 0 && players.length < SHAPLEY_MAX_CHANNELS; i--) {
    const channel = touches[i]!.channel;
    if (seen.has(channel)) continue;
    seen.add(channel);
    players.push(channel);
  }
  return players;
}

/**
 * Shapley shares of one conversion's ordered touches: each taking-part channel gets its normalised
 * Shapley share (see `ShapleyModel.sharesOf`), split equally over that channel's touches; channels
 * left out above 16 get 0. Returns [] for no touches.
 */
export function allocateShapleyShares(touches: readonly Touch[], model: ShapleyModel): number[] {
  if (touches.length === 0) return [];
  const shares = model.sharesOf(selectShapleyPlayers(touches));
  const touchesPerChannel = new Map<string, number>();
  for (const t of touches) touchesPerChannel.set(t.channel, (touchesPerChannel.get(t.channel) ?? 0) + 1);
  return touches.map((t) => (shares.get(t.channel) ?? 0) / touchesPerChannel.get(t.channel)!);
}
