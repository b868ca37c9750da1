import { sql } from 'kysely';

import type { Executor } from '../../db';
import { ALL_SOURCES, ANSWER_TARGET_MINUTES, NO_SALES_ACTIVITY_REASON } from '../models/metrics';
import { salesActivitiesRelation } from './sales-activities';
import type { SnapshotQueryContext } from './snapshot-queries';
import { boundsCte, periodsRelation } from './snapshot-periods';

/**
 * Speed to lead (`computeSpeedToLead`) per period × breakdown (all, source, owner of the lead),
 * over the leads whose clock (first form conversion, else createdate) started in the period and
 * not after `now`; sales activities as `salesActivitiesRelation` defines them, at or after the
 * clock and not after `now`:
 * - `speed_to_lead_minutes_median`: median minutes to the first sales activity over answered
 *   leads (`percentile_cont(0.5)`, the pure model's median); inputs `{count, sumMinutes}`;
 * - `speed_to_lead_share_within_5m`: leads answered within ≤ 5 minutes ÷ all leads (a lead not
 *   answered yet counts as not answered); inputs `{numerator, denominator}`;
 * - `speed_to_lead_answered`: leads answered at all (a count); inputs `{count, leads}`;
 * - `speed_to_lead_followups_mean`: mean number of sales activities other than meetings between
 *   the clock and the first meeting booked (any meeting, by creation time), over leads that have
 *   one; inputs `{count, sum}`.
 * A portal without any call, email or meeting synced gets every figure null with the reason
 * `NO_SALES_ACTIVITY_REASON`: "0 % answered" would be a claim about activities we never saw.
 * Needs `kpi_tmp_contact_base`.
 */
export async function insertSpeedToLeadSnapshots(db: Executor, q: SnapshotQueryContext): Promise<number> {
  const p = q.settings.portalId;
  const now = new Date(q.now).toISOString();
  const result = await sql`
  with periods as (${periodsRelation(q.periods)}),
  synced as (
    select exists (select 1 from activities where portal_id = ${p} and not archived)
      or exists (select 1 from meetings where portal_id = ${p} and not archived) as any
  ),
  ${boundsCte()},
  -- Not materialized: each use is one scan of the contact facts, cheaper than writing a million
  -- leads aside; with no sales activity at all, the joins below end without scanning them.
  leads as not materialized (
    select c.contact_id, c.source_key, c.owner_key, coalesce(c.first_conversion_at, c.created_at) as clock_at
    from kpi_tmp_contact_base c
    where coalesce(c.first_conversion_at, c.created_at) <= ${now}::timestamptz
  ),
  acts as (
    select x.contact_id, x.kind, x.at from (${salesActivitiesRelation(p)}) x where x.at <= ${now}::timestamptz
  ),
  answered as (
    select l.contact_id, l.clock_at, l.source_key, l.owner_key,
      (extract(epoch from min(a.at)) - extract(epoch from l.clock_at))::float8 / 60 as minutes
    from leads l join acts a on a.contact_id = l.contact_id and a.at >= l.clock_at
    group by l.contact_id, l.clock_at, l.source_key, l.owner_key
  ),
  first_meeting as (
    select l.contact_id, l.clock_at, min(m.created_at) as at
    from leads l
    join meeting_contacts mc on mc.portal_id = ${p} and mc.contact_id = l.contact_id
    join meetings m on m.portal_id = ${p} and m.meeting_id = mc.meeting_id and not m.archived
    where m.created_at >= l.clock_at and m.created_at <= ${now}::timestamptz
    group by l.contact_id, l.clock_at
  ),
  followups as (
    select fm.contact_id, count(a.contact_id) as n
    from first_meeting fm
    left join acts a on a.contact_id = fm.contact_id and a.kind <> 'meeting' and a.at >= fm.clock_at and a.at < fm.at
    group by fm.contact_id
  ),
  -- Counts are summed per slice between period bounds first (boundsCte), then per period; the
  -- minutes (median, sum, within target) come from the answered leads' own rows, one per period.
  per_slice as (
    select width_bucket(l.clock_at, (select b from bounds)) as bucket, l.source_key, l.owner_key,
      count(*) as leads, count(fu.n) as met, coalesce(sum(fu.n), 0) as followups_sum
    from leads l left join followups fu on fu.contact_id = l.contact_id
    group by 1, 2, 3
  ),
  facts as (
    select pe.unit, pe.label, pe.start_at, pe.end_at, s.source_key, s.owner_key, null::float8 as minutes,
      s.leads, s.met, s.followups_sum
    from per_slice s cross join bounds
    join periods pe on pe.start_at <= bounds.b[s.bucket] and bounds.b[s.bucket + 1] <= pe.end_at
    union all
    select pe.unit, pe.label, pe.start_at, pe.end_at, an.source_key, an.owner_key, an.minutes, 0, 0, 0
    from answered an
    join periods pe on an.clock_at >= pe.start_at and an.clock_at < pe.end_at
  ),
  grouped as (
    select unit, label, start_at, end_at,
      case when grouping(source_key) = 0 then 'source' when grouping(owner_key) = 0 then 'owner' else 'all' end
        as breakdown,
      coalesce(case when grouping(source_key) = 0 then source_key end,
        case when grouping(owner_key) = 0 then owner_key end, ${ALL_SOURCES}) as breakdown_value,
      sum(leads) as leads, count(minutes) as answered, coalesce(sum(minutes), 0) as minutes_sum,
      percentile_cont(0.5) within group (order by minutes) as median,
      count(*) filter (where minutes <= ${ANSWER_TARGET_MINUTES}) as within,
      sum(met) as met, sum(followups_sum) as followups_sum
    from facts
    group by grouping sets ((unit, label, start_at, end_at), (unit, label, start_at, end_at, source_key),
      (unit, label, start_at, end_at, owner_key))
  ),
  agg as (
    select * from grouped
    union all
    select pe.unit, pe.label, pe.start_at, pe.end_at, 'all', ${ALL_SOURCES}, 0, 0, 0, null, 0, 0, 0
    from periods pe
    where not exists (select 1 from grouped g where g.unit = pe.unit and g.start_at = pe.start_at and g.breakdown = 'all')
  )
  insert into kpi_snapshots (portal_id, kpi, period_unit, period_start, period_end,
    period_label, pipeline_id, breakdown, breakdown_value, value, reason, inputs, run_id)
  select ${p}::bigint, x.kpi, a.unit, a.start_at, a.end_at, a.label, '', a.breakdown, a.breakdown_value,
    case when s.any then x.value end,
    case when not s.any then ${NO_SALES_ACTIVITY_REASON} when x.value is null then x.reason end,
    x.inputs, ${q.runId}::bigint
  from agg a
  cross join synced s
  cross join lateral (values
    ('speed_to_lead_minutes_median', a.median::numeric, 'no lead in period has had a sales activity',
      jsonb_build_object('count', a.answered, 'sumMinutes', a.minutes_sum)),
    ('speed_to_lead_share_within_5m', case when a.leads > 0 then a.within::numeric / a.leads end,
      'no leads in period', jsonb_build_object('numerator', a.within, 'denominator', a.leads)),
    ('speed_to_lead_answered', a.answered::numeric, null,
      jsonb_build_object('count', a.answered, 'leads', a.leads)),
    ('speed_to_lead_followups_mean', case when a.met > 0 then a.followups_sum::numeric / a.met end,
      'no lead in period has booked a meeting', jsonb_build_object('count', a.met, 'sum', a.followups_sum))
  ) as x(kpi, value, reason, inputs)`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
