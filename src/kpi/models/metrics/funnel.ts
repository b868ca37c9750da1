/**
 * KPI 2, sales from digital marketing: visits → contacts (leads) → customers per period and
 * source with the conversion rate between each step, plus two per-portal derivatives,
 * customer lifetime value and leads per customer.
 */

import type { LeadContactCandidate } from './lead-contact';
import { selectLeadContact } from './lead-contact';
import { buildLifecycleTimelines, findCustomerSince } from './lifecycle';
import { partitionByAmount } from './money';
import type { Period } from './period';
import { isWithinPeriod } from './period';
import { ALL_SOURCES, groupBySource, listBuckets } from './source';
import type { CountInputs, Exclusion, KpiResult, RateInputs } from './stats';
import { computeMean, computeRate, countRecords, makeKnown, makeUnknown, MS_PER_DAY } from './stats';
import { buildStageCatalog, getDealOutcome } from './stage-history';
import type { VisitInputs } from './traffic';
import { selectTrafficInPeriod, sumVisits } from './traffic';
import type { Contact, Deal, EpochMs, LifecycleChange, Pipeline, TrafficPoint } from './types';

export interface FunnelInput {
  readonly period: Period;
  readonly traffic: readonly TrafficPoint[];
  readonly contacts: readonly Contact[];
  readonly lifecycleChanges: readonly LifecycleChange[];
  /** The portal's lifecycle order (see `DEFAULT_LIFECYCLE_ORDER`), used when a contact lacks `hs_v2_date_entered_customer`. */
  readonly lifecycleOrder: readonly string[];
}

export interface FunnelRow {
  readonly source: string;
  /** Sum of analytics visits; unknown when the report has no row at all for the period. */
  readonly visits: KpiResult<VisitInputs>;
  /** Contacts created (`createdate`) in the period. */
  readonly contacts: KpiResult<CountInputs>;
  /** Contacts that became customers in the period. */
  readonly customers: KpiResult<CountInputs>;
  /** contacts ÷ visits (a ratio of the period's flows, not a cohort rate; can exceed 1 with imports). */
  readonly visitToContactRate: KpiResult<RateInputs>;
  /** customers ÷ contacts (ratio of flows; customers may have been created in earlier periods). */
  readonly contactToCustomerRate: KpiResult<RateInputs>;
}

export interface Funnel {
  readonly period: Period;
  /** One row per source bucket seen in visits, contacts or customers, sorted by name. */
  readonly bySource: readonly FunnelRow[];
  /** All sources together; each count equals the sum of the per-source counts. */
  readonly total: FunnelRow;
}

function buildRow(
  source: string,
  visits: KpiResult<VisitInputs>,
  contactIds: readonly string[],
  customerIds: readonly string[],
): FunnelRow {
  const visitToContactRate =
    visits.value === null
      ? makeUnknown<RateInputs>(`visits unknown: ${visits.reason}`, {
          numerator: contactIds.length,
          denominator: 0,
          numeratorIds: contactIds,
          denominatorIds: visits.inputs.rows,
        })
      : computeRate(contactIds, visits.inputs.rows, 'no visits in period', {
          numerator: contactIds.length,
          denominator: visits.value,
        });
  return {
    source,
    visits,
    contacts: countRecords(contactIds),
    customers: countRecords(customerIds),
    visitToContactRate,
    contactToCustomerRate: computeRate(customerIds, contactIds, 'no contacts created in period'),
  };
}

/**
 * The funnel of one period. Visits: analytics rows whose bucket starts in the period (daily
 * buckets). Contacts: non-deleted contacts by `createdate`. Customers: non-deleted contacts whose
 * customer date (see `findCustomerSince`) is in the period. Source: the contact's original source;
 * a missing one goes to `NO_SOURCE`. Counts are 0 when empty; rates are null with a reason when
 * their denominator is 0 or unknown.
 */
