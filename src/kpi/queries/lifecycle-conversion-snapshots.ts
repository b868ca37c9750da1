import { sql } from 'kysely';
import type { RawBuilder } from 'kysely';

import type { Executor } from '../../db';
import { DEFAULT_LIFECYCLE_ORDER } from '../models/metrics';
import type { SnapshotQueryContext } from './snapshot-queries';

/** Stored KPI names (kpi_snapshots.kpi); breakdown `stage`, value = the `from` stage, `to` in inputs. */
export const LIFECYCLE_CONVERSION_RATE = 'lifecycle_conversion_rate';
export const LIFECYCLE_MEDIAN_DAYS = 'lifecycle_median_days_between';

/**
 * `lifecycle_entries(contact_id, from_rank, from_at, to_at)`: per live contact of `contacts` and
 * each consecutive pair of the portal's lifecycle order (ranks 1-based, `from_rank` < length),
 * when it entered stage `from_rank` and when it entered the next one (null: not yet), with the
 * skip rule of `computeLifecycleEntries`: entering stage k enters every stage ≤ k, so the entry of
 * rank r is the first history event at or before `asOf` in rank r or any later rank. Stages
 * outside the order (`other`) and cleared values imply nothing. Without any history a contact is
 * taken to have held its current stage since createdate. Rows only for stages the contact entered.
 *
 * Set-based and sort-free: one aggregation of the contacts' events computes every rank's entry at
 * once (`min(at) filter (where rank >= r)`, one column `e<r>` per rank of the order), then each
 * pair of consecutive columns is read out in its own branch of a `union all` (cheaper at a million
 * contacts than an array per contact unnested again: 1.6 s of a 6.5 s statement). A small
 * `contacts` relation reads only its contacts' history (the primary key's index).
 */
