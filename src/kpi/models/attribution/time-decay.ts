import { normalizeShares } from './position-models';
import type { Touch } from './types';

/** Half-life of a touch's weight in the time-decay model: 7 days, in milliseconds. */
export const TIME_DECAY_HALF_LIFE_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * Time-decay shares: weight_i = 2^(−Δt_i / 7 days), Δt_i = convertedAt − at_i in exact (fractional)
 * days (millisecond resolution), then normalised to sum to 1. A touch at the conversion instant
 * weighs 1; one a week earlier 0.5; one 3.5 days earlier 2^−0.5 ≈ 0.7071.
 *
 * The conversion time does not appear in the arguments: 2^(−(c − t_i)/h) = 2^(−(c − t_max)/h) ×
 * 2^(−(t_max − t_i)/h), and the common factor cancels in the normalisation. Weighing relative to the
 * latest touch keeps the largest weight at 1, where touches years before the conversion would
 * otherwise all underflow to 0 and leave 0/0. Expects the touches counted for the conversion (at or
 * before it); returns [] for no touches.
 */
export function allocateTimeDecayShares(
  touches: readonly Touch[],
  halfLifeMs: number = TIME_DECAY_HALF_LIFE_MS,
): number[] {
  if (touches.length === 0) return [];
  let latest = -Infinity;
  for (const t of touches) latest = Math.max(latest, t.at);
  return normalizeShares(touches.map((t) => Math.pow(2, -(latest - t.at) / halfLifeMs)));
}
