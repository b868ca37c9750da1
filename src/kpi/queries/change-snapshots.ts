import { sql } from 'kysely';

import type { Executor } from '../../db';
import type { SnapshotQueryContext } from './snapshot-queries';

/** The velocity figures whose change against the previous period tells which lever moved. */
export const VELOCITY_CHANGE_KPIS = [
  'pipeline_velocity',
  'qualified_opportunities',
  'win_rate',
  'average_won_deal_size',
  'sales_cycle_days',
] as const;

/**
 * For each velocity snapshot of this run that has a previous period of the same unit among the
 * stored periods (the one ending where it starts), two rows: `<kpi>_change` (current − previous,
 * in the KPI's unit) and `<kpi>_change_relative` (that ÷ |previous|, a fraction), the rules of
 * `computeChange`. Reads the rows insertVelocitySnapshots wrote, so it must run after it; one pass
 * over this run's velocity rows (a window over the snapshot key), no per-row work.
 *
 * A breakdown value (owner, source) without a row in the previous period had no qualified deal
 * and no closed deal there: its previous qualified count is 0 when the pipeline's qualified stage
 * is usable (the `all` row of that period is known), every other factor is unknown, exactly what
 * the pure model computes over that owner's or source's deals. The oldest period of each unit has
 * no change rows.
 */
export async function insertVelocityChangeSnapshots(db: Executor, q: SnapshotQueryContext): Promise<number> {
  const p = q.settings.portalId;
  const kpis = [...VELOCITY_CHANGE_KPIS];
  const result = await sql`
  with cur as (
    -- The previous row of the same key comes from a window, not a self-join: joins over a CTE
    -- were planned as nested loops (1.1 s for 3,500 rows at 100k contacts).
    select s.*, lag(s.value) over w as lag_value, lag(s.reason) over w as lag_reason,
      lag(s.period_end) over w as lag_end
    from kpi_snapshots s
    where s.portal_id = ${p} and s.run_id = ${q.runId} and s.kpi = any(${kpis}::text[])
    window w as (partition by s.kpi, s.period_unit, s.pipeline_id, s.breakdown, s.breakdown_value
      order by s.period_start)
  ),
  keyed as (
    -- The previous period's all row of the same KPI and pipeline, also by window (no join).
    select c.*,
      max(c.lag_end) filter (where c.breakdown = 'all') over k as all_prev_end,
      max(c.lag_value) filter (where c.breakdown = 'all') over k as all_prev_value,
      max(c.lag_reason) filter (where c.breakdown = 'all') over k as all_prev_reason
    from cur c
    window k as (partition by c.kpi, c.period_unit, c.pipeline_id, c.period_start)
  ),
  pairs as (
    select c.kpi, c.period_unit, c.period_start, c.period_end, c.period_label, c.pipeline_id, c.breakdown,
      c.breakdown_value, c.value as cur_value, c.reason as cur_reason,
      case when c.lag_end = c.period_start then c.lag_value
        when c.kpi = 'qualified_opportunities' and c.all_prev_value is not null then 0 end as prev_value,
      case when c.lag_end = c.period_start then c.lag_reason
        when c.kpi = 'qualified_opportunities' and c.all_prev_value is not null then null
        when c.kpi = 'qualified_opportunities' then c.all_prev_reason
        else 'no deals of this ' || c.breakdown || ' in period' end as prev_reason
    from keyed c
    where c.all_prev_end = c.period_start
  ),
  changes as (
    select pairs.*, cur_value - prev_value as absolute,
      case when cur_value is null then 'current period unknown: ' || coalesce(cur_reason, '')
        when prev_value is null then 'previous period unknown: ' || coalesce(prev_reason, '') end as unknown_reason
    from pairs
  )
  insert into kpi_snapshots (portal_id, kpi, period_unit, period_start, period_end,
    period_label, pipeline_id, breakdown, breakdown_value, value, reason, inputs, run_id)
  select ${p}::bigint, c.kpi || x.suffix, c.period_unit, c.period_start, c.period_end, c.period_label,
    c.pipeline_id, c.breakdown, c.breakdown_value, x.value,
    case when x.value is null then coalesce(c.unknown_reason, 'previous period value is 0') end,
    jsonb_build_object('current', c.cur_value, 'previous', c.prev_value), ${q.runId}::bigint
  from changes c
  cross join lateral (values
    ('_change', c.absolute),
    ('_change_relative', case when c.prev_value <> 0 then c.absolute / abs(c.prev_value) end)
  ) as x(suffix, value)`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