export function lifecycleEntriesCte(q: {
  readonly portalId: number;
  readonly order: readonly string[];
  readonly asOf: Date;
  /** A relation `(contact_id, created_at, lifecycle_stage)` of the live contacts. */
  readonly contacts: RawBuilder<unknown>;
  /**
   * Only contacts with an entry (into a stage that has a next one) at or after this instant: a
   * stage's entry is never earlier than the one before it, so the latest is the greatest.
   */
  readonly since?: Date;
}): RawBuilder<unknown> {
  const order = [...q.order];
  const n = order.length;
  const asOf = q.asOf.toISOString();
  const e = (rank: number) => sql.id(`e${rank}`);
  const entries = sql.join(
    Array.from({ length: n }, (_, i) => sql`min(at) filter (where rk >= ${sql.lit(i + 1)}) as ${e(i + 1)}`),
  );
  // An order of one stage has no pairs.
  const pairs =
    n < 2
      ? sql`select contact_id, 0 as from_rank, e1 as from_at, e1 as to_at from entered where false`
      : sql.join(
          Array.from(
            { length: n - 1 },
            (_, i) =>
              sql`select contact_id, ${sql.lit(i + 1)}::int as from_rank, ${e(i + 1)} as from_at, ${e(i + 2)} as to_at
    from entered where ${e(i + 1)} is not null`,
          ),
          sql`
    union all
    `,
        );
  return sql`live as (${q.contacts}),
  ranked_events as (
    -- A contact without any history: one event, its current stage at createdate.
    select c.contact_id, coalesce(h.changed_at, c.created_at) as at,
      case when h.contact_id is null then
          case when c.created_at <= ${asOf}::timestamptz then array_position(${order}::text[], c.lifecycle_stage) end
        when h.changed_at <= ${asOf}::timestamptz then array_position(${order}::text[], h.stage) end as rk
    from live c
    left join contact_lifecycle_history h on h.portal_id = ${q.portalId} and h.contact_id = c.contact_id
  ),
  contact_entries as (
    select contact_id, ${entries} from ranked_events group by contact_id
  ),
  ${
    q.since === undefined
      ? sql`entered as (select * from contact_entries),`
      : sql`entered as (
    select * from contact_entries
    where greatest(${sql.join(Array.from({ length: n - 1 }, (_, i) => e(i + 1)))}) >= ${q.since.toISOString()}::timestamptz
  ),`
  }
  lifecycle_entries as (
    ${pairs}
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
 * Cheap at a million contacts because entries are never compared with every period and only a
 * few of them are sorted:
 * - the bounds of every stored period cut time into slices (`width_bucket`), each period is a
 *   run of consecutive slices, and a slice belongs to at most one period per unit
 *   (`slice_periods`, built here), so entries are counted per slice and pair, then summed;
 * - the median is the order statistic at (n − 1) / 2 (`percentile_cont`'s interpolation between
 *   the two middle values): skips are exactly 0 days and are only counted, so only the positive
 *   durations are ranked per period, and the one or two middle ones picked.
 */
export async function insertLifecycleConversionSnapshots(
  db: Executor,
  q: SnapshotQueryContext,
): Promise<number> {
  const p = q.settings.portalId;
  const order = [...q.settings.lifecycleOrder];
  if (order.length < 2 || q.periods.length === 0) return 0;
  const bounds = [...new Set(q.periods.flatMap((x) => [x.period.start, x.period.end]))].sort((a, b) => a - b);
  // Slice i (1-based, as width_bucket numbers them) is [bounds[i − 1], bounds[i]).
  const sliceOf = (t: number) => bounds.indexOf(t) + 1;
  const slicePeriods = q.periods.flatMap((x, pid) => {
    const out: { slice: number; pid: number }[] = [];
    for (let s = sliceOf(x.period.start); s < sliceOf(x.period.end); s++)
      out.push({ slice: s, pid: pid + 1 });
    return out;
  });
  const iso = (t: number) => new Date(t).toISOString();
  const result = await sql`
  with periods as (
    select * from unnest(${q.periods.map((x) => x.unit)}::text[], ${q.periods.map((x) => x.period.label)}::text[],
      ${q.periods.map((x) => iso(x.period.start))}::timestamptz[], ${q.periods.map((x) => iso(x.period.end))}::timestamptz[])
      with ordinality as p(unit, label, start_at, end_at, pid)
  ),
  slice_periods as (
    select * from unnest(${slicePeriods.map((x) => x.slice)}::int[], ${slicePeriods.map((x) => x.pid)}::int[])
      as s(slice, pid)
  ),
  ${lifecycleEntriesCte({
    portalId: p,
    order,
    asOf: new Date(q.now),
    contacts: sql`select contact_id, created_at, lifecycle_stage from kpi_tmp_contact_base`,
    since: new Date(bounds[0]!),
  })},
  in_window as materialized (
    select e.from_rank, width_bucket(e.from_at, ${bounds.map(iso)}::timestamptz[]) as slice,
      extract(epoch from e.to_at - e.from_at)::float8 / 86400 as days
    from lifecycle_entries e
    where e.from_at >= ${iso(bounds[0]!)}::timestamptz and e.from_at < ${iso(bounds[bounds.length - 1]!)}::timestamptz
  ),
  slice_counts as (
    select slice, from_rank, count(*) as cohort, count(days) as converted,
      count(*) filter (where days = 0) as zeros
    from in_window group by slice, from_rank
  ),
  counts as (
    select sp.pid, c.from_rank, sum(c.cohort) as cohort, sum(c.converted) as converted, sum(c.zeros) as zeros
    from slice_counts c join slice_periods sp on sp.slice = c.slice
    group by sp.pid, c.from_rank
  ),
  middle as (
    -- 0-based positions of the middle value(s) among the converted sorted ascending, zeros first.
    select pid, from_rank, zeros, (converted - 1) / 2.0 as h,
      floor((converted - 1) / 2.0)::bigint as lo, ceil((converted - 1) / 2.0)::bigint as hi
    from counts where converted > 0
  ),
  ranked as (
    select sp.pid, w.from_rank, w.days,
      row_number() over (partition by sp.pid, w.from_rank order by w.days) - 1 as pos
    from in_window w join slice_periods sp on sp.slice = w.slice
    where w.days > 0
  ),
  medians as (
    select m.pid, m.from_rank,
      coalesce(max(r.days) filter (where r.pos = m.lo - m.zeros), 0) as v_lo,
      coalesce(max(r.days) filter (where r.pos = m.hi - m.zeros), 0) as v_hi,
      m.h - m.lo as frac
    from middle m
    left join ranked r on r.pid = m.pid and r.from_rank = m.from_rank and r.pos in (m.lo - m.zeros, m.hi - m.zeros)
    group by m.pid, m.from_rank, m.h, m.lo
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
  left join counts c on c.pid = pe.pid and c.from_rank = pr.from_rank
  left join medians md on md.pid = pe.pid and md.from_rank = pr.from_rank
  cross join lateral (values
    (${LIFECYCLE_CONVERSION_RATE}, c.converted::numeric / nullif(c.cohort, 0),
      'no contact entered ' || pr.from_stage || ' in period',
      jsonb_build_object('to', pr.to_stage, 'count', coalesce(c.converted, 0), 'of', coalesce(c.cohort, 0))),
    (${LIFECYCLE_MEDIAN_DAYS}, (md.v_lo + md.frac * (md.v_hi - md.v_lo))::numeric,
      case when coalesce(c.cohort, 0) = 0 then 'no contact entered ' || pr.from_stage || ' in period'
        else 'no contact went from ' || pr.from_stage || ' to ' || pr.to_stage end,
      jsonb_build_object('to', pr.to_stage, 'count', coalesce(c.converted, 0)))
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
