/**
 * KPI 4, opportunities per source: sum and count of open deal amounts per original source, as of
 * an instant (the computation time, or a period end). "Open" is decided by stage history: the
 * deal's stage at that instant and that stage's metadata.
 */

import { partitionByAmount } from './money';
import type { Period } from './period';
import { getSnapshotInstant } from './period';
import { ALL_SOURCES, groupBySource, listBuckets } from './source';
import type { CountInputs, Exclusion, KpiResult, SumInputs } from './stats';
import { countRecords, makeKnown } from './stats';
import type { StageCatalog } from './stage-history';
import {
  buildDealTimeline,
  buildStageCatalog,
  classifyStage,
  findStageAt,
  groupDealStageChanges,
  lookupStage,
} from './stage-history';
import type { Deal, DealStageChange, EpochMs, Pipeline } from './types';

export interface OpenPipelineInput {
  readonly deals: readonly Deal[];
  readonly stageChanges: readonly DealStageChange[];
  readonly pipelines: readonly Pipeline[];
  readonly asOf: EpochMs;
}

export interface OpenPipelineRow {
  readonly source: string;
  /** Open deals, with or without an amount. */
  readonly count: KpiResult<CountInputs>;
  /** Σ home-currency amounts of the open deals that have one; the others are in `inputs.excluded`. */
  readonly amount: KpiResult<SumInputs>;
}

export interface OpenPipeline {
  readonly asOf: EpochMs;
  readonly bySource: readonly OpenPipelineRow[];
  /** Label `(all sources)`; equal to the sum of the rows. */
  readonly total: OpenPipelineRow;
  /** Deals whose stage at `asOf` is unknown to the pipeline metadata (deleted stage): not counted. */
  readonly unclassified: readonly Exclusion[];
}

function isOpenAt(
  deal: Deal,
  changes: readonly DealStageChange[] | undefined,
  catalog: StageCatalog,
  asOf: EpochMs,
): boolean | 'unknown' {
  const timeline = buildDealTimeline(deal, changes);
  // Created, but the first history entry comes a little later: the deal was in that first stage.
  const stageId = findStageAt(timeline, asOf) ?? timeline[0]?.stage ?? null;
  if (stageId === null) return 'unknown';
  const located = lookupStage(catalog, stageId, deal.pipelineId);
  if (located !== undefined) return classifyStage(located.stage) === 'open';
  // Only the current stage has the hs_is_closed flag to fall back on.
  if (stageId === deal.stageId) return !deal.isClosed;
  return 'unknown';
}

function buildRow(source: string, deals: readonly Deal[]): OpenPipelineRow {
  const { amounts, excluded } = partitionByAmount(deals);
  let sum = 0;
  for (const a of amounts) sum += a.value;
  // An empty open pipeline is a known 0; deals without amounts are listed, not hidden.
  return {
    source,
    count: countRecords(deals.map((d) => d.id)),
    amount: makeKnown(sum, { ids: amounts.map((a) => a.id), excluded }),
  };
}

/**
 * Open deals as of `asOf`, per source bucket: non-deleted deals created at or before `asOf`
 * whose stage at `asOf` (last stage-history value at or before it) is not closed. Amount is the
 * deal's current home-currency amount (amount history is not used). Count and sum are 0 when
 * nothing is open.
 */
export function computeOpenPipeline(input: OpenPipelineInput): OpenPipeline {
  const catalog = buildStageCatalog(input.pipelines);
  const changesByDeal = groupDealStageChanges(input.stageChanges);
  const open: Deal[] = [];
  const unclassified: Exclusion[] = [];
  for (const deal of input.deals) {
    if (deal.deleted || deal.createdAt > input.asOf) continue;
    const state = isOpenAt(deal, changesByDeal.get(deal.id), catalog, input.asOf);
    if (state === 'unknown')
      unclassified.push({ id: deal.id, reason: 'stage at that time is unknown or in no pipeline' });
    else if (state) open.push(deal);
  }
  const bySource = groupBySource(open, (d) => d.source);
  return {
    asOf: input.asOf,
    bySource: listBuckets(bySource).map((source) => buildRow(source, bySource.get(source) ?? [])),
    total: buildRow(ALL_SOURCES, open),
    unclassified,
  };
}

/** `computeOpenPipeline` at the end of each period (the last millisecond inside it). */
export function computeOpenPipelineSnapshots(
  input: Omit<OpenPipelineInput, 'asOf'> & { readonly periods: readonly Period[] },
): { readonly period: Period; readonly snapshot: OpenPipeline }[] {
  return input.periods.map((period) => ({
    period,
    snapshot: computeOpenPipeline({ ...input, asOf: getSnapshotInstant(period) }),
  }));
}
