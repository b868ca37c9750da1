import { sql } from 'kysely';

import type { Executor } from '../../db';
import { ALL_SOURCES, ANSWER_TARGET_MINUTES, SALES_ACTIVITY_KINDS } from '../models/metrics';
import type { SnapshotQueryContext } from './snapshot-queries';
import { periodsRelation } from './snapshot-periods';

/**
 * Speed to lead (`computeSpeedToLead`) per period, breakdown `all`, over leads whose clock
 * (first form conversion, else createdate) started in the period and not after `now`:
 * - `speed_to_lead_minutes_median`: median minutes from the clock start to the first sales
 *   activity at or after it (and not after `now`), over answered leads; `percentile_cont(0.5)`,
 *   the pure model's median; inputs `{count, sumMinutes}`;
 * - `speed_to_lead_share_within_5m`: leads answered within ≤ 5 minutes ÷ leads answered or whose
 *   5 minutes had passed by `now`; inputs `{numerator, denominator}`.
 * One grouped pass over the portal's sales activities (first one per contact), joined to the
 * contact facts; needs `kpi_tmp_contact_base`.
 */
export async function insertSpeedToLeadSnapshots(db: Executor, q: SnapshotQueryContext): Promise<number> {
  const p = q.settings.portalId;
  const now = new Date(q.now).toISOString();
  const result = await sql`
  with periods as (${periodsRelation(q.periods)}),
  leads as (
    select c.contact_id, coalesce(c.first_conversion_at, c.created_at) as clock_at
    from kpi_tmp_contact_base c
    where coalesce(c.first_conversion_at, c.created_at) <= ${now}::timestamptz
  ),
  answered as (
    select l.contact_id, (extract(epoch from min(a.occurred_at)) - extract(epoch from l.clock_at))::float8 / 60 as minutes
    from leads l
    join activities a on a.portal_id = ${p} and a.contact_id = l.contact_id
    where a.kind = any(${[...SALES_ACTIVITY_KINDS]}::text[])
      and a.occurred_at >= l.clock_at and a.occurred_at <= ${now}::timestamptz
    group by l.contact_id, l.clock_at
  ),
  facts as (
    select pe.unit, pe.label, pe.start_at, pe.end_at, an.minutes,
      (an.minutes is not null or ${q.now}::float8 - extract(epoch from l.clock_at) * 1000 > ${ANSWER_TARGET_MINUTES * 60_000}::float8)
        as judged
    from leads l
    left join answered an on an.contact_id = l.contact_id
    join periods pe on l.clock_at >= pe.start_at and l.clock_at < pe.end_at
  ),
  agg as (
    select pe.unit, pe.label, pe.start_at, pe.end_at,
      count(f.minutes) as answered, coalesce(sum(f.minutes), 0) as minutes_sum,
      percentile_cont(0.5) within group (order by f.minutes) as median,
      count(*) filter (where f.minutes <= ${ANSWER_TARGET_MINUTES}) as within,
      count(*) filter (where f.judged) as judged
    from periods pe
    left join facts f on f.unit = pe.unit and f.start_at = pe.start_at
    group by pe.unit, pe.label, pe.start_at, pe.end_at
  )
  insert into kpi_snapshots (portal_id, kpi, period_unit, period_start, period_end,
    period_label, pipeline_id, breakdown, breakdown_value, value, reason, inputs, run_id)
  select ${p}::bigint, x.kpi, a.unit, a.start_at, a.end_at, a.label, '', 'all', ${ALL_SOURCES},
    x.value, case when x.value is null then x.reason end, x.inputs, ${q.runId}::bigint
  from agg a
  cross join lateral (values
    ('speed_to_lead_minutes_median', a.median::numeric, 'no lead in period has had a sales activity',
      jsonb_build_object('count', a.answered, 'sumMinutes', a.minutes_sum)),
    ('speed_to_lead_share_within_5m', case when a.judged > 0 then a.within::numeric / a.judged end,
      'no lead in period can be judged yet', jsonb_build_object('numerator', a.within, 'denominator', a.judged))
  ) as x(kpi, value, reason, inputs)`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
