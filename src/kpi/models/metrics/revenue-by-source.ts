/**
 * KPI 3, customers and revenue per source: new customers and won revenue per original source
 * (`hs_analytics_source`) per period. Source values are kept as they come; records without one
 * go to the `NO_SOURCE` bucket, so the per-source rows always add up to the total.
 */

import { buildLifecycleTimelines, findCustomerSince } from './lifecycle';
import { partitionByAmount } from './money';
import type { Period } from './period';
import { isWithinPeriod } from './period';
import { ALL_SOURCES, groupBySource, listBuckets } from './source';
import type { CountInputs, KpiResult, SumInputs } from './stats';
import { countRecords, makeKnown, makeUnknown } from './stats';
import { buildStageCatalog, getDealOutcome } from './stage-history';
import type { Contact, Deal, LifecycleChange, Pipeline } from './types';

export interface RevenueBySourceInput {
  readonly period: Period;
  readonly contacts: readonly Contact[];
  readonly lifecycleChanges: readonly LifecycleChange[];
  readonly lifecycleOrder: readonly string[];
  readonly deals: readonly Deal[];
  readonly pipelines: readonly Pipeline[];
}

export interface SourceRevenueRow {
  readonly source: string;
  /** Contacts of this original source that became customers in the period. */
  readonly newCustomers: KpiResult<CountInputs>;
  /** Deals of this source won (closedate) in the period. */
  readonly wonDeals: KpiResult<CountInputs>;
  /** Σ home-currency amounts of those deals. */
  readonly wonRevenue: KpiResult<SumInputs>;
}

export interface RevenueBySource {
  readonly period: Period;
  readonly bySource: readonly SourceRevenueRow[];
  /** Label `(all sources)`; equal to the sum of the rows. */
  readonly total: SourceRevenueRow;
}

/**
 * Σ home-currency amounts. No deals → 0 (nothing was won); deals but none with a usable amount →
 * null, because 0 would hide revenue we know exists but cannot express in the home currency.
 */
export function sumWonRevenue(deals: readonly Deal[]): KpiResult<SumInputs> {
  const { amounts, excluded } = partitionByAmount(deals);
  const inputs: SumInputs = { ids: amounts.map((a) => a.id), excluded };
  if (deals.length > 0 && amounts.length === 0) {
    return makeUnknown('no won deal has an amount in the home currency', inputs);
  }
  let sum = 0;
  for (const a of amounts) sum += a.value;
  return makeKnown(sum, inputs);
}

function buildRow(source: string, customers: readonly Contact[], won: readonly Deal[]): SourceRevenueRow {
  return {
    source,
    newCustomers: countRecords(customers.map((c) => c.id)),
    wonDeals: countRecords(won.map((d) => d.id)),
    wonRevenue: sumWonRevenue(won),
  };
}

/**
 * New customers (customer date in the period, see `findCustomerSince`, by the contact's original
 * source) and won revenue (deals won per stage metadata with `closedate` in the period, by the
 * deal's source) per source bucket. Deleted records are ignored; won deals without a
 * home-currency amount are listed in `wonRevenue.inputs.excluded`.
 */
export function computeRevenueBySource(input: RevenueBySourceInput): RevenueBySource {
  const { period } = input;
  const timelines = buildLifecycleTimelines({ contacts: input.contacts, changes: input.lifecycleChanges });
  const customers = input.contacts.filter((c) => {
    if (c.deleted) return false;
    const since = findCustomerSince(c, timelines.get(c.id) ?? [], input.lifecycleOrder);
    return since !== null && isWithinPeriod(since, period);
  });
  const catalog = buildStageCatalog(input.pipelines);
  const won = input.deals.filter(
    (d) =>
      !d.deleted &&
      d.closedAt !== null &&
      isWithinPeriod(d.closedAt, period) &&
      getDealOutcome(d, catalog) === 'won',
  );
  const customersBySource = groupBySource(customers, (c) => c.source);
  const wonBySource = groupBySource(won, (d) => d.source);
  return {
    period,
    bySource: listBuckets(customersBySource, wonBySource).map((source) =>
      buildRow(source, customersBySource.get(source) ?? [], wonBySource.get(source) ?? []),
    ),
    total: buildRow(ALL_SOURCES, customers, won),
  };
}
