/**
 * What other features may use of the KPI engine (lint allows only this file across
 * features). To ask for a recomputation, enqueue `kpi.compute` through the producer: the
 * job registry debounces it, and nothing of the engine is loaded by the caller.
 */
export { createKpiService, readHeadline } from './kpi.service';
export type { KpiHeadline, KpiProgress, KpiRunSummary, KpiService, KpiServiceDeps } from './kpi.service';
export type { KpiTables } from './kpi.tables';
// The attribution rule the deal card shows (which touch is first, lead creation, deal creation, closed won).
export { findKeyTouches, selectCountedTouches } from './models/attribution';
export type { Conversion, Touch } from './models/attribution';
export { readAttributionTotals } from './attribution-totals';
// The run whose results readers see (the last to commit, not the highest id).
export { readCurrentRun } from './current-run';
export type { CurrentRun } from './current-run';
// Lifecycle stage entries with the skip rule, for the report drill-down of stage-to-stage conversion.
export {
  LIFECYCLE_CONVERSION_RATE,
  LIFECYCLE_MEDIAN_DAYS,
  lifecycleEntriesCte,
  readLifecycleOrder,
} from './queries/lifecycle-conversion-snapshots';
export type { AttributionTotalsQuery } from './attribution-totals';
export type {
  AttributionBreakdown,
  AttributionConversionKind,
  KpiAttributionTotalRow,
  KpiAttributionTotalTable,
  KpiChannelTotalRow,
  KpiChannelTotalTable,
  KpiCreditRowView,
  KpiDealAttributionView,
  KpiSnapshotRow,
} from './kpi.tables';
export { ATTRIBUTION_MODELS, NO_TOUCH_CHANNEL } from './models/attribution';
export type { AttributionModel, ConversionKind } from './models/attribution';
