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
  return distinct(channels).sort(compareCodeUnits).join('\u0000');
}

/** Distinct values in first-seen order; a linear scan, faster than a Set for a path's few channels. */
function distinct(values: Iterable<string>): string[] {
  const out: string[] = [];
  for (const v of values) if (!out.includes(v)) out.push(v);
  return out;
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

/** Channels get small codes so that a set of up to MASK_BITS of them is one integer (a bit mask). */
const MASK_BITS = 30;

export function createShapleyAccumulator(): ShapleyAccumulator {
  // Sets of coded channels by bit mask (the common, fast case), others by their string key.
  const codes = new Map<string, number>();
  const names: string[] = [];
  const byMask = new Map<number, [number, number]>();
  const byKey = new Map<string, [number, number]>();
  const bump = <K>(sets: Map<K, [number, number]>, key: K, conversions: number, nulls: number) => {
    const counts = sets.get(key);
    if (counts === undefined) sets.set(key, [conversions, nulls]);
    else {
      counts[0] += conversions;
      counts[1] += nulls;
    }
  };
  return {
    add(path, conversions, nulls) {
      if (!(Number.isFinite(conversions) && conversions >= 0 && Number.isFinite(nulls) && nulls >= 0)) {
        throw new RangeError(`counts must be finite numbers ≥ 0, got ${conversions} and ${nulls}`);
      }
      if (path.length === 0) return;
      let mask = 0;
      for (const channel of path) {
        let code = codes.get(channel);
        if (code === undefined) {
          code = names.length;
          names.push(channel);
          codes.set(channel, code);
        }
        if (code >= MASK_BITS) {
          bump(byKey, channelSetKey(path), conversions, nulls);
          return;
        }
        mask |= 1 << code;
      }
      bump(byMask, mask, conversions, nulls);
    },
    snapshot() {
      const sets = new Map<string, readonly [number, number]>();
      for (const [mask, c] of byMask) {
        const members = names.filter((_, code) => code < MASK_BITS && (mask & (1 << code)) !== 0);
        sets.set(channelSetKey(members), [c[0], c[1]]);
      }
      for (const [key, c] of byKey) sets.set(key, [c[0], c[1]]);
      return { sets };
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
  /** A small integer code for `channel`, the same for the model's life (given on first sight). */
  codeOf(channel: string): number;
  /**
   * `sharesOf` for the channels whose codes (all below 30) are the set bits of `mask`, indexed by
   * code; cached by mask. The hot path of `allocateShapleyShares`: no string work per conversion.
   */
  sharesOfMask(mask: number): Float64Array;
}

/** Builds the model from per-set counts (see `createShapleyAccumulator`). */
export function buildShapleyModel(counts: ShapleyCounts): ShapleyModel {
  const rates = new Map<string, number>();
  for (const [key, [conversions, nulls]] of counts.sets) {
    const journeys = conversions + nulls;
    rates.set(key, journeys > 0 ? conversions / journeys : 0);
  }
  const cache = new Map<string, ReadonlyMap<string, number>>();
  const codes = new Map<string, number>();
  const names: string[] = [];
  const byMask = new Map<number, Float64Array>();
  const model: ShapleyModel = {
    worth: (channels) => rates.get(channelSetKey(channels)) ?? 0,
    codeOf(channel) {
      let code = codes.get(channel);
      if (code === undefined) {
        code = names.length;
        names.push(channel);
        codes.set(channel, code);
      }
      return code;
    },
    sharesOfMask(mask) {
      let shares = byMask.get(mask);
      if (shares === undefined) {
        const players = names.filter((_, code) => code < MASK_BITS && (mask & (1 << code)) !== 0);
        const bySet = model.sharesOf(players);
        shares = new Float64Array(MASK_BITS);
        for (const p of players) shares[codes.get(p)!] = bySet.get(p)!;
        byMask.set(mask, shares);
      }
      return shares;
    },
    sharesOf(channels) {
      const players = distinct(channels).sort(compareCodeUnits);
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
  return model;
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
  const n = touches.length;
  if (n === 0) return [];
  // Fast path: every channel coded below 30 and at most 16 of them — one bit mask, one cached lookup.
  const codes = new Array<number>(n);
  let mask = 0;
  let players = 0;
  for (let i = 0; i < n; i++) {
    const code = model.codeOf(touches[i]!.channel);
    codes[i] = code;
    if (code >= MASK_BITS) {
      mask = -1;
      break;
    }
    const bit = 1 << code;
    if ((mask & bit) === 0) players++;
    mask |= bit;
  }
  if (mask !== -1 && players <= SHAPLEY_MAX_CHANNELS) {
    const shares = model.sharesOfMask(mask);
    for (let i = 0; i < n; i++) touchCounts[codes[i]!]! += 1;
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) out[i] = shares[codes[i]!]! / touchCounts[codes[i]!]!;
    for (let i = 0; i < n; i++) touchCounts[codes[i]!] = 0;
    return out;
  }
  return allocateByRecency(touches, model);
}

/** Touches per channel code, zeroed again after each use (scratch: no allocation per conversion). */
const touchCounts = new Int32Array(MASK_BITS);

/** `allocateShapleyShares` for paths above 16 channels (or channels coded 30 and up). */
function allocateByRecency(touches: readonly Touch[], model: ShapleyModel): number[] {
  const n = touches.length;
  // Players most recent first (see selectShapleyPlayers), each touch's player (−1: left out), and
  // the touches per player, in one backward scan.
  const players: string[] = [];
  const touchCounts: number[] = [];
  const playerOf = new Array<number>(n);
  for (let i = n - 1; i >= 0; i--) {
    const channel = touches[i]!.channel;
    let p = players.indexOf(channel);
    if (p < 0 && players.length < SHAPLEY_MAX_CHANNELS) {
      p = players.length;
      players.push(channel);
      touchCounts.push(0);
    }
    if (p >= 0) touchCounts[p]! += 1;
    playerOf[i] = p;
  }
  const shares = model.sharesOf(players);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const p = playerOf[i]!;
    out[i] = p < 0 ? 0 : shares.get(players[p]!)! / touchCounts[p]!;
  }
  return out;
}
