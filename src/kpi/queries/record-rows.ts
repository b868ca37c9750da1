import { sql } from 'kysely';

import { salesActivitiesRelation } from './sales-activities';
import type { Executor } from '../../db';
import type { DealAttribution } from '../kpi.tables';
import type { KpiSettings } from './portal-settings';
import { TRAILING_90D } from './snapshot-periods';

/**
 * Per-deal KPI rows (what the deal card and the write-back show), in one `insert … select`:
 * age (now − createdate), days to close (closed deals), days in the current stage (open deals
 * whose history reaches their current stage: now − start of the current stay) against the median
 * of completed stays in that stage over all deals, the deal's pipeline's trailing-90-day factors,
 * and its attribution (revenue credits when won and credited, else deal creation) per model and
 * channel. Reads kpi_tmp_deal_base, kpi_snapshots and kpi_credits of this run.
 */
export async function insertDealRows(
  db: Executor,
  args: {
    readonly settings: KpiSettings;
    readonly runId: number;
    readonly now: number;
    readonly trailingStart: number;
  },
): Promise<number> {
  const p = args.settings.portalId;
  const now = new Date(args.now).toISOString();
  const result = await sql`
  with hist as (
    select h.deal_id, h.stage_id, h.changed_at,
      lag(h.stage_id) over (partition by h.deal_id order by h.changed_at) as prev_stage
    from deal_stage_history h join kpi_tmp_deal_base d on d.deal_id = h.deal_id
    where h.portal_id = ${p}
  ),
  runs as (
    select deal_id, stage_id, changed_at as from_at,
      lead(changed_at) over (partition by deal_id order by changed_at) as to_at
    from hist where prev_stage is distinct from stage_id
  ),
  current_stay as (select deal_id, stage_id, from_at from runs where to_at is null),
  stage_medians as (
    select stage_id, percentile_cont(0.5) within group (order by days) as median_days
    from (
      select deal_id, stage_id, sum(greatest(0, extract(epoch from to_at) - extract(epoch from from_at)))::float8 / 86400 as days
      from runs where to_at is not null group by deal_id, stage_id
    ) x
    where stage_id in (select stage_id from kpi_tmp_stage_meta where not is_closed)
    group by stage_id
  ),
  factors as (
    select pipeline_id,
      max(value) filter (where kpi = 'pipeline_velocity') as velocity,
      max(value) filter (where kpi = 'qualified_opportunities') as qualified,
      max(value) filter (where kpi = 'win_rate') as win_rate,
      max(value) filter (where kpi = 'average_won_deal_size') as avg_size,
      max(value) filter (where kpi = 'sales_cycle_days') as cycle
    from kpi_snapshots
    where portal_id = ${p} and period_unit = ${TRAILING_90D} and breakdown = 'all'
      and period_start = ${new Date(args.trailingStart).toISOString()}::timestamptz
    group by pipeline_id
  )
  insert into kpi_deal_rows (portal_id, deal_id, pipeline_id, stage_id, owner_id, source, outcome, amount_home,
    created_at, close_date, age_days, days_to_close, days_in_stage, stage_median_days, pipeline_velocity,
    pipeline_qualified, pipeline_win_rate, pipeline_avg_won_size, pipeline_cycle_days, run_id)
  select ${p}, d.deal_id, d.pipeline_id, d.stage_id, d.owner_id, d.source_key, d.outcome, d.amount_home,
    d.created_at, d.close_date,
    greatest(0, extract(epoch from ${now}::timestamptz) - extract(epoch from d.created_at))::float8 / 86400,
    case when d.outcome <> 'open' and d.close_date >= d.created_at
      then (extract(epoch from d.close_date) - extract(epoch from d.created_at))::float8 / 86400 end,
    case when d.outcome = 'open' then
      case when cs.deal_id is null then
        greatest(0, extract(epoch from ${now}::timestamptz) - extract(epoch from d.created_at))::float8 / 86400
      when cs.stage_id = d.stage_id then
        greatest(0, extract(epoch from ${now}::timestamptz) - extract(epoch from cs.from_at))::float8 / 86400
      end
    end,
    sm.median_days, f.velocity, f.qualified, f.win_rate, f.avg_size, f.cycle, ${args.runId}
  from kpi_tmp_deal_base d
  left join current_stay cs on cs.deal_id = d.deal_id
  left join stage_medians sm on sm.stage_id = d.stage_id
  left join factors f on f.pipeline_id = d.pipeline_id`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/**
 * Per-contact KPI rows (what the contact card and the write-back show): original source,
 * lifecycle stage, customer since, first won deal and days to deal (first visit, else createdate,
 * to its closedate), won deals and revenue, open deals and amount, touches with the first and the
 * latest channel, minutes from the clock start (first form conversion, else createdate) to the
 * first sales activity at or after it.
 */
export async function insertContactRows(
  db: Executor,
  args: {
    readonly settings: KpiSettings;
    readonly runId: number;
    /**
     * Only the contacts with `contact_id % parts = part` (the computation writes its two halves on
     * its two connections at once); default all. `kpi_tmp_contact_touches` needs those only.
     */
    readonly split?: { readonly part: number; readonly parts: number };
  },
): Promise<number> {
  const p = args.settings.portalId;
  const { part, parts } = args.split ?? { part: 0, parts: 1 };
  if (!Number.isSafeInteger(part) || !Number.isSafeInteger(parts) || parts < 1 || part < 0 || part >= parts)
    throw new RangeError(`bad contact split ${part}/${parts}`);
  const mine = (id: ReturnType<typeof sql.ref>) =>
    parts === 1 ? sql`true` : sql`${id} % ${sql.lit(parts)} = ${sql.lit(part)}`;
  const result = await sql`
  with won as (
    select dc.contact_id, count(*)::int as won, sum(d.amount_home) as revenue,
      (array_agg(d.deal_id order by d.close_date, d.deal_id))[1] as first_won, min(d.close_date) as first_close
    from deal_contacts dc join kpi_tmp_deal_base d on d.deal_id = dc.deal_id
    where dc.portal_id = ${p} and d.outcome = 'won' and d.close_date is not null and ${mine(sql.ref('dc.contact_id'))}
    group by dc.contact_id
  ),
  open as (
    select dc.contact_id, count(*)::int as open, sum(d.amount_home) as amount
    from deal_contacts dc join kpi_tmp_deal_base d on d.deal_id = dc.deal_id
    where dc.portal_id = ${p} and d.outcome = 'open' and ${mine(sql.ref('dc.contact_id'))}
    group by dc.contact_id
  ),
  first_activity as (
    select a.contact_id, min(a.at) as at
    from (${salesActivitiesRelation(p)}) a join kpi_tmp_contact_base c on c.contact_id = a.contact_id
    where a.at >= coalesce(c.first_conversion_at, c.created_at) and ${mine(sql.ref('c.contact_id'))}
    group by a.contact_id
  )
  insert into kpi_contact_rows_by_run (portal_id, contact_id, source, lifecycle_stage, created_at, customer_since,
    first_won_deal_id, days_to_deal, won_deals, won_revenue, open_deals, open_amount, touches,
    first_touch_channel, last_touch_channel, minutes_to_first_activity, run_id)
  select ${p}, cb.contact_id, cb.source_key, cb.lifecycle_stage, cb.created_at, cb.customer_since,
    w.first_won,
    case when w.first_close >= coalesce(cb.first_visit_at, cb.created_at) then
      (extract(epoch from w.first_close) - extract(epoch from coalesce(cb.first_visit_at, cb.created_at)))::float8 / 86400 end,
    coalesce(w.won, 0), w.revenue, coalesce(o.open, 0), o.amount, coalesce(tc.touches, 0), tc.first_channel, tc.last_channel,
    (extract(epoch from fa.at) - extract(epoch from coalesce(cb.first_conversion_at, cb.created_at)))::float8 / 60,
    ${args.runId}
  from kpi_tmp_contact_base cb
  left join won w on w.contact_id = cb.contact_id
  left join open o on o.contact_id = cb.contact_id
  left join kpi_tmp_contact_touches tc on tc.contact_id = cb.contact_id
  left join first_activity fa on fa.contact_id = cb.contact_id
  where ${mine(sql.ref('cb.contact_id'))}`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/**
 * A deal's attribution as the deal card shows it: credit per model and channel of its revenue
 * conversion when it has one, else of its creation; null when the deal has no stored credits.
 */
export async function readDealAttribution(
  db: Executor,
  portalId: number,
  dealId: number,
): Promise<DealAttribution | null> {
  const rows = await db
    .selectFrom('kpi_deal_attribution')
    .select(['conversion_kind', 'value', 'model', 'channel', 'credit'])
    .where('portal_id', '=', portalId)
    .where('deal_id', '=', dealId)
    .execute();
  const first = rows[0];
  if (first === undefined) return null;
  const models: Record<string, Record<string, number>> = {};
  for (const r of rows) (models[r.model] ??= {})[r.channel] = r.credit;
  return {
    kind: first.conversion_kind === 'revenue' ? 'revenue' : 'deal_create',
    value: first.value,
    models,
  };
}
