/**
 * KPI 1, pipeline velocity (currency per day), per pipeline and period:
 *   velocity = qualified_opportunities × win_rate × average_won_deal_size ÷ sales_cycle_days
 * with each factor reported on its own and against the previous period, so a reader sees which
 * lever moved velocity. Breakdowns by owner or source: pass only that owner's or source's deals.
 */

import { partitionByAmount } from './money';
import type { Period } from './period';
import { getPreviousPeriod, isWithinPeriod } from './period';
import type {
  CountInputs,
  Exclusion,
  KpiResult,
  PeriodChange,
  RateInputs,
  Sample,
  SampleInputs,
} from './stats';
import { computeChange, computeMean, makeKnown, makeUnknown, MS_PER_DAY } from './stats';
import {
  buildDealTimeline,
  buildStageCatalog,
  computeDealStageEntries,
  getDealOutcome,
  groupDealStageChanges,
  listOpenStages,
} from './stage-history';
import type { Deal, DealStageChange, Pipeline } from './types';

export interface PipelineVelocityInput {
  readonly pipeline: Pipeline;
  /** Deals of any pipeline; deals that moved into this pipeline count from the moment they entered it. */
  readonly deals: readonly Deal[];
  readonly stageChanges: readonly DealStageChange[];
  readonly period: Period;
}

export interface QualifiedInputs extends CountInputs {
  readonly qualifiedStageId: string | null;
}

export interface WinRateInputs extends RateInputs {
  /** Closed deals of the pipeline that cannot be placed in any period (no `closedate`). */
  readonly excluded: readonly Exclusion[];
}

export interface VelocityInputs {
  readonly qualifiedOpportunities: number | null;
  readonly winRate: number | null;
  readonly averageWonDealSize: number | null;
  readonly salesCycleDays: number | null;
}

export interface PipelineVelocity {
  readonly pipelineId: string;
  readonly period: Period;
  /** Home currency per day. */
  readonly velocity: KpiResult<VelocityInputs>;
  /** Count of deals that entered the qualified stage during the period. */
  readonly qualifiedOpportunities: KpiResult<QualifiedInputs>;
  /** won ÷ (won + lost) among the pipeline's deals closed in the period; a fraction. */
  readonly winRate: KpiResult<WinRateInputs>;
  /** Mean home-currency amount of deals won in the period. */
  readonly averageWonDealSize: KpiResult<SampleInputs>;
  /** Mean of (closedate − createdate) in days over deals won in the period. */
  readonly salesCycleDays: KpiResult<SampleInputs>;
}

export type VelocityFactor =
  'velocity' | 'qualifiedOpportunities' | 'winRate' | 'averageWonDealSize' | 'salesCycleDays';

export interface PipelineVelocityComparison {
  readonly current: PipelineVelocity;
  readonly previous: PipelineVelocity;
  readonly change: Readonly<Record<VelocityFactor, PeriodChange>>;
}

/** The pipeline's qualified stage: its configured one, else its first open stage. */
export function getQualifiedStageId(pipeline: Pipeline): string | null {
  if (pipeline.qualifiedStageId !== undefined && pipeline.qualifiedStageId !== null)
    return pipeline.qualifiedStageId;
  return listOpenStages(pipeline)[0]?.id ?? null;
}

function countQualified(input: PipelineVelocityInput): KpiResult<QualifiedInputs> {
  const { pipeline, period } = input;
  const qualifiedStageId = getQualifiedStageId(pipeline);
  if (qualifiedStageId === null || !pipeline.stages.some((s) => s.id === qualifiedStageId)) {
    return makeUnknown(
      qualifiedStageId === null
        ? `pipeline ${pipeline.id} has no open stage to use as qualified stage`
        : `qualified stage ${qualifiedStageId} is not a stage of pipeline ${pipeline.id}`,
      { ids: [], qualifiedStageId },
    );
  }
  const changesByDeal = groupDealStageChanges(input.stageChanges);
  const ids: string[] = [];
  for (const deal of input.deals) {
    if (deal.deleted) continue;
    const entries = computeDealStageEntries(buildDealTimeline(deal, changesByDeal.get(deal.id)), pipeline);
    const enteredAt = entries.get(qualifiedStageId);
    if (enteredAt !== undefined && isWithinPeriod(enteredAt, period)) ids.push(deal.id);
  }
  return makeKnown(ids.length, { ids, qualifiedStageId });
}

interface ClosedInPeriod {
  readonly won: readonly Deal[];
  readonly lost: readonly Deal[];
  readonly excluded: readonly Exclusion[];
}

function findClosedInPeriod(input: PipelineVelocityInput): ClosedInPeriod {
  const catalog = buildStageCatalog([input.pipeline]);
  const won: Deal[] = [];
  const lost: Deal[] = [];
  const excluded: Exclusion[] = [];
  for (const deal of input.deals) {
    if (deal.deleted || deal.pipelineId !== input.pipeline.id) continue;
    const outcome = getDealOutcome(deal, catalog);
    if (outcome === 'open') continue;
    if (deal.closedAt === null) {
      excluded.push({ id: deal.id, reason: `${outcome} deal without closedate` });
      continue;
    }
    if (!isWithinPeriod(deal.closedAt, input.period)) continue;
    (outcome === 'won' ? won : lost).push(deal);
  }
  return { won, lost, excluded };
}

