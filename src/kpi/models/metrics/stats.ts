/**
 * The result shape every KPI returns, and the few statistics the KPIs need.
 *
 * A KPI is either known (`value` is a number) or unknown (`value: null` plus a human reason).
 * Both carry `inputs`: the counts, sums and record ids the figure was computed from, so that a
 * reader can trace every number back to CRM records (spec: "every figure keeps the record ids
 * it was computed from").
 */

import type { RecordId } from './types';

export type KpiResult<I> =
  | { readonly value: number; readonly inputs: I }
  | { readonly value: null; readonly reason: string; readonly inputs: I };

/** A record excluded from a figure, and why (e.g. no amount in the home currency). */
export interface Exclusion {
  readonly id: RecordId;
  readonly reason: string;
}

/** One measured value and the record it came from. */
export interface Sample {
  readonly id: RecordId;
  readonly value: number;
}

export interface CountInputs {
  /** The records counted; `value === ids.length`. */
  readonly ids: readonly RecordId[];
}

export interface SumInputs {
  /** Records whose amount was summed. */
  readonly ids: readonly RecordId[];
  /** Records that belonged to the population but could not be summed. */
  readonly excluded: readonly Exclusion[];
}

export interface RateInputs {
  readonly numerator: number;
  readonly denominator: number;
  /** Records (or report rows, for visits) behind the numerator; a subset of the denominator's when the rate is a conversion. */
  readonly numeratorIds: readonly string[];
  readonly denominatorIds: readonly string[];
}

export interface SampleInputs {
  readonly samples: readonly Sample[];
  readonly excluded: readonly Exclusion[];
}

/** Mean, median and p90 of one population; each is its own KPI over the same samples. */
export interface DistributionSummary {
  readonly count: number;
  readonly mean: KpiResult<SampleInputs>;
  readonly median: KpiResult<SampleInputs>;
  readonly p90: KpiResult<SampleInputs>;
}

export interface ChangeInputs {
  readonly current: number | null;
  readonly previous: number | null;
}

/** Change of one KPI against the previous period. */
export interface PeriodChange {
  /** current − previous, in the KPI's unit. */
  readonly absolute: KpiResult<ChangeInputs>;
  /** (current − previous) ÷ previous, a fraction (0.25 = +25 %). */
  readonly relative: KpiResult<ChangeInputs>;
}

export const MS_PER_MINUTE = 60_000;
export const MS_PER_DAY = 86_400_000;

export function makeKnown<I>(value: number, inputs: I): KpiResult<I> {
  return { value, inputs };
}

export function makeUnknown<I>(reason: string, inputs: I): KpiResult<I> {
  return { value: null, reason, inputs };
}

/** Reason text of a result, or `undefined` when it is known; convenient in reports and tests. */
export function getReason<I>(result: KpiResult<I>): string | undefined {
  return result.value === null ? result.reason : undefined;
}

/**
 * Arithmetic mean. Empty input → `null`.
 */
export function computeMean(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/**
 * Percentile by linear interpolation between closest ranks, the definition of Excel's
 * `PERCENTILE.INC`, Google Sheets' `PERCENTILE` and numpy's default: with the values sorted
 * ascending as x[0..n-1], h = (n − 1) × p and the result is x[⌊h⌋] + (h − ⌊h⌋) × (x[⌊h⌋+1] − x[⌊h⌋]).
 * So p90 of 1..10 is 9.1 and the median of an even count is the mean of the two middle values.
 * `p` is a fraction in [0, 1]. Empty input → `null`.
 */
export function computePercentile(values: readonly number[], p: number): number | null {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`percentile must be within [0, 1], got ${p}`);
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const x0 = sorted[lo] as number;
  const x1 = sorted[hi] as number;
  return x0 + (h - lo) * (x1 - x0);
}

/** Median = the 50th percentile under the same definition (mean of the two middle values for an even count). */
export function computeMedian(values: readonly number[]): number | null {
  return computePercentile(values, 0.5);
}

/**
 * Mean, median and p90 (`computePercentile` definition) of the samples, each as a KPI that keeps
 * the samples (record id + value) it came from. Empty population → all three `null` with `emptyReason`.
 */
export function summarizeSamples(
  samples: readonly Sample[],
  emptyReason: string,
  excluded: readonly Exclusion[] = [],
): DistributionSummary {
  const inputs: SampleInputs = { samples, excluded };
  const values = samples.map((s) => s.value);
  const wrap = (v: number | null): KpiResult<SampleInputs> =>
    v === null ? makeUnknown(emptyReason, inputs) : makeKnown(v, inputs);
  return {
    count: samples.length,
    mean: wrap(computeMean(values)),
    median: wrap(computeMedian(values)),
    p90: wrap(computePercentile(values, 0.9)),
  };
}

/** A count is a fact even when it is 0 (we looked and found none), so it is never `null`. */
export function countRecords(ids: readonly RecordId[]): KpiResult<CountInputs> {
  return makeKnown(ids.length, { ids });
}

/**
 * numerator ÷ denominator as a fraction. Denominator 0 → `null` with `emptyReason`.
 */
export function computeRate(
  numeratorIds: readonly string[],
  denominatorIds: readonly string[],
  emptyReason: string,
  counts?: { numerator: number; denominator: number },
): KpiResult<RateInputs> {
  const numerator = counts?.numerator ?? numeratorIds.length;
  const denominator = counts?.denominator ?? denominatorIds.length;
  const inputs: RateInputs = { numerator, denominator, numeratorIds, denominatorIds };
  if (denominator === 0) return makeUnknown(emptyReason, inputs);
  return makeKnown(numerator / denominator, inputs);
}

/**
 * Change of a KPI against the previous period: absolute = current − previous; relative =
 * (current − previous) ÷ |previous|. Unknown when either side is unknown; relative is also
 * unknown when the previous value is 0 (growth from nothing has no ratio).
 */
export function computeChange(current: KpiResult<unknown>, previous: KpiResult<unknown>): PeriodChange {
  const inputs: ChangeInputs = { current: current.value, previous: previous.value };
  if (current.value === null) {
    const reason = `current period unknown: ${current.reason}`;
    return { absolute: makeUnknown(reason, inputs), relative: makeUnknown(reason, inputs) };
  }
  if (previous.value === null) {
    const reason = `previous period unknown: ${previous.reason}`;
    return { absolute: makeUnknown(reason, inputs), relative: makeUnknown(reason, inputs) };
  }
  const absolute = current.value - previous.value;
  return {
    absolute: makeKnown(absolute, inputs),
    relative:
      previous.value === 0
        ? makeUnknown('previous period value is 0', inputs)
        : makeKnown(absolute / Math.abs(previous.value), inputs),
  };
}
