import { sql } from 'kysely';

import type { Executor } from '../db';
import { ATTRIBUTION_MODELS, readAttributionTotals } from '../kpi';
import type { AttributionBreakdown, AttributionConversionKind } from '../kpi';

/**
 * Reads of the precomputed KPI tables for the report views. Nothing here computes a KPI or talks
 * to HubSpot: every figure is a stored row of the portal's latest KPI run, and every query is
 * scoped by portal_id.
 */

export const PERIOD_UNITS = ['month', 'quarter', 'week', 'trailing_90d'] as const;
export type PeriodUnit = (typeof PERIOD_UNITS)[number];

export const ALL = '(all sources)';
export const NO_OWNER = '(no owner)';

/** A stored figure: a value, or null with the reason the KPI run gave. */
export interface Figure {
  readonly value: number | null;
  readonly reason: string | null;
  readonly inputs: Readonly<Record<string, unknown>>;
}

export interface SnapshotRow extends Figure {
  readonly kpi: string;
  readonly periodLabel: string;
  readonly periodStart: Date;
  readonly periodEnd: Date;
  readonly pipelineId: string;
  readonly breakdown: string;
  readonly breakdownValue: string;
}

export interface PeriodRef {
  readonly unit: string;
  readonly label: string;
  readonly start: Date;
  readonly end: Date;
}

export interface SnapshotFilter {
  readonly kpis: readonly string[];
  /** A period unit (all periods of it), or 'now'. */
  readonly unit: string;
  /** Only this period (its start). */
  readonly start?: Date;
  /** '' for KPIs that are not per pipeline. */
  readonly pipelineId?: string;
  readonly breakdown?: string;
  readonly breakdownValue?: string;
}

export async function readSnapshots(
  db: Executor,
  portalId: number,
  f: SnapshotFilter,
): Promise<SnapshotRow[]> {
  let q = db
    .selectFrom('kpi_snapshots')
    .select([
      'kpi',
      'period_label',
      'period_start',
      'period_end',
      'pipeline_id',
      'breakdown',
      'breakdown_value',
      'value',
      'reason',
      'inputs',
    ])
    .where('portal_id', '=', portalId)
    .where('kpi', 'in', [...f.kpis])
    .where('period_unit', '=', f.unit);
  if (f.start !== undefined) q = q.where('period_start', '=', f.start);
  if (f.pipelineId !== undefined) q = q.where('pipeline_id', '=', f.pipelineId);
  if (f.breakdown !== undefined) q = q.where('breakdown', '=', f.breakdown);
  if (f.breakdownValue !== undefined) q = q.where('breakdown_value', '=', f.breakdownValue);
  const rows = await q.orderBy('period_start').orderBy('breakdown_value').execute();
  return rows.map((r) => ({
    kpi: r.kpi,
    periodLabel: r.period_label,
    periodStart: r.period_start,
    periodEnd: r.period_end,
    pipelineId: r.pipeline_id,
    breakdown: r.breakdown,
    breakdownValue: r.breakdown_value,
    value: r.value === null ? null : Number(r.value),
    reason: r.reason,
    inputs: r.inputs,
  }));
}

/** The periods of a unit the latest KPI run stored, oldest first. */
export async function listPeriods(db: Executor, portalId: number, unit: string): Promise<PeriodRef[]> {
  // new_contacts has an `all` row for every stored period of every unit.
  const rows = await db
    .selectFrom('kpi_snapshots')
    .select(['period_label', 'period_start', 'period_end'])
    .where('portal_id', '=', portalId)
    .where('kpi', '=', 'new_contacts')
    .where('period_unit', '=', unit)
    .where('breakdown', '=', 'all')
    .orderBy('period_start')
    .execute();
  return rows.map((r) => ({ unit, label: r.period_label, start: r.period_start, end: r.period_end }));
}

