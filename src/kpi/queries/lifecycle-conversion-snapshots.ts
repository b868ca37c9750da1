import { sql } from 'kysely';
import type { RawBuilder } from 'kysely';

import type { Executor } from '../../db';
import { DEFAULT_LIFECYCLE_ORDER } from '../models/metrics';
import type { SnapshotQueryContext } from './snapshot-queries';
import { periodsRelation } from './snapshot-periods';

/** Stored KPI names (kpi_snapshots.kpi); breakdown `stage`, value = the `from` stage, `to` in inputs. */
export const LIFECYCLE_CONVERSION_RATE = 'lifecycle_conversion_rate';
export const LIFECYCLE_MEDIAN_DAYS = 'lifecycle_median_days_between';

/**
 * `lifecycle_entries(contact_id, from_rank, from_at, to_at)`: per live contact (one of
 * `kpi_tmp_contact_base`, or `contacts` when `contacts` says so) and each consecutive pair of the
 * portal's lifecycle order (ranks 1-based, `from_rank` < length), when it entered stage `from_rank`
 * and when it entered the next one (null: not yet), with the skip rule of
 * `computeLifecycleEntries`: entering stage k enters every stage ≤ k, so a stage's entry is the
 * first history event at or before `asOf` in it or any later stage of the order. Stages outside
 * the order (`other`) and cleared values imply nothing. Without any history a contact is taken to
 * have held its current stage since createdate. Rows only for stages the contact entered.
 *
 * Set-based: one pass over the history grouped by (contact, rank); the entry of rank r is the
 * minimum over ranks ≥ r (a suffix minimum), and the ranks between two ranks the contact
 * actually held share the entry of the upper one (skipped stages: 0 days between them).
 */
export function lifecycleEntriesCte(q: {
  readonly portalId: number;
  readonly order: readonly string[];
  readonly asOf: Date;
  /** A relation `(contact_id, created_at, lifecycle_stage)` of the live contacts. */
  readonly contacts: RawBuilder<unknown>;
}): RawBuilder<unknown> {
  const order = [...q.order];
  const p = q.portalId;
  const asOf = q.asOf.toISOString();
  return sql`live as (${q.contacts}),
  first_in_rank as (
    select h.contact_id, array_position(${order}::text[], h.stage) as rk, min(h.changed_at) as at
    from contact_lifecycle_history h join live c on c.contact_id = h.contact_id
    where h.portal_id = ${p} and h.changed_at <= ${asOf}::timestamptz and h.stage = any(${order}::text[])
    group by 1, 2
    union all
    select c.contact_id, array_position(${order}::text[], c.lifecycle_stage), c.created_at
    from live c
    where c.lifecycle_stage = any(${order}::text[]) and c.created_at <= ${asOf}::timestamptz
      and not exists (select 1 from contact_lifecycle_history h where h.portal_id = ${p} and h.contact_id = c.contact_id)
  ),
  reached as (
    select contact_id, rk,
      min(at) over (partition by contact_id order by rk desc rows between unbounded preceding and current row) as entered_at
    from first_in_rank
  ),
  spans as (
    select contact_id, rk, entered_at,
      coalesce(lag(rk) over w, 0) as prev_rk, lead(entered_at) over w as next_entered
    from reached window w as (partition by contact_id order by rk)
  ),
  lifecycle_entries as (
    select s.contact_id, r as from_rank, s.entered_at as from_at,
      case when r < s.rk then s.entered_at else s.next_entered end as to_at
    from spans s cross join generate_series(s.prev_rk + 1, s.rk) as r
    where r < ${order.length}::int
  )`;
}

/**
 * Stage-to-stage conversion per period (docs/kpis.md "6. Leads in each lifecycle stage",
 * `computeLifecycleConversions`): for each consecutive pair (from, to) of the portal's order and
 * each stored period, the cohort is the contacts that entered `from` in the period;
 * `lifecycle_conversion_rate` = share of the cohort that entered `to` by now (null: "no contact
 * entered <from> in period"), `lifecycle_median_days_between` = median days from entering `from`
 * to entering `to` over the converted (null when none converted). Needs the contact facts.
 *
 * Periods of one unit are contiguous, so each entry is binned per unit with `width_bucket` on
 * the unit's sorted starts (an equality join), not compared with every period.
 */