function computeWinRate(closed: ClosedInPeriod): KpiResult<WinRateInputs> {
  const numeratorIds = closed.won.map((d) => d.id);
  const denominatorIds = [...numeratorIds, ...closed.lost.map((d) => d.id)];
  const inputs: WinRateInputs = {
    numerator: numeratorIds.length,
    denominator: denominatorIds.length,
    numeratorIds,
    denominatorIds,
    excluded: closed.excluded,
  };
  if (denominatorIds.length === 0) return makeUnknown('no closed deals in period', inputs);
  return makeKnown(numeratorIds.length / denominatorIds.length, inputs);
}

function computeAverageWonDealSize(won: readonly Deal[]): KpiResult<SampleInputs> {
  const { amounts, excluded } = partitionByAmount(won);
  const inputs: SampleInputs = { samples: amounts, excluded };
  const mean = computeMean(amounts.map((a) => a.value));
  if (mean === null) {
    return makeUnknown(
      won.length === 0
        ? 'no deals won in period'
        : 'no deal won in period has an amount in the home currency',
      inputs,
    );
  }
  return makeKnown(mean, inputs);
}

function computeSalesCycleDays(won: readonly Deal[]): KpiResult<SampleInputs> {
  const samples: Sample[] = [];
  const excluded: Exclusion[] = [];
  for (const deal of won) {
    const closedAt = deal.closedAt as number;
    // Imported deals can carry a closedate before their createdate; a negative cycle is a data error.
    if (closedAt < deal.createdAt) excluded.push({ id: deal.id, reason: 'closedate before createdate' });
    else samples.push({ id: deal.id, value: (closedAt - deal.createdAt) / MS_PER_DAY });
  }
  const inputs: SampleInputs = { samples, excluded };
  const mean = computeMean(samples.map((s) => s.value));
  if (mean === null) {
    return makeUnknown(
      won.length === 0 ? 'no deals won in period' : 'no won deal has a usable cycle',
      inputs,
    );
  }
  return makeKnown(mean, inputs);
}

/**
 * Velocity from its four factors: Q × W × A ÷ S (home currency per day). Unknown when any
 * factor is unknown, or when the mean sales cycle is 0 days (division by zero).
 */
export function combineVelocity(
  factors: Pick<
    PipelineVelocity,
    'qualifiedOpportunities' | 'winRate' | 'averageWonDealSize' | 'salesCycleDays'
  >,
): KpiResult<VelocityInputs> {
  const { qualifiedOpportunities: q, winRate: w, averageWonDealSize: a, salesCycleDays: s } = factors;
  const inputs: VelocityInputs = {
    qualifiedOpportunities: q.value,
    winRate: w.value,
    averageWonDealSize: a.value,
    salesCycleDays: s.value,
  };
  if (q.value === null) return makeUnknown(`qualified opportunities unknown: ${q.reason}`, inputs);
  if (w.value === null) return makeUnknown(`win rate unknown: ${w.reason}`, inputs);
  if (a.value === null) return makeUnknown(`average won deal size unknown: ${a.reason}`, inputs);
  if (s.value === null) return makeUnknown(`sales cycle unknown: ${s.reason}`, inputs);
  if (s.value === 0) return makeUnknown('mean sales cycle is 0 days', inputs);
  return makeKnown((q.value * w.value * a.value) / s.value, inputs);
}

/**
 * Pipeline velocity and its factors for one pipeline and period.
 * - qualified_opportunities: deals that entered the pipeline's qualified stage in the period
 *   (skip rule applies: a deal created straight into a later stage entered it then). A count:
 *   0 when none, unknown only when the pipeline has no usable qualified stage.
 * - win_rate: won ÷ (won + lost), closed by `closedate` in the period, outcome from stage
 *   metadata. Unknown when no deal closed ("no closed deals in period").
 * - average_won_deal_size: mean home-currency amount; deals without one are excluded and listed.
 * - sales_cycle_days: mean (closedate − createdate) ÷ 86 400 000 ms over deals won in the period.
 * Deleted deals are ignored throughout.
 */
export function computePipelineVelocity(input: PipelineVelocityInput): PipelineVelocity {
  const closed = findClosedInPeriod(input);
  const factors = {
    qualifiedOpportunities: countQualified(input),
    winRate: computeWinRate(closed),
    averageWonDealSize: computeAverageWonDealSize(closed.won),
    salesCycleDays: computeSalesCycleDays(closed.won),
  };
  return {
    pipelineId: input.pipeline.id,
    period: input.period,
    velocity: combineVelocity(factors),
    ...factors,
  };
}

/**
 * Velocity and factors for `input.period` and the period before it, with the change of each
 * (absolute and relative, see `computeChange`).
 */
export function comparePipelineVelocity(input: PipelineVelocityInput): PipelineVelocityComparison {
  const current = computePipelineVelocity(input);
  const previous = computePipelineVelocity({ ...input, period: getPreviousPeriod(input.period) });
  const factors: VelocityFactor[] = [
    'velocity',
    'qualifiedOpportunities',
    'winRate',
    'averageWonDealSize',
    'salesCycleDays',
  ];
  const change = Object.fromEntries(
    factors.map((f) => [f, computeChange(current[f], previous[f])]),
  ) as Record<VelocityFactor, PeriodChange>;
  return { current, previous, change };
}
