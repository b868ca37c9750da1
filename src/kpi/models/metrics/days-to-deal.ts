/**
 * KPI 5, days to deal. Per contact who became a customer: days from first visit (else
 * createdate) to the close of their first won deal, summarised per source and close period.
 * Per deal: days from createdate to close and days in each stage. For one open deal (the deal
 * card): its age and days in the current stage against the pipeline's median for that stage.
 * Days are elapsed time ÷ 86 400 000 ms (fractional; a DST day still counts 24 h).
 */

import type { Period } from './period';
import { isWithinPeriod } from './period';
import { ALL_SOURCES, groupBySource, listBuckets } from './source';
import type { DistributionSummary, Exclusion, KpiResult, Sample, SampleInputs } from './stats';
import { computeMedian, makeKnown, makeUnknown, MS_PER_DAY, summarizeSamples } from './stats';
import type { Timeline } from './stage-history';
import {
  buildDealTimeline,
  buildStageCatalog,
  computeDealStageEntries,
  getDealOutcome,
  groupDealStageChanges,
  listStays,
} from './stage-history';
import type { Contact, Deal, DealStageChange, EpochMs, Pipeline } from './types';

export interface CustomerDaysToDeal {
  readonly contactId: string;
  readonly source: string | null;
  /** `hs_analytics_first_timestamp`, else `createdate`. */
  readonly startedAt: EpochMs;
  readonly startedFrom: 'firstVisit' | 'createdate';
  /** The first won deal (earliest `closedate`) associated with the contact. */
  readonly dealId: string;
  readonly closedAt: EpochMs;
  readonly days: number;
}

export interface CustomerDaysToDealList {
  readonly customers: readonly CustomerDaysToDeal[];
  /** Contacts left out (start after close) and won deals without any contact. */
  readonly excluded: readonly Exclusion[];
}

/**
 * One entry per non-deleted contact associated with at least one won deal (outcome from stage
 * metadata, with a `closedate`): days = (first won closedate − first visit or createdate) ÷ 1 day.
 * A start after the close (imports) is excluded and reported rather than giving negative days.
 */
export function listCustomerDaysToDeal(input: {
  readonly contacts: readonly Contact[];
  readonly deals: readonly Deal[];
  readonly pipelines: readonly Pipeline[];
}): CustomerDaysToDealList {
  const catalog = buildStageCatalog(input.pipelines);
  const excluded: Exclusion[] = [];
  const firstWon = new Map<string, Deal>();
  for (const deal of input.deals) {
    if (deal.deleted || deal.closedAt === null || getDealOutcome(deal, catalog) !== 'won') continue;
    if (deal.contactIds.length === 0) excluded.push({ id: deal.id, reason: 'won deal without contact' });
    for (const contactId of deal.contactIds) {
      const current = firstWon.get(contactId);
      if (current === undefined || deal.closedAt < (current.closedAt as number))
        firstWon.set(contactId, deal);
    }
  }
  const customers: CustomerDaysToDeal[] = [];
  for (const contact of input.contacts) {
    const deal = firstWon.get(contact.id);
    if (contact.deleted || deal === undefined) continue;
    const closedAt = deal.closedAt as number;
    const startedFrom = contact.firstVisitAt !== null ? 'firstVisit' : 'createdate';
    const startedAt = contact.firstVisitAt ?? contact.createdAt;
    if (startedAt > closedAt) {
      excluded.push({ id: contact.id, reason: `${startedFrom} after the close of deal ${deal.id}` });
      continue;
    }
    customers.push({
      contactId: contact.id,
      source: contact.source,
      startedAt,
      startedFrom,
      dealId: deal.id,
      closedAt,
      days: (closedAt - startedAt) / MS_PER_DAY,
    });
  }
  return { customers, excluded };
}

export interface DaysToDealRow {
  readonly source: string;
  /** Samples are keyed by contact id. */
  readonly days: DistributionSummary;
}

export interface DaysToDeal {
  readonly period: Period;
  readonly bySource: readonly DaysToDealRow[];
  readonly total: DaysToDealRow;
  readonly customers: readonly CustomerDaysToDeal[];
  readonly excluded: readonly Exclusion[];
}

