/**
 * KPI 6, leads in each lifecycle stage: counts per stage now and at each period end, plus
 * stage-to-stage conversion rate and median time between stages, all from lifecycle-stage
 * history (current values are high-water marks and hide how a contact got there).
 * Custom stages (numeric ids) are ordinary stage ids here; the portal's order is an argument.
 */

import type { Period } from './period';
import { getSnapshotInstant, isWithinPeriod } from './period';
import type { CountInputs, KpiResult, RateInputs, Sample, SampleInputs } from './stats';
import { computeMedian, computeRate, countRecords, makeKnown, makeUnknown, MS_PER_DAY } from './stats';
import type { Timeline } from './stage-history';
import {
  buildLifecycleTimeline,
  computeLifecycleEntries,
  findStageAt,
  groupLifecycleChanges,
} from './stage-history';
import type { Contact, EpochMs, LifecycleChange } from './types';

/**
 * HubSpot's default stages in their order. `other` is left out on purpose: it sorts last in
 * HubSpot but is not a step of the funnel, so it must not imply having passed `customer`.
 * Portals with custom stages pass their own order (from the lifecyclestage property options).
 */
export const DEFAULT_LIFECYCLE_ORDER: readonly string[] = [
  'subscriber',
  'lead',
  'marketingqualifiedlead',
  'salesqualifiedlead',
  'opportunity',
  'customer',
  'evangelist',
];

/** Internal value of the customer stage (fixed in HubSpot, even in portals with custom stages). */
export const CUSTOMER_STAGE = 'customer';

export interface LifecycleData {
  readonly contacts: readonly Contact[];
  readonly changes: readonly LifecycleChange[];
  /** The portal's funnel order of lifecycle stage ids; stages outside it are counted but imply nothing. */
  readonly order: readonly string[];
}

/** Timelines of the non-deleted contacts, built once. */
export function buildLifecycleTimelines(
  data: Pick<LifecycleData, 'contacts' | 'changes'>,
): Map<string, Timeline> {
  const byContact = groupLifecycleChanges(data.changes);
  const timelines = new Map<string, Timeline>();
  for (const contact of data.contacts) {
    if (!contact.deleted)
      timelines.set(contact.id, buildLifecycleTimeline(contact, byContact.get(contact.id)));
  }
  return timelines;
}

/**
 * When a contact became a customer: `hs_v2_date_entered_customer` when set, else the first time
 * its history reached `customer` or a later stage in `order` (skip rule). `null` when never.
 */
export function findCustomerSince(
  contact: Contact,
  timeline: Timeline,
  order: readonly string[],
): EpochMs | null {
  if (contact.becameCustomerAt !== null) return contact.becameCustomerAt;
  return computeLifecycleEntries(timeline, order).get(CUSTOMER_STAGE) ?? null;
}

export interface LifecycleStageCount {
  readonly stage: string;
  readonly count: KpiResult<CountInputs>;
}

export interface LifecycleCounts {
  readonly at: EpochMs;
  /** Stages of `order` first (always listed, 0 when empty), then any other stage met, sorted. */
  readonly byStage: readonly LifecycleStageCount[];
  /** Contacts that existed at `at` but had no stage then (no history yet, or the value was cleared). */
  readonly withoutStage: KpiResult<CountInputs>;
  /** Every contact that existed at `at`: the sum of `byStage` plus `withoutStage`. */
  readonly total: KpiResult<CountInputs>;
}

/**
 * Contacts per lifecycle stage at instant `at`: the stage is the last history value at or before
 * `at`; only contacts created at or before `at` and not deleted count. Counts are never null.
 * For "now" pass the computation time; for a period end use `countContactsAtPeriodEnd`.
 */
