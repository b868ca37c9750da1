import { sql } from 'kysely';

import type { Executor } from '../../db';
import { ALL_SOURCES, NO_SOURCE } from '../models/metrics';
import type { KpiSettings } from './portal-settings';
import type { SnapshotPeriod } from './snapshot-periods';
import { boundsCte, periodsRelation } from './snapshot-periods';

/**
 * Set-based SQL for the period KPIs: each function is one `insert … select` that aggregates a
 * portal's mirror rows inside Postgres and writes the figures, so no record crosses the wire.
 * The rules are those of the pure models in ../models/metrics (the tests check both give the same
 * figures on the same rows); docs/kpis.md "How it is computed" says which query re-derives the
 * records behind each figure.
 */

export interface SnapshotQueryContext {
  readonly settings: KpiSettings;
  readonly periods: readonly SnapshotPeriod[];
  readonly runId: number;
  /** The computation's "now" (epoch ms). */
  readonly now: number;
}

const INSERT_COLUMNS = sql`insert into kpi_snapshots (portal_id, kpi, period_unit, period_start, period_end,
  period_label, pipeline_id, breakdown, breakdown_value, value, reason, inputs, run_id)`;

/**
 * Pipeline velocity and its four factors per non-archived pipeline × period × breakdown (all,
 * owner, source); returns the number of rows written.
 * - qualified: (deal, pipeline) pairs whose first entry into the pipeline's qualified stage (the
 *   configured one, else the first open stage; the skip rule: a later open stage or a won stage
 *   implies it) falls in the period. A deal without stage history entered its current stage at
 *   createdate.
 * - win rate, average won size, sales cycle: deals of the pipeline closed (closedate) in the
 *   period, outcome from stage metadata; sizes over won deals with a home amount; cycles over won
 *   deals whose closedate is not before their createdate.
 */