/** The run whose results the views show (`readCurrentRun`), under the reports' names. */
export { readCurrentRun as findLatestRun } from '../kpi';
export type { CurrentRun as KpiRunInfo } from '../kpi';

export interface Option {
  readonly id: string;
  readonly label: string;
}

export async function listPipelines(db: Executor, portalId: number): Promise<Option[]> {
  const rows = await db
    .selectFrom('pipelines')
    .select(['pipeline_id', 'label'])
    .where('portal_id', '=', portalId)
    .where('archived', '=', false)
    .orderBy(sql`pipeline_id = 'default'`, 'desc')
    .orderBy('display_order')
    .orderBy('pipeline_id')
    .execute();
  return rows.map((r) => ({ id: r.pipeline_id, label: r.label }));
}

export async function listOwners(db: Executor, portalId: number): Promise<Option[]> {
  const rows = await db
    .selectFrom('owners')
    .select(['owner_id', 'email', 'first_name', 'last_name'])
    .where('portal_id', '=', portalId)
    .where('archived', '=', false)
    .orderBy('last_name')
    .orderBy('first_name')
    .orderBy('owner_id')
    .execute();
  return rows.map((r) => ({
    id: r.owner_id,
    label: [r.first_name, r.last_name].filter(Boolean).join(' ') || r.email || r.owner_id,
  }));
}

export interface ChannelTotal {
  readonly model: string;
  readonly channel: string;
  readonly credit: number;
  readonly conversions: number;
  readonly removalEffect: number | null;
}

/** Attribution totals over every conversion of a kind (the KPI run's channel totals). */
export async function readChannelTotals(
  db: Executor,
  portalId: number,
  kind: string,
): Promise<ChannelTotal[]> {
  const rows = await db
    .selectFrom('kpi_channel_totals')
    .select(['model', 'channel', 'credit', 'conversions', 'removal_effect'])
    .where('portal_id', '=', portalId)
    .where('conversion_kind', '=', kind)
    .execute();
  return rows.map((r) => ({
    model: r.model,
    channel: r.channel,
    credit: Number(r.credit),
    conversions: Number(r.conversions),
    removalEffect: r.removal_effect === null ? null : Number(r.removal_effect),
  }));
}

/** The model order of kpi_credits.credits (docs/kpis.md "Why credits are packed"). */
export const CREDIT_MODELS = ATTRIBUTION_MODELS;

/**
 * Attribution per channel and model for the conversions of one period (by their own moment), from
 * the KPI run's per-period totals: for deal conversions of one pipeline, or of one owner.
 */
export async function readPeriodCredits(
  db: Executor,
  portalId: number,
  q: { kind: AttributionConversionKind; unit: string; start: Date; pipelineId?: string; ownerId?: string },
): Promise<ChannelTotal[]> {
  const breakdown: { breakdown: AttributionBreakdown; breakdownValue?: string } =
    q.ownerId !== undefined
      ? { breakdown: 'owner', breakdownValue: q.ownerId }
      : q.pipelineId !== undefined && q.kind !== 'contact_create'
        ? { breakdown: 'pipeline', breakdownValue: q.pipelineId }
        : { breakdown: 'all' };
  const rows = await readAttributionTotals(db, {
    portalId,
    kind: q.kind,
    periodUnit: q.unit,
    periodStart: q.start,
    ...breakdown,
  });
  return rows.map((r) => ({
    model: r.model,
    channel: r.channel,
    credit: Number(r.credit),
    conversions: Number(r.conversions),
    removalEffect: null,
  }));
}

export interface StageMedian {
  readonly stageId: string;
  readonly label: string;
  readonly isClosed: boolean;
  readonly medianDays: number | null;
}

