import { sql } from 'kysely';
import type { RawBuilder } from 'kysely';

import type { Period, PeriodUnit } from '../models/metrics';
import {
  getPeriodContaining,
  getPreviousPeriod,
  MONTH,
  QUARTER,
  trailingDays,
  WEEK,
} from '../models/metrics';

/** How far back snapshots go for each unit: enough for a year of history plus the change against the previous period. */
const HISTORY: readonly { readonly unit: PeriodUnit; readonly name: string; readonly count: number }[] = [
  { unit: WEEK, name: 'week', count: 13 },
  { unit: MONTH, name: 'month', count: 13 },
  { unit: QUARTER, name: 'quarter', count: 5 },
  { unit: trailingDays(90), name: 'trailing_90d', count: 2 },
];

export const TRAILING_90D = 'trailing_90d';

export interface SnapshotPeriod {
  /** week | month | quarter | trailing_90d */
  readonly unit: string;
  readonly period: Period;
}

/** The periods snapshots are computed for, newest first per unit, in the portal's time zone. */
export function listSnapshotPeriods(now: number, timeZone: string): SnapshotPeriod[] {
  const out: SnapshotPeriod[] = [];
  for (const { unit, name, count } of HISTORY) {
    let period = getPeriodContaining(now, unit, timeZone);
    for (let i = 0; i < count; i++) {
      out.push({ unit: name, period });
      period = getPreviousPeriod(period);
    }
  }
  return out;
}

/** `periods(unit, label, start_at, end_at)` as a SQL relation, for `with periods as (…)`. */
export function periodsRelation(periods: readonly SnapshotPeriod[]): RawBuilder<unknown> {
  const units = periods.map((p) => p.unit);
  const labels = periods.map((p) => p.period.label);
  const starts = periods.map((p) => new Date(p.period.start).toISOString());
  const ends = periods.map((p) => new Date(p.period.end).toISOString());
  return sql`select * from unnest(${units}::text[], ${labels}::text[], ${starts}::timestamptz[], ${ends}::timestamptz[])
    as p(unit, label, start_at, end_at)`;
}

/**
 * `bounds(b)`: every period start and end, sorted. `width_bucket(t, b)` puts an instant between
 * two consecutive bounds, and each such slice lies wholly inside or outside every period, so rows
 * are counted per slice first (a few dozen groups) and slices are joined to periods afterwards,
 * instead of comparing every row with every period.
 */
export function boundsCte(): RawBuilder<unknown> {
  return sql`bounds as (
    select array_agg(t order by t) as b from (select start_at as t from periods union select end_at from periods) x
  )`;
}
