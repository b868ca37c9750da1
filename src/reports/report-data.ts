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

export interface KpiRunInfo {
  readonly runId: number;
  readonly asOf: Date;
  readonly finishedAt: Date | null;
}

export async function findLatestRun(db: Executor, portalId: number): Promise<KpiRunInfo | undefined> {
  const run = await db
    .selectFrom('kpi_runs')
    .select(['run_id', 'as_of', 'finished_at'])
    .where('portal_id', '=', portalId)
    .where('status', '=', 'succeeded')
    .orderBy('run_id', 'desc')
    .executeTakeFirst();
  return run && { runId: Number(run.run_id), asOf: run.as_of, finishedAt: run.finished_at };
}

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

export interface SourceSpeed {
  readonly source: string;
  readonly leads: number;
  readonly answered: number;
  readonly medianMinutes: number | null;
  readonly within5: number;
}

/**
 * Speed to lead per original source for contacts created in a period, from the per-contact
 * minutes the KPI run stored (kpi_contact_rows.minutes_to_first_activity).
 */
export async function readSpeedBySource(
  db: Executor,
  portalId: number,
  period: { start: Date; end: Date },
): Promise<SourceSpeed[]> {
  const { rows } = await sql<{
    source: string;
    leads: number;
    answered: number;
    median: number | null;
    within5: number;
  }>`
    select source, count(*)::int as leads, count(minutes_to_first_activity)::int as answered,
      percentile_cont(0.5) within group (order by minutes_to_first_activity) as median,
      count(*) filter (where minutes_to_first_activity <= 5)::int as within5
    from kpi_contact_rows
    where portal_id = ${portalId} and created_at >= ${period.start} and created_at < ${period.end}
    group by source order by source`.execute(db);
  return rows.map((r) => ({
    source: r.source,
    leads: r.leads,
    answered: r.answered,
    medianMinutes: r.median === null ? null : Number(r.median),
    within5: r.within5,
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
