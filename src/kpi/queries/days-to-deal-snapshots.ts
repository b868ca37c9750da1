import { sql } from 'kysely';

import type { Executor } from '../../db';
import { ALL_SOURCES } from '../models/metrics';
import type { SnapshotQueryContext } from './snapshot-queries';
import { periodsRelation } from './snapshot-periods';

/**
 * Days to deal (`computeDaysToDeal`): per period × breakdown (all, source by the contact's
 * original source), the mean, median and p90 of the days from a customer's first visit (else
 * createdate) to the close of their first won deal, over customers whose first won deal closed in
 * the period. Rows `days_to_deal_mean`, `days_to_deal_median`, `days_to_deal_p90`; inputs
 * `{count, sumDays}`. `percentile_cont` interpolates linearly between the two nearest ranks, the
 * definition of `computePercentile` (PERCENTILE.INC).
 *
 * Reads the days already computed per contact in `kpi_contact_rows_by_run` (this run's) and the close
 * date of the first won deal from `kpi_tmp_deal_base`, so it must run after insertContactRows, in
 * the same transaction. Contacts whose start is after that close have no days and are left out, as
 * in the pure model. The `all` row exists for every period (null with a reason when no customer
 * closed); source rows only for sources with customers in the period.
 */
export async function insertDaysToDealSnapshots(db: Executor, q: SnapshotQueryContext): Promise<number> {
  const p = q.settings.portalId;
  const result = await sql`
  with periods as (${periodsRelation(q.periods)}),
  customers as (
    select r.source, r.days_to_deal as days, d.close_date
    from kpi_contact_rows_by_run r join kpi_tmp_deal_base d on d.deal_id = r.first_won_deal_id
    where r.portal_id = ${p} and r.run_id = ${q.runId} and r.days_to_deal is not null
  ),
  facts as (
    select pe.unit, pe.label, pe.start_at, pe.end_at, c.source, c.days
    from customers c join periods pe on c.close_date >= pe.start_at and c.close_date < pe.end_at
    union all
    select unit, label, start_at, end_at, null, null from periods
  ),
  agg as (
    select unit, label, start_at, end_at,
      case when grouping(source) = 0 then 'source' else 'all' end as breakdown,
      coalesce(source, ${ALL_SOURCES}) as breakdown_value,
      count(days) as n, sum(days) as total,
      avg(days) as mean,
      percentile_cont(0.5) within group (order by days) as median,
      percentile_cont(0.9) within group (order by days) as p90
    from facts
    group by grouping sets ((unit, label, start_at, end_at), (unit, label, start_at, end_at, source))
    having not (grouping(source) = 0 and source is null)
  )
  insert into kpi_snapshots_by_run (portal_id, kpi, period_unit, period_start, period_end,
    period_label, pipeline_id, breakdown, breakdown_value, value, reason, inputs, run_id)
  select ${p}::bigint, x.kpi, a.unit, a.start_at, a.end_at, a.label, '', a.breakdown, a.breakdown_value,
    x.value, case when x.value is null then 'no customer closed a first deal in period' end,
    jsonb_build_object('count', a.n, 'sumDays', coalesce(a.total, 0)), ${q.runId}::bigint
  from agg a
  cross join lateral (values
    ('days_to_deal_mean', a.mean::numeric),
    ('days_to_deal_median', a.median::numeric),
    ('days_to_deal_p90', a.p90::numeric)
  ) as x(kpi, value)`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
