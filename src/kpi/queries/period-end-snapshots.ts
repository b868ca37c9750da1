import { sql } from 'kysely';
import type { RawBuilder } from 'kysely';

import type { Executor } from '../../db';
import { ALL_SOURCES } from '../models/metrics';
import type { SnapshotQueryContext } from './snapshot-queries';
import { periodsRelation } from './snapshot-periods';

/** Label of the lifecycle row of contacts without a stage (as in the `now` rows). */
export const NO_STAGE = '(no stage)';

/**
 * `instants(b)`: for each distinct period end, the exclusive bound of the state at its snapshot
 * instant (end − 1 ms, `getSnapshotInstant`): t ≤ end − 1 ms ⟺ t < end − 999 µs, timestamps
 * having microsecond resolution. Sorted.
 *
 * State at many instants without comparing every record with every instant: each record's
 * history is cut into intervals [start, end) in one state (stage, open or not); an interval adds
 * +1 at its start and −1 at its end. `width_bucket(at, b)` is the number of bounds ≤ `at`, so the
 * state at the j-th instant is the sum of the events in buckets 0…j−1: events are summed per
 * bucket (a few dozen groups per key) and only those sums are accumulated per instant.
 */
function instantsCte(): RawBuilder<unknown> {
  return sql`instants as (
    select array_agg(t order by t) as b
    from (select distinct end_at - interval '999 microseconds' as t from periods) x
  )`;
}

/**
 * Open pipeline at each period end (`computeOpenPipelineSnapshots`): `open_deals` and
 * `open_amount` with the period's unit, breakdown `all` (always, 0 when nothing is open) and
 * `source` (sources with open deals then). A live deal counts at instant t when it was created at
 * or before t and its stage then (the last stage-history entry at or before t, else the first
 * entry, else the current stage) is open per stage metadata; a stage unknown to the metadata falls
 * back to hs_is_closed only when it is the current stage, otherwise the deal is unclassified
 * (`inputs.unclassified` of the `all` row). Amount: the current home amount. Needs the deal facts.
 */
