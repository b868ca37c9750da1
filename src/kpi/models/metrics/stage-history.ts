/**
 * Stage history, shared by deal stages and lifecycle stages. History, not the current value,
 * decides: a record's stage at a moment is the last history value at or before that moment, and
 * a record that skips stages counts as having passed them when it entered the later stage.
 * Won and lost come from stage metadata (isClosed + probability), never from stage names.
 */

import type {
  Contact,
  Deal,
  DealStageChange,
  EpochMs,
  LifecycleChange,
  Pipeline,
  PipelineStage,
} from './types';

/** One history entry; `stage: null` means the property was cleared. */
export interface StageEvent {
  readonly stage: string | null;
  readonly at: EpochMs;
}

/** Events sorted by time; entries with equal times keep their input order (the later one wins). */
export type Timeline = readonly StageEvent[];

export type StageOutcome = 'open' | 'won' | 'lost';

export interface LocatedStage {
  readonly pipeline: Pipeline;
  readonly stage: PipelineStage;
}

/** Pipelines and their stages, indexed once per computation. */
export interface StageCatalog {
  readonly pipelines: ReadonlyMap<string, Pipeline>;
  /** Stage id → first pipeline that has it (HubSpot stage ids are unique within a portal). */
  readonly stages: ReadonlyMap<string, LocatedStage>;
}

export function buildStageCatalog(pipelines: readonly Pipeline[]): StageCatalog {
  const byId = new Map<string, Pipeline>();
  const stages = new Map<string, LocatedStage>();
  for (const pipeline of pipelines) {
    byId.set(pipeline.id, pipeline);
    for (const stage of pipeline.stages) if (!stages.has(stage.id)) stages.set(stage.id, { pipeline, stage });
  }
  return { pipelines: byId, stages };
}

/** The stage with this id, preferring the given pipeline when ids were reused across pipelines. */
export function lookupStage(
  catalog: StageCatalog,
  stageId: string,
  pipelineId?: string,
): LocatedStage | undefined {
  if (pipelineId !== undefined) {
    const pipeline = catalog.pipelines.get(pipelineId);
    const stage = pipeline?.stages.find((s) => s.id === stageId);
    if (pipeline !== undefined && stage !== undefined) return { pipeline, stage };
  }
  return catalog.stages.get(stageId);
}

/**
 * Outcome of a stage from its metadata: open unless `isClosed`; a closed stage is won when its
 * probability is 1.0 and lost otherwise (HubSpot's `hs_is_closed_lost` = closed and not won).
 */
export function classifyStage(stage: PipelineStage): StageOutcome {
  if (!stage.isClosed) return 'open';
  return stage.probability !== null && stage.probability >= 1 ? 'won' : 'lost';
}

/**
 * A deal's current outcome from its current stage's metadata; when the stage is missing from
 * the pipelines (deleted stage, stale metadata) falls back to `hs_is_closed_won` / `hs_is_closed`.
 */
export function getDealOutcome(deal: Deal, catalog: StageCatalog): StageOutcome {
  const located = lookupStage(catalog, deal.stageId, deal.pipelineId);
  if (located !== undefined) return classifyStage(located.stage);
  if (deal.isWon) return 'won';
  return deal.isClosed ? 'lost' : 'open';
}

/** Sorts events by time (stable, so same-instant events keep input order). */
export function buildTimeline(events: readonly StageEvent[]): Timeline {
  return [...events].sort((a, b) => a.at - b.at);
}

/**
 * Stage at a moment: the last event at or before `at`. `null` when there is no event yet or the
 * last one cleared the value.
 */
export function findStageAt(timeline: Timeline, at: EpochMs): string | null {
  // Binary search for the last index with event.at <= at.
  let lo = 0;
  let hi = timeline.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((timeline[mid] as StageEvent).at <= at) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? null : (timeline[lo - 1] as StageEvent).stage;
}

export function groupDealStageChanges(changes: readonly DealStageChange[]): Map<string, DealStageChange[]> {
  const byDeal = new Map<string, DealStageChange[]>();
  for (const c of changes) {
    const list = byDeal.get(c.dealId);
    if (list === undefined) byDeal.set(c.dealId, [c]);
    else list.push(c);
  }
  return byDeal;
}

export function groupLifecycleChanges(changes: readonly LifecycleChange[]): Map<string, LifecycleChange[]> {
  const byContact = new Map<string, LifecycleChange[]>();
  for (const c of changes) {
    const list = byContact.get(c.contactId);
    if (list === undefined) byContact.set(c.contactId, [c]);
    else list.push(c);
  }
  return byContact;
}

