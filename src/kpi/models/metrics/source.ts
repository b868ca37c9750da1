/**
 * Original-source buckets (`hs_analytics_source`). Values are kept exactly as HubSpot sends them,
 * including ones this code has never heard of (e.g. `AI_REFERRALS`); only a missing value is
 * replaced, by `NO_SOURCE`, so that no record is ever dropped from a per-source breakdown.
 */

/** Label of the all-sources row of a per-source breakdown. */
export const ALL_SOURCES = '(all sources)';

/** Bucket for records whose original source is empty or missing. */
export const NO_SOURCE = '(no source)';

/** The bucket a source value falls into: the value itself, or `NO_SOURCE` when empty. */
export function toSourceBucket(source: string | null | undefined): string {
  if (source === null || source === undefined || source.trim() === '') return NO_SOURCE;
  return source;
}

/** Groups items by source bucket, keeping first-seen order of buckets. */
export function groupBySource<T>(
  items: readonly T[],
  getSource: (item: T) => string | null,
): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const bucket = toSourceBucket(getSource(item));
    const list = groups.get(bucket);
    if (list === undefined) groups.set(bucket, [item]);
    else list.push(item);
  }
  return groups;
}

/** Sorted union of bucket names, for stable report order. */
export function listBuckets(...groups: readonly ReadonlyMap<string, unknown>[]): string[] {
  const names = new Set<string>();
  for (const g of groups) for (const k of g.keys()) names.add(k);
  return [...names].sort();
}
