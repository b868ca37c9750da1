/**
 * Visits from the analytics sources report. The report has no record ids, so its rows are
 * identified by `SOURCE@ISO-start` keys, which the inputs of every visit figure list.
 */

import type { Period } from './period';
import { isWithinPeriod } from './period';
import { toSourceBucket } from './source';
import type { KpiResult } from './stats';
import { makeKnown, makeUnknown } from './stats';
import type { TrafficPoint } from './types';

export interface VisitInputs {
  /** Analytics report rows summed, as `SOURCE@ISO-start` keys. */
  readonly rows: readonly string[];
}

/** Stable key of an analytics report row, used as its "record id" in inputs. */
export function getTrafficRowKey(point: TrafficPoint): string {
  return `${toSourceBucket(point.source)}@${new Date(point.periodStart).toISOString()}`;
}

/** Report rows whose bucket starts in the period. */
export function selectTrafficInPeriod(traffic: readonly TrafficPoint[], period: Period): TrafficPoint[] {
  return traffic.filter((p) => isWithinPeriod(p.periodStart, period));
}

/**
 * Σ visits of `points`. `hasData` says whether the report had any row for the period at all:
 * without one the figure is unknown ("no analytics data for period"), because a missing report
 * is not zero traffic; with one, a source without rows had 0 visits.
 */
export function sumVisits(points: readonly TrafficPoint[], hasData: boolean): KpiResult<VisitInputs> {
  const rows = points.map(getTrafficRowKey);
  if (!hasData) return makeUnknown('no analytics data for period', { rows });
  let sum = 0;
  for (const p of points) sum += p.visits;
  return makeKnown(sum, { rows });
}