/**
 * Mean, median and p90 (PERCENTILE.INC) of days to deal over customers whose first won deal
 * closed in `period` (use month periods for the spec's "close month"), per original source and
 * in total. No customer closed in the period → the statistics are null with a reason.
 */
export function computeDaysToDeal(input: {
  readonly contacts: readonly Contact[];
  readonly deals: readonly Deal[];
  readonly pipelines: readonly Pipeline[];
  readonly period: Period;
}): DaysToDeal {
  const all = listCustomerDaysToDeal(input);
  const inPeriod = all.customers.filter((c) => isWithinPeriod(c.closedAt, input.period));
  const toSamples = (list: readonly CustomerDaysToDeal[]): Sample[] =>
    list.map((c) => ({ id: c.contactId, value: c.days }));
  const empty = 'no customer closed a first deal in period';
  const bySource = groupBySource(inPeriod, (c) => c.source);
  return {
    period: input.period,
    bySource: listBuckets(bySource).map((source) => ({
      source,
      days: summarizeSamples(toSamples(bySource.get(source) ?? []), empty),
    })),
    total: { source: ALL_SOURCES, days: summarizeSamples(toSamples(inPeriod), empty) },
    customers: inPeriod,
    excluded: all.excluded,
  };
}

export interface DealStageTime {
  readonly stageId: string;
  /** Σ days in the stage (ongoing stay counted up to `now`); `null` for closed stages. */
  readonly days: number | null;
  /** Entered, by the skip rule. */
  readonly passed: boolean;
  /** Passed without ever sitting in it (0 days). */
  readonly skipped: boolean;
  readonly current: boolean;
}

export interface DealCycle {
  readonly dealId: string;
  /** (closedate − createdate) in days; null while open. */
  readonly daysToClose: KpiResult<{ readonly createdAt: EpochMs; readonly closedAt: EpochMs | null }>;
  /** Every stage of the deal's pipeline in displayOrder. */
  readonly stages: readonly DealStageTime[];
}

function sumOpenStageDays(
  timeline: Timeline,
  stageId: string,
  now: EpochMs,
  completedOnly: boolean,
): number | null {
  let ms = 0;
  let seen = false;
  for (const stay of listStays(timeline)) {
    if (stay.stage !== stageId || (completedOnly && stay.to === null)) continue;
    seen = true;
    ms += Math.max(0, (stay.to ?? now) - stay.from);
  }
  return seen ? ms / MS_PER_DAY : null;
}

/**
 * Per-deal cycle: days from createdate to closedate (closed deals only; a closedate before the
 * createdate is reported as unknown) and days in each stage of its pipeline from stage history.
 * Skipped stages are passed with 0 days; a repeated stay in a stage adds up.
 */
export function computeDealCycle(input: {
  readonly deal: Deal;
  readonly stageChanges: readonly DealStageChange[];
  readonly pipeline: Pipeline;
  readonly now: EpochMs;
}): DealCycle {
  const { deal, pipeline, now } = input;
  const timeline = buildDealTimeline(
    deal,
    input.stageChanges.filter((c) => c.dealId === deal.id),
  );
  const entries = computeDealStageEntries(timeline, pipeline);
  const outcome = getDealOutcome(deal, buildStageCatalog([pipeline]));
  const io = { createdAt: deal.createdAt, closedAt: deal.closedAt };
  let daysToClose: DealCycle['daysToClose'];
  if (outcome === 'open') daysToClose = makeUnknown('deal is open', io);
  else if (deal.closedAt === null) daysToClose = makeUnknown('closed deal without closedate', io);
  else if (deal.closedAt < deal.createdAt) daysToClose = makeUnknown('closedate before createdate', io);
  else daysToClose = makeKnown((deal.closedAt - deal.createdAt) / MS_PER_DAY, io);
  const currentStage = findCurrentStay(timeline)?.stage ?? null;
  const stages = [...pipeline.stages]
    .sort((a, b) => a.displayOrder - b.displayOrder)
    .map((stage): DealStageTime => {
      const days = stage.isClosed ? null : sumOpenStageDays(timeline, stage.id, now, false);
      const passed = entries.has(stage.id);
      return {
        stageId: stage.id,
        days: stage.isClosed ? null : (days ?? 0),
        passed,
        skipped: passed && !stage.isClosed && days === null,
        current: currentStage === stage.id,
      };
    });
  return { dealId: deal.id, daysToClose, stages };
}