export async function insertPeriodEndOpenPipelineSnapshots(
  db: Executor,
  q: SnapshotQueryContext,
): Promise<number> {
  const p = q.settings.portalId;
  const result = await sql`
  with periods as (${periodsRelation(q.periods)}),
  ${instantsCte()},
  hist as (
    select h.deal_id, h.stage_id, h.changed_at,
      row_number() over w as rn, lead(h.changed_at) over w as next_at
    from deal_stage_history h
    where h.portal_id = ${p}
    window w as (partition by h.deal_id order by h.changed_at)
  ),
  intervals as (
    select d.source_key, d.amount_home, d.pipeline_id, d.stage_id as cur_stage, d.flag_closed,
      coalesce(h.stage_id, d.stage_id) as stage_id,
      case when h.rn is null or h.rn = 1 then d.created_at else greatest(h.changed_at, d.created_at) end as start_at,
      h.next_at as end_at
    from kpi_tmp_deal_base d left join hist h on h.deal_id = d.deal_id
  ),
  classified as (
    select i.source_key, i.amount_home, i.start_at, i.end_at,
      case
        when own.stage_id is not null then not own.is_closed
        when anyp.stage_id is not null then not anyp.is_closed
        when i.stage_id = i.cur_stage then not i.flag_closed
      end as is_open
    from intervals i
    left join kpi_tmp_stage_meta own on own.pipeline_id = i.pipeline_id and own.stage_id = i.stage_id
    left join kpi_tmp_stage_meta anyp on anyp.stage_id = i.stage_id and anyp.pref = 1
    where i.end_at is null or i.end_at > i.start_at
  ),
  events as (
    select source_key, amount_home, is_open, start_at as at, 1 as sign from classified where is_open is not false
    union all
    select source_key, amount_home, is_open, end_at, -1 from classified where is_open is not false and end_at is not null
  ),
  per_bucket as (
    select width_bucket(e.at, (select b from instants)) as bucket, e.source_key,
      coalesce(sum(sign) filter (where is_open), 0) as n,
      coalesce(sum(sign) filter (where is_open and amount_home is not null), 0) as summed,
      coalesce(sum(sign * amount_home) filter (where is_open), 0) as amount,
      coalesce(sum(sign) filter (where is_open is null), 0) as unclassified
    from events e
    group by 1, 2
  ),
  agg as (
    select j.idx, case when grouping(pb.source_key) = 0 then 'source' else 'all' end as breakdown,
      coalesce(pb.source_key, ${ALL_SOURCES}) as breakdown_value,
      coalesce(sum(pb.n), 0) as deals, coalesce(sum(pb.summed), 0) as summed,
      coalesce(sum(pb.amount), 0) as amount, coalesce(sum(pb.unclassified), 0) as unclassified
    from generate_subscripts((select b from instants), 1) as j(idx)
    left join per_bucket pb on pb.bucket < j.idx
    group by grouping sets ((j.idx), (j.idx, pb.source_key))
    having grouping(pb.source_key) = 1 or (pb.source_key is not null and coalesce(sum(pb.n), 0) > 0)
  )
  insert into kpi_snapshots (portal_id, kpi, period_unit, period_start, period_end,
    period_label, pipeline_id, breakdown, breakdown_value, value, reason, inputs, run_id)
  select ${p}::bigint, x.kpi, pe.unit, pe.start_at, pe.end_at, pe.label, '', a.breakdown, a.breakdown_value,
    x.value, null, x.inputs, ${q.runId}::bigint
  from agg a
  join periods pe on pe.end_at - interval '999 microseconds' = (select b from instants)[a.idx]
  cross join lateral (values
    ('open_deals', a.deals::numeric, case when a.breakdown = 'all'
      then jsonb_build_object('count', a.deals, 'unclassified', a.unclassified)
      else jsonb_build_object('count', a.deals) end),
    ('open_amount', a.amount, jsonb_build_object('count', a.summed, 'sum', a.amount, 'excluded', a.deals - a.summed))
  ) as x(kpi, value, inputs)`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/**
 * Contacts per lifecycle stage at each period end (`countContactsAtPeriodEnd`):
 * `contacts_in_stage` with the period's unit, breakdown `stage`: every stage of the portal's
 * lifecycle order and `(no stage)` always (0 when none), other stages when they have contacts.
 * A live contact counts at instant t when created at or before t; its stage is the last
 * lifecycle-history value at or before t (none yet, or cleared: `(no stage)`); without history,
 * its current stage since createdate. Needs the contact facts.
 */
export async function insertPeriodEndLifecycleSnapshots(
  db: Executor,
  q: SnapshotQueryContext,
): Promise<number> {
  const p = q.settings.portalId;
  const order = [...q.settings.lifecycleOrder];
  const result = await sql`
  with periods as (${periodsRelation(q.periods)}),
  ${instantsCte()},
  hist as (
    select h.contact_id, h.stage, h.changed_at,
      row_number() over w as rn, lead(h.changed_at) over w as next_at
    from contact_lifecycle_history h
    where h.portal_id = ${p}
    window w as (partition by h.contact_id order by h.changed_at)
  ),
  -- Live contacts' history, joined once (read twice below, so Postgres keeps it).
  live_hist as (
    select h.stage, h.changed_at, h.rn, h.next_at, c.created_at
    from kpi_tmp_contact_base c join hist h on h.contact_id = c.contact_id
  ),
  intervals as (
    select null::text as stage, created_at as start_at, changed_at as end_at from live_hist where rn = 1
    union all
    select stage, greatest(changed_at, created_at), next_at from live_hist
    union all
    select c.lifecycle_stage, c.created_at, null from kpi_tmp_contact_base c where not c.has_history
  ),
  events as (
    select coalesce(stage, ${NO_STAGE}) as stage_key, start_at as at, 1 as sign
    from intervals where end_at is null or end_at > start_at
    union all
    select coalesce(stage, ${NO_STAGE}), end_at, -1 from intervals where end_at > start_at
  ),
  per_bucket as (
    select width_bucket(at, (select b from instants)) as bucket, stage_key, sum(sign) as n
    from events group by 1, 2
  ),
  stage_keys as (
    select unnest(${order}::text[]) as stage_key union select ${NO_STAGE} union select stage_key from per_bucket
  ),
  agg as (
    select j.idx, k.stage_key, coalesce(sum(pb.n), 0) as n
    from generate_subscripts((select b from instants), 1) as j(idx)
    cross join stage_keys k
    left join per_bucket pb on pb.stage_key = k.stage_key and pb.bucket < j.idx
    group by j.idx, k.stage_key
    having coalesce(sum(pb.n), 0) > 0 or k.stage_key = ${NO_STAGE} or k.stage_key = any(${order}::text[])
  )
  insert into kpi_snapshots (portal_id, kpi, period_unit, period_start, period_end,
    period_label, pipeline_id, breakdown, breakdown_value, value, reason, inputs, run_id)
  select ${p}::bigint, 'contacts_in_stage', pe.unit, pe.start_at, pe.end_at, pe.label, '', 'stage', a.stage_key,
    a.n, null, jsonb_build_object('count', a.n), ${q.runId}::bigint
  from agg a
  join periods pe on pe.end_at - interval '999 microseconds' = (select b from instants)[a.idx]`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
