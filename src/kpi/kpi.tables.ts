import type { ColumnType, Generated, Selectable } from 'kysely';

/**
 * Typed shape of the KPI results (migration 20261123T200400Z-create-kpi-results; kept per run since
 * 20261130T124500Z-kpi-results-by-run).
 */

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type DefaultedJson<T> = ColumnType<T, string | T | undefined, string | T>;

export type KpiRunStatus = 'running' | 'succeeded' | 'failed';

export interface KpiRunTable {
  portal_id: number;
  run_id: Generated<number>;
  status: KpiRunStatus;
  as_of: Timestamp;
  started_at: Timestamp;
  finished_at: Timestamp | null;
  counts: DefaultedJson<Record<string, number>>;
  timings: DefaultedJson<Record<string, number>>;
  error: string | null;
}

export interface KpiSnapshotTable {
  portal_id: number;
  kpi: string;
  period_unit: string;
  period_start: Timestamp;
  period_end: Timestamp;
  period_label: string;
  pipeline_id: string;
  breakdown: string;
  breakdown_value: string;
  value: number | null;
  reason: string | null;
  inputs: DefaultedJson<Record<string, unknown>>;
  run_id: number;
}

export interface KpiDealRowTable {
  portal_id: number;
  deal_id: number;
  pipeline_id: string;
  stage_id: string;
  owner_id: string | null;
  source: string;
  outcome: string;
  amount_home: number | null;
  created_at: Timestamp;
  close_date: Timestamp | null;
  age_days: number;
  days_to_close: number | null;
  days_in_stage: number | null;
  stage_median_days: number | null;
  pipeline_velocity: number | null;
  pipeline_qualified: number | null;
  pipeline_win_rate: number | null;
  pipeline_avg_won_size: number | null;
  pipeline_cycle_days: number | null;
  run_id: number;
}

/** A deal's attribution as the deal card shows it: channel credits under each model. */
export interface DealAttribution {
  readonly kind: 'revenue' | 'deal_create';
  readonly value: number;
  readonly models: Record<string, Record<string, number>>;
}

export interface KpiContactRowTable {
  portal_id: number;
  contact_id: number;
  source: string;
  lifecycle_stage: string | null;
  created_at: Timestamp;
  customer_since: Timestamp | null;
  first_won_deal_id: number | null;
  days_to_deal: number | null;
  won_deals: number;
  won_revenue: number | null;
  open_deals: number;
  open_amount: number | null;
  touches: number;
  first_touch_channel: string | null;
  last_touch_channel: string | null;
  minutes_to_first_activity: number | null;
  run_id: number;
}

/**
 * Credits of one conversion, packed: `credits[m][i]` is the credit of touch `touch_ids[i]` (channel
 * `channels[i]`) under ATTRIBUTION_MODELS[m]. A conversion without counted touches has one entry,
 * touch id '' and channel '(no touch)'. The view `kpi_credit_rows` unpacks a row per touch.
 */
export interface KpiCreditTable {
  portal_id: number;
  conversion_kind: string;
  conversion_id: number;
  converted_at: Timestamp;
  value: number;
  touch_ids: string[];
  channels: string[];
  credits: number[][];
  run_id: number;
}

/** The view over kpi_credits: one row per conversion × counted touch, one column per model. */
export interface KpiCreditRowView {
  portal_id: number;
  conversion_kind: string;
  conversion_id: number;
  touch_id: string;
  channel: string;
  converted_at: Date;
  value: number;
  first_touch: number;
  last_touch: number;
  linear: number;
  u_shaped: number;
  w_shaped: number;
  full_path: number;
  time_decay: number;
  j_shaped: number;
  inverse_j: number;
  markov: number;
  /** Null on rows written before the Shapley model existed (none after the next run). */
  shapley: number | null;
  run_id: number;
}

/** The view over kpi_credits: a deal's credit per model and channel (revenue, else deal creation). */
export interface KpiDealAttributionView {
  portal_id: number;
  deal_id: number;
  conversion_kind: string;
  value: number;
  model: string;
  channel: string;
  credit: number;
}

export interface KpiChannelTotalTable {
  portal_id: number;
  conversion_kind: string;
  model: string;
  channel: string;
  credit: number;
  conversions: number;
  removal_effect: number | null;
  run_id: number;
}

/**
 * Channel credits per conversion kind × model × period × breakdown (migration
 * 20261130T060505Z-attribution-per-period-and-shapley). A conversion belongs to the periods that
 * contain its own moment: contact created, deal created, deal won. Periods and breakdowns are those
 * of `kpi_snapshots`: `period_unit` week | month | quarter | trailing_90d; `breakdown` all
 * (`breakdown_value` ''), source, pipeline, owner (contact creation: all, source, owner; the
 * contact's own source and owner). A (kind, model, period, breakdown) with no conversion has no rows;
 * the channel credits of one (kind, model, period, breakdown value) sum to the period's conversions
 * (counts) or won revenue with a counted amount (revenue). All-time totals: `kpi_channel_totals`.
 */
export interface KpiAttributionTotalTable {
  portal_id: number;
  conversion_kind: AttributionConversionKind;
  model: string;
  period_unit: string;
  period_start: Timestamp;
  period_end: Timestamp;
  period_label: string;
  breakdown: AttributionBreakdown;
  breakdown_value: string;
  channel: string;
  credit: number;
  /** Conversions of the period and breakdown value with at least one counted touch on the channel. */
  conversions: number;
  run_id: number;
}

export type AttributionConversionKind = 'contact_create' | 'deal_create' | 'revenue';
export type AttributionBreakdown = 'all' | 'source' | 'pipeline' | 'owner';

/** The run whose results readers see, per portal (set when a run turns `succeeded`, by a trigger). */
export interface KpiCurrentRunTable {
  portal_id: number;
  run_id: number;
}

/**
 * Result tables hold the rows of every run not yet cleaned up (`<name>_by_run`); the views under
 * the plain names show the portal's current run (kpi_current_runs) only. Readers use the views; the
 * computation writes into the tables, and deletes the other runs' rows after its commit.
 */
export interface KpiTables {
  kpi_runs: KpiRunTable;
  kpi_current_runs: KpiCurrentRunTable;
  kpi_snapshots_by_run: KpiSnapshotTable;
  kpi_deal_rows_by_run: KpiDealRowTable;
  kpi_contact_rows_by_run: KpiContactRowTable;
  kpi_credits_by_run: KpiCreditTable;
  kpi_channel_totals_by_run: KpiChannelTotalTable;
  kpi_attribution_totals_by_run: KpiAttributionTotalTable;
  kpi_snapshots: KpiSnapshotTable;
  kpi_deal_rows: KpiDealRowTable;
  kpi_contact_rows: KpiContactRowTable;
  kpi_credits: KpiCreditTable;
  kpi_credit_rows: KpiCreditRowView;
  kpi_deal_attribution: KpiDealAttributionView;
  kpi_channel_totals: KpiChannelTotalTable;
  kpi_attribution_totals: KpiAttributionTotalTable;
}

export type KpiSnapshotRow = Selectable<KpiSnapshotTable>;
export type KpiRunRow = Selectable<KpiRunTable>;
export type KpiAttributionTotalRow = Selectable<KpiAttributionTotalTable>;
export type KpiChannelTotalRow = Selectable<KpiChannelTotalTable>;