function findCurrentStay(
  timeline: Timeline,
): { readonly stage: string | null; readonly from: EpochMs } | undefined {
  const stays = listStays(timeline);
  return stays[stays.length - 1];
}

/**
 * Median days deals spend in each open stage of `pipeline`, over completed stays only (the deal
 * has since moved on; an ongoing stay would bias the median low). A deal's repeated stays in a
 * stage add up; deals that skipped the stage are not samples. Stage with no completed stay → null.
 */
export function computeMedianDaysInStages(input: {
  readonly pipeline: Pipeline;
  readonly deals: readonly Deal[];
  readonly stageChanges: readonly DealStageChange[];
  readonly now: EpochMs;
}): Map<string, KpiResult<SampleInputs>> {
  const changesByDeal = groupDealStageChanges(input.stageChanges);
  const timelines = input.deals
    .filter((d) => !d.deleted)
    .map((d) => ({ id: d.id, timeline: buildDealTimeline(d, changesByDeal.get(d.id)) }));
  const medians = new Map<string, KpiResult<SampleInputs>>();
  for (const stage of input.pipeline.stages) {
    if (stage.isClosed) continue;
    const samples: Sample[] = [];
    for (const { id, timeline } of timelines) {
      const days = sumOpenStageDays(timeline, stage.id, input.now, true);
      if (days !== null) samples.push({ id, value: days });
    }
    const median = computeMedian(samples.map((s) => s.value));
    const inputs: SampleInputs = { samples, excluded: [] };
    medians.set(
      stage.id,
      median === null
        ? makeUnknown(`no deal has left stage ${stage.id} yet`, inputs)
        : makeKnown(median, inputs),
    );
  }
  return medians;
}

export interface OpenDealView {
  readonly dealId: string;
  readonly currentStageId: string;
  /** (now − createdate) in days. */
  readonly ageDays: KpiResult<{ readonly createdAt: EpochMs }>;
  /** (now − time the current stay began) in days. */
  readonly daysInCurrentStage: KpiResult<{ readonly enteredAt: EpochMs | null }>;
  /** The pipeline's median for the current stage (`computeMedianDaysInStages`). */
  readonly medianDaysInStage: KpiResult<SampleInputs>;
}

/**
 * What the deal card shows for one open deal: its age, days in its current stage and the
 * pipeline's median days in that stage. A closed or deleted deal gets nulls with the reason;
 * days in stage is null when the stage history does not reach the current stage yet.
 */
export function describeOpenDeal(input: {
  readonly deal: Deal;
  readonly stageChanges: readonly DealStageChange[];
  readonly pipeline: Pipeline;
  readonly medians: ReadonlyMap<string, KpiResult<SampleInputs>>;
  readonly now: EpochMs;
}): OpenDealView {
  const { deal, now } = input;
  const noMedian: SampleInputs = { samples: [], excluded: [] };
  const median =
    input.medians.get(deal.stageId) ?? makeUnknown(`no median for stage ${deal.stageId}`, noMedian);
  const outcome = getDealOutcome(deal, buildStageCatalog([input.pipeline]));
  const notOpen = deal.deleted ? 'deal is deleted' : outcome !== 'open' ? 'deal is closed' : null;
  if (notOpen !== null) {
    return {
      dealId: deal.id,
      currentStageId: deal.stageId,
      ageDays: makeUnknown(notOpen, { createdAt: deal.createdAt }),
      daysInCurrentStage: makeUnknown(notOpen, { enteredAt: null }),
      medianDaysInStage: median,
    };
  }
  const timeline = buildDealTimeline(
    deal,
    input.stageChanges.filter((c) => c.dealId === deal.id),
  );
  const stay = findCurrentStay(timeline);
  return {
    dealId: deal.id,
    currentStageId: deal.stageId,
    ageDays: makeKnown(Math.max(0, now - deal.createdAt) / MS_PER_DAY, { createdAt: deal.createdAt }),
    daysInCurrentStage:
      stay === undefined || stay.stage !== deal.stageId
        ? makeUnknown('stage history does not reach the current stage yet', { enteredAt: null })
        : makeKnown(Math.max(0, now - stay.from) / MS_PER_DAY, { enteredAt: stay.from }),
    medianDaysInStage: median,
  };
}
