import { sql } from 'kysely';

import type { Executor } from '../../db';

import { NO_SOURCE } from '../models/metrics';
import type { KpiSettings } from './portal-settings';

/** Owner bucket of records without an owner. */
export const NO_OWNER = '(no owner)';

/**
 * Materialises, for one portal and the current transaction (temp tables dropped at commit), the
 * facts every deal KPI starts from, so that each later statement reads them instead of
 * re-deriving them:
 * - `kpi_tmp_stage_meta(pipeline_id, stage_id, is_closed, is_won, pref)`: pref 1 marks the stage's
 *   first pipeline in catalog order (display order, then id), the fallback when a deal's own
 *   pipeline lacks its stage (the pure models' `lookupStage`);
 * - `kpi_tmp_deal_base`: live deals with `amount_home` (resolveHomeAmount's rule), `outcome` from
 *   stage metadata (falling back to hs_is_closed_won / hs_is_closed), `lead_contact_id` (the
 *   deal's lead contact: the associated live contact created first, ties to the lowest id; the
 *   pure models' `selectLeadContact`; HubSpot's primary flag plays no part), `source_key` (deal
 *   source, else the lead contact's, else `(no source)`), `owner_key`, and the lead contact's
 *   createdate (`contact_created_at`).
 * Must run inside a transaction.
 */
export async function createDealFactsTables(db: Executor, settings: KpiSettings): Promise<number> {
  const p = settings.portalId;
  await sql`drop table if exists kpi_tmp_stage_meta, kpi_tmp_deal_base`.execute(db);
  await sql`
  create temp table kpi_tmp_stage_meta on commit drop as
    select s.pipeline_id, s.stage_id, s.is_closed, s.is_won,
      row_number() over (partition by s.stage_id order by pl.display_order, pl.pipeline_id collate "C") as pref
    from pipeline_stages s
    join pipelines pl on pl.portal_id = s.portal_id and pl.pipeline_id = s.pipeline_id
    where s.portal_id = ${p}`.execute(db);
  await sql`
  create temp table kpi_tmp_deal_base on commit drop as
  with lead_contact as (
    select distinct on (dc.deal_id) dc.deal_id, c.contact_id, c.analytics_source, c.created_at
    from deal_contacts dc
    join contacts c on c.portal_id = dc.portal_id and c.contact_id = dc.contact_id
    where dc.portal_id = ${p} and not c.archived and c.merged_into is null
    order by dc.deal_id, c.created_at, dc.contact_id
  )
  select d.deal_id, coalesce(d.pipeline_id, '') as pipeline_id, coalesce(d.stage_id, '') as stage_id,
    d.owner_id, coalesce(d.owner_id, ${NO_OWNER}) as owner_key,
    case
      when btrim(coalesce(d.analytics_source, ''), E' \t\n\r') <> '' then d.analytics_source
      when btrim(coalesce(pc.analytics_source, ''), E' \t\n\r') <> '' then pc.analytics_source
      else ${NO_SOURCE}
    end as source_key,
    coalesce(d.amount_home, case when not ${settings.multiCurrency}::boolean then d.amount
      when upper(d.currency) = upper(${settings.homeCurrency}::text) then d.amount end) as amount_home,
    d.created_at, d.close_date, d.is_closed as flag_closed, pc.contact_id as lead_contact_id,
    pc.created_at as contact_created_at,
    case
      when own.stage_id is not null then
        case when not own.is_closed then 'open' when own.is_won then 'won' else 'lost' end
      when anyp.stage_id is not null then
        case when not anyp.is_closed then 'open' when anyp.is_won then 'won' else 'lost' end
      when d.is_won then 'won' when d.is_closed then 'lost' else 'open'
    end as outcome
  from deals d
  left join kpi_tmp_stage_meta own on own.pipeline_id = d.pipeline_id and own.stage_id = d.stage_id
  left join kpi_tmp_stage_meta anyp on anyp.stage_id = d.stage_id and anyp.pref = 1
  left join lead_contact pc on pc.deal_id = d.deal_id
  where d.portal_id = ${p} and not d.archived`.execute(db);
  await sql`alter table kpi_tmp_deal_base add primary key (deal_id)`.execute(db);
  await sql`analyze kpi_tmp_deal_base`.execute(db);
  const count = await sql<{ n: number }>`select count(*)::int as n from kpi_tmp_deal_base`.execute(db);
  return count.rows[0]?.n ?? 0;
}