export function computeFunnel(input: FunnelInput): Funnel {
  const { period } = input;
  const points = selectTrafficInPeriod(input.traffic, period);
  const hasTraffic = points.length > 0;
  const timelines = buildLifecycleTimelines({ contacts: input.contacts, changes: input.lifecycleChanges });
  const created: Contact[] = [];
  const customers: Contact[] = [];
  for (const contact of input.contacts) {
    if (contact.deleted) continue;
    if (isWithinPeriod(contact.createdAt, period)) created.push(contact);
    const since = findCustomerSince(contact, timelines.get(contact.id) ?? [], input.lifecycleOrder);
    if (since !== null && isWithinPeriod(since, period)) customers.push(contact);
  }
  const visitsBySource = groupBySource(points, (p) => p.source);
  const createdBySource = groupBySource(created, (c) => c.source);
  const customersBySource = groupBySource(customers, (c) => c.source);
  const bySource = listBuckets(visitsBySource, createdBySource, customersBySource).map((source) =>
    buildRow(
      source,
      sumVisits(visitsBySource.get(source) ?? [], hasTraffic),
      (createdBySource.get(source) ?? []).map((c) => c.id),
      (customersBySource.get(source) ?? []).map((c) => c.id),
    ),
  );
  const total = buildRow(
    ALL_SOURCES,
    sumVisits(points, hasTraffic),
    created.map((c) => c.id),
    customers.map((c) => c.id),
  );
  return { period, bySource, total };
}

export interface LeadsPerCustomerInputs {
  readonly leadToCustomerRate: number | null;
  /** The rate's own inputs when it was measured; `null` when it came from settings. */
  readonly rateInputs: RateInputs | null;
}

/**
 * leads_per_customer = 1 ÷ lead_to_customer_rate (seed example: 0.014 → ≈ 71.4). Pass a measured
 * rate (e.g. `computeFunnel(...).total.contactToCustomerRate`) or a number from settings.
 * Unknown when the rate is unknown or 0 ("no lead became a customer").
 */
export function computeLeadsPerCustomer(
  rate: KpiResult<RateInputs> | number,
): KpiResult<LeadsPerCustomerInputs> {
  const value = typeof rate === 'number' ? rate : rate.value;
  const inputs: LeadsPerCustomerInputs = {
    leadToCustomerRate: value,
    rateInputs: typeof rate === 'number' ? null : rate.inputs,
  };
  if (typeof rate !== 'number' && rate.value === null) {
    return makeUnknown(`lead-to-customer rate unknown: ${rate.reason}`, inputs);
  }
  if (value === null || !(value > 0)) return makeUnknown('no lead became a customer', inputs);
  return makeKnown(1 / value, inputs);
}

/** Settings that replace measured CLV factors; `null`/absent means "measure it". */
export interface ClvOverrides {
  readonly averageOrderValue?: number | null;
  readonly ordersPerYear?: number | null;
  readonly yearsAsCustomer?: number | null;
}

export interface ClvInput {
  readonly deals: readonly Deal[];
  /** The contacts of the deals (at least id and createdate): they pick each deal's lead contact. */
  readonly contacts: readonly LeadContactCandidate[];
  readonly pipelines: readonly Pipeline[];
  /** Computation time; won deals closed after it are ignored and tenures end here. */
  readonly asOf: EpochMs;
  readonly overrides?: ClvOverrides;
}

export interface ClvFactorInputs {
  /** True when the value came from settings rather than from deals. */
  readonly overridden: boolean;
  /** Won deals measured (for the average order value: those with a home-currency amount). */
  readonly dealIds: readonly string[];
  /** Customers (lead contacts of won deals). */
  readonly customerIds: readonly string[];
  /** Σ won deals per customer, and Σ years since each customer's first won deal. */
  readonly orders: number;
  readonly customerYears: number;
  readonly excluded: readonly Exclusion[];
}

export interface ClvInputs {
  readonly averageOrderValue: number | null;
  readonly ordersPerYear: number | null;
  readonly yearsAsCustomer: number | null;
}

export interface CustomerLifetimeValue {
  /** average_order_value × orders_per_year × years_as_customer, home currency. */
  readonly value: KpiResult<ClvInputs>;
  readonly averageOrderValue: KpiResult<ClvFactorInputs>;
  readonly ordersPerYear: KpiResult<ClvFactorInputs>;
  readonly yearsAsCustomer: KpiResult<ClvFactorInputs>;
}

const MS_PER_YEAR = 365.25 * MS_PER_DAY;

function pickFactor(
  override: number | null | undefined,
  measured: KpiResult<ClvFactorInputs>,
): KpiResult<ClvFactorInputs> {
  if (override === null || override === undefined) return measured;
  return makeKnown(override, { ...measured.inputs, overridden: true });
}