export async function insertVelocitySnapshots(db: Executor, q: SnapshotQueryContext): Promise<number> {
  const p = q.settings.portalId;
  const result = await sql`
  with periods as (${periodsRelation(q.periods)}),
  pipes as (select pipeline_id from pipelines where portal_id = ${p} and not archived),
  ordered_stages as (
    select s.pipeline_id, s.stage_id, s.is_closed, s.is_won,
      case when not s.is_closed then
        row_number() over (partition by s.pipeline_id, s.is_closed order by s.display_order, s.stage_id collate "C")
      end as open_rank
    from pipeline_stages s where s.portal_id = ${p}
  ),
  q_meta as (
    select pl.pipeline_id, qs.stage_id as q_stage, qs.is_closed as q_closed, qs.open_rank as q_rank,
      coalesce(pl.qualified_stage_id, first_open.stage_id) as wanted_stage
    from pipelines pl
    left join ordered_stages first_open on first_open.pipeline_id = pl.pipeline_id and first_open.open_rank = 1
    left join ordered_stages qs on qs.pipeline_id = pl.pipeline_id
      and qs.stage_id = coalesce(pl.qualified_stage_id, first_open.stage_id)
    where pl.portal_id = ${p} and not pl.archived
  ),
  implying as (
    select o.pipeline_id, o.stage_id
    from ordered_stages o join q_meta m on m.pipeline_id = o.pipeline_id and m.q_stage is not null
    where (not o.is_closed and not m.q_closed and o.open_rank >= m.q_rank)
       or (o.is_won and (not m.q_closed or o.stage_id = m.q_stage))
       or (o.is_closed and not o.is_won and o.stage_id = m.q_stage)
  ),
  with_history as (select distinct deal_id from deal_stage_history where portal_id = ${p}),
  q_entries as (
    select i.pipeline_id, h.deal_id, min(h.changed_at) as entered_at
    from deal_stage_history h join implying i on i.stage_id = h.stage_id
    where h.portal_id = ${p}
    group by i.pipeline_id, h.deal_id
    union all
    select i.pipeline_id, d.deal_id, d.created_at
    from kpi_tmp_deal_base d join implying i on i.stage_id = d.stage_id
    where not exists (select 1 from with_history w where w.deal_id = d.deal_id)
  ),
  events as (
    select pe.unit, pe.label, pe.start_at, pe.end_at, e.pipeline_id, d.owner_key, d.source_key,
      'qualified' as kind, null::numeric as amount, null::float8 as cycle_days
    from q_entries e
    join kpi_tmp_deal_base d on d.deal_id = e.deal_id
    join periods pe on e.entered_at >= pe.start_at and e.entered_at < pe.end_at
    union all
    select pe.unit, pe.label, pe.start_at, pe.end_at, d.pipeline_id, d.owner_key, d.source_key,
      d.outcome, d.amount_home,
      case when d.close_date >= d.created_at
        then (extract(epoch from d.close_date) - extract(epoch from d.created_at))::float8 / 86400 end
    from kpi_tmp_deal_base d
    join pipes using (pipeline_id)
    join periods pe on d.close_date >= pe.start_at and d.close_date < pe.end_at
    where d.outcome in ('won', 'lost')
    union all
    select pe.unit, pe.label, pe.start_at, pe.end_at, pp.pipeline_id, null, null, 'none', null, null
    from periods pe cross join pipes pp
  ),
  agg as (
    select unit, label, start_at, end_at, pipeline_id,
      case when grouping(owner_key) = 0 then 'owner' when grouping(source_key) = 0 then 'source' else 'all' end
        as breakdown,
      coalesce(case when grouping(owner_key) = 0 then owner_key end,
               case when grouping(source_key) = 0 then source_key end, '') as breakdown_value,
      count(*) filter (where kind = 'qualified') as qualified,
      count(*) filter (where kind = 'won') as won,
      count(*) filter (where kind = 'lost') as lost,
      count(amount) filter (where kind = 'won') as sized,
      sum(amount) filter (where kind = 'won') as size_sum,
      count(cycle_days) filter (where kind = 'won') as cycles,
      sum(cycle_days) filter (where kind = 'won') as cycle_sum
    from events
    group by grouping sets ((unit, label, start_at, end_at, pipeline_id),
      (unit, label, start_at, end_at, pipeline_id, owner_key),
      (unit, label, start_at, end_at, pipeline_id, source_key))
    having not (grouping(owner_key) = 0 and owner_key is null)
       and not (grouping(source_key) = 0 and source_key is null)
  ),
  factors as (
    select a.*, m.q_stage, m.wanted_stage,
      case when m.q_stage is not null then a.qualified::numeric end as f_qualified,
      case when a.won + a.lost > 0 then a.won::numeric / (a.won + a.lost) end as f_win_rate,
      case when a.sized > 0 then a.size_sum / a.sized end as f_size,
      case when a.cycles > 0 then (a.cycle_sum / a.cycles)::numeric end as f_cycle
    from agg a join q_meta m using (pipeline_id)
  )
  ${INSERT_COLUMNS}
  select ${p}::bigint, x.kpi, f.unit, f.start_at, f.end_at, f.label, f.pipeline_id, f.breakdown, f.breakdown_value,
    x.value, case when x.value is null then x.reason end, x.inputs, ${q.runId}::bigint
  from factors f
  cross join lateral (values
    ('qualified_opportunities', f.f_qualified,
      case when f.wanted_stage is null then 'pipeline has no open stage to use as qualified stage'
        else 'qualified stage ' || f.wanted_stage || ' is not a stage of the pipeline' end,
      jsonb_build_object('count', f.qualified, 'qualifiedStageId', f.wanted_stage)),
    ('win_rate', f.f_win_rate, 'no closed deals in period',
      jsonb_build_object('numerator', f.won, 'denominator', f.won + f.lost)),
    ('average_won_deal_size', f.f_size,
      case when f.won = 0 then 'no deals won in period' else 'no deal won in period has an amount in the home currency' end,
      jsonb_build_object('count', f.sized, 'sum', f.size_sum, 'excluded', f.won - f.sized)),
    ('sales_cycle_days', f.f_cycle,
      case when f.won = 0 then 'no deals won in period' else 'no won deal has a usable cycle' end,
      jsonb_build_object('count', f.cycles, 'sumDays', f.cycle_sum, 'excluded', f.won - f.cycles)),
    ('pipeline_velocity',
      case when f.f_cycle <> 0 then f.f_qualified * f.f_win_rate * f.f_size / f.f_cycle end,
      case when f.f_qualified is null then 'qualified opportunities unknown'
        when f.f_win_rate is null then 'win rate unknown: no closed deals in period'
        when f.f_size is null then 'average won deal size unknown'
        when f.f_cycle is null then 'sales cycle unknown'
        else 'mean sales cycle is 0 days' end,
      jsonb_build_object('qualifiedOpportunities', f.f_qualified, 'winRate', f.f_win_rate,
        'averageWonDealSize', f.f_size, 'salesCycleDays', f.f_cycle))
  ) as x(kpi, value, reason, inputs)`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/**
 * Won deals and won revenue per period × breakdown (all, source, pipeline, owner): deals won per
 * stage metadata with closedate in the period; revenue is Σ home amounts, unknown when deals were
 * won but none has a home amount (0 would hide revenue we cannot express).
 */
export async function insertRevenueSnapshots(db: Executor, q: SnapshotQueryContext): Promise<number> {
  const result = await sql`
  with periods as (${periodsRelation(q.periods)}),
  won as (
    select pe.unit, pe.label, pe.start_at, pe.end_at, d.source_key, d.pipeline_id, d.owner_key, d.amount_home, 1 as n
    from kpi_tmp_deal_base d join periods pe on d.close_date >= pe.start_at and d.close_date < pe.end_at
    where d.outcome = 'won'
    union all
    select unit, label, start_at, end_at, null, null, null, null, 0 from periods
  ),
  agg as (
    select unit, label, start_at, end_at,
      case when grouping(source_key) = 0 then 'source' when grouping(pipeline_id) = 0 then 'pipeline'
        when grouping(owner_key) = 0 then 'owner' else 'all' end as breakdown,
      coalesce(case when grouping(source_key) = 0 then source_key end,
        case when grouping(pipeline_id) = 0 then pipeline_id end,
        case when grouping(owner_key) = 0 then owner_key end, '') as breakdown_value,
      sum(n) as deals, count(amount_home) as summed, sum(amount_home) as revenue
    from won
    group by grouping sets ((unit, label, start_at, end_at), (unit, label, start_at, end_at, source_key),
      (unit, label, start_at, end_at, pipeline_id), (unit, label, start_at, end_at, owner_key))
    having not (grouping(source_key) = 0 and source_key is null)
       and not (grouping(pipeline_id) = 0 and pipeline_id is null)
       and not (grouping(owner_key) = 0 and owner_key is null)
  )
  ${INSERT_COLUMNS}
  select ${q.settings.portalId}::bigint, x.kpi, a.unit, a.start_at, a.end_at, a.label, '', a.breakdown,
    case when a.breakdown = 'all' then ${ALL_SOURCES} else a.breakdown_value end,
    x.value, case when x.value is null then x.reason end, x.inputs, ${q.runId}::bigint
  from agg a
  cross join lateral (values
    ('won_deals', a.deals::numeric, null, jsonb_build_object('count', a.deals)),
    ('won_revenue', case when a.deals > 0 and a.summed = 0 then null else coalesce(a.revenue, 0) end,
      'no won deal has an amount in the home currency',
      jsonb_build_object('count', a.summed, 'sum', coalesce(a.revenue, 0), 'excluded', a.deals - a.summed))
  ) as x(kpi, value, reason, inputs)`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/**
 * New customers (customer date in the period) and new contacts (createdate in the period: the
 * funnel's leads) per period × breakdown (all, source, owner), by the contact's original source.
 */
export async function insertContactSnapshots(db: Executor, q: SnapshotQueryContext): Promise<number> {
  const result = await sql`
  with periods as (${periodsRelation(q.periods)}),
  ${boundsCte()},
  per_bucket as (
    select 'new_customers' as kpi, width_bucket(c.customer_since, (select b from bounds)) as bucket,
      c.source_key, c.owner_key, count(*) as n
    from kpi_tmp_contact_base c where c.customer_since is not null
    group by 1, 2, 3, 4
    union all
    select 'new_contacts', width_bucket(c.created_at, (select b from bounds)), c.source_key, c.owner_key, count(*)
    from kpi_tmp_contact_base c
    group by 1, 2, 3, 4
  ),
  facts as (
    select pe.unit, pe.label, pe.start_at, pe.end_at, f.source_key, f.owner_key, f.kpi, f.n
    from per_bucket f cross join bounds
    join periods pe on pe.start_at <= bounds.b[f.bucket] and bounds.b[f.bucket + 1] <= pe.end_at
  ),
  frame as (
    select pe.*, k.kpi from periods pe cross join (values ('new_customers'), ('new_contacts')) k(kpi)
  ),
  agg as (
    select kpi, unit, label, start_at, end_at,
      case when grouping(source_key) = 0 then 'source' when grouping(owner_key) = 0 then 'owner' else 'all' end
        as breakdown,
      coalesce(case when grouping(source_key) = 0 then source_key end,
        case when grouping(owner_key) = 0 then owner_key end, ${ALL_SOURCES}) as breakdown_value,
      sum(n) as n
    from facts
    group by grouping sets ((kpi, unit, label, start_at, end_at), (kpi, unit, label, start_at, end_at, source_key),
      (kpi, unit, label, start_at, end_at, owner_key))
  ),
  rows as (
    select a.* from agg a
    union all
    select f.kpi, f.unit, f.label, f.start_at, f.end_at, 'all', ${ALL_SOURCES}, 0 from frame f
    where not exists (select 1 from agg a where a.kpi = f.kpi and a.unit = f.unit and a.start_at = f.start_at
      and a.breakdown = 'all')
  )
  ${INSERT_COLUMNS}
  select ${q.settings.portalId}::bigint, kpi, unit, start_at, end_at, label, '', breakdown, breakdown_value,
    n, null, jsonb_build_object('count', n), ${q.runId}::bigint
  from rows`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/**
 * Open pipeline as of the computation time (period unit `now`) per breakdown (all, source,
 * pipeline, owner): live deals created by then whose stage at that instant (the last stage-history
 * value at or before it, else the first one, else the current stage) is open per stage metadata.
 * A stage missing from the metadata falls back to hs_is_closed only when it is the current stage;
 * otherwise the deal is unclassified and left out (counted in the `all` row's inputs).
 */
export async function insertOpenPipelineSnapshots(db: Executor, q: SnapshotQueryContext): Promise<number> {
  const p = q.settings.portalId;
  const asOf = new Date(q.now).toISOString();
  const result = await sql`
  with   stage_then as (
    select distinct on (h.deal_id) h.deal_id, h.stage_id
    from deal_stage_history h
    where h.portal_id = ${p}
    order by h.deal_id, (h.changed_at <= ${asOf}::timestamptz) desc,
      case when h.changed_at <= ${asOf}::timestamptz then h.changed_at end desc, h.changed_at
  ),
  classified as (
    select d.deal_id, d.source_key, d.pipeline_id, d.owner_key, d.amount_home,
      case
        when own.stage_id is not null then not own.is_closed
        when anyp.stage_id is not null then not anyp.is_closed
        when coalesce(st.stage_id, d.stage_id) = d.stage_id then not d.flag_closed
      end as is_open
    from kpi_tmp_deal_base d
    left join stage_then st on st.deal_id = d.deal_id
    left join kpi_tmp_stage_meta own on own.pipeline_id = d.pipeline_id and own.stage_id = coalesce(st.stage_id, d.stage_id)
    left join kpi_tmp_stage_meta anyp on anyp.stage_id = coalesce(st.stage_id, d.stage_id) and anyp.pref = 1
    where d.created_at <= ${asOf}::timestamptz
  ),
  facts as (
    select source_key, pipeline_id, owner_key, amount_home, 1 as n, 0 as unclassified from classified where is_open
    union all
    select null, null, null, null, 0, 1 from classified where is_open is null
    union all
    select null, null, null, null, 0, 0
  ),
  agg as (
    select case when grouping(source_key) = 0 then 'source' when grouping(pipeline_id) = 0 then 'pipeline'
        when grouping(owner_key) = 0 then 'owner' else 'all' end as breakdown,
      coalesce(case when grouping(source_key) = 0 then source_key end,
        case when grouping(pipeline_id) = 0 then pipeline_id end,
        case when grouping(owner_key) = 0 then owner_key end, ${ALL_SOURCES}) as breakdown_value,
      sum(n) as deals, count(amount_home) as summed, coalesce(sum(amount_home), 0) as amount,
      sum(unclassified) as unclassified
    from facts
    group by grouping sets ((), (source_key), (pipeline_id), (owner_key))
    having not (grouping(source_key) = 0 and source_key is null)
       and not (grouping(pipeline_id) = 0 and pipeline_id is null)
       and not (grouping(owner_key) = 0 and owner_key is null)
  )
  ${INSERT_COLUMNS}
  select ${p}::bigint, x.kpi, 'now', ${asOf}::timestamptz, ${asOf}::timestamptz, 'now', '', a.breakdown, a.breakdown_value,
    x.value, null, x.inputs, ${q.runId}::bigint
  from agg a
  cross join lateral (values
    ('open_deals', a.deals::numeric, jsonb_build_object('count', a.deals, 'unclassified', a.unclassified)),
    ('open_amount', a.amount, jsonb_build_object('count', a.summed, 'sum', a.amount, 'excluded', a.deals - a.summed))
  ) as x(kpi, value, inputs)`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/**
 * Contacts per lifecycle stage now (breakdown `stage`): the last lifecycle-history value at or
 * before the computation time (without history: the current value since createdate); contacts
 * without a stage then are the `(no stage)` row.
 */
export async function insertLifecycleSnapshots(db: Executor, q: SnapshotQueryContext): Promise<number> {
  const p = q.settings.portalId;
  const asOf = new Date(q.now).toISOString();
  const result = await sql`
  ${INSERT_COLUMNS}
  select ${p}::bigint, 'contacts_in_stage', 'now', ${asOf}::timestamptz, ${asOf}::timestamptz, 'now', '', 'stage',
    coalesce(stage_now, '(no stage)'), count(*), null, jsonb_build_object('count', count(*)), ${q.runId}::bigint
  from kpi_tmp_contact_base where created_at <= ${asOf}::timestamptz
  group by stage_now`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/**
 * The two KPI-1/KPI-2 series per period: web visits of DIRECT_TRAFFIC and ORGANIC_SEARCH
 * (analytics days whose local midnight falls in the period) and meetings booked on the web
 * (`MEETINGS_PUBLIC`, by booking time) per original source of the booking contact (of several: the
 * live one created first, ties to the lowest id, as `selectLeadContact`).
 */
export async function insertTrafficAndMeetingSnapshots(
  db: Executor,
  q: SnapshotQueryContext,
): Promise<number> {
  const p = q.settings.portalId;
  const result = await sql`
  with periods as (${periodsRelation(q.periods)}),
  visits as (
    select pe.unit, pe.label, pe.start_at, pe.end_at, k.source, coalesce(sum(w.visits), 0) as visits, count(w.day) as days
    from periods pe
    cross join (values ('DIRECT_TRAFFIC'), ('ORGANIC_SEARCH')) k(source)
    left join web_traffic_daily w on w.portal_id = ${p} and w.source = k.source
      and (w.day::timestamp at time zone ${q.settings.timeZone}) >= pe.start_at
      and (w.day::timestamp at time zone ${q.settings.timeZone}) < pe.end_at
    group by pe.unit, pe.label, pe.start_at, pe.end_at, k.source
  ),
  booking as (
    select distinct on (mc.meeting_id) mc.meeting_id,
      case when btrim(coalesce(c.analytics_source, ''), E' \t\n\r') <> '' then c.analytics_source else ${NO_SOURCE} end as source_key
    from meeting_contacts mc join contacts c on c.portal_id = mc.portal_id and c.contact_id = mc.contact_id
    where mc.portal_id = ${p} and not c.archived and c.merged_into is null
    order by mc.meeting_id, c.created_at, mc.contact_id
  ),
  meetings_web as (
    select pe.unit, pe.label, pe.start_at, pe.end_at, coalesce(b.source_key, ${NO_SOURCE}) as source_key, 1 as n
    from meetings m
    left join booking b using (meeting_id)
    join periods pe on m.created_at >= pe.start_at and m.created_at < pe.end_at
    where m.portal_id = ${p} and not m.archived and m.meeting_source = 'MEETINGS_PUBLIC'
    union all
    select unit, label, start_at, end_at, null, 0 from periods
  ),
  meeting_agg as (
    select unit, label, start_at, end_at,
      case when grouping(source_key) = 0 then 'source' else 'all' end as breakdown,
      coalesce(case when grouping(source_key) = 0 then source_key end, ${ALL_SOURCES}) as breakdown_value,
      sum(n) as n
    from meetings_web
    group by grouping sets ((unit, label, start_at, end_at), (unit, label, start_at, end_at, source_key))
    having not (grouping(source_key) = 0 and source_key is null)
  )
  ${INSERT_COLUMNS}
  select ${p}::bigint, 'web_visits', unit, start_at, end_at, label, '', 'source', source,
    case when days > 0 then visits end, case when days = 0 then 'no analytics data in period' end,
    jsonb_build_object('days', days, 'sum', visits), ${q.runId}::bigint
  from visits
  union all
  select ${p}::bigint, 'meetings_booked_web', unit, start_at, end_at, label, '', breakdown, breakdown_value, n, null,
    jsonb_build_object('count', n), ${q.runId}::bigint
  from meeting_agg`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
