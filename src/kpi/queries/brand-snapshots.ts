import { sql } from 'kysely';

import type { Executor } from '../../db';
import { ALL_SOURCES, DIRECT_TRAFFIC, getPreviousPeriod, ORGANIC_SEARCH } from '../models/metrics';
import type { SnapshotQueryContext } from './snapshot-queries';

/** The brand figures (KPI 1), each stored with `_change` and `_change_relative` rows. */
export const BRAND_KPIS = [
  'brand_direct_visits',
  'brand_organic_visits',
  'brand_direct_contacts',
  'brand_branded_searches',
] as const;

/**
 * Brand reach (`computeBrandTraffic`, KPI 1) per period, breakdown `all`, with the change
 * against the period before it (computed here for every period, the oldest stored one included):
 * - `brand_direct_visits`, `brand_organic_visits`: Σ analytics visits of DIRECT_TRAFFIC and
 *   ORGANIC_SEARCH over the days whose local midnight falls in the period; null ("no analytics
 *   data for period") when the period has no traffic row of any source, 0 when it has rows but
 *   none of that source; inputs `{days, sum}`;
 * - `brand_direct_contacts`: contacts created in the period whose original source is
 *   DIRECT_TRAFFIC (a count, 0 when none); inputs `{count}`;
 * - `brand_branded_searches`: Σ uploaded branded search volume of the period's days; null when
 *   the portal never uploaded a series, or the series has no day in the period; inputs `{days, sum}`;
 * - `<kpi>_change` = current − previous and `<kpi>_change_relative` = that ÷ |previous|, the
 *   rules of `computeChange` (unknown when either side is; relative unknown when previous is 0).
 * Needs `kpi_tmp_contact_base`.
 */
export async function insertBrandSnapshots(db: Executor, q: SnapshotQueryContext): Promise<number> {
  const p = q.settings.portalId;
  const tz = q.settings.timeZone;
  const previous = q.periods.map((s) => getPreviousPeriod(s.period));
  const iso = (ms: number) => new Date(ms).toISOString();
  const result = await sql`
  with periods as (
    select * from unnest(${q.periods.map((s) => s.unit)}::text[], ${q.periods.map((s) => s.period.label)}::text[],
      ${q.periods.map((s) => iso(s.period.start))}::timestamptz[], ${q.periods.map((s) => iso(s.period.end))}::timestamptz[],
      ${previous.map((s) => iso(s.start))}::timestamptz[], ${previous.map((s) => iso(s.end))}::timestamptz[])
      as p(unit, label, start_at, end_at, prev_start, prev_end)
  ),
  windows as (
    select unit, label, start_at, end_at, 'cur' as side, start_at as w_start, end_at as w_end from periods
    union all
    select unit, label, start_at, end_at, 'prev', prev_start, prev_end from periods
  ),
  traffic as materialized (
    select (w.day::timestamp at time zone ${tz}) as at, w.source, w.visits
    from web_traffic_daily w where w.portal_id = ${p}
  ),
  searches as materialized (
    select (b.day::timestamp at time zone ${tz}) as at, b.searches
    from branded_search_daily b where b.portal_id = ${p}
  ),
  -- Contacts per local day first (a few hundred rows), then summed per window: periods are whole
  -- local days, and counting a million contacts once per window would not be. Materialized:
  -- referenced once, Postgres would inline it into the per-window subquery and group again.
  direct_days as materialized (
    select ((c.created_at at time zone ${tz})::date::timestamp at time zone ${tz}) as at, count(*) as n
    from kpi_tmp_contact_base c where c.source_key = ${DIRECT_TRAFFIC}
    group by 1
  ),
  figures as (
    select wi.unit, wi.label, wi.start_at, wi.end_at, wi.side,
      t.days, t.direct, t.direct_days, t.organic, t.organic_days,
      (select coalesce(sum(d.n), 0) from direct_days d where d.at >= wi.w_start and d.at < wi.w_end) as contacts,
      s.days as search_days, s.sum as searches
    from windows wi
    cross join lateral (
      select count(*) as days,
        coalesce(sum(visits) filter (where source = ${DIRECT_TRAFFIC}), 0) as direct,
        count(*) filter (where source = ${DIRECT_TRAFFIC}) as direct_days,
        coalesce(sum(visits) filter (where source = ${ORGANIC_SEARCH}), 0) as organic,
        count(*) filter (where source = ${ORGANIC_SEARCH}) as organic_days
      from traffic where at >= wi.w_start and at < wi.w_end
    ) t
    cross join lateral (
      select count(*) as days, coalesce(sum(searches), 0) as sum
      from searches where at >= wi.w_start and at < wi.w_end
    ) s
  ),
  uploaded as (select exists (select 1 from branded_search_daily where portal_id = ${p}) as any),
  valued as (
    select f.unit, f.label, f.start_at, f.end_at, f.side, x.kpi, x.value, x.reason, x.inputs
    from figures f
    cross join uploaded u
    cross join lateral (values
      ('brand_direct_visits', case when f.days > 0 then f.direct::numeric end, 'no analytics data for period',
        jsonb_build_object('days', f.direct_days, 'sum', f.direct)),
      ('brand_organic_visits', case when f.days > 0 then f.organic::numeric end, 'no analytics data for period',
        jsonb_build_object('days', f.organic_days, 'sum', f.organic)),
      ('brand_direct_contacts', f.contacts::numeric, null, jsonb_build_object('count', f.contacts)),
      ('brand_branded_searches', case when u.any and f.search_days > 0 then f.searches::numeric end,
        case when u.any then 'no branded search data for period' else 'no branded search series uploaded' end,
        jsonb_build_object('days', f.search_days, 'sum', f.searches))
    ) as x(kpi, value, reason, inputs)
  ),
  pairs as (
    select c.unit, c.label, c.start_at, c.end_at, c.kpi, c.value as cur, c.reason as cur_reason,
      c.inputs, pv.value as prev, pv.reason as prev_reason
    from valued c
    join valued pv on pv.side = 'prev' and pv.unit = c.unit and pv.start_at = c.start_at and pv.kpi = c.kpi
    where c.side = 'cur'
  ),
  out as (
    select kpi, unit, label, start_at, end_at, cur as value, case when cur is null then cur_reason end as reason, inputs
    from pairs
    union all
    select kpi || x.suffix, unit, label, start_at, end_at, x.value,
      case when x.value is null then
        case when cur is null then 'current period unknown: ' || coalesce(cur_reason, '')
          when prev is null then 'previous period unknown: ' || coalesce(prev_reason, '')
          else 'previous period value is 0' end end,
      jsonb_build_object('current', cur, 'previous', prev)
    from pairs
    cross join lateral (values
      ('_change', cur - prev),
      ('_change_relative', case when prev <> 0 then (cur - prev) / abs(prev) end)
    ) as x(suffix, value)
  )
  insert into kpi_snapshots (portal_id, kpi, period_unit, period_start, period_end,
    period_label, pipeline_id, breakdown, breakdown_value, value, reason, inputs, run_id)
  select ${p}::bigint, kpi, unit, start_at, end_at, label, '', 'all', ${ALL_SOURCES}, value, reason, inputs,
    ${q.runId}::bigint
  from out`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
