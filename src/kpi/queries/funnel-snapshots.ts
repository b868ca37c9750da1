import { sql } from 'kysely';

import type { Executor } from '../../db';
import { ALL_SOURCES, NO_SOURCE } from '../models/metrics';
import type { SnapshotQueryContext } from './snapshot-queries';
import { periodsRelation } from './snapshot-periods';

/**
 * The funnel (`computeFunnel`, `computeLeadsPerCustomer`) per period × breakdown (`all`, `source`):
 * - `funnel_visits`: Σ analytics visits of the days whose local midnight falls in the period, per
 *   source bucket of the traffic row; unknown when the period has no analytics row at all (a
 *   missing report is not zero traffic), 0 for a source without rows otherwise;
 * - `visit_to_contact_rate` = new contacts ÷ visits and `contact_to_customer_rate` = new
 *   customers ÷ new contacts (ratios of the period's flows, not cohorts);
 * - `leads_per_customer` (breakdown `all` only) = 1 ÷ contact_to_customer_rate.
 * Contacts and customers are this run's `new_contacts` / `new_customers` rows (written by
 * insertContactSnapshots, which must run first), so both figures rest on the same counts.
 * Source rows: every source seen in visits, new contacts or new customers of the period.
 */
export async function insertFunnelSnapshots(db: Executor, q: SnapshotQueryContext): Promise<number> {
  const p = q.settings.portalId;
  const tz = q.settings.timeZone;
  const result = await sql`
  with periods as (${periodsRelation(q.periods)}),
  traffic as (
    select (w.day::timestamp at time zone ${tz}) as at,
      case when btrim(coalesce(w.source, ''), E' \t\n\r') <> '' then w.source else ${NO_SOURCE} end as source_key,
      w.visits
    from web_traffic_daily w where w.portal_id = ${p}
  ),
  visit_agg as (
    select pe.unit, pe.start_at, case when grouping(t.source_key) = 0 then 'source' else 'all' end as breakdown,
      coalesce(t.source_key, ${ALL_SOURCES}) as breakdown_value, sum(t.visits)::numeric as visits, count(*) as days
    from traffic t join periods pe on t.at >= pe.start_at and t.at < pe.end_at
    group by grouping sets ((pe.unit, pe.start_at), (pe.unit, pe.start_at, t.source_key))
  ),
  flows as (
    select s.period_unit as unit, s.period_start as start_at, s.breakdown, s.breakdown_value,
      coalesce(sum(s.value) filter (where s.kpi = 'new_contacts'), 0) as contacts,
      coalesce(sum(s.value) filter (where s.kpi = 'new_customers'), 0) as customers
    from kpi_snapshots s
    where s.portal_id = ${p} and s.run_id = ${q.runId} and s.kpi in ('new_contacts', 'new_customers')
      and s.breakdown in ('all', 'source')
    group by 1, 2, 3, 4
  ),
  keys as (
    select unit, start_at, breakdown, breakdown_value from flows
    union
    select unit, start_at, breakdown, breakdown_value from visit_agg
    union
    select unit, start_at, 'all', ${ALL_SOURCES} from periods
  ),
  rows as (
    select pe.unit, pe.label, pe.start_at, pe.end_at, k.breakdown, k.breakdown_value,
      coalesce(f.contacts, 0) as contacts, coalesce(f.customers, 0) as customers,
      case when ad.unit is not null then coalesce(v.visits, 0) end as visits, coalesce(v.days, 0) as days
    from keys k
    join periods pe on pe.unit = k.unit and pe.start_at = k.start_at
    left join flows f on f.unit = k.unit and f.start_at = k.start_at and f.breakdown = k.breakdown
      and f.breakdown_value = k.breakdown_value
    left join visit_agg v on v.unit = k.unit and v.start_at = k.start_at and v.breakdown = k.breakdown
      and v.breakdown_value = k.breakdown_value
    left join visit_agg ad on ad.unit = k.unit and ad.start_at = k.start_at and ad.breakdown = 'all'
  )
  insert into kpi_snapshots (portal_id, kpi, period_unit, period_start, period_end,
    period_label, pipeline_id, breakdown, breakdown_value, value, reason, inputs, run_id)
  select ${p}::bigint, x.kpi, r.unit, r.start_at, r.end_at, r.label, '', r.breakdown, r.breakdown_value,
    x.value, case when x.value is null then x.reason end, x.inputs, ${q.runId}::bigint
  from rows r
  cross join lateral (values
    ('funnel_visits', r.visits, 'no analytics data for period',
      jsonb_build_object('days', r.days, 'sum', coalesce(r.visits, 0))),
    ('visit_to_contact_rate', case when r.visits > 0 then r.contacts / r.visits end,
      case when r.visits is null then 'visits unknown: no analytics data for period' else 'no visits in period' end,
      jsonb_build_object('numerator', r.contacts, 'denominator', r.visits)),
    ('contact_to_customer_rate', case when r.contacts > 0 then r.customers / r.contacts end,
      'no contacts created in period', jsonb_build_object('numerator', r.customers, 'denominator', r.contacts))
  ) as x(kpi, value, reason, inputs)
  union all
  select ${p}::bigint, 'leads_per_customer', r.unit, r.start_at, r.end_at, r.label, '', 'all', r.breakdown_value,
    case when r.contacts > 0 and r.customers > 0 then r.contacts / r.customers end,
    case when r.contacts = 0 then 'lead-to-customer rate unknown: no contacts created in period'
      when r.customers = 0 then 'no lead became a customer' end,
    jsonb_build_object('leadToCustomerRate', case when r.contacts > 0 then r.customers / r.contacts end,
      'numerator', r.customers, 'denominator', r.contacts),
    ${q.runId}::bigint
  from rows r where r.breakdown = 'all'`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
