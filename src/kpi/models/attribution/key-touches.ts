import type { Conversion, KeyTouches, Touch } from './types';

/**
 * Orders two touches by time, then by id. Ids compare by UTF-16 code units (not locale), so the
 * order is the same on every machine.
 */
export function compareTouches(a: Touch, b: Touch): number {
  if (a.at !== b.at) return a.at - b.at;
  if (a.id === b.id) return 0;
  return a.id < b.id ? -1 : 1;
}

/**
 * The touches that count for a conversion: those at or before `convertedAt` (later ones are ignored),
 * ordered by time then id. Touches with the same time and the same id keep their input order.
 * Returns a new array; the input is not modified.
 */
export function selectCountedTouches(conversion: Conversion): Touch[] {
  return conversion.touches.filter((t) => t.at <= conversion.convertedAt).sort(compareTouches);
}

/**
 * Index of the last touch at or before `moment` in touches ordered by time, or undefined when every
 * touch is later (or `moment` is unknown). Binary search: O(log n).
 */
export function findLastTouchAtOrBefore(
  touches: readonly Touch[],
  moment: number | undefined,
): number | undefined {
  if (moment === undefined) return undefined;
  let lo = 0;
  let hi = touches.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (touches[mid]!.at <= moment) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? undefined : lo - 1;
}

/**
 * Key touches of a conversion, as indexes into its counted touches (see `selectCountedTouches`).
 *
 * - first: the earliest touch; last: the last touch at or before the conversion.
 * - leadCreation: the last touch at or before the contact's creation (`contactCreatedAt`, which for a
 *   `contact_create` conversion defaults to `convertedAt`).
 * - dealCreation (`deal_create`, `revenue` only): the last touch at or before `dealCreatedAt` (for
 *   `deal_create` defaulting to `convertedAt`).
 * - closedWon (`revenue` only): the last touch at or before the win, i.e. the last touch.
 *
 * A role whose moment is unknown, or that precedes every touch, is absent. No touches → no roles.
 */
export function findKeyTouches(conversion: Conversion, counted: readonly Touch[]): KeyTouches {
  if (counted.length === 0) return {};
  const last = counted.length - 1;
  const contactCreatedAt =
    conversion.contactCreatedAt ??
    (conversion.kind === 'contact_create' ? conversion.convertedAt : undefined);
  const roles: { -readonly [K in keyof KeyTouches]: KeyTouches[K] } = {
    first: 0,
    last,
  };
  const lead = findLastTouchAtOrBefore(counted, contactCreatedAt);
  if (lead !== undefined) roles.leadCreation = lead;
  if (conversion.kind === 'contact_create') return roles;

  const dealCreatedAt =
    conversion.dealCreatedAt ?? (conversion.kind === 'deal_create' ? conversion.convertedAt : undefined);
  const deal = findLastTouchAtOrBefore(counted, dealCreatedAt);
  if (deal !== undefined) roles.dealCreation = deal;
  if (conversion.kind === 'revenue') roles.closedWon = last;
  return roles;
}
