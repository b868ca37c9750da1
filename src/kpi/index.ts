/**
 * The KPI feature's public face: what other features (write-back, cards, reports) may use.
 */
export { ATTRIBUTION_MODELS, NO_TOUCH_CHANNEL } from './models/attribution';
export type { AttributionModel } from './models/attribution';
export type { KpiTables } from './kpi.tables';