/**
 * A deal's stage timeline. Without any recorded history (e.g. history not synced yet) the deal is
 * taken to have sat in its current stage since `createdate`.
 */
export function buildDealTimeline(deal: Deal, changes: readonly DealStageChange[] | undefined): Timeline {
  if (changes === undefined || changes.length === 0) return [{ stage: deal.stageId, at: deal.createdAt }];
  return buildTimeline(changes.map((c) => ({ stage: c.stageId, at: c.at })));
}

/**
 * A contact's lifecycle timeline. Without any recorded history the contact is taken to have held
 * its current stage since `createdate` (no timeline at all when it has no stage).
 */
export function buildLifecycleTimeline(
  contact: Contact,
  changes: readonly LifecycleChange[] | undefined,
): Timeline {
  if (changes === undefined || changes.length === 0) {
    return contact.lifecycleStage === null ? [] : [{ stage: contact.lifecycleStage, at: contact.createdAt }];
  }
  return buildTimeline(changes.map((c) => ({ stage: c.stage, at: c.at })));
}

/**
 * First time each stage was entered, where entering a stage also enters every stage it implies
 * (itself plus the skipped ones). `impliedBy(stage)` lists those; `undefined` ignores the event.
 */
export function computeEntryTimes(
  timeline: Timeline,
  impliedBy: (stage: string) => readonly string[] | undefined,
): Map<string, EpochMs> {
  const entries = new Map<string, EpochMs>();
  for (const event of timeline) {
    if (event.stage === null) continue;
    for (const s of impliedBy(event.stage) ?? []) if (!entries.has(s)) entries.set(s, event.at);
  }
  return entries;
}

/** Open stages of a pipeline in displayOrder (ties keep metadata order). */
export function listOpenStages(pipeline: Pipeline): PipelineStage[] {
  return pipeline.stages.filter((s) => !s.isClosed).sort((a, b) => a.displayOrder - b.displayOrder);
}

/**
 * When a deal first entered each stage of `pipeline`, with the skip rule:
 * - entering an open stage passes every open stage before it in displayOrder;
 * - entering a won stage passes every open stage (a won deal went all the way);
 * - entering a lost stage passes only that stage (a deal lost at stage 2 did not reach stage 4,
 *   even though "closed lost" usually sorts last).
 * Events in stages of other pipelines are ignored (deals can move between pipelines).
 */
export function computeDealStageEntries(timeline: Timeline, pipeline: Pipeline): Map<string, EpochMs> {
  const open = listOpenStages(pipeline).map((s) => s.id);
  const implied = new Map<string, readonly string[]>();
  open.forEach((id, i) => implied.set(id, open.slice(0, i + 1)));
  for (const stage of pipeline.stages) {
    if (!stage.isClosed) continue;
    implied.set(stage.id, classifyStage(stage) === 'won' ? [...open, stage.id] : [stage.id]);
  }
  return computeEntryTimes(timeline, (s) => implied.get(s));
}

/**
 * When a contact first entered each lifecycle stage, with the skip rule over `order` (the
 * portal's stage order; custom numeric ids included): entering stage k passes stages 0..k.
 * A stage outside `order` (e.g. `other`) is recorded for itself only and implies nothing.
 */
export function computeLifecycleEntries(timeline: Timeline, order: readonly string[]): Map<string, EpochMs> {
  const rank = new Map(order.map((s, i) => [s, i]));
  return computeEntryTimes(timeline, (s) => {
    const r = rank.get(s);
    return r === undefined ? [s] : order.slice(0, r + 1);
  });
}

/** A continuous stay in one stage; `to: null` while it lasts. */
export interface StageStay {
  readonly stage: string | null;
  readonly from: EpochMs;
  readonly to: EpochMs | null;
}

/** Consecutive stays; repeated events with the same stage extend the stay rather than restart it. */
export function listStays(timeline: Timeline): StageStay[] {
  const stays: StageStay[] = [];
  let current: { stage: string | null; from: EpochMs } | null = null;
  for (const event of timeline) {
    if (current !== null && current.stage === event.stage) continue;
    if (current !== null) stays.push({ ...current, to: event.at });
    current = { stage: event.stage, from: event.at };
  }
  if (current !== null) stays.push({ ...current, to: null });
  return stays;
}