/** Per stage of a pipeline: the median days of completed stays (stored on the deal rows). */
export async function readStageMedians(
  db: Executor,
  portalId: number,
  pipelineId: string,
): Promise<StageMedian[]> {
  const { rows } = await sql<{
    stage_id: string;
    label: string;
    is_closed: boolean;
    median: number | null;
  }>`
    -- Every deal row of a stage carries the stage's median: one index probe per stage
    -- (kpi_deal_rows_by_stage) instead of reading the pipeline's deals.
    select s.stage_id, s.label, s.is_closed,
      (select r.stage_median_days from kpi_deal_rows r
        where r.portal_id = s.portal_id and r.pipeline_id = s.pipeline_id and r.stage_id = s.stage_id
        limit 1) as median
    from pipeline_stages s
    where s.portal_id = ${portalId} and s.pipeline_id = ${pipelineId} and not s.archived
    order by s.display_order, s.stage_id`.execute(db);
  return rows.map((r) => ({
    stageId: r.stage_id,
    label: r.label,
    isClosed: r.is_closed,
    medianDays: r.median === null ? null : Number(r.median),
  }));
}

export interface LifecycleStageOption {
  readonly id: string;
  readonly label: string;
}

export async function listLifecycleStages(db: Executor, portalId: number): Promise<LifecycleStageOption[]> {
  const rows = await db
    .selectFrom('lifecycle_stages')
    .select(['stage_id', 'label'])
    .where('portal_id', '=', portalId)
    .where('archived', '=', false)
    .orderBy('display_order')
    .execute();
  return rows.map((r) => ({ id: r.stage_id, label: r.label }));
}

export interface StoredSeriesRow {
  readonly kind: 'traffic' | 'branded-search';
  readonly rows: number;
  readonly firstDay: string | null;
  readonly lastDay: string | null;
}

/** What the portal has uploaded (or synced) of the daily series: days stored and their range. */
export async function readStoredSeries(db: Executor, portalId: number): Promise<StoredSeriesRow[]> {
  const { rows } = await sql<{
    kind: 'traffic' | 'branded-search';
    n: number;
    first: string | null;
    last: string | null;
  }>`
    select 'traffic' as kind, count(*)::int as n, min(day)::text as first, max(day)::text as last
    from web_traffic_daily where portal_id = ${portalId}
    union all
    select 'branded-search', count(*)::int, min(day)::text, max(day)::text
    from branded_search_daily where portal_id = ${portalId}`.execute(db);
  return rows.map((r) => ({ kind: r.kind, rows: r.n, firstDay: r.first, lastDay: r.last }));
}

/**
 * Uploaded branded search volume per period: the sum of the days whose local midnight (portal time
 * zone) falls in the period. Unknown when nothing was uploaded, or nothing for that period.
 */
export async function readBrandedSearch(
  db: Executor,
  portalId: number,
  periods: readonly PeriodRef[],
): Promise<Map<number, Figure>> {
  const out = new Map<number, Figure>();
  if (periods.length === 0) return out;
  const { rows } = await sql<{ start_at: Date; searches: number | null; days: number; any: boolean }>`
    with p as (
      select * from unnest(${periods.map((x) => x.start.toISOString())}::timestamptz[],
        ${periods.map((x) => x.end.toISOString())}::timestamptz[]) as p(start_at, end_at)
    ), tz as (select coalesce(time_zone, 'UTC') as tz from portals where portal_id = ${portalId})
    select p.start_at, sum(b.searches)::float8 as searches, count(b.day)::int as days,
      exists (select 1 from branded_search_daily where portal_id = ${portalId}) as any
    from p cross join tz
    left join branded_search_daily b on b.portal_id = ${portalId}
      and (b.day::timestamp at time zone tz.tz) >= p.start_at and (b.day::timestamp at time zone tz.tz) < p.end_at
    group by p.start_at`.execute(db);
  for (const r of rows)
    out.set(
      r.start_at.getTime(),
      r.days > 0
        ? { value: Number(r.searches), reason: null, inputs: { days: r.days } }
        : {
            value: null,
            reason: r.any ? 'no branded search data for period' : 'no branded search series uploaded',
            inputs: { days: 0 },
          },
    );
  return out;
}
