/**
 * What other features may use from the KPI feature (import only through this file).
 */
export { readAttributionTotals } from './attribution-totals';
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