export function countContactsByLifecycleStage(
  data: LifecycleData & { readonly at: EpochMs },
): LifecycleCounts {
  const timelines = buildLifecycleTimelines(data);
  const byStage = new Map<string, string[]>(data.order.map((s) => [s, []]));
  const without: string[] = [];
  const all: string[] = [];
  for (const contact of data.contacts) {
    if (contact.deleted || contact.createdAt > data.at) continue;
    all.push(contact.id);
    const stage = findStageAt(timelines.get(contact.id) ?? [], data.at);
    if (stage === null) {
      without.push(contact.id);
      continue;
    }
    const list = byStage.get(stage);
    if (list === undefined) byStage.set(stage, [contact.id]);
    else list.push(contact.id);
  }
  const inOrder = new Set(data.order);
  const extra = [...byStage.keys()].filter((s) => !inOrder.has(s)).sort();
  return {
    at: data.at,
    byStage: [...data.order, ...extra].map((stage) => ({
      stage,
      count: countRecords(byStage.get(stage) ?? []),
    })),
    withoutStage: countRecords(without),
    total: countRecords(all),
  };
}

/** Counts at the end of `period` (state after every change strictly before `period.end`). */
export function countContactsAtPeriodEnd(data: LifecycleData & { readonly period: Period }): LifecycleCounts {
  return countContactsByLifecycleStage({ ...data, at: getSnapshotInstant(data.period) });
}

export interface StageConversion {
  readonly from: string;
  readonly to: string;
  /** Of the contacts that entered `from` in the period, the share that reached `to` by `now`; a fraction ≤ 1. */
  readonly rate: KpiResult<RateInputs>;
  /** Median days from entering `from` to entering `to`, over the contacts that converted. */
  readonly medianDays: KpiResult<SampleInputs>;
}

/**
 * Conversion from lifecycle stage `from` to the later stage `to` for the cohort of contacts that
 * entered `from` during `period` (cohort by entry date, entries by the skip rule):
 *   rate = |cohort that reached `to` by `now`| ÷ |cohort|
 *   median_days = median over converted contacts of (entered `to` − entered `from`) ÷ 86 400 000 ms
 * A skipped stage was passed at the moment the later one was entered, so skips give 0 days and
 * the rate can never exceed 1. Empty cohort → both null ("no contact entered <from> in period").
 * Throws RangeError when `from` does not come before `to` in `order` (a caller bug).
 */
export function computeStageConversion(
  data: LifecycleData & {
    readonly from: string;
    readonly to: string;
    readonly period: Period;
    readonly now: EpochMs;
  },
  timelines: ReadonlyMap<string, Timeline> = buildLifecycleTimelines(data),
): StageConversion {
  const { from, to, period, now, order } = data;
  const fromRank = order.indexOf(from);
  const toRank = order.indexOf(to);
  if (fromRank < 0 || toRank < 0 || fromRank >= toRank) {
    throw new RangeError(`lifecycle stage ${from} must come before ${to} in the stage order`);
  }
  const cohort: string[] = [];
  const converted: string[] = [];
  const samples: Sample[] = [];
  for (const contact of data.contacts) {
    if (contact.deleted) continue;
    const entries = computeLifecycleEntries(
      (timelines.get(contact.id) ?? []).filter((e) => e.at <= now),
      order,
    );
    const enteredFrom = entries.get(from);
    if (enteredFrom === undefined || !isWithinPeriod(enteredFrom, period)) continue;
    cohort.push(contact.id);
    const enteredTo = entries.get(to);
    if (enteredTo === undefined) continue;
    converted.push(contact.id);
    samples.push({ id: contact.id, value: (enteredTo - enteredFrom) / MS_PER_DAY });
  }
  const emptyReason = `no contact entered ${from} in period`;
  const median = computeMedian(samples.map((s) => s.value));
  const sampleInputs: SampleInputs = { samples, excluded: [] };
  return {
    from,
    to,
    rate: computeRate(converted, cohort, emptyReason),
    medianDays:
      median !== null
        ? makeKnown(median, sampleInputs)
        : makeUnknown(
            cohort.length === 0 ? emptyReason : `no contact went from ${from} to ${to}`,
            sampleInputs,
          ),
  };
}

/** `computeStageConversion` for each consecutive pair of stages in `order`. */
export function computeLifecycleConversions(
  data: LifecycleData & { readonly period: Period; readonly now: EpochMs },
): StageConversion[] {
  const timelines = buildLifecycleTimelines(data);
  const result: StageConversion[] = [];
  for (let i = 0; i + 1 < data.order.length; i++) {
    const from = data.order[i] as string;
    const to = data.order[i + 1] as string;
    result.push(computeStageConversion({ ...data, from, to }, timelines));
  }
  return result;
}
