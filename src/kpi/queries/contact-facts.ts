import { sql } from 'kysely';

import type { Executor } from '../../db';
import { CUSTOMER_STAGE, NO_SOURCE } from '../models/metrics';
import { NO_OWNER } from './deal-facts';
import type { KpiSettings } from './portal-settings';

/**
 * Materialises `kpi_tmp_contact_base` (dropped at commit), one row per live contact, read by the
 * contact snapshots, the lifecycle counts and the contact rows instead of each re-deriving it:
 * - `customer_since`: hs_v2_date_entered_customer, else the first lifecycle-history entry into
 *   `customer` or a later stage of the portal's order (skip rule); a contact without any history
 *   whose current stage is such a stage became one at createdate;
 * - `stage_now`: the last history value at or before `now` (null when history starts later);
 *   without history, the current value;
 * - `has_history`: whether the contact has any lifecycle history;
 * - `source_key` (original source, else `(no source)`), `owner_key`, and the columns the contact
 *   rows show. Must run inside a transaction.
 */
export async function createContactFactsTable(
  db: Executor,
  settings: KpiSettings,
  now: number,
  /**
   * Without `stage_now` (which only the lifecycle counts read): one aggregation of the history
   * instead of its latest row per contact joined with the customer entries, about a quarter less
   * work at a million contacts.
   */
  options: { readonly stageNow: boolean } = { stageNow: true },
): Promise<number> {
  const p = settings.portalId;
  const order = [...settings.lifecycleOrder];
  const asOf = new Date(now).toISOString();
  const isCustomer = (stage: ReturnType<typeof sql.ref>) =>
    sql`(${stage} = ${CUSTOMER_STAGE}
      or array_position(${order}::text[], ${stage}) >= array_position(${order}::text[], ${CUSTOMER_STAGE}::text))`;
  await sql`drop table if exists kpi_tmp_contact_base`.execute(db);
  const columns = sql`c.contact_id, c.created_at, c.owner_id, coalesce(c.owner_id, ${NO_OWNER}) as owner_key,
    case when btrim(coalesce(c.analytics_source, ''), E' \t\n\r') <> '' then c.analytics_source else ${NO_SOURCE} end
      as source_key,
    coalesce(c.became_customer_at,
      case when h.contact_id is not null then h.customer_at
        when ${isCustomer(sql.ref('c.lifecycle_stage'))} then c.created_at end) as customer_since,
    h.contact_id is not null as has_history`;
  const live = sql`c.portal_id = ${p} and not c.archived and c.merged_into is null`;
  if (!options.stageNow) {
    await sql`
    create temp table kpi_tmp_contact_base on commit drop as
    with history as (
      select h.contact_id, min(h.changed_at) filter (where ${isCustomer(sql.ref('h.stage'))}) as customer_at
      from contact_lifecycle_history h
      where h.portal_id = ${p}
      group by h.contact_id
    )
    select ${columns}, c.lifecycle_stage, c.first_visit_at, c.first_conversion_at
    from contacts c
    left join history h on h.contact_id = c.contact_id
    where ${live}`.execute(db);
  } else
    await sql`
  create temp table kpi_tmp_contact_base on commit drop as
  with latest as (
    -- The latest change of each contact, in the history key's order (no sort); rarely after now.
    select distinct on (h.contact_id) h.contact_id, h.changed_at, h.stage
    from contact_lifecycle_history h
    where h.portal_id = ${p}
    order by h.contact_id desc, h.changed_at desc
  ),
  customer as (
    select h.contact_id, min(h.changed_at) as at
    from contact_lifecycle_history h
    where h.portal_id = ${p} and ${isCustomer(sql.ref('h.stage'))}
    group by h.contact_id
  ),
  history as (
    select l.contact_id, cu.at as customer_at,
      case when l.changed_at <= ${asOf}::timestamptz then l.stage
        else (select h.stage from contact_lifecycle_history h
              where h.portal_id = ${p} and h.contact_id = l.contact_id and h.changed_at <= ${asOf}::timestamptz
              order by h.changed_at desc limit 1) end as stage_then
    from latest l left join customer cu on cu.contact_id = l.contact_id
  )
  select ${columns},
    case when h.contact_id is null then c.lifecycle_stage else h.stage_then end as stage_now,
    c.lifecycle_stage, c.first_visit_at, c.first_conversion_at
  from contacts c
  left join history h on h.contact_id = c.contact_id
  where ${live}`.execute(db);
  await sql`analyze kpi_tmp_contact_base`.execute(db);
  const count = await sql<{ n: number }>`select count(*)::int as n from kpi_tmp_contact_base`.execute(db);
  return count.rows[0]?.n ?? 0;
}