/**
 * customer_lifetime_value = average_order_value × orders_per_year × years_as_customer
 * (seed example: 100 000 × 3 × 3 = 900 000). Each factor comes from settings when overridden,
 * else is measured from won deals (outcome from stage metadata) closed at or before `asOf`:
 * - average_order_value = mean home-currency amount of won deals (deals without one excluded);
 * - a customer is the lead contact of a won deal (`selectLeadContact`: the associated live contact
 *   created first; won deals without one are excluded from the two factors below but still count
 *   in the average order value);
 * - years_as_customer = mean over customers of (asOf − first won closedate) in years of 365.25 days;
 * - orders_per_year = Σ won deals of customers ÷ Σ customer years.
 * Measured factors multiply to the won revenue per customer to date: a lower bound of lifetime
 * value while customers keep buying. Unknown when any factor is unknown.
 */
export function computeCustomerLifetimeValue(input: ClvInput): CustomerLifetimeValue {
  const catalog = buildStageCatalog(input.pipelines);
  const won = input.deals.filter(
    (d) =>
      !d.deleted && d.closedAt !== null && d.closedAt <= input.asOf && getDealOutcome(d, catalog) === 'won',
  );
  const { amounts, excluded: amountExcluded } = partitionByAmount(won);
  const firstWon = new Map<string, EpochMs>();
  const ordersOf = new Map<string, number>();
  const customerDealIds: string[] = [];
  const noContact: Exclusion[] = [];
  const contactsById = new Map(input.contacts.map((c) => [c.id, c]));
  for (const deal of won) {
    const customer = selectLeadContact(deal.contactIds, contactsById)?.id;
    if (customer === undefined) {
      noContact.push({ id: deal.id, reason: 'won deal without contact' });
      continue;
    }
    customerDealIds.push(deal.id);
    ordersOf.set(customer, (ordersOf.get(customer) ?? 0) + 1);
    const closedAt = deal.closedAt as number;
    const first = firstWon.get(customer);
    if (first === undefined || closedAt < first) firstWon.set(customer, closedAt);
  }
  const customerIds = [...firstWon.keys()];
  let customerYears = 0;
  for (const first of firstWon.values()) customerYears += (input.asOf - first) / MS_PER_YEAR;
  const orders = customerDealIds.length;
  const base = { overridden: false, customerIds, orders, customerYears };

  const aovInputs: ClvFactorInputs = { ...base, dealIds: amounts.map((a) => a.id), excluded: amountExcluded };
  const aov = computeMean(amounts.map((a) => a.value));
  const measuredAov =
    aov === null
      ? makeUnknown(
          won.length === 0 ? 'no won deals' : 'no won deal has an amount in the home currency',
          aovInputs,
        )
      : makeKnown(aov, aovInputs);

  const customerInputs: ClvFactorInputs = { ...base, dealIds: customerDealIds, excluded: noContact };
  const noCustomers = won.length === 0 ? 'no won deals' : 'no won deal has a contact';
  const measuredYears =
    customerIds.length === 0
      ? makeUnknown(noCustomers, customerInputs)
      : makeKnown(customerYears / customerIds.length, customerInputs);
  const measuredOrdersPerYear =
    customerIds.length === 0
      ? makeUnknown(noCustomers, customerInputs)
      : customerYears === 0
        ? makeUnknown('customers have no time as customers yet', customerInputs)
        : makeKnown(orders / customerYears, customerInputs);

  const overrides = input.overrides ?? {};
  const averageOrderValue = pickFactor(overrides.averageOrderValue, measuredAov);
  const ordersPerYear = pickFactor(overrides.ordersPerYear, measuredOrdersPerYear);
  const yearsAsCustomer = pickFactor(overrides.yearsAsCustomer, measuredYears);
  const inputs: ClvInputs = {
    averageOrderValue: averageOrderValue.value,
    ordersPerYear: ordersPerYear.value,
    yearsAsCustomer: yearsAsCustomer.value,
  };
  let value: KpiResult<ClvInputs>;
  if (averageOrderValue.value === null)
    value = makeUnknown(`average order value unknown: ${averageOrderValue.reason}`, inputs);
  else if (ordersPerYear.value === null)
    value = makeUnknown(`orders per year unknown: ${ordersPerYear.reason}`, inputs);
  else if (yearsAsCustomer.value === null)
    value = makeUnknown(`years as customer unknown: ${yearsAsCustomer.reason}`, inputs);
  else value = makeKnown(averageOrderValue.value * ordersPerYear.value * yearsAsCustomer.value, inputs);
  return { value, averageOrderValue, ordersPerYear, yearsAsCustomer };
}