export async function insertLifecycleConversionSnapshots(
  db: Executor,
  q: SnapshotQueryContext,
): Promise<number> {
  const p = q.settings.portalId;
  const order = [...q.settings.lifecycleOrder];
  if (order.length < 2) return 0;
  const result = await sql`
  with periods as (${periodsRelation(q.periods)}),
  -- Materialized: inlined, the planner joined every period with every entry (18.7 M rows at a
  -- million contacts) before grouping them by unit again.
  units as materialized (
    select unit, array_agg(start_at order by start_at) as starts, min(start_at) as first_start
    from periods group by unit
  ),
  ${lifecycleEntriesCte({
    portalId: p,
    order,
    asOf: new Date(q.now),
    contacts: sql`select contact_id, created_at, lifecycle_stage from kpi_tmp_contact_base`,
  })},
  in_window as (
    select * from lifecycle_entries where from_at >= (select min(start_at) from periods)
  ),
  binned as (
    select u.unit, u.starts[width_bucket(e.from_at, u.starts)] as start_at, e.from_rank, e.from_at, e.to_at
    from in_window e join units u on e.from_at >= u.first_start
  ),
  agg as (
    select b.unit, b.start_at, b.from_rank, count(*) as cohort, count(b.to_at) as converted,
      percentile_cont(0.5) within group (order by extract(epoch from b.to_at - b.from_at) / 86400)
        filter (where b.to_at is not null) as median_days
    from binned b join periods pe on pe.unit = b.unit and pe.start_at = b.start_at and b.from_at < pe.end_at
    group by 1, 2, 3
  ),
  pairs as (
    select r as from_rank, (${order}::text[])[r] as from_stage, (${order}::text[])[r + 1] as to_stage
    from generate_series(1, ${order.length - 1}::int) as r
  )
  insert into kpi_snapshots (portal_id, kpi, period_unit, period_start, period_end,
    period_label, pipeline_id, breakdown, breakdown_value, value, reason, inputs, run_id)
  select ${p}::bigint, x.kpi, pe.unit, pe.start_at, pe.end_at, pe.label, '', 'stage', pr.from_stage,
    x.value, case when x.value is null then x.reason end, x.inputs, ${q.runId}::bigint
  from periods pe
  cross join pairs pr
  left join agg a on a.unit = pe.unit and a.start_at = pe.start_at and a.from_rank = pr.from_rank
  cross join lateral (values
    (${LIFECYCLE_CONVERSION_RATE}, a.converted::numeric / nullif(a.cohort, 0),
      'no contact entered ' || pr.from_stage || ' in period',
      jsonb_build_object('to', pr.to_stage, 'count', coalesce(a.converted, 0), 'of', coalesce(a.cohort, 0))),
    (${LIFECYCLE_MEDIAN_DAYS}, a.median_days::numeric,
      case when coalesce(a.cohort, 0) = 0 then 'no contact entered ' || pr.from_stage || ' in period'
        else 'no contact went from ' || pr.from_stage || ' to ' || pr.to_stage end,
      jsonb_build_object('to', pr.to_stage, 'count', coalesce(a.converted, 0)))
  ) as x(kpi, value, reason, inputs)`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/**
 * The portal's funnel order of lifecycle stages as the KPI run reads it (`loadKpiSettings`): its
 * own non-archived stages by display order without `other`, else HubSpot's default. For readers
 * that re-derive lifecycle figures (the report drill-down).
 */
export async function readLifecycleOrder(db: Executor, portalId: number): Promise<readonly string[]> {
  const rows = await db
    .selectFrom('lifecycle_stages')
    .select('stage_id')
    .where('portal_id', '=', portalId)
    .where('archived', '=', false)
    .where('stage_id', '<>', 'other')
    .orderBy('display_order')
    .execute();
  return rows.length > 0 ? rows.map((r) => r.stage_id) : DEFAULT_LIFECYCLE_ORDER;
}
