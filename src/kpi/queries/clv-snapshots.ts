import { sql } from 'kysely';

import type { Executor } from '../../db';
import { ALL_SOURCES } from '../models/metrics';
import type { SnapshotQueryContext } from './snapshot-queries';

/**
 * Customer lifetime value (`computeCustomerLifetimeValue`) for the portal as of the computation
 * time (`period_unit` `now`, breakdown `all`). Each factor is the portal's override from the
 * settings page (`portal_settings`, src/cards) when set (`inputs.overridden`), else measured:
 * - `clv_average_order_value`: mean home amount of won deals closed by then;
 * - a customer is the lead contact of a won deal (`kpi_tmp_deal_base.lead_contact_id`: the live
 *   contact created first, ties to the lowest id); won deals without one count only in the average;
 * - `clv_years_as_customer`: mean over customers of (now − first won closedate) in years of
 *   365.25 days; `clv_orders_per_year`: Σ won deals of customers ÷ Σ customer years;
 * - `customer_lifetime_value` = the product of the three.
 * One grouped pass over the won deals; needs `kpi_tmp_deal_base`.
 */
export async function insertClvSnapshots(db: Executor, q: SnapshotQueryContext): Promise<number> {
  const p = q.settings.portalId;
  const asOf = new Date(q.now).toISOString();
  const result = await sql`
  with won as (
    select d.deal_id, d.amount_home, d.close_date, d.lead_contact_id from kpi_tmp_deal_base d
    where d.outcome = 'won' and d.close_date is not null and d.close_date <= ${asOf}::timestamptz
  ),
  per_customer as (
    select w.lead_contact_id as contact_id, count(*) as orders, min(w.close_date) as first_close
    from won w where w.lead_contact_id is not null
    group by w.lead_contact_id
  ),
  t as (
    select w.won, w.sized, w.amount_sum, w.aov, c.customers, c.orders, c.customer_years
    from (select count(*) as won, count(amount_home) as sized, sum(amount_home) as amount_sum,
            avg(amount_home) as aov from won) w
    cross join (select count(*) as customers, coalesce(sum(orders), 0) as orders,
      coalesce(sum((extract(epoch from ${asOf}::timestamptz) - extract(epoch from first_close)) / (365.25 * 86400)), 0)
        as customer_years
      from per_customer) c
  ),
  overrides as (
    select clv_average_order_value as aov, clv_orders_per_year as per_year, clv_years_as_customer as years
    from portal_settings where portal_id = ${p}
  ),
  f as (
    select t.won, t.sized, t.amount_sum, t.customers, t.orders, t.customer_years,
      coalesce(o.aov, t.aov) as aov,
      coalesce(o.years, case when customers > 0 then customer_years / customers end) as years,
      coalesce(o.per_year, case when customers > 0 and customer_years > 0 then orders / customer_years end) as per_year,
      o.aov is not null as aov_overridden, o.years is not null as years_overridden,
      o.per_year is not null as per_year_overridden,
      case when won = 0 then 'no won deals' else 'no won deal has a contact' end as no_customers
    from t left join overrides o on true
  )
  insert into kpi_snapshots (portal_id, kpi, period_unit, period_start, period_end,
    period_label, pipeline_id, breakdown, breakdown_value, value, reason, inputs, run_id)
  select ${p}::bigint, x.kpi, 'now', ${asOf}::timestamptz, ${asOf}::timestamptz, 'now', '', 'all', ${ALL_SOURCES},
    x.value, case when x.value is null then x.reason end, x.inputs, ${q.runId}::bigint
  from f
  cross join lateral (values
    ('clv_average_order_value', f.aov,
      case when f.won = 0 then 'no won deals' else 'no won deal has an amount in the home currency' end,
      jsonb_build_object('count', f.sized, 'sum', coalesce(f.amount_sum, 0), 'excluded', f.won - f.sized,
        'overridden', f.aov_overridden)),
    ('clv_years_as_customer', f.years::numeric, f.no_customers,
      jsonb_build_object('customers', f.customers, 'customerYears', f.customer_years, 'overridden', f.years_overridden)),
    ('clv_orders_per_year', f.per_year::numeric,
      case when f.customers = 0 then f.no_customers else 'customers have no time as customers yet' end,
      jsonb_build_object('orders', f.orders, 'customerYears', f.customer_years, 'overridden', f.per_year_overridden)),
    ('customer_lifetime_value', (f.aov * f.per_year * f.years)::numeric,
      case when f.aov is null then 'average order value unknown'
        when f.per_year is null then 'orders per year unknown'
        else 'years as customer unknown' end,
      jsonb_build_object('averageOrderValue', f.aov, 'ordersPerYear', f.per_year, 'yearsAsCustomer', f.years))
  ) as x(kpi, value, reason, inputs)`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
